package app

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deploywatch/deploywatch/internal/config"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/redact"
)

// FuzzInputs reads INPUT_* variables, given as NUL-separated NAME=value pairs, and the
// config file INPUT_CONFIG names (file, when not empty) the way a run does: sources with a
// Getenv, then config.Load. Every problem names its setting and where it came from, a
// value its own parser rejects is reported, and no secret survives the redaction every
// problem goes through before it is printed.
func FuzzInputs(f *testing.F) {
	seeds := []struct {
		vars map[string]string
		file string
	}{
		{map[string]string{"INPUT_HEALTH_URL": "http://127.0.0.1:8080/health/ready"}, ""},
		{map[string]string{"INPUT_INTERVAL": "10", "INPUT_FAIL_ON": "fatal", "INPUT_HEALTH_URL": "localhost:8080/ready",
			"INPUT_SMOKE_TESTS":  "GET https://api.example.com/status .status == \"ok\"\nGTE https://api.example.com/x",
			"INPUT_HTTP_HEADERS": "Authorization: Bearer s3cr3t-t0ken\nX-Broken s3cr3t-t0ken", "INPUT_DRY_RUN": "yes",
			"INPUT_SCHEDULE": "30s,10s", "INPUT_WARMUP": "10m"}, ""},
		{map[string]string{"INPUT_PROMETHEUS_URL": "http://prom:9090", "INPUT_SELECTOR": `job="api"`,
			"INPUT_QUERIES": "queue: sum(queue_depth) > 1000 warning", "INPUT_PROMETHEUS_TOKEN": "s3cr3t-prom"}, ""},
		{map[string]string{"INPUT_METRICS_URL": "http://a:9100/metrics\nhttp://b:9100/metrics", "INPUT_LATENCY_THRESHOLD": "500ms"}, ""},
		{map[string]string{"INPUT_DEPLOYMENT": "statefulset/db", "INPUT_NAMESPACE": "shop", "INPUT_ROLLBACK": "true",
			"INPUT_LOG_ERROR_PATTERN": "(?i)panic|fatal", "INPUT_KUBECONFIG": "apiVersion: v1\nkind: Config"}, ""},
		{map[string]string{"INPUT_HEALTH_URL": "https://user:s3cr3t-pw@svc/ready", "INPUT_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/s3cr3t",
			"INPUT_SMTP_URL": "smtps://ops:s3cr3t-mail@smtp.example.com:465", "INPUT_EMAIL_TO": "a@example.com, b@example.com", "INPUT_GITHUB_TOKEN": "ghs_s3cr3t"}, ""},
		{map[string]string{"INPUT_MODE": "finish", "INPUT_STATUS": "healthy", "INPUT_DEPLOYMENT_ID": "42", "INPUT_STARTED_AT": "2026-11-21T10:00:00Z"}, ""},
		{map[string]string{"INPUT_INTERVAL": "10s", "INPUT_COOLDOWN": "5m"}, "interval: 3s\nhealth_url: http://file/ready\n"},
		{map[string]string{"INPUT_WEBHOOK_URL": "https://hooks.example.com/x", "INPUT_WEBHOOK_TOKEN": "cased-s3cret-token"},
			"checks:\n  - url: https://u:filepass@svc/x\n    headers: {X-Key: filekey}\n"},
	}
	for _, s := range seeds {
		var pairs []string
		for k, v := range s.vars {
			pairs = append(pairs, k+"="+v)
		}
		f.Add(strings.Join(pairs, "\x00"), []byte(s.file))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, environ string, file []byte) {
		vars := map[string]string{}
		for _, kv := range strings.Split(environ, "\x00") {
			if k, v, ok := strings.Cut(kv, "="); ok {
				vars[k] = v
			}
		}
		// The file is the fuzzer's, at a fixed path: INPUT_CONFIG must not read this machine.
		delete(vars, "INPUT_CONFIG")
		if len(file) > 0 {
			if err := os.WriteFile(filepath.Join(dir, "deploywatch.yml"), file, 0o600); err != nil {
				t.Fatal(err)
			}
			vars["INPUT_CONFIG"] = "deploywatch.yml"
		}
		env := Env{Getenv: func(k string) string { return vars[k] }, Dir: dir}.withDefaults()
		src, err := sources(env, "run", nil, nil, model.RunContext{})
		loaded := err == nil
		if loaded {
			_, _, err = config.Load(src)
		}
		if err == nil {
			return
		}
		var ps config.Problems
		if !errors.As(err, &ps) || len(ps) == 0 {
			t.Fatalf("error %T %v, want config.Problems", err, err)
		}
		r := redact.New(config.Secrets(src)...)
		secrets := inputSecrets(vars)
		reported := map[string]bool{}
		for _, p := range ps {
			msg := p.Error()
			if p.Input == "" || p.Msg == "" || !strings.HasPrefix(msg, p.Input) {
				t.Fatalf("problem %q does not name its setting", msg)
			}
			if p.Origin.Layer == config.LayerInput && strings.TrimSpace(vars[p.Origin.Name]) == "" {
				t.Fatalf("problem %q comes from %s, which is not set", msg, p.Origin.Name)
			}
			shown := r.String(msg)
			for _, s := range secrets {
				if strings.Contains(shown, s) {
					t.Fatalf("problem %q shows the secret %q", shown, s)
				}
			}
			reported[p.Input] = true
		}
		if !loaded {
			return
		}
		for _, in := range config.Inputs() {
			v := vars[in.Env()]
			if perr := in.CheckValue(v); perr != nil && strings.TrimSpace(v) != "" && !reported[in.Name] {
				t.Fatalf("%s=%q is invalid (%v) but the problems are %v", in.Env(), v, perr, ps)
			}
		}
	})
}

// inputSecrets is what must never be shown of the variables: the values of secret inputs
// (each header value on its own) and the password of any URL, whichever input holds it.
func inputSecrets(vars map[string]string) []string {
	var out []string
	for _, in := range config.Inputs() {
		v := strings.TrimSpace(vars[in.Env()])
		if v == "" {
			continue
		}
		if in.Secret {
			out = append(out, v)
			for _, l := range strings.Split(v, "\n") {
				if _, hv, ok := strings.Cut(l, ":"); ok && strings.HasSuffix(in.Name, "_headers") {
					out = append(out, strings.TrimSpace(hv))
				}
			}
		}
		for _, field := range strings.Fields(v) {
			out = append(out, urlPassword(field))
		}
	}
	// Shorter values are not redacted by design (see redact.minSecret).
	kept := out[:0]
	for _, s := range out {
		if len(s) >= 4 {
			kept = append(kept, s)
		}
	}
	return kept
}

// urlPassword is the password of a URL as written, valid or not: the authority is what
// follows "//" up to a path, query or fragment, its userinfo what precedes its last "@".
func urlPassword(field string) string {
	_, rest, ok := strings.Cut(field, "//")
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	at := strings.LastIndex(rest, "@")
	if !ok || at < 0 {
		return ""
	}
	_, pw, _ := strings.Cut(rest[:at], ":")
	return pw
}
