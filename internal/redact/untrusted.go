package redact

import (
	"regexp"
	"strings"
)

// Untrusted masks what looks like a credential in text deploywatch did not write and whose
// secrets it cannot know — pod logs, termination messages, Kubernetes events — before it
// is quoted in a report, a comment or a chat message:
//
//   - the value of a secret-named key: password=..., "api_key": "...", client_secret: ...
//     (names containing password, passwd, secret, token, api_key/apikey, access_key,
//     private_key, credential);
//   - Authorization headers (Bearer, Basic, ...) and bare bearer tokens;
//   - JSON Web Tokens (eyJ....eyJ....sig);
//   - AWS access key IDs (AKIA/ASIA + 16);
//   - PEM private key blocks, and a line that is nothing but a PEM body line;
//   - URL userinfo and secret-named query parameters (as URL does).
//
// Everything else is left as it is: it is evidence a reader needs.
func Untrusted(s string) string {
	if s == "" {
		return s
	}
	s = pemBlock.ReplaceAllString(s, Mask)
	s = maskURLs(s)
	s = authHeader.ReplaceAllString(s, "${1}${2}"+Mask)
	s = bearer.ReplaceAllString(s, "${1}"+Mask)
	s = jwt.ReplaceAllString(s, Mask)
	s = awsKey.ReplaceAllString(s, Mask)
	s = secretPair.ReplaceAllStringFunc(s, maskPair)
	if isPEMBody(strings.TrimSpace(s)) {
		return Mask
	}
	return s
}

// isPEMBody reports a line that is nothing but base64 of a PEM body's width, in both
// cases and with digits: a hex digest or a word of one case is not one.
func isPEMBody(s string) bool {
	return pemBody.MatchString(s) && strings.ContainsAny(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") &&
		strings.ContainsAny(s, "abcdefghijklmnopqrstuvwxyz") && strings.ContainsAny(s, "0123456789")
}

// Untrusted masks the run's known secrets in s, then what looks like one (see Untrusted).
func (r *Redactor) Untrusted(s string) string { return Untrusted(r.String(s)) }

var (
	// A block cut short (a capped message) is masked to the end.
	pemBlock = regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?s:.*?)(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)`)
	// A log read line by line shows a key's body one 64-character line at a time.
	pemBody = regexp.MustCompile(`^[A-Za-z0-9+/]{60,76}={0,2}$`)
	// "Authorization: Bearer x", `"authorization":"Basic x"`, Proxy-Authorization=x: the
	// scheme is kept, the credentials masked.
	authHeader = regexp.MustCompile(`(?i)(\b(?:proxy-)?authorization["']?\s*[:=]\s*["']?)((?:bearer|basic|token|digest|negotiate)\s+)?[^\s"',;]+`)
	// A bearer token outside a header ("sent Bearer eyJ..."); short words are prose.
	bearer = regexp.MustCompile(`(?i)(\bbearer\s+)[A-Za-z0-9\-._~+/]{16,}=*`)
	jwt    = regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`)
	awsKey = regexp.MustCompile(`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`)
	// A secret-named key, optionally quoted, then = or :, then a quoted or bare value.
	secretPair = regexp.MustCompile(`(?i)([A-Za-z0-9_.\-]*(?:passw(?:or)?d|secret|token|api[_\-]?key|access[_\-]?key|private[_\-]?key|credential)[A-Za-z0-9_.\-]*["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,;&"'}\]]+)`)
	// A URL with a scheme; userinfo or a query is what may hold a secret.
	urlInText = regexp.MustCompile(`\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s"'<>]+`)
)

// maskPair masks the value of one secret-named pair, keeping its quotes. A value already
// masked (by URL) stays as it is.
func maskPair(m string) string {
	sub := secretPair.FindStringSubmatch(m)
	key, value := sub[1], sub[2]
	if value == Mask || value == redacted {
		return m
	}
	if q := value[0]; (q == '"' || q == '\'') && len(value) >= 2 {
		return key + string(q) + Mask + string(q)
	}
	return key + Mask
}

// maskURLs passes every URL in s through URL, so a connection string in a log keeps its
// host and path but not its password.
func maskURLs(s string) string {
	return urlInText.ReplaceAllStringFunc(s, func(u string) string {
		if !strings.ContainsAny(u, "@?#") {
			return u
		}
		return URL(u)
	})
}
