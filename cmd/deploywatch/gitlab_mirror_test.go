package main_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// The GitLab mirror's pipeline (the repository's root .gitlab-ci.yml) through
// gitlab-ci-local, in a scratch repository holding what it reads: which jobs a branch
// pipeline and a tag pipeline get, and the jobs once the component is interpolated.

// mirrorRepo is a scratch clone of the GitLab mirror.
func mirrorRepo(t *testing.T) *catalog {
	t.Helper()
	root := t.TempDir()
	c := &catalog{t: t, dir: filepath.Join(root, "mirror"), tool: gitlabCILocal(t)}
	c.env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + root, "LANG=C.UTF-8", "NO_COLOR=1", "FORCE_COLOR=0",
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
	}
	for src, dst := range map[string]string{
		"../../.gitlab-ci.yml":                             ".gitlab-ci.yml",
		"../../gitlab-component/templates/deploywatch.yml": "gitlab-component/templates/deploywatch.yml",
		"../../scripts/gitlab/publish-from-mirror.sh":      "scripts/gitlab/publish-from-mirror.sh",
		"../../scripts/gitlab/publish-component.sh":        "scripts/gitlab/publish-component.sh",
	} {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(c.dir, dst)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c.git("init", "-q", "-b", "main")
	c.git("config", "user.name", "Mirror Bot")
	c.git("config", "user.email", "mirror@example.com")
	c.git("add", "-A")
	c.git("commit", "-q", "-m", "mirror")
	c.git("remote", "add", "origin", "git@gitlab.example.com:deploywatch/deploywatch-mirror.git")
	c.git("update-ref", "refs/remotes/origin/main", "HEAD")
	c.git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
	return c
}

func TestGitLabMirrorPipelineJobs(t *testing.T) {
	t.Parallel()
	c := mirrorRepo(t)
	selftest := map[string]string{
		"component-healthy": "test", "component-broken": "test",
		"component-healthy-outputs": "verify", "component-broken-outputs": "verify",
	}
	withPublish := map[string]string{"publish-component": "publish"}
	for k, v := range selftest {
		withPublish[k] = v
	}
	tests := []struct {
		name, tag string
		want      map[string]string
	}{
		{name: "branch", tag: "", want: selftest},
		{name: "release_tag", tag: "v1.2.3", want: withPublish},
		{name: "catalog_style_tag_without_v", tag: "1.2.3", want: selftest},
		{name: "pre_release_tag", tag: "v1.2.3-rc.1", want: selftest},
		{name: "leading_zero", tag: "v1.02.3", want: selftest},
	}
	row := regexp.MustCompile(`(?m)^(component-[a-z-]+|publish-component)\s+(\S+)`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, errOut, code := c.run(time.Minute, "--list", "--variable", "CI_COMMIT_TAG="+tt.tag)
			got := map[string]string{}
			for _, m := range row.FindAllStringSubmatch(out, -1) {
				got[m[1]] = m[2]
			}
			if diff := cmp.Diff(tt.want, got); code != 0 || diff != "" {
				t.Errorf("tag %q: --list exited %d, jobs and stages (-want +got):\n%s\n%s%s", tt.tag, code, diff, out, errOut)
			}
		})
	}
}

