#!/usr/bin/env bash
# test-image.sh builds the action's image without a Docker engine and runs it the way the
# GitHub runner runs a Docker action, against a service on loopback. `make test-image`
# installs what it needs first; run through make.
#
#  1. The binary, with the Dockerfile's own build command (read from its build stage:
#     CGO_ENABLED=0, -trimpath, the ldflags), for linux/amd64 and linux/arm64 as the
#     release builds it.
#  2. The image, from the Dockerfile's final stage, with crane and a loopback registry: a
#     stand-in for its busybox base (Debian's static busybox: busybox:* cannot be pulled
#     offline), then one layer for its COPY lines, then its ENV and ENTRYPOINT. Any other
#     instruction in that stage fails the test, so the emulation cannot drift from it.
#  3. podman pulls it from the registry, as the runner pulls a docker:// image, and runs it
#     with the runner's options (actions/runner, ContainerActionHandler.cs and
#     DockerCommandManager.cs): --workdir /github/workspace --rm, every variable passed as
#     -e NAME, the four /github mounts, INPUT_* for every input of action.yml at its default
#     unless the step sets it, GITHUB_OUTPUT/GITHUB_STEP_SUMMARY under /github/file_commands.
#     Two differences: --network host instead of the job's bridge network (the service
#     is on loopback), and no /var/run/docker.sock mount (no engine here).
#  4. A healthy service must give exit 0 and status=healthy; a failing one exit 1 and
#     status=failed; GitHub refusing the token (403) must not change either. No secret may
#     reach the log, the outputs, the summary or the report.
#  5. As GitLab runs it: entrypoint "", a shell script, deploywatch on PATH.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/scripts/image
CRANE=${CRANE:-$ROOT/bin/tools/crane}
VERSION=${VERSION:-$(git -C "$ROOT" describe --tags --always --dirty 2>/dev/null || echo dev)}
# What the runner would hand the container; none of them may be printed.
GITHUB_TOKEN_VALUE=ghs_testimage0123456789abcdefghijklmnopq
RUNTIME_TOKEN_VALUE=runtime-token-test-image-5e1f
PROBE_SECRET=probe-secret-test-image-9c2d

fail() {
	echo "test-image: FAIL: $*" >&2
	exit 1
}
step() { printf '\n== %s\n' "$*"; }

for tool in "$CRANE" podman python3 busybox tar; do
	command -v "$tool" >/dev/null || fail "$tool is missing; run \`make test-image\`, which installs it"
done

W=$(mktemp -d "${TMPDIR:-/tmp}/deploywatch-test-image.XXXXXX")
PIDS=()
# Podman keeps its storage and configuration under $W: the machine's own is untouched.
export CONTAINERS_CONF=$W/containers.conf CONTAINERS_STORAGE_CONF=$W/storage.conf
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	podman rm -a -f >/dev/null 2>&1 || true
	podman rmi -a -f >/dev/null 2>&1 || true
	rm -rf "$W"
}
trap cleanup EXIT

