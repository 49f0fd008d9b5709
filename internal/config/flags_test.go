package config

import (
	"bytes"
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRegisterFlags(t *testing.T) {
	t.Parallel()
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fv := RegisterFlags(fs)
	err := fs.Parse([]string{"--health-url", "http://a/ready", "--dry-run", "--smoke-tests", "GET http://a/x", "--smoke-tests=GET http://a/y", "--fail-on=warning", "extra"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"health_url": "http://a/ready", "dry_run": "true", "smoke_tests": "GET http://a/x\nGET http://a/y", "fail_on": "warning"}
	if diff := cmp.Diff(want, fv.Values()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"extra"}, fs.Args()); diff != "" {
		t.Error(diff)
	}
}

func TestRegisterFlagsRejectsRepeatedScalar(t *testing.T) {
	t.Parallel()
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	RegisterFlags(fs)
	err := fs.Parse([]string{"--interval", "1s", "--interval", "2s"})
	if err == nil || !strings.Contains(err.Error(), "given twice") {
		t.Errorf("err = %v", err)
	}
}

func TestPrintInputs(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	PrintInputs(&b)
	for _, in := range Inputs() {
		if !strings.Contains(b.String(), "--"+in.Flag()) {
			t.Errorf("help lacks --%s", in.Flag())
		}
	}
	if !strings.Contains(b.String(), "--interval  (default 10s)") && !strings.Contains(b.String(), "(default 10s)") {
		t.Errorf("help lacks defaults:\n%s", b.String())
	}
}
