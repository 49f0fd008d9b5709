package config

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ParseDuration reads a duration with a unit ("10s", "1m30s", "250ms"); "0" is zero. Days
// and weeks are accepted on their own ("1d", "1w"), for baseline offsets.
func ParseDuration(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "0" {
		return 0, nil
	}
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(v, suffix); ok {
			if k, err := strconv.Atoi(n); err == nil && k > 0 {
				// Past this many days (weeks) the product wraps around, negative or not.
				if int64(k) > math.MaxInt64/int64(unit) {
					return 0, fmt.Errorf("is too long: at most %d%s", math.MaxInt64/int64(unit), suffix)
				}
				return time.Duration(k) * unit, nil
			}
		}
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		if _, numErr := strconv.ParseFloat(v, 64); numErr == nil {
			return 0, errors.New("needs a unit: write e.g. 10s, 1m or 500ms")
		}
		return 0, errors.New("is not a duration: write e.g. 10s, 1m or 500ms")
	}
	if d < 0 {
		return 0, errors.New("must not be negative")
	}
	return d, nil
}

// ParseDurations reads a comma-, space- or newline-separated list of durations. On error
// it returns the items that did parse, and one joined error per item that did not, so
// every bad item is reported and the rest can still be checked (their order, say).
func ParseDurations(v string) ([]time.Duration, error) {
	var out []time.Duration
	var errs []error
	for _, f := range splitList(v) {
		d, err := ParseDuration(f)
		if err != nil {
			errs = append(errs, fmt.Errorf("item %q %w", f, err))
			continue
		}
		out = append(out, d)
	}
	return out, errors.Join(errs...)
}

// ParsePercent reads a ratio written as a percentage ("1%", "0.5%") or a fraction ("0.01").
// A bare number above 1 is ambiguous ("5": 5% or 500%?) and rejected.
func ParsePercent(v string) (float64, error) {
	v = strings.TrimSpace(v)
	pct := strings.HasSuffix(v, "%")
	f, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(v, "%")), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, errors.New("is not a percentage: write e.g. 1% or 0.01")
	}
	if pct {
		f /= 100
	} else if f > 1 {
		return 0, fmt.Errorf("is ambiguous: write %s%% for a percentage or a fraction between 0 and 1", v)
	}
	if f < 0 || f > 1 {
		return 0, errors.New("must be between 0% and 100%")
	}
	return f, nil
}

// ParseBool reads the YAML 1.2 core booleans GitHub's getBooleanInput accepts.
func ParseBool(v string) (bool, error) {
	switch strings.TrimSpace(v) {
	case "true", "True", "TRUE":
		return true, nil
	case "false", "False", "FALSE":
		return false, nil
	}
	return false, errors.New("must be true or false")
}

// ParseCount reads a non-negative integer.
func ParseCount(v string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return 0, errors.New("must be a whole number, 0 or more")
	}
	return n, nil
}

// Threshold is either relative to a baseline (Factor, "2x") or absolute (Absolute, "500ms").
type Threshold struct {
	Factor   float64
	Absolute time.Duration
}

// ParseLatencyThreshold reads "2x" (relative to the baseline) or a duration ("500ms").
func ParseLatencyThreshold(v string) (Threshold, error) {
	v = strings.TrimSpace(v)
	if f, ok := strings.CutSuffix(v, "x"); ok {
		x, err := strconv.ParseFloat(f, 64)
		if err != nil || x <= 1 || math.IsInf(x, 0) {
			return Threshold{}, errors.New("must be a factor above 1 such as 1.5x or 2x, or a duration such as 500ms")
		}
		return Threshold{Factor: x}, nil
	}
	d, err := ParseDuration(v)
	if err != nil || d == 0 {
		return Threshold{}, errors.New("must be a factor such as 2x or a duration such as 500ms")
	}
	return Threshold{Absolute: d}, nil
}

// ParseHTTPURL reads an absolute http or https URL.
func ParseHTTPURL(v string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(v))
	if err != nil {
		return nil, errors.New("is not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, errors.New("must be an http:// or https:// URL")
	}
	if u.Host == "" {
		return nil, errors.New("has no host")
	}
	return u, nil
}

// splitList splits on commas, spaces and newlines, dropping empty items.
func splitList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' || r == ' ' || r == '\t' })
}

// splitLines splits a multiline value into trimmed non-empty lines; lines starting with #
// are comments.
func splitLines(v string) []string {
	var out []string
	for _, l := range strings.Split(v, "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// CheckValue reads v with the parser of in's type alone, without the rest of the
// configuration: nil for a value that type accepts, and for types without a parser of
// their own (strings, lines). The fuzz and component tests hold the parsers to it.
func (in Input) CheckValue(v string) error {
	var err error
	switch in.Type {
	case TypeDuration:
		_, err = ParseDuration(v)
	case TypeDurations:
		_, err = ParseDurations(v)
	case TypePercent:
		_, err = ParsePercent(v)
	case TypeBool:
		_, err = ParseBool(v)
	case TypeCount:
		_, err = ParseCount(v)
	case TypeURL:
		_, err = ParseHTTPURL(v)
	case TypeThreshold:
		_, err = ParseLatencyThreshold(v)
	case TypeBaseline:
		_, err = ParseBaseline(v)
	case TypeSelector:
		_, err = ParseSelector(v)
	case TypeEnum:
		if !contains(in.Options, strings.TrimSpace(v)) {
			err = fmt.Errorf("is not allowed; allowed: %s", strings.Join(in.Options, ", "))
		}
	}
	return err
}
