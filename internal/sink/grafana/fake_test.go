package grafana

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
)

// fakeGrafana serves the annotations API the way Grafana does, on its real paths under
// prefix (a sub-path install), with an in-memory store.
type fakeGrafana struct {
	auth string // the Authorization every request must carry
	mux  *http.ServeMux

	mu    sync.Mutex
	store []annotation
	// lose answers the next creations with a 502 after storing them, as a proxy that
	// timed out on a Grafana that did the work.
	lose int
}

func newFakeGrafana(prefix, auth string) *fakeGrafana {
	f := &fakeGrafana{auth: auth, mux: http.NewServeMux()}
	f.mux.HandleFunc("POST "+prefix+"/api/annotations", f.create)
	f.mux.HandleFunc("PATCH "+prefix+"/api/annotations/{id}", f.patch)
	f.mux.HandleFunc("GET "+prefix+"/api/annotations", f.find)
	return f
}

func (f *fakeGrafana) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != f.auth {
		answer(w, http.StatusUnauthorized, map[string]any{"message": "Unauthorized"})
		return
	}
	if r.Method != http.MethodGet && r.Header.Get("Content-Type") != "application/json" {
		answer(w, http.StatusBadRequest, map[string]any{"message": "bad request data"})
		return
	}
	f.mux.ServeHTTP(w, r)
}

func (f *fakeGrafana) annotations() []annotation {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.store)
}

func (f *fakeGrafana) loseAnswers(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lose = n
}

func (f *fakeGrafana) create(w http.ResponseWriter, r *http.Request) {
	var a annotation
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil || a.ID != 0 || a.Time <= 0 || a.Text == "" || (a.TimeEnd != 0 && a.TimeEnd < a.Time) {
		answer(w, http.StatusBadRequest, map[string]any{"message": "bad request data"})
		return
	}
	f.mu.Lock()
	a.ID = int64(len(f.store) + 1)
	f.store = append(f.store, a)
	lost := f.lose > 0
	if lost {
		f.lose--
	}
	f.mu.Unlock()
	if lost {
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, "<html>502 Bad Gateway</html>")
		return
	}
	answer(w, http.StatusOK, map[string]any{"id": a.ID, "message": "Annotation added"})
}

func (f *fakeGrafana) patch(w http.ResponseWriter, r *http.Request) {
	var p map[string]json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
		answer(w, http.StatusBadRequest, map[string]any{"message": "bad request data"})
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	f.mu.Lock()
	defer f.mu.Unlock()
	i := slices.IndexFunc(f.store, func(a annotation) bool { return a.ID == id })
	if i < 0 {
		answer(w, http.StatusNotFound, map[string]any{"message": "Annotation not found"})
		return
	}
	a := &f.store[i]
	for k, v := range p {
		var err error
		switch k {
		case "text":
			err = json.Unmarshal(v, &a.Text)
		case "tags":
			err = json.Unmarshal(v, &a.Tags)
		case "time":
			err = json.Unmarshal(v, &a.Time)
		case "timeEnd":
			err = json.Unmarshal(v, &a.TimeEnd)
		default:
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			answer(w, http.StatusBadRequest, map[string]any{"message": "bad request data: " + k})
			return
		}
	}
	answer(w, http.StatusOK, map[string]any{"message": "Annotation patched"})
}

// find filters like Grafana: every tag given, overlapping [from, to], the dashboard when
// given, newest first, at most limit.
func (f *fakeGrafana) find(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	num := func(k string, def int64) int64 {
		if v, err := strconv.ParseInt(q.Get(k), 10, 64); err == nil {
			return v
		}
		return def
	}
	from, to, limit := num("from", 0), num("to", 1<<62), num("limit", 100)
	out := []map[string]any{}
	f.mu.Lock()
	for _, a := range slices.Backward(f.store) {
		end := max(a.TimeEnd, a.Time)
		if a.Time > to || end < from || int64(len(out)) >= limit {
			continue
		}
		if uid := q.Get("dashboardUID"); uid != "" && a.DashboardUID != uid {
			continue
		}
		if !containsAll(a.Tags, q["tags"]) {
			continue
		}
		out = append(out, map[string]any{
			"id": a.ID, "alertId": 0, "dashboardUID": a.DashboardUID, "panelId": 0, "time": a.Time, "timeEnd": end,
			"text": a.Text, "tags": a.Tags, "login": "deploywatch-sa", "email": "",
		})
	}
	f.mu.Unlock()
	answer(w, http.StatusOK, out)
}

func containsAll(have, want []string) bool {
	for _, t := range want {
		if !slices.Contains(have, t) {
			return false
		}
	}
	return true
}

func answer(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
