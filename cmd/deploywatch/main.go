// Command deploywatch watches a deployment and tells the pipeline whether the new version
// is healthy. See the README for usage; `deploywatch help` lists every setting.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/deploywatch/deploywatch/internal/app"
	"github.com/deploywatch/deploywatch/internal/platform/local"
)

// version is set at build time: -ldflags "-X main.version=1.2.3".
var version = ""

func main() {
	// The GitHub runner cancels a step with SIGINT, then SIGTERM 7.5 s later. Both end
	// monitoring; the handler stays installed until exit so the second signal cannot kill
	// the run while it writes its outputs.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := app.Main(ctx, app.Env{
		Args: os.Args[1:], Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Getenv: os.Getenv, Environ: envNames, StdoutTTY: local.IsTerminal(os.Stdout),
		Version: buildVersion(),
	})
	stop()
	os.Exit(code)
}

func envNames() []string {
	var names []string
	for _, kv := range os.Environ() {
		for i := 0; i < len(kv); i++ {
			if kv[i] == '=' {
				names = append(names, kv[:i])
				break
			}
		}
	}
	return names
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
