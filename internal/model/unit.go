package model

import (
	"math"
	"strconv"
	"time"
)

// Format writes v the way a reader expects for the unit: ratios as percentages ("0.52%"),
// seconds as durations ("412ms"), rates per second ("48.2/s"), other numbers with up to
// four significant digits.
func (u Unit) Format(v float64) string {
	switch {
	case math.IsNaN(v):
		return "no data"
	case math.IsInf(v, 0):
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	switch u {
	case UnitRatio:
		return significant(v*100) + "%"
	case UnitSeconds:
		return formatSeconds(v)
	case UnitPerSec:
		return significant(v) + "/s"
	}
	return significant(v)
}

// significant prints up to four significant digits without an exponent.
func significant(v float64) string {
	if v == 0 {
		return "0"
	}
	digits := 4 - int(math.Floor(math.Log10(math.Abs(v)))) - 1
	digits = min(max(digits, 0), 6)
	s := strconv.FormatFloat(v, 'f', digits, 64)
	if digits > 0 {
		for s[len(s)-1] == '0' {
			s = s[:len(s)-1]
		}
		if s[len(s)-1] == '.' {
			s = s[:len(s)-1]
		}
	}
	return s
}

func formatSeconds(v float64) string {
	d := time.Duration(v * float64(time.Second))
	switch {
	case d < time.Millisecond:
		return significant(v*1e6) + "µs"
	case d < time.Second:
		return significant(v*1e3) + "ms"
	case d < time.Minute:
		return significant(v) + "s"
	}
	return d.Round(time.Second).String()
}
