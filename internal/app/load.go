package app

import (
	"errors"

	"github.com/deploywatch/deploywatch/internal/config"
)

// loadConfig loads the configuration from its sources and lists every problem at once.
// A config file that cannot be read or parsed does not hide the problems of the inputs
// and flags beside it: those are reported with the file's. (What depends on the file, like
// "nothing to check", is left out then: it would only echo the file's own problem.)
func loadConfig(src config.Sources, srcErr error, dir string) (*config.Config, []string, error) {
	if srcErr != nil {
		var fileProblems config.Problems
		if !errors.As(srcErr, &fileProblems) || src.Flags == nil {
			return nil, nil, srcErr // the command line itself did not parse
		}
		_, _, err := config.Load(config.Sources{Flags: src.Flags, Inputs: src.Inputs, Context: src.Context})
		var more config.Problems
		if errors.As(err, &more) {
			for _, p := range more {
				if p.Origin.Layer == config.LayerInput || p.Origin.Layer == config.LayerFlag {
					fileProblems = append(fileProblems, p)
				}
			}
		}
		return nil, nil, fileProblems
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
