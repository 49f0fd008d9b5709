package app

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// TestOneHungRequest runs the whole lifecycle against a service whose second readiness
// request hangs past http_timeout, every other one answering 200: by default that one
// emergency fails the deploy; with emergency_persistence 2 it is forgiven.
func TestOneHungRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		vars       map[string]string
		wantCode   int
		wantStatus string
		wantHealth string
	}{
		{name: "default_fails_at_once", wantCode: ExitFailed, wantStatus: "failed", wantHealth: "true"},
		{name: "emergency_persistence_2_forgives_it", vars: map[string]string{"INPUT_EMERGENCY_PERSISTENCE": "2"},
			wantCode: ExitOK, wantStatus: "healthy", wantHealth: "false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var n atomic.Int32
			release := make(chan struct{})
			var once sync.Once
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) == 2 {
					// Silent until the client gives up (or the test ends).
					select {
					case <-r.Context().Done():
					case <-release:
					}
					return
				}
				_, _ = w.Write([]byte(`{"status":"ok"}`))
			}))
			t.Cleanup(func() { once.Do(func() { close(release) }); srv.Close() })
			vars := map[string]string{"INPUT_HEALTH_URL": srv.URL + "/ready", "INPUT_HTTP_TIMEOUT": "300ms",
				"INPUT_INTERVAL": "100ms", "INPUT_SCHEDULE": "1500ms", "INPUT_COOLDOWN": "0s", "INPUT_DEPLOYMENT_STATUS": "false"}
			for k, v := range tt.vars {
				vars[k] = v
			}
			e := newTestEnv(t, vars)
			outputs := e.github(t)
			code := e.run(t.Context())
			outs := outputs()
			if code != tt.wantCode || outs["status"] != tt.wantStatus || outs["health_check_failed"] != tt.wantHealth {
				t.Errorf("exit %d, status %q, health_check_failed %q; want %d, %q, %q\n%s",
					code, outs["status"], outs["health_check_failed"], tt.wantCode, tt.wantStatus, tt.wantHealth, e.stdout.String())
			}
			if got := n.Load(); tt.wantCode == ExitOK && got < 4 {
				t.Errorf("the service saw %d requests; the hung one must be followed by answered ones", got)
			}
			if tt.wantCode == ExitFailed && !strings.Contains(outs["summary"], "unreachable") {
				t.Errorf("summary %q does not say the service was unreachable", outs["summary"])
			}
			// Both runs saw the hung request as a breach; only its persistence differs.
			var rep struct {
				Checks []struct {
					Name     string `json:"name"`
					Breaches int    `json:"breaches"`
				} `json:"checks"`
			}
			b, err := os.ReadFile(filepath.Join(e.dir, "deploywatch-report.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &rep); err != nil {
				t.Fatal(err)
			}
			if len(rep.Checks) != 1 || rep.Checks[0].Breaches != 1 {
				t.Errorf("report checks = %+v, want readiness with 1 breach", rep.Checks)
			}
		})
	}
}
