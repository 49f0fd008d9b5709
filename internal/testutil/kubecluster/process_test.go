package kubecluster

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestStopKillsAProcessThatIgnoresSIGTERM(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// sleep inherits the ignored SIGTERM across exec.
	p, err := startProc(dir, "stubborn", "/bin/sh", "-c", "trap '' TERM; echo started; exec sleep 300")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.stop(0) })
	err = poll(t.Context(), waitLimit, []*proc{p}, func(context.Context) (bool, error) {
		return strings.Contains(p.logTail(1), "started"), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	p.stop(100 * time.Millisecond)
	done, err := p.exited()
	if !done || err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("after stop: exited %v, %v; want killed", done, err)
	}
}

func TestFailureReportsTheLog(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p, err := startProc(dir, "broken", "/bin/sh", "-c", "echo 'listen tcp 127.0.0.1:1: bind: address already in use' >&2; exit 3")
	if err != nil {
		t.Fatal(err)
	}
	err = poll(t.Context(), waitLimit, []*proc{p}, func(context.Context) (bool, error) { return false, nil })
	if err == nil || !strings.Contains(err.Error(), "broken exited early (exited: exit status 3)") ||
		!strings.Contains(err.Error(), "address already in use") {
		t.Errorf("poll on a process that exits: %v", err)
	}
	if !p.portInUse() {
		t.Error("portInUse = false for a log saying the address is in use")
	}
	if _, err := os.Stat(p.logPath); err != nil {
		t.Errorf("log file: %v", err)
	}
}

func TestFlags(t *testing.T) {
	t.Parallel()
	got := flags("a", "1", "--b", "x=y")
	if diff := cmp.Diff([]string{"--a=1", "--b=x=y"}, got); diff != "" {
		t.Errorf("flags (-want +got):\n%s", diff)
	}
}
