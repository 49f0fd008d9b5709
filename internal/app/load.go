package app

import (
	"errors"
	"strings"

	"github.com/deploywatch/deploywatch/internal/config"
)

// loadConfig loads the configuration from its sources and lists every problem at once.
// Problems reading the sources (a bad flag, a config file unreadable or partly invalid) do
// not hide the problems of the values beside them: those are reported with them. What is
// only missing ("nothing to check") is left out then: it would echo a source's problem.
// A file that could not be parsed at all leaves only the inputs and flags to check.
func loadConfig(src config.Sources, srcErr error, dir string) (*config.Config, []string, error) {
	src.SinkTypes = notifierTypes() // the registry is what a `sinks` item may name
	if srcErr != nil {
		var all config.Problems
		if !errors.As(srcErr, &all) || src.Flags == nil {
			return nil, nil, srcErr
		}
		noFile := src.File == nil && (src.Flags["config"] != "" || strings.TrimSpace(src.Inputs["config"]) != "")
		_, _, err := config.Load(src)
		var more config.Problems
		if errors.As(err, &more) {
			for _, p := range more {
				if p.Missing || noFile && p.Origin.Layer != config.LayerInput && p.Origin.Layer != config.LayerFlag {
					continue
				}
				all = append(all, p)
			}
		}
		return nil, nil, all
	}
	cfg, warnings, err := config.Load(src)
	if err != nil {
		return nil, nil, err
	}
	if err := loadCACert(cfg, dir); err != nil {
		return nil, nil, err
	}
	return cfg, warnings, nil
}
