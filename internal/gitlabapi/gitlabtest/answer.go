package gitlabtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// writeMessage answers GitLab's {"message": "..."}: "404 Project Not Found", "401
// Unauthorized", a state machine's refusal.
func writeMessage(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]any{"message": message})
}

// invalid answers a model validation failure: 400 {"message": {"field": ["reason"]}}.
func invalid(w http.ResponseWriter, field, reason string) {
	writeJSON(w, http.StatusBadRequest, map[string]any{"message": map[string][]string{field: {reason}}})
}

// badParam answers a parameter validation failure: 400 {"error": "sha is missing"}.
func badParam(w http.ResponseWriter, reason string) {
	writeJSON(w, http.StatusBadRequest, map[string]any{"error": reason})
}

// stamp writes a time as GitLab does, with milliseconds.
func stamp(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// userID gives every username a stable id; the fake's two accounts have theirs.
func userID(username string) int64 {
	switch username {
	case Bot:
		return BotID
	case JobUser:
		return JobUserID
	}
	var h int64 = 7
	for _, r := range username {
		h = (h*31 + int64(r)) % 1000000
	}
	return 100000 + h
}

// userJSON is GitLab's basic user object.
func userJSON(username string) map[string]any {
	return map[string]any{
		"id": userID(username), "username": username, "name": username, "state": "active", "locked": false,
		"avatar_url": ServerURL + "/uploads/-/system/user/avatar/" + strconv.FormatInt(userID(username), 10) + "/avatar.png",
		"web_url":    ServerURL + "/" + username,
	}
}

// projectWeb is the project's web root.
func projectWeb() string { return ServerURL + "/" + ProjectPath }

// paginate cuts n items to the page asked for (per_page, default 20, at most 100; page,
// from 1) and sets GitLab's offset pagination headers and Link.
func paginate(w http.ResponseWriter, r *http.Request, n int) (lo, hi int) {
	q := r.URL.Query()
	per, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || per <= 0 {
		per = 20
	}
	per = min(per, 100)
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page <= 0 {
		page = 1
	}
	last := max((n+per-1)/per, 1)
	lo, hi = min((page-1)*per, n), min(page*per, n)
	h := w.Header()
	h.Set("X-Page", strconv.Itoa(page))
	h.Set("X-Per-Page", strconv.Itoa(per))
	h.Set("X-Total", strconv.Itoa(n))
	h.Set("X-Total-Pages", strconv.Itoa(last))
	h.Set("X-Next-Page", "")
	h.Set("X-Prev-Page", "")
	link := func(p int, rel string) string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("per_page", strconv.Itoa(per))
		v.Set("page", strconv.Itoa(p))
		return fmt.Sprintf("<%s%s?%s>; rel=%q", apiRoot(r), r.URL.EscapedPath(), v.Encode(), rel)
	}
	var links []string
	if page > 1 {
		h.Set("X-Prev-Page", strconv.Itoa(page-1))
		links = append(links, link(page-1, "prev"))
	}
	if page < last {
		h.Set("X-Next-Page", strconv.Itoa(page+1))
		links = append(links, link(page+1, "next"))
	}
	links = append(links, link(1, "first"), link(last, "last"))
	h.Set("Link", strings.Join(links, ", "))
	return lo, hi
}

// decode reads a JSON body into a map; client-go sends JSON.
func decode(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	doc := map[string]any{}
	if r.ContentLength == 0 {
		return doc, true
	}
	if err := json.NewDecoder(r.Body).Decode(&doc); err != nil {
		badParam(w, "The provided content-type 'application/json' is not supported or the body is not JSON")
		return nil, false
	}
	return doc, true
}

// text reads a string parameter: present reports whether it was sent at all.
func text(doc map[string]any, name string) (v string, present bool) {
	raw, ok := doc[name]
	if !ok || raw == nil {
		return "", false
	}
	switch x := raw.(type) {
	case string:
		return x, true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return fmt.Sprint(raw), true
}

// pathInt reads an integer path parameter, answering 404 when it is not one.
func pathInt(w http.ResponseWriter, r *http.Request, name string) (int64, bool) {
	v, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil {
		writeMessage(w, http.StatusNotFound, "404 Not found")
		return 0, false
	}
	return v, true
}

// commitOK answers 404 for what is not a full commit SHA: the fake knows every commit
// whose SHA is well formed, and no other.
func commitOK(w http.ResponseWriter, sha string) bool {
	if len(sha) != 40 || strings.Trim(sha, "0123456789abcdef") != "" {
		writeMessage(w, http.StatusNotFound, "404 Commit Not Found")
		return false
	}
	return true
}

// oneOf checks an enumerated query parameter, answering 400 like Grape when it is not one
// of values; empty takes def.
func oneOf(w http.ResponseWriter, r *http.Request, name, def string, values ...string) (string, bool) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, true
	}
	for _, ok := range values {
		if v == ok {
			return v, true
		}
	}
	badParam(w, name+" does not have a valid value")
	return "", false
}
