package release_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// The release script runs here on scratch clones with a bare repository as origin: what it
// commits, which tags it moves and what it pushes are read back from origin.

const image = "ghcr.io/deploywatch/deploywatch"

// repo is a scratch clone of a project holding this repository's action.yml, with a bare
// origin.
type repo struct {
	t           *testing.T
	dir, origin string
	env         []string
}

func newRepo(t *testing.T) *repo {
	t.Helper()
	root := t.TempDir()
	r := &repo{t: t, dir: filepath.Join(root, "work"), origin: filepath.Join(root, "origin.git"),
		env: []string{"PATH=" + os.Getenv("PATH"), "HOME=" + root, "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
			"GIT_AUTHOR_NAME=Release Bot", "GIT_AUTHOR_EMAIL=release@example.com",
			"GIT_COMMITTER_NAME=Release Bot", "GIT_COMMITTER_EMAIL=release@example.com"}}
	r.run(root, "git", "init", "-q", "--bare", r.origin)
	r.run(root, "git", "init", "-q", "-b", "main", r.dir)
	action, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	r.write("action.yml", string(action))
	r.git("add", "action.yml")
	r.git("commit", "-q", "-m", "initial")
	r.git("remote", "add", "origin", r.origin)
	return r
}

func (r *repo) run(dir, name string, args ...string) (string, error) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, r.env
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func (r *repo) git(args ...string) string {
	r.t.Helper()
	out, err := r.run(r.dir, "git", args...)
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (r *repo) write(name, text string) {
	r.t.Helper()
	if err := os.WriteFile(filepath.Join(r.dir, name), []byte(text), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// release commits a change and tags it, as a maintainer tags a version.
func (r *repo) release(tag string) string {
	r.t.Helper()
	r.write("CHANGES", tag+"\n")
	r.git("add", "CHANGES")
	r.git("commit", "-q", "-m", "changes for "+tag)
	r.git("tag", "-a", tag, "-m", tag)
	r.git("push", "-q", "origin", "HEAD:refs/heads/main", "refs/tags/"+tag)
	return r.git("rev-parse", "HEAD")
}

// script runs github-release.sh in the clone.
func (r *repo) script(args ...string) (string, error) {
	r.t.Helper()
	script, err := filepath.Abs("github-release.sh")
	if err != nil {
		r.t.Fatal(err)
	}
	return r.run(r.dir, "bash", append([]string{script}, args...)...)
}

// originTag is the commit a tag names in origin ("" when it has none).
func (r *repo) originTag(tag string) string {
	r.t.Helper()
	out, err := r.run(r.origin, "git", "rev-parse", "-q", "--verify", "refs/tags/"+tag+"^{commit}")
	if err != nil {
		return ""
	}
	return out
}

func (r *repo) originFile(rev, path string) string {
	r.t.Helper()
	out, err := r.run(r.origin, "git", "show", rev+":"+path)
	if err != nil {
		r.t.Fatalf("git show %s:%s: %v\n%s", rev, path, err, out)
	}
	return out + "\n"
}

func parsePlan(out string) map[string]string {
	plan := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			plan[k] = v
		}
	}
	return plan
}

func TestPlan(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	for _, tag := range []string{"v1.2.3", "v1.3.0", "v2.0.0-rc.1", "v10.0.0"} {
		r.release(tag)
	}
	tests := []struct {
		name, version string
		want          map[string]string // nil: refused
	}{
		{name: "patch_of_an_older_minor", version: "1.2.4",
			want: map[string]string{"version": "1.2.4", "minor": "1.2", "major": "1", "newest_in_minor": "true", "newest_in_major": "false"}},
		{name: "newest_of_its_major", version: "v1.3.1",
			want: map[string]string{"version": "1.3.1", "minor": "1.3", "major": "1", "newest_in_minor": "true", "newest_in_major": "true"}},
		{name: "re_run_of_a_released_version", version: "1.3.0",
			want: map[string]string{"version": "1.3.0", "minor": "1.3", "major": "1", "newest_in_minor": "true", "newest_in_major": "true"}},
		// v2.0.0-rc.1 is a pre-release, and v10 is another major than v1.
		{name: "new_major_after_a_pre_release", version: "2.0.0",
			want: map[string]string{"version": "2.0.0", "minor": "2.0", "major": "2", "newest_in_minor": "true", "newest_in_major": "true"}},
		{name: "older_major_line", version: "1.0.1",
			want: map[string]string{"version": "1.0.1", "minor": "1.0", "major": "1", "newest_in_minor": "true", "newest_in_major": "false"}},
		{name: "pre_release", version: "v1.4.0-rc.1"},
		{name: "two_numbers", version: "1.4"},
		{name: "leading_zero", version: "1.04.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := r.script("plan", tt.version)
			if tt.want == nil {
				if err == nil || !strings.Contains(out, "version must be X.Y.Z") {
					t.Errorf("plan %s: err %v, want a refusal:\n%s", tt.version, err, out)
				}
				return
			}
			if err != nil {
				t.Fatalf("plan %s: %v\n%s", tt.version, err, out)
			}
			if diff := cmp.Diff(tt.want, parsePlan(out)); diff != "" {
				t.Errorf("plan %s (-want +got):\n%s", tt.version, diff)
			}
		})
	}
}

