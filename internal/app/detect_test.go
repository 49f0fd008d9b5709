package app

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// detect scores a NAB series with the monitor's detector: every row echoed with a score
// in [0, 1], the new extreme of the series' incident scored 1.
func TestDetectCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in, err := filepath.Abs("../../testdata/nab/realAWSCloudwatch/ec2_cpu_utilization_53ea38.csv")
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	code := Main(t.Context(), Env{Args: []string{"detect", "--input", in, "--output", "scores.csv"}, Stderr: &stderr, Dir: dir})
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "scored 4032 points into scores.csv") {
		t.Errorf("stderr %q: want the count of points", stderr.String())
	}
	f, err := os.Open(filepath.Join(dir, "scores.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4033 || strings.Join(rows[0], ",") != "timestamp,value,anomaly_score" || rows[1][0] != "2014-02-14 14:30:00" {
		t.Fatalf("%d rows, header %q, first %q", len(rows), rows[0], rows[1])
	}
	alarms := 0
	for _, r := range rows[1:] {
		s, err := strconv.ParseFloat(r[2], 64)
		if err != nil || s < 0 || s > 1 {
			t.Fatalf("row %q: score not in [0, 1]", r)
		}
		if s >= anomalyThreshold {
			alarms++
		}
	}
	// Two labelled incidents; the detector rests after each alarm, so a handful at most.
	if alarms < 2 || alarms > 6 {
		t.Errorf("%d points at or over the threshold, want the two incidents and few others", alarms)
	}
}

func TestDetectCommandErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		args  []string
		stdin string
		code  int
		want  string
	}{
		{name: "bad_timestamp_names_the_line", args: []string{"detect"}, stdin: "timestamp,value\n2020-01-01 00:00:00,1\nyesterday,2\n",
			code: ExitInvalid, want: `input "-", line 3: timestamp "yesterday"`},
		{name: "missing_header", args: []string{"detect"}, stdin: "2020-01-01 00:00:00,1\n", code: ExitInvalid, want: "want `timestamp,value`"},
		{name: "missing_file", args: []string{"detect", "--input", "nope.csv"}, code: ExitInvalid, want: `input "nope.csv": no such file`},
		{name: "stray_argument", args: []string{"detect", "series.csv"}, code: ExitInvalid, want: "name the file with --input"},
		{name: "unknown_flag", args: []string{"detect", "--threshold", "1"}, code: ExitInvalid, want: "flag provided but not defined: -threshold"},
		{name: "help", args: []string{"detect", "--help"}, code: ExitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := Main(t.Context(), Env{Args: tt.args, Stdin: strings.NewReader(tt.stdin), Stdout: &stdout, Stderr: &stderr, Dir: t.TempDir()})
			if code != tt.code || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr.String(), tt.code, tt.want)
			}
			if tt.name == "help" && !strings.Contains(stdout.String(), "Usage: deploywatch detect") {
				t.Errorf("help printed %q", stdout.String())
			}
		})
	}
}
