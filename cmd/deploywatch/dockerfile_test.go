package main_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDockerfile checks what GitHub and GitLab require of the image, since no Docker engine
// runs here to build it: root user, a static binary, CA certificates, a shell, an exec-form
// entrypoint, and a multi-stage build that keeps the toolchain out of the final image.
func TestDockerfile(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var stages []string
	var final []string
	for _, raw := range strings.Split(string(data), "\n") {
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(strings.ToUpper(line), "FROM ") {
			stages = append(stages, line)
			final = nil
		}
		final = append(final, line)
		if strings.HasPrefix(strings.ToUpper(line), "USER ") {
			t.Errorf("%q: GitHub runs Docker actions as root; a USER cannot write /github/file_commands", line)
		}
	}
	if len(stages) < 2 {
		t.Fatalf("want a multi-stage build, got %d stage(s)", len(stages))
	}
	body := string(data)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`CGO_ENABLED=0 go build`),
		regexp.MustCompile(`-ldflags "[^"]*-X main\.version=`),
	} {
		if !want.MatchString(body) {
			t.Errorf("Dockerfile lacks %s", want)
		}
	}
	finalText := strings.Join(final, "\n")
	if !strings.Contains(stages[len(stages)-1], "busybox") && !strings.Contains(stages[len(stages)-1], "alpine") {
		t.Errorf("final stage %q has no shell; the GitLab component runs job scripts in this image", stages[len(stages)-1])
	}
	if !strings.Contains(finalText, "ca-certificates") {
		t.Error("final stage has no CA certificates; HTTPS probes would fail")
	}
	if !regexp.MustCompile(`ENTRYPOINT \["/usr/local/bin/deploywatch"\]`).MatchString(finalText) {
		t.Error("final stage needs an exec-form ENTRYPOINT to the binary")
	}
}
