package check

import (
	"testing"
	"time"

	"github.com/deploywatch/deploywatch/internal/kube"
)

func TestLogRate(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		covered time.Duration
		n       int
		want    string
	}{
		{"none", 10 * time.Minute, 0, "0/min"},
		{"many", time.Minute, 25, "25/min"},
		{"some", 2 * time.Minute, 1, "0.5/min"},
		{"few", 30 * time.Minute, 1, "0.03/min"},
		{"too_soon_for_a_rate", 100 * time.Millisecond, 3, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			lr := kube.LogReport{Since: start, At: start.Add(tt.covered)}
			if got := logRate(lr, tt.n, "%s"); got != tt.want {
				t.Errorf("logRate(%d over %s) = %q, want %q", tt.n, tt.covered, got, tt.want)
			}
		})
	}
}
