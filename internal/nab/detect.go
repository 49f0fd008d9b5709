package nab

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ScoreColumn is the column of the anomaly scores in a detector's output (NAB's results
// files and `deploywatch detect`).
const ScoreColumn = "anomaly_score"

// Detect streams a `timestamp,value` file through observe, one row at a time, and writes
// `timestamp,value,anomaly_score`, the timestamp and value echoed as they were read. It
// stops at the first bad row with a *LineError. It returns the number of rows written.
func Detect(r io.Reader, w io.Writer, observe func(t time.Time, v float64) float64) (int, error) {
	rd, err := NewReader(r)
	if err != nil {
		return 0, err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"timestamp", "value", ScoreColumn}); err != nil {
		return 0, fmt.Errorf("write: %w", err)
	}
	n := 0
	out := make([]string, 3)
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			cw.Flush() // the n rows before the bad one are written, whole
			return n, err
		}
		out[0], out[1] = row.RawTime, strings.TrimSpace(row.RawValue)
		out[2] = strconv.FormatFloat(observe(row.Time, row.Value), 'f', -1, 64)
		if err := cw.Write(out); err != nil {
			return n, fmt.Errorf("write: %w", err)
		}
		n++
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return n, fmt.Errorf("write: %w", err)
	}
	return n, nil
}

// ReadScores reads a detector's output: a CSV file with a timestamp column and an
// anomaly_score column (NAB's results files have more, which are ignored).
func ReadScores(r io.Reader) ([]time.Time, []float64, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, nil, &LineError{Line: 1, Err: fmt.Errorf("header: %w", err)}
	}
	ti := slices.Index(head, "timestamp")
	si := slices.Index(head, ScoreColumn)
	if ti < 0 || si < 0 {
		return nil, nil, &LineError{Line: 1, Err: fmt.Errorf("header %q: want timestamp and %s columns", strings.Join(head, ","), ScoreColumn)}
	}
	var times []time.Time
	var scores []float64
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return times, scores, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read scores: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) <= max(ti, si) {
			return nil, nil, &LineError{Line: line, Err: fmt.Errorf("%d field(s)", len(rec))}
		}
		t, err := ParseTime(rec[ti])
		if err != nil {
			return nil, nil, &LineError{Line: line, Err: err}
		}
		s, err := strconv.ParseFloat(strings.TrimSpace(rec[si]), 64)
		if err != nil {
			return nil, nil, &LineError{Line: line, Err: fmt.Errorf("anomaly score %q is not a number", rec[si])}
		}
		times = append(times, t)
		scores = append(scores, s)
	}
}