// actionSchema is SchemaStore's schema for action metadata, vendored in testdata/schemas.
func actionSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	raw, err := os.ReadFile("../../testdata/schemas/github-action.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("github-action.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("github-action.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// checkAction checks a released action.yml: valid metadata, running the prebuilt image,
// and otherwise the file of the tagged commit.
func checkAction(t *testing.T, released, tagged, version string) {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(released), &doc); err != nil {
		t.Fatal(err)
	}
	runs, _ := doc["runs"].(map[string]any)
	if diff := cmp.Diff(map[string]any{"using": "docker", "image": "docker://" + image + ":" + version}, runs); diff != "" {
		t.Errorf("released runs: (-want +got):\n%s", diff)
	}
	j, _ := json.Marshal(doc)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	if err := actionSchema(t).Validate(inst); err != nil {
		t.Errorf("the released action.yml is not valid action metadata: %v", err)
	}
	want := strings.Replace(tagged, "  image: Dockerfile\n", "  image: docker://"+image+":"+version+"\n", 1)
	if diff := cmp.Diff(want, released); diff != "" {
		t.Errorf("the release changed more than runs.image (-want +got):\n%s", diff)
	}
}

func TestCommit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		earlier  []string // released before, their tags pushed as they are
		version  string
		floating map[string]bool // vX.Y and vX: true when they must move to the release
	}{
		{name: "first_release", version: "1.0.0", floating: map[string]bool{"v1.0": true, "v1": true}},
		{name: "next_minor", earlier: []string{"v1.0.0"}, version: "1.1.0", floating: map[string]bool{"v1.1": true, "v1": true}},
		{name: "patch_of_an_older_minor_leaves_the_major", earlier: []string{"v1.0.0", "v1.1.0"}, version: "1.0.1",
			floating: map[string]bool{"v1.0": true, "v1": false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRepo(t)
			for _, tag := range tt.earlier {
				r.release(tag)
				// Floating tags of the earlier releases, where a previous run left them.
				r.git("tag", "-f", tag[:strings.LastIndex(tag, ".")])
				r.git("tag", "-f", tag[:strings.Index(tag, ".")])
				r.git("push", "-q", "-f", "origin", "--tags")
			}
			before := map[string]string{}
			for f := range tt.floating {
				before[f] = r.originTag(f)
			}
			tag := "v" + tt.version
			tagged := r.release(tag)
			taggedAction := r.originFile(tagged, "action.yml")
			r.git("checkout", "-q", "--detach", tag)

			out, err := r.script("commit", tt.version, image, "--push")
			if err != nil {
				t.Fatalf("commit: %v\n%s", err, out)
			}
			released := r.originTag(tag)
			if released == tagged || r.git("rev-parse", tag+"^{commit}^") != tagged {
				t.Fatalf("origin's %s is %s, want a release commit on top of %s:\n%s", tag, released, tagged, out)
			}
			checkAction(t, r.originFile(released, "action.yml"), taggedAction, tt.version)
			for f, moves := range tt.floating {
				want := before[f]
				if moves {
					want = released
				}
				if got := r.originTag(f); got != want {
					t.Errorf("origin's %s is %q, want %q (moves: %v)", f, got, want, moves)
				}
			}
			if kind, _ := r.run(r.origin, "git", "cat-file", "-t", "refs/tags/"+tag); kind != "tag" {
				t.Errorf("%s is a %s, want an annotated tag", tag, kind)
			}

			// A re-run (the workflow retried) finds the release commit and changes nothing.
			out, err = r.script("commit", tt.version, image, "--push")
			if err != nil || !strings.Contains(out, "nothing to commit") || r.originTag(tag) != released {
				t.Errorf("re-run: err %v, %s is %s, want %s unchanged:\n%s", err, tag, r.originTag(tag), released, out)
			}
		})
	}
}

func TestCommitRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		prepare func(r *repo)
		args    []string
		want    string
	}{
		{name: "head_is_not_the_tag", args: []string{"1.0.0", image},
			prepare: func(r *repo) { r.release("v1.0.0"); r.release("v1.0.1") }, want: "HEAD is not v1.0.0"},
		{name: "no_such_tag", args: []string{"1.0.0", image}, want: "no tag v1.0.0"},
		{name: "image_with_a_tag", args: []string{"1.0.0", image + ":latest"},
			prepare: func(r *repo) { r.release("v1.0.0") }, want: "image must be a lowercase registry/name without a tag"},
		{name: "uppercase_owner", args: []string{"1.0.0", "ghcr.io/DeployWatch/deploywatch"},
			prepare: func(r *repo) { r.release("v1.0.0") }, want: "image must be a lowercase"},
		{name: "action_already_prebuilt", args: []string{"1.0.0", image},
			prepare: func(r *repo) {
				r.write("action.yml", "name: x\ndescription: x\nruns:\n  using: docker\n  image: docker://other/image:1\n")
				r.git("commit", "-q", "-am", "prebuilt")
				r.release("v1.0.0")
			}, want: "no single 'image: Dockerfile' line"},
		{name: "uncommitted_changes", args: []string{"1.0.0", image},
			prepare: func(r *repo) { r.release("v1.0.0"); r.write("action.yml", "edited\n") }, want: "uncommitted changes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRepo(t)
			if tt.prepare != nil {
				tt.prepare(r)
			}
			head := r.git("rev-parse", "HEAD")
			out, err := r.script(append([]string{"commit"}, tt.args...)...)
			if err == nil || !strings.Contains(out, tt.want) {
				t.Errorf("err %v, want a refusal saying %q:\n%s", err, tt.want, out)
			}
			if r.git("rev-parse", "HEAD") != head {
				t.Error("a refused release committed")
			}
		})
	}
}
