package github

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/deploywatch/deploywatch/internal/model"
)

const (
	// summaryBudget is what we let the step summary file grow to: GitHub rejects a step
	// summary over 1 MiB (1,048,576 bytes), and we keep a margin below it.
	summaryBudget = 1_040_000
	// summaryNote ends a truncated summary; %d is the number of bytes cut.
	summaryNote = "\n\n> **Note:** summary truncated (%d bytes omitted to stay under GitHub's 1 MiB limit); see the JSON report.\n"
	// lineSlack is how far back a truncation looks for a line end, so a table row or a
	// heading is not cut in half.
	lineSlack = 4096
)

// SetOutputs appends the outputs to the file named by GITHUB_OUTPUT in one write, each
// in the multiline form with its own random delimiter (name<<ghadelimiter_<hex>), so no
// value, however untrusted, can end its heredoc early and inject another output.
func (g *GitHub) SetOutputs(outputs []model.Output) error {
	path := g.getenv("GITHUB_OUTPUT")
	if path == "" {
		return errors.New("GITHUB_OUTPUT is not set; outputs not written")
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	var buf bytes.Buffer
	for _, o := range outputs {
		if !validName(o.Name) {
			return fmt.Errorf("output name %q is invalid (letters, digits, '_' and '-' only); outputs not written", o.Name)
		}
		delim, err := g.delimiter(o.Name, o.Value)
		if err != nil {
			return err
		}
		fmt.Fprintf(&buf, "%s<<%s\n%s\n%s\n", o.Name, delim, o.Value, delim)
	}
	if buf.Len() == 0 {
		return nil
	}
	if err := appendFile(path, buf.Bytes()); err != nil {
		return fmt.Errorf("write outputs: %w", err)
	}
	return nil
}

// delimiter draws ghadelimiter_<32 hex> (the form @actions/core uses) until it occurs in
// neither name nor value; a clash is vanishingly unlikely, but checking is what makes the
// format safe.
func (g *GitHub) delimiter(name, value string) (string, error) {
	for range 8 {
		var b [16]byte
		if _, err := io.ReadFull(g.rand, b[:]); err != nil {
			return "", fmt.Errorf("draw output delimiter: %w", err)
		}
		d := "ghadelimiter_" + hex.EncodeToString(b[:])
		if !strings.Contains(name, d) && !strings.Contains(value, d) {
			return d, nil
		}
	}
	return "", fmt.Errorf("output %s: no delimiter found that is absent from the value", name)
}

func validName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		ok := r == '_' || r == '-' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
		if !ok {
			return false
		}
	}
	return true
}

// WriteSummary appends markdown to the file named by GITHUB_STEP_SUMMARY. A summary that
// would take the file past summaryBudget is cut (at a line end when one is near, else at
// a rune boundary) and ends with a note pointing to the JSON report. It first prints the
// notice about suppressed annotations, since the summary is written when the run is over.
func (g *GitHub) WriteSummary(markdown string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.noticeSuppressedLocked()
	path := g.getenv("GITHUB_STEP_SUMMARY")
	if path == "" {
		return errors.New("GITHUB_STEP_SUMMARY is not set; summary not written")
	}
	var used int64
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
		used = fi.Size()
	}
	markdown = fitSummary(markdown, summaryBudget-int(min(used, summaryBudget)))
	if err := appendFile(path, []byte(markdown)); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return nil
}

// fitSummary returns md unchanged when it fits in budget bytes, else a prefix of it plus
// the truncation note, the whole no longer than budget (when budget can hold the note).
func fitSummary(md string, budget int) string {
	if len(md) <= budget {
		return md
	}
	// The note is sized for the largest count it can print, len(md).
	keep := max(budget-len(fmt.Sprintf(summaryNote, len(md))), 0)
	for keep > 0 && !utf8.RuneStart(md[keep]) {
		keep--
	}
	if i := strings.LastIndexByte(md[:keep], '\n'); i >= 0 && keep-i <= lineSlack {
		keep = i
	}
	return md[:keep] + fmt.Sprintf(summaryNote, len(md)-keep)
}

// appendFile appends data in one write. The runner creates the file; creating it when
// missing keeps a local rehearsal with the variable set working.
func appendFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
