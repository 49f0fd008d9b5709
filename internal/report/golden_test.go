package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/deploywatch/deploywatch/internal/model"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ from the current output")

// TestGolden pins the JSON report, the Markdown summary and the outputs of every fixture
// run. JSON is compared as data, Markdown and outputs byte for byte.
func TestGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range fixtures() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			js, err := JSON(tc.report)
			if err != nil {
				t.Fatalf("JSON: %v", err)
			}
			golden(t, tc.name+".json", js, jsonDiff)
			golden(t, tc.name+".md", []byte(Markdown(tc.report)), textDiff)
			golden(t, tc.name+".outputs", outputsText(Outputs(tc.report)), textDiff)
		})
	}
}

// outputsText renders outputs as name=value lines, the form of the golden files.
func outputsText(outs []model.Output) []byte {
	var b bytes.Buffer
	for _, o := range outs {
		b.WriteString(o.Name + "=" + o.Value + "\n")
	}
	return b.Bytes()
}

func golden(t *testing.T, name string, got []byte, diff func(want, got []byte) (string, error)) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("write golden: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run `go test ./internal/report -update` to create it): %v", err)
	}
	d, err := diff(want, got)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if d != "" {
		t.Errorf("%s differs from the golden file (-want +got):\n%s", name, d)
	}
}

func jsonDiff(want, got []byte) (string, error) {
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		return "", err
	}
	if err := json.Unmarshal(got, &g); err != nil {
		return "", err
	}
	return cmp.Diff(w, g), nil
}

func textDiff(want, got []byte) (string, error) {
	if bytes.Equal(want, got) {
		return "", nil
	}
	return cmp.Diff(strings.Split(string(want), "\n"), strings.Split(string(got), "\n")), nil
}

// TestCommentGolden pins the sticky comment: in progress with links and history, and at
// the end. The marker closes it.
func TestCommentGolden(t *testing.T) {
	t.Parallel()
	inProgress := failedWithHistoryReport()
	inProgress.InProgress, inProgress.FinishedAt, inProgress.DetectedAfter = true, time.Time{}, nil
	inProgress.Verdict, inProgress.Reason = model.VerdictHealthy, "no finding so far"
	inProgress.Findings, inProgress.Timeline = nil, inProgress.Timeline[:5]
	for name, r := range map[string]model.Report{"comment_in_progress": inProgress, "comment_final": failedWithHistoryReport()} {
		body := Comment(r)
		if !strings.HasSuffix(body, CommentMarker("production")+"\n") {
			t.Errorf("%s does not end with the marker", name)
		}
		golden(t, name+".md", []byte(body), textDiff)
	}
}
