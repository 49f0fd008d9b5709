package redact

import (
	"strings"
	"testing"
)

func TestUntrusted(t *testing.T) {
	t.Parallel()
	const jwtToken = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjaSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
	const pemLine = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun"
	tests := []struct {
		name, in, want string
	}{
		// Secret-named pairs.
		{"password_eq", "error: db password=hunter2 rejected", "error: db password=*** rejected"},
		{"passwd_colon", "passwd: hunter2", "passwd: ***"},
		{"db_password_upper", "DB_PASSWORD=hunter2 at startup", "DB_PASSWORD=*** at startup"},
		{"secret_quoted", `client_secret = "s3 cr3t" set`, `client_secret = "***" set`},
		{"json_pairs", `{"user":"ci","token":"tok-123456","api_key":"k-987654"}`, `{"user":"ci","token":"***","api_key":"***"}`},
		{"apikey_and_access_key", "apikey=abc123;access_key: AKIDEXAMPLE", "apikey=***;access_key: ***"},
		{"single_quoted", "secret='x y z'", "secret='***'"},
		// Headers and tokens.
		{"authorization_bearer", "Authorization: Bearer abc.def.ghi", "Authorization: Bearer ***"},
		{"authorization_basic", "authorization=Basic dXNlcjpwYXNz", "authorization=Basic ***"},
		{"authorization_json", `"Authorization":"Bearer abcdefghijkl"`, `"Authorization":"Bearer ***"`},
		{"bare_bearer", "retrying with bearer 0123456789abcdefghij", "retrying with bearer ***"},
		{"jwt", "session " + jwtToken + " expired", "session *** expired"},
		{"aws_key", "using AKIAIOSFODNN7EXAMPLE for s3", "using *** for s3"},
		{"aws_session_key", "key ASIAIOSFODNN7EXAMPLE", "key ***"},
		{"pem_block", "key: -----BEGIN RSA PRIVATE KEY-----\n" + pemLine + "\n-----END RSA PRIVATE KEY----- loaded",
			"key: *** loaded"},
		{"pem_block_cut", "-----BEGIN PRIVATE KEY----- " + pemLine[:20] + "…", "***"},
		{"pem_body_line", pemLine, "***"},
		// URLs.
		{"url_password", "dial postgres://app:hunter2@db:5432/shop failed", "dial postgres://app:REDACTED@db:5432/shop failed"},
		{"url_query", "GET https://api.example/x?page=2&access_token=abc123 200", "GET https://api.example/x?page=2&access_token=REDACTED 200"},
		// Negatives: ordinary lines are evidence, untouched.
		{"plain_error", "ERROR cache miss for key user:42", "ERROR cache miss for key user:42"},
		{"probe_failure", "Readiness probe failed: HTTP probe failed with statuscode: 503", "Readiness probe failed: HTTP probe failed with statuscode: 503"},
		{"missing_secret_event", `Error: secret "db-creds" not found`, `Error: secret "db-creds" not found`},
		{"missing_key_event", "couldn't find key password in Secret shop/db", "couldn't find key password in Secret shop/db"},
		{"token_prose", "invalid token format, 3 tokens processed", "invalid token format, 3 tokens processed"},
		{"authorization_prose", "authorization failed for user ci", "authorization failed for user ci"},
		{"bearer_prose", "no bearer token given", "no bearer token given"},
		{"plain_url", "listening on http://0.0.0.0:8080/health?verbose=1", "listening on http://0.0.0.0:8080/health?verbose=1"},
		{"hex_digest_line", strings.Repeat("0123456789abcdef", 4), strings.Repeat("0123456789abcdef", 4)},
		{"image_digest", "pulled sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "pulled sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Untrusted(tt.in); got != tt.want {
				t.Errorf("Untrusted(%q)\n = %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestRedactorUntrusted: known secrets first (they have no telltale name), then patterns.
func TestRedactorUntrusted(t *testing.T) {
	t.Parallel()
	r := New("sekrit-value-1")
	got := r.Untrusted("echo sekrit-value-1 and password=hunter2")
	if want := "echo *** and password=***"; got != want {
		t.Errorf("Untrusted = %q, want %q", got, want)
	}
	var nilR *Redactor
	if got := nilR.Untrusted("token=abc"); got != "token=***" {
		t.Errorf("nil Redactor Untrusted = %q", got)
	}
}
