// Package report renders a run as text: the JSON report file, the Markdown job summary (also
// the body of the sticky pull-request comment), the step outputs, the one-line summary and
// the live log lines printed while the run is under way.
//
// The package is pure: no I/O, no clock, no environment. Every rendering is a function of
// its input alone, which is what lets the renderings be pinned by golden files.
package report
