package nab

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"time"
)

// Window is a scoring window around a labelled anomaly, both ends included. NAB centres
// it on the label and makes it 10% of the series long, divided among the series' labels.
type Window struct{ Start, End time.Time }

// Corpus is a set of series with their scoring windows and labels.
type Corpus struct {
	Series  []Series // sorted by name
	Windows map[string][]Window
	Labels  map[string][]time.Time
}

// File names of NAB's label files, at the corpus root.
const (
	WindowsFile = "combined_windows.json"
	LabelsFile  = "combined_labels.json"
)

// LoadCorpus reads the two label files at the root of fsys and every series they name
// (paths relative to the root, as NAB keys them). Every window bound must be a timestamp
// of its series, as NAB's labeler checks: the scorer enters and leaves a window on exact
// timestamps.
func LoadCorpus(fsys fs.FS) (*Corpus, error) {
	c := &Corpus{}
	if err := readJSON(fsys, WindowsFile, func(r io.Reader) (err error) { c.Windows, err = ReadWindows(r); return err }); err != nil {
		return nil, err
	}
	if err := readJSON(fsys, LabelsFile, func(r io.Reader) (err error) { c.Labels, err = ReadLabels(r); return err }); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(c.Windows))
	for name := range c.Windows {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		f, err := fsys.Open(name)
		if err != nil {
			return nil, fmt.Errorf("open series: %w", err)
		}
		s, err := ReadSeries(name, f)
		_ = f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if err := checkWindows(s, c.Windows[name]); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		c.Series = append(c.Series, s)
	}
	return c, nil
}

func readJSON(fsys fs.FS, name string, read func(io.Reader) error) error {
	f, err := fsys.Open(name)
	if err != nil {
		return fmt.Errorf("open labels: %w", err)
	}
	defer f.Close()
	if err := read(f); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// ReadWindows reads combined_windows.json: each series' windows as [start, end] pairs.
func ReadWindows(r io.Reader) (map[string][]Window, error) {
	var raw map[string][][]string
	if err := json.NewDecoder(r).Decode(&raw); err != nil {
		return nil, fmt.Errorf("decode windows: %w", err)
	}
	out := make(map[string][]Window, len(raw))
	for name, pairs := range raw {
		ws := make([]Window, 0, len(pairs))
		for _, p := range pairs {
			if len(p) != 2 {
				return nil, fmt.Errorf("%s: window %q: want [start, end]", name, p)
			}
			start, err := ParseTime(p[0])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			end, err := ParseTime(p[1])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			if end.Before(start) {
				return nil, fmt.Errorf("%s: window %s ends before it starts", name, strings.Join(p, " - "))
			}
			if n := len(ws); n > 0 && !start.After(ws[n-1].End) {
				return nil, fmt.Errorf("%s: window %s overlaps or precedes the previous one", name, strings.Join(p, " - "))
			}
			ws = append(ws, Window{Start: start, End: end})
		}
		out[name] = ws
	}
	return out, nil
}

// ReadLabels reads combined_labels.json: each series' labelled anomaly timestamps.
func ReadLabels(r io.Reader) (map[string][]time.Time, error) {
	var raw map[string][]string
	if err := json.NewDecoder(r).Decode(&raw); err != nil {
		return nil, fmt.Errorf("decode labels: %w", err)
	}
	out := make(map[string][]time.Time, len(raw))
	for name, stamps := range raw {
		ts := make([]time.Time, 0, len(stamps))
		for _, s := range stamps {
			t, err := ParseTime(s)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			ts = append(ts, t)
		}
		out[name] = ts
	}
	return out, nil
}

func checkWindows(s Series, ws []Window) error {
	has := func(t time.Time) bool {
		_, ok := slices.BinarySearchFunc(s.Points, t, func(p Point, t time.Time) int { return p.Time.Compare(t) })
		return ok
	}
	for _, w := range ws {
		if !has(w.Start) || !has(w.End) {
			return fmt.Errorf("window %s - %s: both ends must be timestamps of the series", w.Start.Format(time.DateTime), w.End.Format(time.DateTime))
		}
	}
	return nil
}
