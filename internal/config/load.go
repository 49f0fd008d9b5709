package config

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/redact"
)

// Sources are the layers a configuration is built from.
type Sources struct {
	// Flags and Inputs map input names to text; empty values count as unset (the GitHub
	// runner sets every declared input, empty when it has no default).
	Flags  map[string]string
	Inputs map[string]string
	// File is the parsed config file, if any.
	File *File
	// Context provides computed defaults (expected_version, description).
	Context model.RunContext
	// SinkTypes are the sink types the caller has registered, the valid `type`s of the
	// file's `sinks` list; nil means every type this package can check (NotifierTypes).
	SinkTypes []string
}

// raw is one input's winning text and its origin.
type raw struct {
	text   string
	origin Origin
}

// resolve picks each input's value by precedence: flag > input > file > default. An input
// equal to its default does not override the file: the GitHub runner and the GitLab
// template pass every default as INPUT_<NAME>, which would otherwise hide the file.
func resolve(src Sources) map[string]raw {
	out := make(map[string]raw, len(inputs))
	for _, in := range inputs {
		r := raw{text: in.Default, origin: Origin{Layer: LayerDefault}}
		if src.File != nil {
			if v, ok := src.File.Values[in.Name]; ok {
				r = raw{v, Origin{LayerFile, src.File.Name}}
			}
		}
		if v := src.Inputs[in.Name]; strings.TrimSpace(v) != "" {
			fileSet := r.origin.Layer == LayerFile
			if !fileSet || strings.TrimSpace(v) != in.Default {
				r = raw{v, Origin{LayerInput, in.Env()}}
			}
		}
		if v, ok := src.Flags[in.Name]; ok {
			r = raw{v, Origin{LayerFlag, "--" + in.Flag()}}
		}
		out[in.Name] = r
	}
	return out
}

// Load builds and validates a configuration. On any problem it returns Problems listing
// every one; warnings are things worth telling the user that do not stop the run.
func Load(src Sources) (*Config, []string, error) {
	vals := resolve(src)
	c := &Config{Origins: make(map[string]Origin, len(vals)), HTTPHeaders: map[string][]string{}}
	var ps Problems
	failed := map[string]bool{}
	for _, in := range inputs {
		r := vals[in.Name]
		c.Origins[in.Name] = r.origin
		if strings.TrimSpace(r.text) == "" {
			continue
		}
		if err := assign(c, in, r.text); err != nil {
			failed[in.Name] = true
			// A list input reports each bad item (a joined error) as a problem of its own.
			for _, e := range unjoin(err) {
				ps = append(ps, Problem{Input: in.Name, Origin: r.origin, Value: r.text, HasValue: true, Secret: in.Secret, Msg: e.Error()})
			}
		}
	}
	c.Secrets = Secrets(src)
	ps = append(ps, caCert(c, vals["ca_cert"])...)
	applyComputedDefaults(c, src.Context)
	ps = append(ps, buildChecks(c, vals, src.File)...)
	ps = append(ps, buildMetricChecks(c, vals, src.File)...)
	ps = append(ps, duplicateCheckNames(c)...)
	ps = append(ps, buildNotifiers(c, vals, src.File, src.SinkTypes)...)
	ps = append(ps, validate(c, vals, failed)...)
	ps = append(ps, unavailable(vals)...)
	if err := ps.err(); err != nil {
		return nil, nil, err
	}
	return c, nil, nil
}

// unjoin splits an errors.Join error into its parts.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// secretParts returns what must be masked of a secret input: the whole value, for
// headers each value on its own, and for a kubeconfig each credential on its own (the
// runner masks exact text: "token: X" masked does not mask X printed bare).
func secretParts(in Input, text string) []string {
	parts := []string{strings.TrimSpace(text)}
	switch in.Name {
	case "http_headers", "prometheus_headers":
		for _, l := range splitLines(text) {
			if _, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(v) != "" {
				parts = append(parts, strings.TrimSpace(v))
				parts = append(parts, redact.HeaderCredentials(v)...)
			}
		}
	case "kubeconfig":
		for _, l := range splitLines(text) {
			k, v, ok := strings.Cut(l, ":")
			v = strings.Trim(strings.TrimSpace(v), `"',`)
			if ok && kubeCredentials[strings.Trim(k, `"' `)] && v != "" {
				parts = append(parts, v)
			}
		}
	}
	return parts
}

// kubeCredentials are the kubeconfig keys (YAML or JSON) whose values are credentials.
var kubeCredentials = map[string]bool{"token": true, "client-key-data": true, "password": true,
	"id-token": true, "refresh-token": true, "access-token": true, "client-secret": true}

func applyComputedDefaults(c *Config, rc model.RunContext) {
	// GitLab has no job summary and no step outputs: the files its artifacts reports read
	// take their place (the component's template names the same files).
	if rc.Platform == "gitlab" {
		def := func(dst *string, v string) {
			if *dst == "" {
				*dst = v
			}
		}
		def(&c.SummaryPath, "deploywatch-summary.md")
		def(&c.JUnitPath, "deploywatch-junit.xml")
		def(&c.DotenvPath, "deploywatch.env")
	}
	if c.ExpectedVersion == "" {
		c.ExpectedVersion = rc.DeployedSHA()
	}
	if c.Description == "" {
		if sha := rc.DeployedSHA(); sha != "" {
			c.Description = "Deploy " + sha[:min(7, len(sha))] + " to " + c.Environment
		} else {
			c.Description = "Deploy to " + c.Environment
		}
	}
}

// Secrets returns every secret value the sources hold, whether or not the configuration is
// valid, so they can be masked before the first line is printed.
func Secrets(src Sources) []string {
	vals := resolve(src)
	var out []string
	for _, in := range inputs {
		if in.Secret && strings.TrimSpace(vals[in.Name].text) != "" {
			out = append(out, secretParts(in, vals[in.Name].text)...)
		}
	}
	for _, in := range inputs {
		// Every input that holds URLs: a password in any of them is a secret, valid
		// URL or not (the problem that rejects it quotes it).
		if in.Type == TypeURL || in.Name == "smoke_tests" || in.Name == "metrics_url" {
			out = append(out, urlPasswords(vals[in.Name].text)...)
		}
	}
	out = append(out, userinfoPassword(vals["smtp_url"].text)...)
	if src.File != nil {
		out = append(out, fileSinkSecrets(src.File)...)
		for _, fc := range src.File.Checks {
			for _, h := range fc.Headers {
				out = append(out, h[1])
				out = append(out, redact.HeaderCredentials(h[1])...)
			}
			out = append(out, urlPasswords(fc.Fields["url"])...)
		}
	}
	return out
}

// urlPasswords finds the passwords of URLs with userinfo in text, and their Basic
// credentials.
func urlPasswords(text string) []string {
	var out []string
	for _, f := range strings.Fields(text) {
		if u, err := url.Parse(f); err == nil && u.User != nil {
			if p, ok := u.User.Password(); ok && p != "" {
				// A service may echo the Authorization header the client derives from it.
				out = append(out, p, redact.BasicCredentials(u.User.Username(), p))
			}
			continue
		}
		// Not a URL Go can parse: take what sits between "user:" and "@" anyway.
		if m := rawUserinfo.FindStringSubmatch(f); m != nil && m[2] != "" {
			out = append(out, m[2])
		}
	}
	return out
}

// rawUserinfo finds the password of userinfo in text that does not parse as a URL.
var rawUserinfo = regexp.MustCompile(`//([^/@\s:]*):([^@\s/]+)@`)
