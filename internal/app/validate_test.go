package app

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// problemsOf reads the problems a command printed: the count of its header line and the
// indented lines under it.
func problemsOf(t *testing.T, out string) []string {
	t.Helper()
	m := regexp.MustCompile(`(\d+) configuration problem\(s\)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no problem header in:\n%s", out)
	}
	var got []string
	for _, l := range strings.Split(out, "\n") {
		if p, ok := strings.CutPrefix(l, "  "); ok {
			got = append(got, p)
		}
	}
	if n, _ := strconv.Atoi(m[1]); n != len(got) {
		t.Errorf("header says %d problems, %d listed:\n%s", n, len(got), out)
	}
	sort.Strings(got)
	return got
}

// TestValidateInvalidConfigFile runs `validate --config` on a file with a mistake of
// every kind: the problems of its shape (keys, lists) and of its values come together.
func TestValidateInvalidConfigFile(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, nil)
	e.dir = filepath.Join("..", "config")
	if code := e.run(t.Context(), "validate", "--config", "testdata/configs/invalid.yml"); code != ExitInvalid {
		t.Fatalf("exit %d, want %d", code, ExitInvalid)
	}
	got := problemsOf(t, e.stderr.String())
	golden := filepath.Join("..", "config", "testdata", "configs", "invalid.err")
	if *update {
		if err := os.WriteFile(golden, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Split(strings.TrimSpace(string(b)), "\n")
	sort.Strings(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// TestEveryProblemAtOnce checks that no problem hides another: bad flags, bad inputs,
// a broken file and the bad items of one list input are all reported, each once.
func TestEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		vars map[string]string
		args []string
		file string // written as watch.yml in the workspace when set
		want []string
	}{
		{name: "unknown_flag_and_bad_inputs", vars: map[string]string{"INPUT_INTERVAL": "fast", "INPUT_FAIL_ON": "x"},
			args: []string{"validate", "--helth-url", "x"},
			want: []string{
				"command line: unknown flag --helth-url; did you mean --health-url? (see deploywatch help)",
				`fail_on "x" (from INPUT_FAIL_ON): is not allowed; allowed: warning, critical, emergency`,
				`interval "fast" (from INPUT_INTERVAL): is not a duration: write e.g. 10s, 1m or 500ms`,
			}},
		{name: "every_bad_flag", args: []string{"validate", "--health-url", "http://a/ready", "--interval", "1s", "--interval", "2s",
			"--zzqqxx", "--schedule", "1s,x", "stray", "--fail-on"},
			want: []string{
				"command line: flag --fail-on needs a value (see deploywatch help)",
				"command line: unexpected argument \"stray\"; every setting is a --flag (see deploywatch help)",
				"command line: unknown flag --zzqqxx (see deploywatch help)",
				`interval "2s" (from flag --interval): given twice; it takes one value`,
				`schedule "1s,x" (from flag --schedule): item "x" is not a duration: write e.g. 10s, 1m or 500ms`,
			}},
		{name: "every_item_of_a_list", args: []string{"validate", "--health-url", "http://a/ready", "--schedule", "10s,-1m,5m,1m,x"},
			want: []string{
				`schedule "10s,-1m,5m,1m,x" (from flag --schedule): checkpoints must be in increasing order (1m0s after 5m0s)`,
				`schedule "10s,-1m,5m,1m,x" (from flag --schedule): item "-1m" must not be negative`,
				`schedule "10s,-1m,5m,1m,x" (from flag --schedule): item "x" is not a duration: write e.g. 10s, 1m or 500ms`,
			}},
		{name: "every_bad_header_line", vars: map[string]string{"INPUT_HEALTH_URL": "http://a/ready", "INPUT_HTTP_HEADERS": "A s3cret\nB: ok\nC s3cret"},
			args: []string{"validate"},
			want: []string{
				"http_headers (value hidden: secret) (from INPUT_HTTP_HEADERS): line 1 has no colon; write Name: value",
				"http_headers (value hidden: secret) (from INPUT_HTTP_HEADERS): line 3 has no colon; write Name: value",
			}},
		{name: "file_values_with_file_keys", vars: map[string]string{"INPUT_CONFIG": "watch.yml", "INPUT_FAIL_ON": "x"},
			file: "interval: 5\nhelth_url: http://a/ready\nchecks:\n  - {type: liveness, url: 'http://a/live', timeot: 1s, severity: high}\n",
			args: []string{"validate"},
			want: []string{
				`checks[0].severity "high" (from watch.yml:4): "high" is not a severity; allowed: info, warning, critical, emergency`,
				"checks[0].timeot (from watch.yml:4): is not a check setting; did you mean timeout?",
				`fail_on "x" (from INPUT_FAIL_ON): is not allowed; allowed: warning, critical, emergency`,
				"helth_url (from watch.yml:2): is not a setting of deploywatch; did you mean health_url?",
				`interval "5" (from watch.yml): needs a unit: write e.g. 10s, 1m or 500ms`,
			}},
		{name: "unparseable_file_leaves_inputs_and_flags", vars: map[string]string{"INPUT_CONFIG": "watch.yml", "INPUT_INTERVAL": "5"},
			file: "a: [\n", args: []string{"validate", "--fail-on", "fatal"},
			want: []string{
				"config (from watch.yml): is not valid YAML: yaml: line 1: did not find expected node content",
				`fail_on "fatal" (from flag --fail-on): is not allowed; allowed: warning, critical, emergency`,
				`interval "5" (from INPUT_INTERVAL): needs a unit: write e.g. 10s, 1m or 500ms`,
			}},
		{name: "finish_bad_status_once", args: []string{"finish", "--status", "bogus"},
			want: []string{`status "bogus" (from flag --status): is not allowed; allowed: healthy, degraded, failed, inconclusive, cancelled`}},
		{name: "finish_without_status", args: []string{"finish"},
			want: []string{"status: is required in mode finish; allowed: healthy, degraded, failed, inconclusive, cancelled"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEnv(t, tt.vars)
			if tt.file != "" {
				if err := os.WriteFile(filepath.Join(e.dir, "watch.yml"), []byte(tt.file), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if code := e.run(t.Context(), tt.args...); code != ExitInvalid {
				t.Fatalf("exit %d, want %d", code, ExitInvalid)
			}
			out := e.stdout.String() + e.stderr.String()
			want := append([]string(nil), tt.want...)
			sort.Strings(want)
			if diff := cmp.Diff(want, problemsOf(t, out)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if strings.Contains(out, "s3cret") {
				t.Errorf("a problem prints a secret:\n%s", out)
			}
		})
	}
}

// TestBareTokenMasked: the runner masks exact text, so the token of a Bearer header is
// masked on its own before anything is printed, even when the configuration is invalid.
func TestBareTokenMasked(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, map[string]string{"INPUT_HTTP_HEADERS": "Authorization: Bearer tok-abcdef123", "INPUT_INTERVAL": "5"})
	outputs := e.github(t)
	if code := e.run(t.Context()); code != ExitInvalid {
		t.Fatalf("exit %d, want %d", code, ExitInvalid)
	}
	log := e.stdout.String()
	for _, want := range []string{"::add-mask::Bearer tok-abcdef123\n", "::add-mask::tok-abcdef123\n"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	for _, l := range strings.Split(log[:max(strings.Index(log, "::add-mask::tok-abcdef123"), 0)], "\n") {
		if l != "" && !strings.HasPrefix(l, "::add-mask::") {
			t.Errorf("%q was printed before the token was masked", l)
		}
	}
	if outs := outputs(); outs["status"] != "" || outs["health_check_failed"] != "false" ||
		!strings.Contains(outs["summary"], `interval "5" (from INPUT_INTERVAL): needs a unit`) {
		t.Errorf("outputs of an invalid configuration = %v", outs)
	}
}
