#!/usr/bin/env bash
# publish-from-mirror.sh publishes the GitLab component of a GitHub release from the GitLab
# mirror's tag pipeline (.gitlab-ci.yml, job publish-component):
#   1. waits until the release's image ghcr.io/deploywatch/deploywatch:X.Y.Z can be pulled
#      (GitHub's release workflow builds it from the same tag; the component runs it);
#   2. clones the catalog project and runs scripts/gitlab/publish-component.sh X.Y.Z there
#      with --push and --image, so the component pins the very image waited for; the
#      catalog's tag pipeline then tests and releases the version.
#
#   scripts/gitlab/publish-from-mirror.sh vX.Y.Z
#
# Environment: CATALOG_PROJECT (path of the catalog project on this instance) and
# CATALOG_PUSH_TOKEN (a token that may push to it; never printed: git reads it through a
# credential helper). CATALOG_URL overrides the clone URL, IMAGE the image's name without a
# tag (default ghcr.io/deploywatch/deploywatch; the GitHub release builds
# ghcr.io/<owner>/deploywatch, so a fork sets its own), IMAGE_WAIT (seconds, default 1800)
# how long to wait for it. Run again for a version the catalog has,
# it does nothing.
set -euo pipefail

die() {
	echo "publish-from-mirror: $*" >&2
	exit 1
}
[ $# -eq 1 ] || die "usage: $0 vX.Y.Z"
tag=$1
[[ $tag =~ ^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$ ]] || die "not a release tag: $tag"
version=${tag#v}
repository=${IMAGE:-ghcr.io/deploywatch/deploywatch}
image=$repository:$version
url=${CATALOG_URL:-}
if [ -z "$url" ]; then
	[ -n "${CATALOG_PROJECT:-}" ] || die "set the CI/CD variable CATALOG_PROJECT to the catalog project's path"
	url=https://${CI_SERVER_HOST:?}/${CATALOG_PROJECT}.git
fi
here=$(cd "$(dirname "$0")" && pwd)

# The token reaches git through the environment only: not in the URL, the log or .git/config.
export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=credential.helper
# The quotes are for the helper's shell, which git starts when it needs the password.
# shellcheck disable=SC2016,SC2089
GIT_CONFIG_VALUE_0='!f() { test "$1" = get && echo username=oauth2 && echo "password=${CATALOG_PUSH_TOKEN:?}"; }; f'
# shellcheck disable=SC2090
export GIT_CONFIG_VALUE_0

if git ls-remote --exit-code --tags "$url" "refs/tags/$version" >/dev/null 2>&1; then
	echo "publish-from-mirror: the catalog has $version already"
	exit 0
fi

if ! command -v crane >/dev/null; then
	GOBIN=${GOBIN:-/usr/local/bin} go install github.com/google/go-containerregistry/cmd/crane@v0.22.1
fi
wait=${IMAGE_WAIT:-1800}
start=$SECONDS
until crane manifest "$image" >/dev/null 2>&1; do
	[ $((SECONDS - start)) -lt "$wait" ] || die "$image cannot be pulled after ${wait}s: has the GitHub release pushed it, and is the package public?"
	echo "publish-from-mirror: waiting for $image"
	sleep 30
done
echo "publish-from-mirror: $image is there"

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
git clone -q "$url" "$dir/catalog"
git -C "$dir/catalog" config user.name "${GITLAB_USER_NAME:-deploywatch release}"
git -C "$dir/catalog" config user.email "${GITLAB_USER_EMAIL:-release@deploywatch.invalid}"
bash "$here/publish-component.sh" "$version" "$dir/catalog" --image "$repository" --push
