package demo

import (
	"crypto/sha1"
	"encoding/hex"
	"time"
)

// Release is a version of the service as /health/info reports it.
type Release struct {
	// Version is the human version, e.g. "1.4.2".
	Version string
	// Commit is the 40-hex commit the release was built from.
	Commit string
}

// NewRelease makes a release whose commit is derived from the version, so the demo and
// tests get a stable, realistic 40-hex commit without inventing one.
func NewRelease(version string) Release {
	sum := sha1.Sum([]byte("deploywatch-demo " + version))
	return Release{Version: version, Commit: hex.EncodeToString(sum[:])}
}

// defaultRelease serves when Options.Initial is left empty.
var defaultRelease = NewRelease("1.4.1")

// deployment is a release and when it started serving.
type deployment struct {
	release Release
	at      time.Time
}
