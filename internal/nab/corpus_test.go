package nab

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// csvRows is a `timestamp,value` file of n rows from base, 5 minutes apart, value = row.
func csvRows(n int) string {
	var b strings.Builder
	b.WriteString("timestamp,value\n")
	for i := range n {
		fmt.Fprintf(&b, "%s,%d\n", at(i).Format(time.DateTime), i)
	}
	return b.String()
}

// corpusFS is a two-series corpus; each case edits a copy of it.
func corpusFS() fstest.MapFS {
	return fstest.MapFS{
		// Keys in NAB's form, fractional seconds included; rows 2–4 of z.csv, 1–2 and 6–7
		// of dir/a.csv.
		WindowsFile: {Data: []byte(`{
 "z.csv": [["2014-02-14 00:10:00.000000", "2014-02-14 00:20:00.000000"]],
 "dir/a.csv": [["2014-02-14 00:05:00.000000", "2014-02-14 00:10:00.000000"],
               ["2014-02-14 00:30:00.000000", "2014-02-14 00:35:00.000000"]]
}`)},
		LabelsFile:  {Data: []byte(`{"z.csv": ["2014-02-14 00:15:00"], "dir/a.csv": ["2014-02-14 00:05:00", "2014-02-14 00:30:00"]}`)},
		"z.csv":     {Data: []byte(csvRows(6))},
		"dir/a.csv": {Data: []byte(csvRows(8))},
	}
}

func TestLoadCorpus(t *testing.T) {
	t.Parallel()
	c, err := LoadCorpus(corpusFS())
	if err != nil {
		t.Fatal(err)
	}
	points := func(n int) []Point {
		ps := make([]Point, n)
		for i := range ps {
			ps[i] = Point{Time: at(i), Value: float64(i)}
		}
		return ps
	}
	want := &Corpus{
		Series: []Series{{Name: "dir/a.csv", Points: points(8)}, {Name: "z.csv", Points: points(6)}}, // sorted by name
		Windows: map[string][]Window{
			"z.csv":     {win(2, 4)},
			"dir/a.csv": {win(1, 2), win(6, 7)},
		},
		Labels: map[string][]time.Time{
			"z.csv":     {at(3)},
			"dir/a.csv": {at(1), at(6)},
		},
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("LoadCorpus (-want +got):\n%s", diff)
	}
}

func TestLoadCorpusErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		edit     func(fstest.MapFS)
		msg      []string // all in the error
		notExist bool     // errors.Is(err, fs.ErrNotExist)
		line     int      // a *LineError at this line, if not 0
	}{
		{
			name: "window_end_not_on_series",
			edit: func(m fstest.MapFS) { // 00:21 is between rows 4 and 5 of z.csv
				m[WindowsFile] = &fstest.MapFile{Data: []byte(`{"z.csv": [["2014-02-14 00:10:00", "2014-02-14 00:21:00"]]}`)}
			},
			msg: []string{"z.csv: window 2014-02-14 00:10:00 - 2014-02-14 00:21:00: both ends must be timestamps of the series"},
		},
		{
			name: "window_start_before_series",
			edit: func(m fstest.MapFS) {
				m[WindowsFile] = &fstest.MapFile{Data: []byte(`{"dir/a.csv": [["2014-02-13 23:55:00", "2014-02-14 00:10:00"]]}`)}
			},
			msg: []string{"dir/a.csv: window 2014-02-13 23:55:00 - 2014-02-14 00:10:00"},
		},
		{
			name: "overlapping_windows",
			edit: func(m fstest.MapFS) {
				m[WindowsFile] = &fstest.MapFile{Data: []byte(`{"dir/a.csv": [["2014-02-14 00:05:00", "2014-02-14 00:15:00"], ["2014-02-14 00:15:00", "2014-02-14 00:20:00"]]}`)}
			},
			msg: []string{WindowsFile, "dir/a.csv: window 2014-02-14 00:15:00 - 2014-02-14 00:20:00 overlaps or precedes the previous one"},
		},
		{
			name: "window_ends_before_start",
			edit: func(m fstest.MapFS) {
				m[WindowsFile] = &fstest.MapFile{Data: []byte(`{"z.csv": [["2014-02-14 00:20:00", "2014-02-14 00:10:00"]]}`)}
			},
			msg: []string{WindowsFile, "z.csv: window 2014-02-14 00:20:00 - 2014-02-14 00:10:00 ends before it starts"},
		},
		{
			name: "window_not_a_pair",
			edit: func(m fstest.MapFS) {
				m[WindowsFile] = &fstest.MapFile{Data: []byte(`{"z.csv": [["2014-02-14 00:20:00"]]}`)}
			},
			msg: []string{"z.csv: window", "want [start, end]"},
		},
		{
			name: "bad_label_timestamp",
			edit: func(m fstest.MapFS) {
				m[LabelsFile] = &fstest.MapFile{Data: []byte(`{"z.csv": ["soon"]}`)}
			},
			msg: []string{LabelsFile, `z.csv: timestamp "soon"`},
		},
		{
			name:     "missing_labels_file",
			edit:     func(m fstest.MapFS) { delete(m, LabelsFile) },
			msg:      []string{"open labels", LabelsFile},
			notExist: true,
		},
		{
			name:     "missing_windows_file",
			edit:     func(m fstest.MapFS) { delete(m, WindowsFile) },
			msg:      []string{"open labels", WindowsFile},
			notExist: true,
		},
		{
			name:     "missing_series",
			edit:     func(m fstest.MapFS) { delete(m, "z.csv") },
			msg:      []string{"open series", "z.csv"},
			notExist: true,
		},
		{
			name: "bad_series_row",
			edit: func(m fstest.MapFS) {
				m["dir/a.csv"] = &fstest.MapFile{Data: []byte(csvRows(3) + "2014-02-14 00:15:00,\n")}
			},
			msg:  []string{"dir/a.csv: line 5: empty value"}, // header + 3 rows + the bad one
			line: 5,
		},
		{
			name: "windows_not_json",
			edit: func(m fstest.MapFS) { m[WindowsFile] = &fstest.MapFile{Data: []byte(`[`)} },
			msg:  []string{WindowsFile, "decode windows"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := corpusFS()
			tc.edit(m)
			c, err := LoadCorpus(m)
			if err == nil {
				t.Fatalf("LoadCorpus = %+v, want an error", c)
			}
			for _, s := range tc.msg {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
			if got := errors.Is(err, fs.ErrNotExist); got != tc.notExist {
				t.Errorf("errors.Is(%q, fs.ErrNotExist) = %v, want %v", err, got, tc.notExist)
			}
			var le *LineError
			if tc.line != 0 && (!errors.As(err, &le) || le.Line != tc.line) {
				t.Errorf("error %q: want a *LineError at line %d", err, tc.line)
			}
		})
	}
}
