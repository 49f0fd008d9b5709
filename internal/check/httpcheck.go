package check

import (
	"fmt"
	"net/http"

	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/redact"
)

// base is what every HTTP check shares: its spec, its prober, the request it sends and
// how it shows that request.
type base struct {
	spec  model.CheckSpec
	p     *prober
	req   request
	url   string // redacted
	shown string // "GET <redacted url>"
	scrub scrubber
}

// newBase prepares a check sending method to rawURL; headers are merged over the
// configured ones (a per-check header replaces a configured header of the same name).
func newBase(spec model.CheckSpec, method, rawURL, body string, headers http.Header, h HTTPConfig) base {
	merged := h.Headers.Clone()
	if merged == nil {
		merged = http.Header{}
	}
	for name, values := range headers {
		merged.Del(name)
		for _, v := range values {
			merged.Add(name, v)
		}
	}
	shownURL := redact.URL(rawURL)
	return base{
		spec:  spec,
		p:     newProber(h, merged),
		req:   request{method: method, url: rawURL, body: body, headers: merged},
		url:   shownURL,
		shown: method + " " + shownURL,
		scrub: newScrubber([]http.Header{merged}, rawURL),
	}
}

// Spec describes the check.
func (b *base) Spec() model.CheckSpec { return b.spec }

// start returns the measurement every run fills.
func (b *base) start() model.Measurement {
	return model.Measurement{Check: b.spec.Name}
}

// applyFailure records a request that produced no complete response.
func (b *base) applyFailure(m *model.Measurement, f failure) {
	switch f.kind {
	case failUnreachable:
		m.Breach = true
		m.Severity = model.SeverityEmergency
		m.Signal = model.SignalHealth
		m.Value = "unreachable"
		m.Message = fmt.Sprintf("service unreachable: %s: %s", b.shown, f.reason)
	case failCertificate:
		m.Breach = true
		m.Severity = max(model.SeverityCritical, b.spec.Severity)
		m.Signal = model.SignalHealth
		m.Value = "invalid certificate"
		m.Message = fmt.Sprintf("%s: %s", b.shown, f.reason)
	case failRedirects:
		m.Breach = true
		m.Value = "too many redirects"
		m.Message = fmt.Sprintf("%s: %s", b.shown, f.reason)
	case failCancelled:
		m.ProbeError = f.reason
		m.Message = f.reason
	default:
		m.ProbeError = fmt.Sprintf("%s: %s", b.shown, f.reason)
		m.Message = m.ProbeError
	}
}

// probeError records that the monitor could not measure.
func probeError(m *model.Measurement, format string, args ...any) {
	m.Breach = false
	m.ProbeError = fmt.Sprintf(format, args...)
	m.Message = m.ProbeError
}

// finish is deferred by every Run: it turns a panic into a probe error (Run never
// panics), then makes every text field one line and free of known secrets.
func (b *base) finish(m *model.Measurement) {
	if r := recover(); r != nil {
		*m = model.Measurement{Check: b.spec.Name, Latency: m.Latency}
		probeError(m, "internal error probing %s: %v", b.shown, r)
	}
	clean := func(s string) string { return oneLine(b.scrub.scrub(s)) }
	m.Message = clean(m.Message)
	m.ProbeError = clean(m.ProbeError)
	m.Value = clean(m.Value)
	m.Expected = clean(m.Expected)
	for i := range m.Parts {
		m.Parts[i].Name = clean(m.Parts[i].Name)
		m.Parts[i].Detail = clean(m.Parts[i].Detail)
	}
}

// is2xx reports a successful status.
func is2xx(code int) bool { return code >= 200 && code < 300 }
