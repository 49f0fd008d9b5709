// Package model holds the domain types of deploywatch: what a check is, what it measured,
// the findings and verdict derived from measurements, the events published while a run is
// under way, and the final report. It imports nothing of ours so every layer can share it.
package model
