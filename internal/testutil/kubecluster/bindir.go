package kubecluster

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// binEnv overrides where the binaries are. Its parent directory must hold the stage file,
// as scripts/kube/build.sh lays it out (DEPLOYWATCH_KUBE_CACHE=<dir> gives <dir>/bin).
const binEnv = "DEPLOYWATCH_KUBE_BIN"

// buildHint says how to get the binaries; a test that needs them fails, never skips.
const buildHint = "build them with: scripts/kube/build.sh (or make kube-cluster); " +
	"about 8 minutes cold, under a second when up to date"

// binaries are the programs a cluster runs, all built by scripts/kube/build.sh.
var binaries = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"}

// stagesFile is the kwok configuration build.sh writes next to the bin directory.
const stagesFile = "kwok-stages.yaml"

// BinDir returns the directory of the control-plane binaries: $DEPLOYWATCH_KUBE_BIN when
// set, else .cache/kube/bin in the repository root, found by walking up from the working
// directory to the nearest go.mod.
func BinDir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("kubecluster: working directory: %w", err)
	}
	return binDir(os.Getenv, wd)
}

// binDir is BinDir with its environment and starting directory injected.
func binDir(getenv func(string) string, wd string) (string, error) {
	if d := getenv(binEnv); d != "" {
		return filepath.Abs(d)
	}
	root, err := repoRoot(wd)
	if err != nil {
		return "", err
	}
	return filepath.Join(root, ".cache", "kube", "bin"), nil
}

// repoRoot walks up from dir to the first directory holding a go.mod.
func repoRoot(dir string) (string, error) {
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("kubecluster: no go.mod above %s; set %s", dir, binEnv)
		}
		d = parent
	}
}

// install is a checked set of binaries and the stage file.
type install struct {
	bin    map[string]string // program name -> path
	stages string
}

// findInstall checks that every binary and the stage file exist under binDir, and, when
// repo is not empty, that the stage file is newer than the stage sources in repo (a stage
// edited since the last build would otherwise be silently ignored).
func findInstall(binDir, repo string) (install, error) {
	in := install{bin: map[string]string{}, stages: filepath.Join(filepath.Dir(binDir), stagesFile)}
	var missing []string
	for _, name := range binaries {
		p := filepath.Join(binDir, name)
		if st, err := os.Stat(p); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			missing = append(missing, name)
			continue
		}
		in.bin[name] = p
	}
	st, err := os.Stat(in.stages)
	if err != nil {
		missing = append(missing, in.stages)
	}
	if len(missing) > 0 {
		return install{}, fmt.Errorf("kubecluster: missing in %s: %v: %s", binDir, missing, buildHint)
	}
	if repo == "" {
		return in, nil
	}
	srcs, err := filepath.Glob(filepath.Join(repo, "scripts", "kube", "stages", "*.yaml"))
	if err != nil {
		return install{}, fmt.Errorf("kubecluster: stage sources: %w", err)
	}
	for _, src := range srcs {
		s, err := os.Stat(src)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return install{}, fmt.Errorf("kubecluster: stage source: %w", err)
		}
		if err == nil && s.ModTime().After(st.ModTime()) {
			return install{}, fmt.Errorf("kubecluster: %s changed after %s was generated: %s",
				src, in.stages, buildHint)
		}
	}
	return in, nil
}

// locate finds the install the way Start does: binDir, plus the stage-freshness check
// when the binaries are the repository's own.
func locate(getenv func(string) string, wd string) (install, error) {
	dir, err := binDir(getenv, wd)
	if err != nil {
		return install{}, err
	}
	repo := ""
	if getenv(binEnv) == "" {
		if repo, err = repoRoot(wd); err != nil {
			return install{}, err
		}
	}
	return findInstall(dir, repo)
}
