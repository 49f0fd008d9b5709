package app

import (
	"fmt"

	"github.com/deploywatch/deploywatch/internal/check"
	"github.com/deploywatch/deploywatch/internal/config"
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/redact"
)

// kinds maps a configured check type to what it is and which output it sets.
var kinds = map[config.CheckType]struct {
	kind   model.CheckKind
	signal model.Signal
}{
	config.CheckReadiness: {model.KindReadiness, model.SignalHealth},
	config.CheckLiveness:  {model.KindLiveness, model.SignalHealth},
	config.CheckVersion:   {model.KindVersion, model.SignalVersion},
	config.CheckHTTP:      {model.KindSmoke, model.SignalSmoke},
}

// buildChecks turns the validated configuration into runnable checks.
func buildChecks(cfg *config.Config, version string) ([]check.Check, error) {
	out := make([]check.Check, 0, len(cfg.Checks))
	for _, c := range cfg.Checks {
		k, ok := kinds[c.Type]
		if !ok {
			return nil, fmt.Errorf("check %s: unknown type %q", c.Name, c.Type)
		}
		spec := model.CheckSpec{
			Name: c.Name, Kind: k.kind, Signal: k.signal, Target: redact.URL(c.URL), Severity: c.Severity,
			Persistence: c.Persistence, EmergencyPersistence: c.EmergencyPersistence, MaxProbeErrors: c.MaxProbeErrors,
		}
		if c.Type == config.CheckHTTP {
			spec.Target = c.Method + " " + spec.Target
		}
		h := check.HTTPConfig{Timeout: c.Timeout, Headers: c.Headers, UserAgent: "deploywatch/" + version,
			Client: caClient(cfg, c.Timeout, nil)}
		var ch check.Check
		var err error
		switch c.Type {
		case config.CheckReadiness:
			ch = check.NewReadiness(spec, c.URL, h)
		case config.CheckLiveness:
			ch = check.NewLiveness(spec, c.URL, h)
		case config.CheckVersion:
			ch, err = check.NewVersion(spec, c.URL, c.Field, c.Expected, h)
		case config.CheckHTTP:
			ch, err = check.NewSmoke(spec, check.SmokeTest{Method: c.Method, URL: c.URL, Expr: c.Expect, Body: c.Body, ExpectStatus: c.ExpectStatus}, h)
		}
		if err != nil {
			return nil, fmt.Errorf("check %s: %w", c.Name, err)
		}
		out = append(out, ch)
	}
	return out, nil
}
