package app

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/config"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/redact"
)

// TestWriteOutputsDotenv checks what a GitLab job's later jobs get and what the log says:
// the summary with its spaces, one visible warning naming an output GitLab would misread,
// and only a debug line for the empty outputs left out for GitLab's limit.
func TestWriteOutputsDotenv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		outs     []model.Output
		wantFile string
		want     []string // the platform's lines
	}{
		{
			name:     "summary_kept",
			outs:     []model.Output{{Name: "status", Value: "failed"}, {Name: "summary", Value: "failed: readiness returned 503 — detected after 41s"}},
			wantFile: "status=failed\nsummary=failed: readiness returned 503 — detected after 41s\n",
		},
		{
			name:     "dollar_warned",
			outs:     []model.Output{{Name: "status", Value: "failed"}, {Name: "summary", Value: "failed: cost went over $5"}},
			wantFile: "status=failed\n",
			want:     []string{"annotate deploywatch: outputs left out of out/deploywatch.env: summary: value has '$', which GitLab would expand as a variable"},
		},
		{
			name:     "empty_over_the_limit_is_debug",
			outs:     manyOutputs(20, model.Output{Name: "rollback_to_revision"}),
			wantFile: manyLines(20),
			want:     []string{"log dotenv: left out empty rollback_to_revision: over GitLab's limit of 20 variables"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			rec := &recording{name: "gitlab"}
			r := &runner{env: Env{Dir: dir}, cfg: &config.Config{DotenvPath: "out/deploywatch.env"}, p: redacting{p: rec, r: redact.New()}}
			r.writeOutputs(tt.outs)
			data, err := os.ReadFile(filepath.Join(dir, "out", "deploywatch.env"))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantFile, string(data)); diff != "" {
				t.Errorf("dotenv file (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, rec.lines); diff != "" {
				t.Errorf("platform lines (-want +got):\n%s", diff)
			}
		})
	}
}

func manyOutputs(n int, more ...model.Output) []model.Output {
	var outs []model.Output
	for i := range n {
		outs = append(outs, model.Output{Name: fmt.Sprintf("v%d", i), Value: "1"})
	}
	return append(outs, more...)
}

func manyLines(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "v%d=1\n", i)
	}
	return b.String()
}
