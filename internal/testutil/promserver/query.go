package promserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"
)

// pollEvery is how often readiness and WaitFor ask again; askTimeout bounds one request
// (a port held by a process that never answers would otherwise swallow the whole wait).
const (
	pollEvery  = 100 * time.Millisecond
	askTimeout = 2 * time.Second
)

// errExited: the process ended before it was ready.
var errExited = errors.New("prometheus exited")

// waitReady polls /-/ready until it answers 200, the process exits or timeout passes.
func (s *Server) waitReady(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	go func() { // an exit ends a request in flight at once
		select {
		case <-s.exited:
			cancel()
		case <-ctx.Done():
		}
	}()
	tick := time.NewTicker(pollEvery / 2)
	defer tick.Stop()
	last := "no answer yet"
	for {
		if code, err := s.get(ctx, "/-/ready"); err != nil {
			last = err.Error()
		} else if code == http.StatusOK {
			return nil
		} else {
			last = "HTTP " + strconv.Itoa(code)
		}
		select {
		case <-s.exited:
			return fmt.Errorf("%w: %v", errExited, s.waitErr)
		default:
		}
		select {
		case <-s.exited:
			return fmt.Errorf("%w: %v", errExited, s.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("/-/ready not OK within %v (last: %s)", timeout, last)
		case <-tick.C:
		}
	}
}

func (s *Server) get(ctx context.Context, path string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, askTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+path, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// WaitFor polls the instant query at now until its answer holds at least one value
// (an empty vector is not yet), failing the test after timeout with the last answer.
func (s *Server) WaitFor(t testing.TB, query string, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	var last string
	for {
		r, err := s.instant(ctx, query, time.Time{})
		switch {
		case err != nil:
			last = err.Error()
		case r.Status != "success":
			t.Fatalf("promserver: query %q refused: %s: %s", query, r.ErrorType, r.Error)
		case r.nonEmpty():
			return
		default:
			last = r.raw
		}
		select {
		case <-ctx.Done():
			t.Fatalf("promserver: query %q gave no value within %v; last answer: %s\n--- prometheus log (tail) ---\n%s",
				query, timeout, last, s.logTail())
		case <-tick.C:
		}
	}
}

// result is the API's answer to an instant query.
type result struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Data      struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	} `json:"data"`
	raw string
}

// nonEmpty reports whether the answer holds a value: a scalar or string always does, a
// vector or matrix when it has a series.
func (r result) nonEmpty() bool {
	switch r.Data.ResultType {
	case "scalar", "string":
		return true
	case "vector", "matrix":
		var series []json.RawMessage
		return json.Unmarshal(r.Data.Result, &series) == nil && len(series) > 0
	}
	return false
}

// instant runs an instant query; a zero at means the server's now.
func (s *Server) instant(ctx context.Context, query string, at time.Time) (result, error) {
	ctx, cancel := context.WithTimeout(ctx, askTimeout)
	defer cancel()
	form := url.Values{"query": {query}}
	if !at.IsZero() {
		form.Set("time", strconv.FormatFloat(float64(at.UnixMilli())/1000, 'f', -1, 64))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/api/v1/query?"+form.Encode(), nil)
	if err != nil {
		return result{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return result{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return result{}, err
	}
	var r result
	if err := json.Unmarshal(body, &r); err != nil {
		return result{}, fmt.Errorf("HTTP %d, not the API's JSON: %.200s", resp.StatusCode, body)
	}
	r.raw = string(body)
	return r, nil
}

// Value evaluates query at at (zero: the server's now) and returns the value of its one
// series, failing the test for anything else.
func (s *Server) Value(t testing.TB, query string, at time.Time) float64 {
	t.Helper()
	r, err := s.instant(context.Background(), query, at)
	if err != nil {
		t.Fatalf("promserver: query %q: %v", query, err)
	}
	var vector []struct {
		Value [2]any `json:"value"`
	}
	if r.Status != "success" || r.Data.ResultType != "vector" || json.Unmarshal(r.Data.Result, &vector) != nil || len(vector) != 1 {
		t.Fatalf("promserver: query %q: want one series, got %s", query, r.raw)
	}
	text, _ := vector[0].Value[1].(string)
	v, err := strconv.ParseFloat(text, 64)
	if err != nil {
		t.Fatalf("promserver: query %q: value %q: %v", query, text, err)
	}
	return v
}
