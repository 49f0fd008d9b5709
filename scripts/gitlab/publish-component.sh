#!/usr/bin/env bash
# Publishes the GitLab CI/CD component to its catalog project. GitLab reads components only
# from a top-level templates/ folder, so gitlab-component/ becomes the root of a separate
# repository on the GitLab instance. This script:
#   1. replaces the content of a checkout of that repository with gitlab-component/,
#   2. pins the image the job runs (and the README's examples) to IMAGE:VERSION,
#   3. commits and tags VERSION (semver without a "v": the catalog ignores other tags),
#   4. with --push, pushes the commit and the tag.
# The tag pipeline (gitlab-component/.gitlab-ci.yml) then tests the component at that
# commit and creates the release with the release: keyword, which publishes the version.
#
#   scripts/gitlab/publish-component.sh VERSION CATALOG_CHECKOUT [--image REPOSITORY] [--push]
#
# REPOSITORY is the image's name without a tag, default ghcr.io/deploywatch/deploywatch; the
# GitHub release workflow builds ghcr.io/<owner>/deploywatch, so a fork passes its own.
# Release the image REPOSITORY:VERSION first: the component runs it.
set -euo pipefail

usage() {
  echo "usage: $0 VERSION CATALOG_CHECKOUT [--image REPOSITORY] [--push]   (VERSION like 1.2.3, no v)" >&2
  exit 2
}
[ $# -ge 2 ] || usage
version=$1 dest=$2 push='' image=ghcr.io/deploywatch/deploywatch
shift 2
while [ $# -gt 0 ]; do
  case $1 in
  --push) push=1 ;;
  --image) [ $# -ge 2 ] || usage; image=$2; shift ;;
  *) usage ;;
  esac
  shift
done
# X.Y.Z with an optional pre-release (semver.org); consumers' ~latest never picks those.
semver='^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$'
if ! [[ $version =~ $semver ]]; then
  echo "publish-component: version must be semantic, without a v (e.g. 1.2.3): $version" >&2
  exit 2
fi
# A registry host (with an optional port) and a lowercase path, no tag or digest: the name
# goes into sed below and into the template.
reference='^[a-z0-9]+([.-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-]+[a-z0-9]+)*)+$'
if ! [[ $image =~ $reference ]]; then
  echo "publish-component: --image must be an image name without a tag, like ghcr.io/owner/deploywatch: $image" >&2
  exit 2
fi

src=$(cd "$(dirname "$0")/../../gitlab-component" && pwd)
here=$(git -C "$src" rev-parse --show-toplevel)
top=$(git -C "$dest" rev-parse --show-toplevel 2>/dev/null) || {
  echo "publish-component: $dest is not a git checkout of the catalog project" >&2
  exit 1
}
# Everything but .git is replaced, so refuse anything that does not look like the catalog.
if [ "$top" = "$here" ]; then
  echo "publish-component: $top is this repository, not the catalog project" >&2
  exit 1
fi
if [ -n "$(find "$top" -mindepth 1 -maxdepth 1 ! -name .git -print -quit)" ] && [ ! -f "$top/templates/deploywatch.yml" ]; then
  echo "publish-component: $top is neither empty nor a previous publication of the component" >&2
  exit 1
fi
if [ -n "$(git -C "$top" status --porcelain)" ]; then
  echo "publish-component: $top has uncommitted changes" >&2
  exit 1
fi
if git -C "$top" rev-parse -q --verify "refs/tags/$version" >/dev/null; then
  echo "publish-component: tag $version already exists in $top" >&2
  exit 1
fi

find "$top" -mindepth 1 -maxdepth 1 ! -name .git -exec rm -rf {} +
cp -R "$src/." "$top/"

# The folder names the project's own image; the release pins the one it was given.
source_image='ghcr\.io/deploywatch/deploywatch'
for f in "$top/templates/deploywatch.yml" "$top/README.md"; do
  sed -E \
    -e "s#$source_image:[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?#$image:$version#g" \
    -e "s#/deploywatch@[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?#/deploywatch@$version#g" \
    "$f" >"$f.tmp"
  mv "$f.tmp" "$f"
done
if ! grep -q "default: \"$image:$version\"" "$top/templates/deploywatch.yml"; then
  echo "publish-component: could not pin the image default in templates/deploywatch.yml" >&2
  exit 1
fi

git -C "$top" add -A
git -C "$top" commit -q -m "deploywatch $version"
git -C "$top" tag -a "$version" -m "deploywatch $version"
echo "publish-component: committed and tagged $version in $top"
if [ -n "$push" ]; then
  git -C "$top" push origin HEAD "refs/tags/$version"
else
  echo "publish-component: push with: git -C $top push origin HEAD refs/tags/$version"
fi
