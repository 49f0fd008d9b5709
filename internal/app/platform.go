package app

import (
	"fmt"

	"github.com/deploywatch/deploywatch/internal/platform"
	"github.com/deploywatch/deploywatch/internal/platform/github"
	"github.com/deploywatch/deploywatch/internal/platform/gitlab"
	"github.com/deploywatch/deploywatch/internal/platform/local"
)

// choosePlatform picks the CI host from the environment; anything that is neither GitLab
// CI nor GitHub Actions is a terminal or another CI system, served by the local platform.
func choosePlatform(env Env) (platform.Platform, []string, error) {
	if gitlab.Detect(env.Getenv) {
		g, err := gitlab.New(gitlab.Options{Getenv: env.Getenv, Stdout: env.Stdout})
		if err != nil {
			return nil, nil, fmt.Errorf("gitlab platform: %w", err)
		}
		return g, g.Warnings(), nil
	}
	if github.Detect(env.Getenv) {
		g, err := github.New(github.Options{Getenv: env.Getenv, Stdout: env.Stdout})
		if err != nil {
			return nil, nil, fmt.Errorf("github platform: %w", err)
		}
		return g, g.Warnings(), nil
	}
	color := env.StdoutTTY && env.Getenv("NO_COLOR") == "" && env.Getenv("TERM") != "dumb"
	return local.New(local.Options{Stdout: env.Stdout, Color: color}), nil, nil
}