func TestGitLabMirrorPipelinePreview(t *testing.T) {
	t.Parallel()
	c := mirrorRepo(t)
	out, errOut, code := c.run(time.Minute, "--preview", "--variable", "CI_COMMIT_TAG=v1.2.3")
	if code != 0 {
		t.Fatalf("--preview exited %d:\n%s%s", code, out, errOut)
	}
	type job struct {
		Stage        string              `yaml:"stage"`
		Image        map[string]any      `yaml:"image"`
		Services     []map[string]string `yaml:"services"`
		BeforeScript []string            `yaml:"before_script"`
		Script       []string            `yaml:"script"`
		Variables    map[string]string   `yaml:"variables"`
		AllowFailure any                 `yaml:"allow_failure"`
		Needs        []any               `yaml:"needs"`
		Artifacts    map[string]any      `yaml:"artifacts"`
	}
	// Every top-level key but stages: is a job.
	var raw map[string]yaml.Node
	if err := yaml.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("preview is not YAML: %v\n%s", err, out)
	}
	doc := map[string]job{}
	for name, node := range raw {
		var j job
		if name != "stages" {
			if err := node.Decode(&j); err != nil {
				t.Fatalf("job %s: %v", name, err)
			}
			doc[name] = j
		}
	}
	dockerfile, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, health string
		allowFailure any
	}{
		{name: "component-healthy", health: "http://web/", allowFailure: nil},
		{name: "component-broken", health: "http://web/health/missing", allowFailure: map[string]any{"exit_codes": []any{1}}},
	} {
		j, ok := doc[tt.name]
		if !ok {
			t.Errorf("no job %s in the preview:\n%s", tt.name, out)
			continue
		}
		if j.Stage != "test" || j.Image["name"] != "golang:1.26-alpine" {
			t.Errorf("%s: stage %q image %v", tt.name, j.Stage, j.Image)
		}
		if diff := cmp.Diff([]map[string]string{{"name": "nginx:1.27-alpine", "alias": "web"}}, j.Services); diff != "" {
			t.Errorf("%s: services (-want +got):\n%s", tt.name, diff)
		}
		// The component's own script, with this commit's binary, built with the
		// Dockerfile's flags, as the deploywatch on PATH.
		if diff := cmp.Diff([]string{"deploywatch"}, j.Script); diff != "" {
			t.Errorf("%s: script (-want +got):\n%s", tt.name, diff)
		}
		build := strings.Join(j.BeforeScript, "\n")
		for _, flag := range []string{"CGO_ENABLED=0 go build", "-trimpath", `-ldflags "-s -w -X main.version=`} {
			if !strings.Contains(build, flag) || !strings.Contains(string(dockerfile), flag) {
				t.Errorf("%s: before_script %q and the Dockerfile do not both build with %q", tt.name, build, flag)
			}
		}
		if !strings.Contains(build, "-o /usr/local/bin/deploywatch ./cmd/deploywatch") {
			t.Errorf("%s: before_script %q does not put deploywatch on PATH", tt.name, build)
		}
		if j.Variables["INPUT_HEALTH_URL"] != tt.health || j.Variables["INPUT_COMMENT"] != "off" || j.Variables["INPUT_GITLAB_TOKEN"] != "$CI_JOB_TOKEN" {
			t.Errorf("%s: health_url %q comment %q gitlab_token %q", tt.name, j.Variables["INPUT_HEALTH_URL"], j.Variables["INPUT_COMMENT"], j.Variables["INPUT_GITLAB_TOKEN"])
		}
		if reports, _ := j.Artifacts["reports"].(map[string]any); j.Artifacts["when"] != "always" || reports["dotenv"] != "deploywatch.env" {
			t.Errorf("%s: artifacts %v; the verdict jobs read its dotenv report even when it fails", tt.name, j.Artifacts)
		}
		if diff := cmp.Diff(tt.allowFailure, j.AllowFailure); diff != "" {
			t.Errorf("%s: allow_failure (-want +got):\n%s", tt.name, diff)
		}
		outputs := doc[tt.name+"-outputs"]
		// The verdict reaches the later job through the dotenv artifact: needs with artifacts.
		want := []any{map[string]any{"job": tt.name, "artifacts": true, "optional": false}}
		if diff := cmp.Diff(want, outputs.Needs); diff != "" || !strings.Contains(strings.Join(outputs.Script, "\n"), `"$status" =`) {
			t.Errorf("%s-outputs: needs (-want +got):\n%s\nscript %q", tt.name, diff, outputs.Script)
		}
	}
	publish := doc["publish-component"]
	if publish.Stage != "publish" || !strings.Contains(strings.Join(publish.Script, "\n"), `scripts/gitlab/publish-from-mirror.sh "$CI_COMMIT_TAG"`) {
		t.Errorf("publish-component: stage %q script %q", publish.Stage, publish.Script)
	}
}

// TestGitLabPublishFromMirror runs the mirror's publish job script against a local catalog
// repository, with a stand-in crane that records what it was asked for: the component must
// pin the very image the script waited for, a fork's included.
func TestGitLabPublishFromMirror(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, image, wantImage string
	}{
		{name: "default_image", wantImage: "ghcr.io/deploywatch/deploywatch:1.4.0"},
		{name: "fork_image", image: "ghcr.io/acme/deploywatch", wantImage: "ghcr.io/acme/deploywatch:1.4.0"},
	}
	script, err := filepath.Abs("../../scripts/gitlab/publish-from-mirror.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			bin, bare, asked := filepath.Join(root, "bin"), filepath.Join(root, "catalog.git"), filepath.Join(root, "crane-args")
			if err := os.MkdirAll(bin, 0o755); err != nil {
				t.Fatal(err)
			}
			crane := "#!/bin/sh\necho \"$*\" >> " + asked + "\necho '{}'\n"
			if err := os.WriteFile(filepath.Join(bin, "crane"), []byte(crane), 0o755); err != nil {
				t.Fatal(err)
			}
			c := &catalog{t: t, dir: root, env: []string{
				"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + root, "LANG=C.UTF-8",
				"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1", "CATALOG_URL=" + bare, "IMAGE=" + tt.image,
			}}
			if tt.image == "" {
				c.env = c.env[:len(c.env)-1]
			}
			c.git("init", "-q", "--bare", bare)
			c.exec("bash", script, "v1.4.0")
			craneArgs, _ := os.ReadFile(asked)
			if got := strings.TrimSpace(string(craneArgs)); got != "manifest "+tt.wantImage {
				t.Errorf("crane was asked %q, want manifest %s", got, tt.wantImage)
			}
			tmpl := c.git("--git-dir", bare, "show", "1.4.0:templates/deploywatch.yml")
			if !strings.Contains(tmpl, `default: "`+tt.wantImage+`"`) {
				t.Errorf("the published template does not pin %s", tt.wantImage)
			}
			// Published once: a second run finds the tag and does nothing.
			if out := c.exec("bash", script, "v1.4.0"); !strings.Contains(out, "the catalog has 1.4.0 already") {
				t.Errorf("second run: %s", out)
			}
		})
	}
}
