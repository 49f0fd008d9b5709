package redact

import (
	"encoding/base64"
	"net/url"
	"strings"
)

// redacted replaces a secret inside a URL, where "***" would read as part of it.
const redacted = "REDACTED"

// secretParamNames are substrings of query parameter names whose values are hidden.
var secretParamNames = []string{"token", "key", "secret", "password", "passwd", "signature", "sig", "auth",
	"credential", "access_token", "api_key"}

// URL returns raw fit to show: the userinfo password, a bare userinfo user (often a
// token), and the values of query and fragment parameters whose names look secret (token,
// key, secret, password, passwd, signature, sig, auth, credential, ..., compared
// case-insensitively as substrings) are replaced with "REDACTED". A URL that does not
// parse has its userinfo, query and fragment replaced whole.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return redactUnparsed(raw)
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), redacted)
		} else {
			u.User = url.User(redacted)
		}
	}
	u.RawQuery = redactParams(u.RawQuery)
	if u.Fragment != "" && strings.Contains(u.Fragment, "=") {
		// OAuth implicit flows put access tokens in the fragment.
		u.RawFragment = redactParams(u.EscapedFragment())
		u.Fragment, _ = url.PathUnescape(u.RawFragment)
	}
	return u.String()
}

// redactUnparsed hides what it can of a URL url.Parse rejected: everything after '?' or
// '#' and any userinfo, since neither can be told apart reliably.
func redactUnparsed(raw string) string {
	s := raw
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i] + "?" + redacted
	}
	rest, scheme := s, ""
	if i := strings.Index(s, "://"); i >= 0 {
		scheme, rest = s[:i+3], s[i+3:]
	}
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
		rest = redacted + rest[at:]
	}
	return scheme + rest
}

// redactParams hides the values of secret-looking parameters in an encoded query, keeping
// the order and encoding of everything else.
func redactParams(raw string) string {
	if raw == "" {
		return raw
	}
	pairs := strings.Split(raw, "&")
	for i, p := range pairs {
		name, _, hasValue := strings.Cut(p, "=")
		if !hasValue {
			continue
		}
		decoded, err := url.QueryUnescape(name)
		if err != nil {
			decoded = name
		}
		if isSecretName(decoded) {
			pairs[i] = name + "=" + redacted
		}
	}
	return strings.Join(pairs, "&")
}

func isSecretName(name string) bool {
	lower := strings.ToLower(name)
	for _, s := range secretParamNames {
		if strings.Contains(lower, s) {
			return true
		}
	}
	return false
}

// URLSecrets lists what URL hides in raw, decoded and as written, so the same values can
// be scrubbed from text that quotes them. A userinfo also yields the base64 of the Basic
// credentials an HTTP client sends from it: a service may echo its request's headers.
func URLSecrets(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	var out []string
	if u.User != nil {
		p, ok := u.User.Password()
		if ok {
			out = append(out, p)
		} else {
			out = append(out, u.User.Username())
		}
		out = append(out, BasicCredentials(u.User.Username(), p))
	}
	for _, q := range []string{u.RawQuery, u.EscapedFragment()} {
		for _, p := range strings.Split(q, "&") {
			name, value, ok := strings.Cut(p, "=")
			if !ok {
				continue
			}
			if n, err := url.QueryUnescape(name); err == nil {
				name = n
			}
			if isSecretName(name) {
				out = append(out, value)
				if v, err := url.QueryUnescape(value); err == nil {
					out = append(out, v)
				}
			}
		}
	}
	return out
}

// BasicCredentials is the base64 of user:password, as sent in "Authorization: Basic".
func BasicCredentials(user, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
}

// HeaderCredentials returns what of a header value is a credential on its own: the words
// after an authentication scheme ("Bearer <token>", "Token <key>"), and for Basic the
// decoded password too. The whole value is masked by the caller; a service or a log that
// shows the bare token must not reveal it either (masking is by exact text).
func HeaderCredentials(value string) []string {
	fields := strings.Fields(value)
	if len(fields) < 2 {
		return nil
	}
	var out []string
	for _, f := range fields[1:] {
		if len(f) >= minSecret {
			out = append(out, f)
		}
	}
	if strings.EqualFold(fields[0], "basic") && len(fields) == 2 {
		if b, err := base64.StdEncoding.DecodeString(fields[1]); err == nil {
			if _, password, ok := strings.Cut(string(b), ":"); ok && len(password) >= minSecret {
				out = append(out, password)
			}
		}
	}
	return out
}
