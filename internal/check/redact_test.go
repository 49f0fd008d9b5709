package check

import (
	"net/http"
	"strings"
	"testing"
)

func TestScrubber(t *testing.T) {
	t.Parallel()
	s := newScrubber([]http.Header{{
		"Authorization": {"Bearer " + secretBearer},
		"X-Short":       {"on"},
		"X-Api-Key":     {secretAPIKey},
	}}, "https://u:"+secretPassword+"@h/x?sig=ab%2Fcd&page=2")
	tests := []struct {
		name, in, want string
	}{
		{"whole_header_value", "echo: Bearer " + secretBearer, "echo: REDACTED"},
		{"bare_token_of_a_bearer_value", `{"token":"` + secretBearer + `"}`, `{"token":"REDACTED"}`},
		{"api_key", "key=" + secretAPIKey + ";", "key=REDACTED;"},
		{"url_password", "user " + secretPassword, "user REDACTED"},
		{"query_value_encoded_and_decoded", "ab%2Fcd and ab/cd", "REDACTED and REDACTED"},
		{"short_values_are_not_secrets", "turn it on", "turn it on"},
		{"truncated_preview", `string ("Bearer s3cr3t-b34rer-t0ke ...")`, `string ("REDACTED ...")`},
		{"truncated_bare_token", `"s3cr3t-b34r…`, `"REDACTED…`},
		{"seven_chars_are_not_enough", "s3cr3t-", "s3cr3t-"},
		{"harmless_query_value_kept", "page 2", "page 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := s.scrub(tt.in); got != tt.want {
				t.Errorf("scrub(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestOneLineAndCaps(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"newlines_and_tabs", "a\nb\r\n\tc", "a b c"},
		{"control_characters", "a\x00b\x1b[31mc\u0085d", "a b [31mc d"},
		{"line_separators", "a\u2028b\u2029c", "a b c"},
		{"trimmed_and_collapsed", "  a   b  ", "a b"},
		{"invalid_utf8", "a\xffb", "a\uFFFDb"},
		{"long_text_capped", strings.Repeat("é", 250), strings.Repeat("é", 199) + "…"},
		{"exactly_the_cap", strings.Repeat("z", 200), strings.Repeat("z", 200)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := serviceText(tt.in); got != tt.want {
				t.Errorf("serviceText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFormatting(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, got, want string
	}{
		{"status_known", statusText(503), "503 Service Unavailable"},
		{"status_unknown", statusText(599), "599"},
		{"size_mib", byteSize(1 << 20), "1 MiB"},
		{"size_kib", byteSize(64 << 10), "64 KiB"},
		{"size_bytes", byteSize(1000), "1000 bytes"},
		{"sha_shortened", shortVersion(shaA), "abc1234def56"},
		{"short_sha_kept", shortVersion(shaA[:12]), "abc1234def56"},
		{"non_hex_kept", shortVersion(strings.Repeat("z", 40)), strings.Repeat("z", 40)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}
