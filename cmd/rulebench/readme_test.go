package main

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/deploywatch/deploywatch/internal/sim"
)

var update = flag.Bool("update", false, "rewrite the benchmark block of README.md from this run")

const (
	readme = "../../README.md"
	begin  = "<!-- make bench: begin -->\n"
	end    = "<!-- make bench: end -->"
)

// TestREADMETable keeps the table in README.md equal to what `make bench` prints with its
// defaults, so the README never quotes numbers the code no longer produces. Regenerate
// with `go test ./cmd/rulebench -run READMETable -update`.
func TestREADMETable(t *testing.T) {
	var b strings.Builder
	if err := report(&b, defaults); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the %q ... %q block", begin, end)
	}
	got := doc[i+len(begin) : j]
	want := "\n" + b.String() + "\n"
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(readme, []byte(doc[:i+len(begin)]+want+doc[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's benchmark block differs from `make bench`; run go test ./cmd/rulebench -run READMETable -update\ngot:\n%s\nwant:\n%s", got, want)
}

// TestDefaultsAreTheFlags pins the README's configuration to the command's defaults.
func TestDefaultsAreTheFlags(t *testing.T) {
	if defaults != (sim.Config{Seed: 1, PerRow: 200, Compare: 200}) {
		t.Errorf("defaults %+v", defaults)
	}
}
