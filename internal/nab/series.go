package nab

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Point is one row of a series.
type Point struct {
	Time  time.Time
	Value float64
}

// Series is one data file of the corpus.
type Series struct {
	// Name is the file's path relative to the corpus root, as the label files key it
	// (for example realAWSCloudwatch/ec2_cpu_utilization_24ae8d.csv).
	Name   string
	Points []Point
}

// LineError is a problem with one line of a CSV file; Line counts from 1, the header
// included, as an editor shows it.
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

func (e *LineError) Unwrap() error { return e.Err }

// Row is one data row with its raw fields, so a rewrite can echo them unchanged.
type Row struct {
	Point
	Line              int
	RawTime, RawValue string
}

// Reader reads a `timestamp,value` CSV file one row at a time. The header is required;
// columns after the first two are ignored. Timestamps must not go backwards (equal ones
// are allowed); values are numbers, NaN and Inf included (a detector decides what they
// mean), and an empty value is an error.
type Reader struct {
	cr   *csv.Reader
	line int
	prev time.Time
	rows int
}

// NewReader reads and checks the header.
func NewReader(r io.Reader) (*Reader, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // a short row gets our message, with its line
	cr.ReuseRecord = true
	rd := &Reader{cr: cr}
	head, err := rd.record()
	if errors.Is(err, io.EOF) {
		return nil, &LineError{Line: 1, Err: errors.New("empty file: want a header `timestamp,value`")}
	}
	if err != nil {
		return nil, err
	}
	if len(head) < 2 || !strings.EqualFold(strings.TrimSpace(strings.TrimPrefix(head[0], "\ufeff")), "timestamp") ||
		!strings.EqualFold(strings.TrimSpace(head[1]), "value") {
		return nil, &LineError{Line: rd.line, Err: fmt.Errorf("header %q: want `timestamp,value`", strings.Join(head, ","))}
	}
	return rd, nil
}

func (r *Reader) record() ([]string, error) {
	rec, err := r.cr.Read()
	if err == nil {
		r.line, _ = r.cr.FieldPos(0)
		return rec, nil
	}
	if errors.Is(err, io.EOF) {
		return nil, err
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return nil, &LineError{Line: pe.StartLine, Err: pe.Err}
	}
	return nil, fmt.Errorf("read csv: %w", err)
}

// Next returns the next row, or io.EOF after the last one.
func (r *Reader) Next() (Row, error) {
	rec, err := r.record()
	if err != nil {
		return Row{}, err
	}
	if len(rec) < 2 {
		return Row{}, &LineError{Line: r.line, Err: fmt.Errorf("%d field(s): want timestamp,value", len(rec))}
	}
	row := Row{Line: r.line, RawTime: rec[0], RawValue: rec[1]}
	row.Time, err = ParseTime(rec[0])
	if err != nil {
		return Row{}, &LineError{Line: r.line, Err: err}
	}
	if r.rows > 0 && row.Time.Before(r.prev) {
		return Row{}, &LineError{Line: r.line, Err: fmt.Errorf("timestamp %s is before the previous row's (%s): rows must be in time order",
			rec[0], r.prev.Format(time.DateTime))}
	}
	v := strings.TrimSpace(rec[1])
	if v == "" {
		return Row{}, &LineError{Line: r.line, Err: errors.New("empty value")}
	}
	row.Value, err = strconv.ParseFloat(v, 64)
	if err != nil {
		return Row{}, &LineError{Line: r.line, Err: fmt.Errorf("value %q is not a number", v)}
	}
	r.prev = row.Time
	r.rows++
	return row, nil
}

// ReadSeries reads a whole `timestamp,value` file.
func ReadSeries(name string, r io.Reader) (Series, error) {
	s := Series{Name: name}
	rd, err := NewReader(r)
	if err != nil {
		return s, err
	}
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return s, nil
		}
		if err != nil {
			return s, err
		}
		s.Points = append(s.Points, row.Point)
	}
}

// timeLayouts are the accepted timestamp forms: NAB's (with or without fractional
// seconds, which time.Parse accepts after the seconds field) and RFC 3339. A zone-less
// timestamp is UTC.
var timeLayouts = []string{time.DateTime, "2006-01-02T15:04:05", time.RFC3339Nano}

// ParseTime reads a timestamp as NAB writes it ("2014-02-14 14:30:00"), in RFC 3339, or
// as Unix seconds (what Prometheus exports).
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 && f < 1e11 {
		sec := int64(f)
		return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("timestamp %q: want YYYY-MM-DD hh:mm:ss, RFC 3339 or Unix seconds", s)
}
