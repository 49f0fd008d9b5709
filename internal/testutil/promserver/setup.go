package promserver

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Job is the job name of the scraped targets.
const Job = "deploywatch-test"

// backfillTimeout bounds promtool; it takes about 0.1 s for a small file.
const backfillTimeout = time.Minute

// config renders prometheus.yml. The scrape timeout equals the interval: Prometheus
// rejects a longer one.
func config(targets []string, interval time.Duration) string {
	d := strconv.FormatInt(interval.Milliseconds(), 10) + "ms"
	var b strings.Builder
	fmt.Fprintf(&b, "global:\n  scrape_interval: %s\n  scrape_timeout: %s\n  evaluation_interval: %s\n", d, d, d)
	if len(targets) == 0 {
		b.WriteString("scrape_configs: []\n")
		return b.String()
	}
	fmt.Fprintf(&b, "scrape_configs:\n  - job_name: %s\n    static_configs:\n      - targets:\n", strconv.Quote(Job))
	for _, t := range targets {
		// A Go-quoted host:port is a valid YAML double-quoted string.
		fmt.Fprintf(&b, "          - %s\n", strconv.Quote(t))
	}
	return b.String()
}

// backfill writes the OpenMetrics text into blocks in data, with the promtool that comes
// with the prometheus binary.
func backfill(t testing.TB, bin, dir, data, om string) {
	t.Helper()
	promtool := filepath.Join(filepath.Dir(bin), "promtool")
	if _, err := os.Stat(promtool); err != nil {
		if promtool, err = find("promtool"); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(dir, "backfill.om")
	if err := os.WriteFile(file, []byte(om), 0o644); err != nil {
		t.Fatalf("promserver: write backfill: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), backfillTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, promtool, "tsdb", "create-blocks-from", "openmetrics", file, data).CombinedOutput()
	if err != nil {
		t.Fatalf("promserver: promtool backfill: %v\n%s", err, out)
	}
}
