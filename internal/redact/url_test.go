package redact

import "testing"

func TestURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"plain_url_unchanged", "https://api.example.com/health/ready", "https://api.example.com/health/ready"},
		{"empty", "", ""},
		{"password", "https://deployer:hunter2@api.example.com/health", "https://deployer:REDACTED@api.example.com/health"},
		{"bare_user_is_a_token", "https://ghp_abcdef@api.example.com/", "https://REDACTED@api.example.com/"},
		{"token_param", "https://api/x?token=abc&page=2", "https://api/x?token=REDACTED&page=2"},
		{"order_and_encoding_kept", "https://api/x?b=1%202&access_token=abc&a=x%2Fy", "https://api/x?b=1%202&access_token=REDACTED&a=x%2Fy"},
		{"case_insensitive_names", "https://api/x?API_KEY=1&Signature=2&X-Amz-Signature=3", "https://api/x?API_KEY=REDACTED&Signature=REDACTED&X-Amz-Signature=REDACTED"},
		{"substring_names", "https://api/x?client_secret=1&db_password=2&authCode=3&sig=4&apikey=5",
			"https://api/x?client_secret=REDACTED&db_password=REDACTED&authCode=REDACTED&sig=REDACTED&apikey=REDACTED"},
		{"passwd_and_credential", "https://api/x?db_passwd=1&X-Amz-Credential=2", "https://api/x?db_passwd=REDACTED&X-Amz-Credential=REDACTED"},
		{"encoded_name", "https://api/x?api%5Fkey=1", "https://api/x?api%5Fkey=REDACTED"},
		{"repeated_param", "https://api/x?token=1&token=2", "https://api/x?token=REDACTED&token=REDACTED"},
		{"param_without_value", "https://api/x?token&debug", "https://api/x?token&debug"},
		{"harmless_params_kept", "https://api/x?page=2&sort=name", "https://api/x?page=2&sort=name"},
		{"fragment_token", "https://app/cb#access_token=abc&state=1", "https://app/cb#access_token=REDACTED&state=1"},
		{"fragment_plain", "https://app/docs#section-2", "https://app/docs#section-2"},
		{"everything", "http://u:p@127.0.0.1:8080/health/ready?token=t&x=1",
			"http://u:REDACTED@127.0.0.1:8080/health/ready?token=REDACTED&x=1"},
		{"unparseable_hides_userinfo_and_query", "http://u:p@host:bad/x?token=t&x=1", "http://REDACTED@host:bad/x?REDACTED"},
		{"unparseable_without_secrets", "http://host:bad/x", "http://host:bad/x"},
		{"unparseable_fragment", "http://host:bad/x#access_token=t", "http://host:bad/x?REDACTED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := URL(tt.in); got != tt.want {
				t.Errorf("URL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestHeaderCredentials(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, value string
		want        []string
	}{
		{"bearer", "Bearer abc.def-123", []string{"abc.def-123"}},
		{"lower_case_scheme", "bearer tok12345", []string{"tok12345"}},
		{"basic_with_password", "Basic " + BasicCredentials("deployer", "hunter22"), []string{BasicCredentials("deployer", "hunter22"), "hunter22"}},
		{"basic_not_base64", "Basic not*base64", []string{"not*base64"}},
		{"bare_value_is_masked_whole_by_the_caller", "k3y-abcdef", nil},
		{"short_words_skipped", "Digest a=1 username=deployer", []string{"username=deployer"}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := HeaderCredentials(tt.value)
			if len(got) != len(tt.want) {
				t.Fatalf("HeaderCredentials(%q) = %q, want %q", tt.value, got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("HeaderCredentials(%q) = %q, want %q", tt.value, got, tt.want)
				}
			}
		})
	}
}
