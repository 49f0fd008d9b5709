package app

import (
	"github.com/deploywatch/deploywatch/internal/model"
	"github.com/deploywatch/deploywatch/internal/platform"
	"github.com/deploywatch/deploywatch/internal/redact"
)

// redacting hides secrets in everything handed to a platform; it is the last line of
// defence behind the host's own masking (GitHub's ::add-mask::).
type redacting struct {
	p platform.Platform
	r *redact.Redactor
}

var _ platform.Platform = redacting{}

func (x redacting) Name() string              { return x.p.Name() }
func (x redacting) Context() model.RunContext { return x.p.Context() }
func (x redacting) Mask(secret string)        { x.p.Mask(secret) }
func (x redacting) Group(title string)        { x.p.Group(x.r.String(title)) }
func (x redacting) EndGroup()                 { x.p.EndGroup() }

func (x redacting) Log(level platform.Level, line string) { x.p.Log(level, x.r.String(line)) }

func (x redacting) Annotate(level platform.Level, title, message string) {
	x.p.Annotate(level, x.r.String(title), x.r.String(message))
}

func (x redacting) SetOutputs(outputs []model.Output) error {
	clean := make([]model.Output, len(outputs))
	for i, o := range outputs {
		clean[i] = model.Output{Name: o.Name, Value: x.r.String(o.Value)}
	}
	return x.p.SetOutputs(clean)
}

func (x redacting) WriteSummary(markdown string) error { return x.p.WriteSummary(x.r.String(markdown)) }

// flush ends the platform's output (closing a group, reporting suppressed annotations) when
// it has such a step.
func (x redacting) flush() {
	if f, ok := x.p.(interface{ Flush() }); ok {
		f.Flush()
	}
}