# Podman 4.3 in this kind of VM: crun cannot set rlimits and cgroups are hybrid, so runc
# with cgroupfs and explicit ulimits (see shared/reference/offline-tooling.md, section 7).
cat >"$CONTAINERS_CONF" <<EOF
[containers]
default_ulimits = ["nofile=1024:20000", "nproc=1024:1024"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
cat >"$CONTAINERS_STORAGE_CONF" <<EOF
[storage]
driver = "overlay"
graphroot = "$W/podman/root"
runroot = "$W/podman/run"
EOF

# ---------------------------------------------------------------------------------------
step "1. binaries with the Dockerfile's build command ($VERSION)"
# Instructions with their continuation lines joined, comments dropped.
mapfile -t INSTR < <(sed -e 's/\r$//' "$ROOT/Dockerfile" | awk '
	/^[[:space:]]*#/ && cont == "" { next }
	{ line = cont $0 }
	/\\$/ { sub(/\\$/, "", line); cont = line " "; next }
	{ cont = ""; if (line ~ /[^[:space:]]/) print line }')
last_from=-1
build_cmd=""
for i in "${!INSTR[@]}"; do
	case ${INSTR[$i]} in
	FROM\ * | from\ *) last_from=$i ;;
	RUN\ *go\ build*) build_cmd=${INSTR[$i]#RUN } ;;
	esac
done
[[ -n $build_cmd ]] || fail "no RUN ... go build in the Dockerfile"
[[ $build_cmd == *"-o /out/"* ]] || fail "the Dockerfile's go build does not write to /out/: $build_cmd"
for arch in amd64 arm64; do
	mkdir -p "$W/out-$arch"
	# The build stage's WORKDIR /src holds go.mod, cmd and internal: the repository root.
	# The build arguments BuildKit gives the stage; GOOS and GOARCH only if the RUN sets them.
	(cd "$ROOT" && env -u GOOS -u GOARCH VERSION="$VERSION" TARGETOS=linux TARGETARCH=$arch \
		sh -c "${build_cmd//\/out\//$W/out-$arch/}") ||
		fail "go build for linux/$arch"
done
# static FILE: no program interpreter named near the start of the ELF. The image has no
# libc for a dynamic loader to load.
static() { ! LC_ALL=C grep -q 'ld-linux' <(head -c 4096 "$1"); }
static "$W/out-amd64/deploywatch" || fail "the amd64 binary is dynamically linked"
[[ $(od -An -tx1 -j18 -N2 "$W/out-arm64/deploywatch" | tr -d ' ') == b700 ]] ||
	fail "the arm64 build is not an aarch64 ELF"
ls -l "$W"/out-*/deploywatch

# ---------------------------------------------------------------------------------------
step "2. image from the Dockerfile's final stage (crane, loopback registry)"
from=${INSTR[$last_from]}
base_ref=${from#* }
[[ $base_ref == busybox:* ]] ||
	fail "final stage is FROM $base_ref; this test only knows how to stand in for busybox:*"
# The stand-in base: busybox's layout (every applet a link in /bin) with Debian's static
# busybox, root's passwd entry and a sticky /tmp.
base=$W/base
mkdir -p "$base/bin" "$base/etc" "$base/root" "$base/tmp" "$base/var" "$base/usr/bin" "$base/usr/sbin"
chmod 1777 "$base/tmp"
chmod 700 "$base/root"
cp "$(readlink -f "$(command -v busybox)")" "$base/bin/busybox"
static "$base/bin/busybox" || fail "$(command -v busybox) is dynamically linked: install Debian's busybox-static"
for applet in $("$base/bin/busybox" --list); do
	[[ $applet == busybox ]] || ln -s busybox "$base/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$base/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$base/etc/group"

app=$W/app
entrypoint=""
envs=()
for ((i = last_from + 1; i < ${#INSTR[@]}; i++)); do
	read -r op rest <<<"${INSTR[$i]}"
	case ${op^^} in
	COPY)
		read -r from_flag src dst extra <<<"$rest"
		[[ $from_flag == --from=build && -n $dst && -z ${extra:-} ]] || fail "unsupported COPY: ${INSTR[$i]}"
		case $src in
		/out/*) host=$W/out-amd64/${src#/out/} ;;
		# Alpine's ca-certificates and Debian's are the same Mozilla bundle.
		/etc/ssl/certs/ca-certificates.crt) host=/etc/ssl/certs/ca-certificates.crt ;;
		*) fail "no host counterpart for the build stage's $src" ;;
		esac
		[[ -f $host ]] || fail "$host is missing (for COPY $src)"
		mkdir -p "$app$(dirname "$dst")"
		cp "$host" "$app$dst"
		;;
	ENV)
		[[ $rest == *=* && $rest != *" "* ]] || fail "unsupported ENV (one KEY=value): ${INSTR[$i]}"
		envs+=(--env "$rest")
		;;
	ENTRYPOINT)
		entrypoint=$(python3 -c 'import json,sys; e=json.loads(sys.argv[1]); assert isinstance(e,list) and len(e)==1; print(e[0])' "$rest") ||
			fail "ENTRYPOINT must be the exec form of one path: $rest"
		;;
	*) fail "the final stage has $op, which this test does not emulate: ${INSTR[$i]}" ;;
	esac
done
[[ -n $entrypoint && -x $app$entrypoint ]] || fail "ENTRYPOINT $entrypoint is not a file the stage copies"

layer() { tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$2" -C "$1" .; }
layer "$base" "$W/base.tar"
layer "$app" "$W/app.tar"

"$CRANE" registry serve --address 127.0.0.1:0 >"$W/registry.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do
	port=$(sed -n 's/.*serving on port \([0-9]*\).*/\1/p' "$W/registry.log")
	[[ -n $port ]] && break
	sleep 0.1
done
[[ -n $port ]] || fail "crane registry did not start: $(cat "$W/registry.log")"
REG=127.0.0.1:$port
BASE=$REG/busybox-standin:latest
IMAGE=$REG/deploywatch:$VERSION
"$CRANE" append --oci-empty-base -f "$W/base.tar" -t "$BASE" >/dev/null
"$CRANE" mutate "$BASE" --set-platform linux/amd64 \
	--env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin -t "$BASE" >/dev/null
"$CRANE" append -b "$BASE" -f "$W/app.tar" -t "$IMAGE" >/dev/null
# ENTRYPOINT in a Dockerfile clears the CMD inherited from the base; the stand-in has none.
"$CRANE" mutate "$IMAGE" --entrypoint "$entrypoint" "${envs[@]}" -t "$IMAGE" >/dev/null
"$CRANE" config "$IMAGE" >"$W/config.json"
python3 - "$W/config.json" "$entrypoint" <<'EOF' || fail "image config"
import json, sys
c = json.load(open(sys.argv[1]))
cfg = c["config"]
env = dict(e.split("=", 1) for e in cfg["Env"])
problems = []
if (c["os"], c["architecture"]) != ("linux", "amd64"):
    problems.append(f"platform {c['os']}/{c['architecture']}")
if cfg.get("Entrypoint") != [sys.argv[2]] or cfg.get("Cmd"):
    problems.append(f"entrypoint {cfg.get('Entrypoint')} cmd {cfg.get('Cmd')}")
if cfg.get("User") or cfg.get("WorkingDir"):
    problems.append("USER or WORKDIR set: the runner needs root and mounts its own workdir")
if env.get("SSL_CERT_FILE") != "/etc/ssl/certs/ca-certificates.crt" or "/usr/local/bin" not in env.get("PATH", ""):
    problems.append(f"env {env}")
if problems:
    sys.exit("image config: " + "; ".join(problems))
print(f"config ok: entrypoint {cfg['Entrypoint']}, env {sorted(env)}, {len(c['rootfs']['diff_ids'])} layers")
EOF

podman pull -q --tls-verify=false "$IMAGE" >/dev/null
podman image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep deploywatch

# ---------------------------------------------------------------------------------------
# run_step NAME MODE WANT_CODE WANT_STATUS: one step of a job, as the runner runs it.
run_step() {
	local name=$1 mode=$2 want_code=$3 want_status=$4
	step "$name: service $mode, want exit $want_code and status=$want_status"
	local d=$W/$name temp=$W/$name/_temp
	local home=$temp/_github_home wf=$temp/_github_workflow fc=$temp/_runner_file_commands ws=$d/workspace
	mkdir -p "$home" "$wf" "$fc" "$ws"
	: >"$d/headers"
	python3 "$HERE/service.py" "$d/port" "$mode" "$sha" "$d/headers" &
	PIDS+=($!)
	for _ in $(seq 100); do [[ -s $d/port ]] && break; sleep 0.1; done
	[[ -s $d/port ]] || fail "$name: the service did not start"
	local url
	url=http://127.0.0.1:$(<"$d/port")
	cp "$ROOT/testdata/github/events/push.json" "$wf/event.json"
	local id
	id=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
	for f in set_output set_env add_path save_state step_summary; do : >"$fc/${f}_$id"; done

	# Inputs: every default of action.yml, then the step's with:.
	local -A env=()
	local kv
	while IFS= read -r -d '' kv; do env[${kv%%=*}]=${kv#*=}; done <"$W/defaults"
	env[INPUT_HEALTH_URL]=$url/health/ready
	env[INPUT_LIVE_URL]=$url/health/live
	env[INPUT_INFO_URL]=$url/health/info
	env[INPUT_SMOKE_TESTS]="GET $url/api/v1/status .status == \"ok\""
	env[INPUT_HTTP_HEADERS]="Authorization: Bearer $PROBE_SECRET"
	env[INPUT_SCHEDULE]=1s,2s
	env[INPUT_INTERVAL]=500ms
	env[INPUT_COOLDOWN]=0s
	# What the runner sets, container paths already translated.
	env[HOME]=/github/home
	env[GITHUB_WORKSPACE]=/github/workspace
	env[GITHUB_EVENT_PATH]=/github/workflow/event.json
	env[GITHUB_OUTPUT]=/github/file_commands/set_output_$id
	env[GITHUB_ENV]=/github/file_commands/set_env_$id
	env[GITHUB_PATH]=/github/file_commands/add_path_$id
	env[GITHUB_STATE]=/github/file_commands/save_state_$id
	env[GITHUB_STEP_SUMMARY]=/github/file_commands/step_summary_$id
	env[GITHUB_EVENT_NAME]=push
	env[GITHUB_SHA]=$sha
	env[GITHUB_REF]=refs/heads/main
	env[GITHUB_REF_NAME]=main
	env[GITHUB_REF_TYPE]=branch
	env[GITHUB_REPOSITORY]=octo-org/shop-api
	env[GITHUB_REPOSITORY_OWNER]=octo-org
	env[GITHUB_RUN_ID]=9001
	env[GITHUB_RUN_NUMBER]=7
	env[GITHUB_RUN_ATTEMPT]=1
	env[GITHUB_ACTOR]=octocat
	env[GITHUB_WORKFLOW]=deploy
	env[GITHUB_JOB]=deploy
	env[GITHUB_ACTION]=watch
	env[GITHUB_SERVER_URL]=https://github.com
	# GitHub's API here refuses the token, as for a pull request from a fork.
	env[GITHUB_API_URL]=$url/github-api
	env[GITHUB_GRAPHQL_URL]=$url/github-api/graphql
	env[RUNNER_OS]=Linux
	env[RUNNER_ARCH]=X64
	env[RUNNER_NAME]="GitHub Actions 2"
	env[RUNNER_TEMP]=/home/runner/work/_temp
	env[ACTIONS_RUNTIME_URL]=$url/runtime/
	env[ACTIONS_RUNTIME_TOKEN]=$RUNTIME_TOKEN_VALUE

	# As DockerCommandManager.DockerRun: values through the environment, names on the
	# command line, then the watermark and CI.
	local args=(run --name "deploywatch_$id" --label deploywatch-test-image --workdir /github/workspace --rm)
	local passed=(PATH="$PATH" CONTAINERS_CONF="$CONTAINERS_CONF" CONTAINERS_STORAGE_CONF="$CONTAINERS_STORAGE_CONF")
	local k
	for k in "${!env[@]}"; do
		args+=(-e "$k")
		passed+=("$k=${env[$k]}")
	done
	args+=(-e GITHUB_ACTIONS=true -e CI=true --network host
		-v "$home:/github/home" -v "$wf:/github/workflow" -v "$fc:/github/file_commands" -v "$ws:/github/workspace"
		"$IMAGE")
	local code=0 start=$SECONDS
	env -i "${passed[@]}" timeout 120 podman "${args[@]}" >"$d/log" 2>&1 || code=$?
	echo "exit $code after $((SECONDS - start)) s; log:"
	grep -v '^::add-mask::' "$d/log" | grep -E '^(::|──|report|reporting|monitoring)' | cut -c1-200 || true
	[[ $code == "$want_code" ]] || { cat "$d/log"; fail "$name: exit $code, want $want_code"; }

	# Outputs from the GITHUB_OUTPUT file (name=value or name<<DELIMITER ... DELIMITER).
	local -A out=()
	local line oname delim value
	while IFS= read -r line; do
		if [[ $line =~ ^([A-Za-z0-9_]+)\<\<(.+)$ ]]; then
			oname=${BASH_REMATCH[1]} delim=${BASH_REMATCH[2]} value=""
			while IFS= read -r line && [[ $line != "$delim" ]]; do value+=${value:+$'\n'}$line; done
			out[$oname]=$value
		elif [[ $line =~ ^([A-Za-z0-9_]+)=(.*)$ ]]; then
			out[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
		fi
	done <"$fc/set_output_$id"
	local want_hc=false
	[[ $want_status == failed ]] && want_hc=true
	[[ ${out[status]:-} == "$want_status" ]] || fail "$name: output status=${out[status]:-<unset>}, want $want_status"
	[[ ${out[health_check_failed]:-} == "$want_hc" ]] || fail "$name: health_check_failed=${out[health_check_failed]:-<unset>}, want $want_hc"
	[[ ${out[version_mismatch]:-} == false && ${out[smoke_tests_failed]:-} == false ]] ||
		fail "$name: version_mismatch=${out[version_mismatch]:-} smoke_tests_failed=${out[smoke_tests_failed]:-}, want false (the service reports GITHUB_SHA)"
	# The report is written relative to the working directory: it must land in the
	# workspace mount, where later steps find it.
	[[ ${out[report_path]:-} == deploywatch-report.json && -s $ws/deploywatch-report.json ]] ||
		fail "$name: report_path=${out[report_path]:-} and no report in the workspace"
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r["status"]==sys.argv[2] else "report status %s" % r["status"])' \
		"$ws/deploywatch-report.json" "$want_status" || fail "$name: the report's status"
	grep -qi "$want_status" "$fc/step_summary_$id" || fail "$name: the job summary does not say $want_status"
	# Every GitHub sink refused: one warning for the run, naming what was refused.
	if [[ $(grep -c "^::warning title=deploywatch%3A report not delivered::" "$d/log") != 1 ]] ||
		! grep -q "^::warning title=deploywatch%3A report not delivered::github permissions: GitHub refused" "$d/log"; then
		fail "$name: GitHub's 403 was not reported as one warning"
	fi
	grep -qxF "Bearer $PROBE_SECRET" "$d/headers" || fail "$name: the checks did not send http_headers to the service"
	local f s
	for f in "$d/log" "$fc/set_output_$id" "$fc/step_summary_$id" "$ws/deploywatch-report.json"; do
		for s in "$GITHUB_TOKEN_VALUE" "$RUNTIME_TOKEN_VALUE" "$PROBE_SECRET"; do
			if grep -v '^::add-mask::' "$f" | grep -qF "$s"; then fail "$name: a secret leaks into $(basename "$f")"; fi
		done
	done
	echo "ok: exit $code, status=${out[status]}, health_check_failed=${out[health_check_failed]}, summary=${out[summary]:-}"
}

(cd "$ROOT" && go run ./scripts/image/actioninputs -token "$GITHUB_TOKEN_VALUE" action.yml) >"$W/defaults"
if [[ $(tr -cd '\0' <"$W/defaults" | wc -c) -le 20 ]] || ! grep -qzx "INPUT_GITHUB_TOKEN=$GITHUB_TOKEN_VALUE" "$W/defaults"; then
	fail "action.yml's defaults were not read"
fi
sha=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["after"])' "$ROOT/testdata/github/events/push.json")
run_step healthy healthy 0 healthy
run_step failing failing 1 failed

step "GitLab: entrypoint \"\", a shell script, deploywatch on PATH"
got=$(timeout 60 podman run --rm --network host --entrypoint '' "$IMAGE" sh -c 'command -v deploywatch && deploywatch version')
[[ $got == "/usr/local/bin/deploywatch"$'\n'"deploywatch $VERSION" ]] || fail "GitLab-style run printed: $got"
echo "$got"

printf '\ntest-image: 5 passed, 0 failed\n'
