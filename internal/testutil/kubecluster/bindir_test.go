package kubecluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBinDir(t *testing.T) {
	t.Parallel()
	repo := t.TempDir()
	if err := os.WriteFile(filepath.Join(repo, "go.mod"), []byte("module x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	nested := filepath.Join(repo, "internal", "pkg")
	if err := os.MkdirAll(nested, 0o700); err != nil {
		t.Fatal(err)
	}
	noRepo := t.TempDir() // temp dirs have no go.mod above them
	tests := []struct {
		name    string
		env     string
		wd      string
		want    string
		wantErr string
	}{
		{"repository_root", "", repo, filepath.Join(repo, ".cache", "kube", "bin"), ""},
		{"walks_up_to_go_mod", "", nested, filepath.Join(repo, ".cache", "kube", "bin"), ""},
		{"environment_override", "/opt/kube/bin", noRepo, "/opt/kube/bin", ""},
		{"no_go_mod", "", noRepo, "", binEnv},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			getenv := func(k string) string {
				if k == binEnv {
					return tc.env
				}
				return ""
			}
			got, err := binDir(getenv, tc.wd)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("binDir = %q, %v; want an error mentioning %s", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("binDir = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// fakeInstall lays out a repository with build.sh's output: bin/ with every program,
// kwok-stages.yaml beside it, and one stage source.
func fakeInstall(t *testing.T, omit string) (repo, bin string) {
	t.Helper()
	repo = t.TempDir()
	bin = filepath.Join(repo, ".cache", "kube", "bin")
	src := filepath.Join(repo, "scripts", "kube", "stages")
	for _, d := range []string{bin, src} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(src, "crashloop.yaml"), []byte("kind: Stage\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range binaries {
		if name != omit {
			if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"), 0o700); err != nil {
				t.Fatal(err)
			}
		}
	}
	stages := filepath.Join(repo, ".cache", "kube", stagesFile)
	if err := os.WriteFile(stages, []byte("kind: Stage\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The generated file is newer than its sources, as after a build.
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(stages, later, later); err != nil {
		t.Fatal(err)
	}
	return repo, bin
}

func TestFindInstall(t *testing.T) {
	t.Parallel()
	t.Run("complete", func(t *testing.T) {
		t.Parallel()
		repo, bin := fakeInstall(t, "")
		in, err := findInstall(bin, repo)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := in.bin["kube-apiserver"], filepath.Join(bin, "kube-apiserver"); got != want {
			t.Errorf("kube-apiserver = %q, want %q", got, want)
		}
		if got, want := in.stages, filepath.Join(repo, ".cache", "kube", stagesFile); got != want {
			t.Errorf("stages = %q, want %q", got, want)
		}
	})
	t.Run("missing_binary_says_how_to_build", func(t *testing.T) {
		t.Parallel()
		repo, bin := fakeInstall(t, "kwok")
		_, err := findInstall(bin, repo)
		if err == nil || !strings.Contains(err.Error(), "[kwok]") || !strings.Contains(err.Error(), "scripts/kube/build.sh") {
			t.Errorf("err = %v, want kwok named and the build command", err)
		}
	})
	t.Run("stage_edited_after_build", func(t *testing.T) {
		t.Parallel()
		repo, bin := fakeInstall(t, "")
		src := filepath.Join(repo, "scripts", "kube", "stages", "crashloop.yaml")
		later := time.Now().Add(2 * time.Minute)
		if err := os.Chtimes(src, later, later); err != nil {
			t.Fatal(err)
		}
		_, err := findInstall(bin, repo)
		if err == nil || !strings.Contains(err.Error(), "crashloop.yaml changed") {
			t.Errorf("err = %v, want the stale stage named", err)
		}
		if _, err := findInstall(bin, ""); err != nil {
			t.Errorf("without a repository (binaries from elsewhere) nothing is compared: %v", err)
		}
	})
}
