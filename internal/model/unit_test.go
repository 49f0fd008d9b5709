package model

import (
	"math"
	"testing"
)

func TestUnitFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		u    Unit
		v    float64
		want string
	}{
		{UnitRatio, 0.0052, "0.52%"},
		{UnitRatio, 0.01, "1%"},
		{UnitRatio, 0.123456, "12.35%"},
		{UnitRatio, 0, "0%"},
		{UnitRatio, 0.000012, "0.0012%"},
		{UnitSeconds, 0.412, "412ms"},
		{UnitSeconds, 0.0004, "400µs"},
		{UnitSeconds, 1.25, "1.25s"},
		{UnitSeconds, 95, "1m35s"},
		{UnitPerSec, 48.25, "48.25/s"},
		{UnitPerSec, 1234.6, "1235/s"},
		{UnitNone, 1000, "1000"},
		{UnitNone, 0.333333, "0.3333"},
		{UnitNone, math.NaN(), "no data"},
		{UnitNone, math.Inf(1), "+Inf"},
	}
	for _, tt := range tests {
		if got := tt.u.Format(tt.v); got != tt.want {
			t.Errorf("%q.Format(%v) = %q, want %q", tt.u, tt.v, got, tt.want)
		}
	}
}
