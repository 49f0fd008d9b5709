#!/usr/bin/env bash
# github-release.sh prepares a GitHub release of the action from a checkout of its version
# tag (.github/workflows/release.yml runs it; it runs as well on a scratch clone).
#
#   scripts/release/github-release.sh plan VERSION
#     Prints, as name=value lines for GITHUB_OUTPUT: version (X.Y.Z), minor (X.Y), major
#     (X), and whether this version is the newest of its minor and of its major line:
#     the floating tags (vX.Y, vX and the image's X.Y, X) move only then, so a patch of an
#     older line never takes them back.
#
#   scripts/release/github-release.sh commit VERSION IMAGE [--push]
#     On top of the tagged commit, a release commit whose action.yml runs the prebuilt
#     IMAGE:VERSION (so users' jobs pull it instead of building the Dockerfile), then the
#     tag vVERSION moved to it and vX.Y / vX moved along when plan says so. Plain tags for
#     the floating ones, never releases: an immutable release's tag can never move. With
#     --push, the tags are pushed to origin (forced, atomically). Run again on a tag that
#     already points to its release commit, it changes nothing and pushes the same tags.
#
# VERSION is X.Y.Z, with or without the v. Pre-releases are not released here.
set -euo pipefail

usage() {
	echo "usage: $0 plan VERSION | commit VERSION IMAGE [--push]" >&2
	exit 2
}
die() {
	echo "github-release: $*" >&2
	exit 1
}

[ $# -ge 2 ] || usage
cmd=$1 version=${2#v}
[[ $version =~ ^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$ ]] ||
	die "version must be X.Y.Z (semantic, no pre-release): $2"
major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[1]}.${BASH_REMATCH[2]}
tag=v$version

# newest PREFIX: whether no released X.Y.Z tag under PREFIX (e.g. "v1." or "v1.4.") is
# above this version.
newest() {
	local top
	top=$(git tag -l "$1*" | grep -E '^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$' |
		{ cat; echo "$tag"; } | sort -V | tail -n 1)
	[ "$top" = "$tag" ] && echo true || echo false
}

plan() {
	echo "version=$version"
	echo "minor=$minor"
	echo "major=$major"
	echo "newest_in_minor=$(newest "v$minor.")"
	echo "newest_in_major=$(newest "v$major.")"
}

commit() {
	local image=$1 push=${2:-}
	[[ $image =~ ^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+$ ]] || die "image must be a lowercase registry/name without a tag: $image"
	[ -z "$push" ] || [ "$push" = --push ] || usage
	local top pinned="  image: docker://$image:$version"
	top=$(git rev-parse --show-toplevel)
	cd "$top"
	local at
	at=$(git rev-parse -q --verify "refs/tags/$tag^{commit}") || die "no tag $tag"
	[ "$(git rev-parse HEAD)" = "$at" ] || die "HEAD is not $tag; check out the tag first"
	[ -z "$(git status --porcelain --untracked-files=no)" ] || die "the checkout has uncommitted changes"

	if grep -qxF "$pinned" action.yml; then
		echo "github-release: $tag already runs $image:$version; nothing to commit"
	else
		[ "$(grep -cx '  image: Dockerfile' action.yml)" = 1 ] ||
			die "action.yml has no single 'image: Dockerfile' line under runs: to pin"
		sed -i "s#^  image: Dockerfile\$#$pinned#" action.yml
		git -c user.name="${GIT_AUTHOR_NAME:-github-actions[bot]}" \
			-c user.email="${GIT_AUTHOR_EMAIL:-41898282+github-actions[bot]@users.noreply.github.com}" \
			commit -q -m "deploywatch $tag: the action runs $image:$version" -- action.yml
		git -c user.name="${GIT_AUTHOR_NAME:-github-actions[bot]}" \
			-c user.email="${GIT_AUTHOR_EMAIL:-41898282+github-actions[bot]@users.noreply.github.com}" \
			tag -f -a "$tag" -m "deploywatch $tag" HEAD >/dev/null
		echo "github-release: $tag now points to $(git rev-parse --short HEAD), which runs $image:$version"
	fi

	local refs=("refs/tags/$tag")
	if [ "$(newest "v$minor.")" = true ]; then
		git tag -f "v$minor" HEAD >/dev/null
		refs+=("refs/tags/v$minor")
	fi
	if [ "$(newest "v$major.")" = true ]; then
		git tag -f "v$major" HEAD >/dev/null
		refs+=("refs/tags/v$major")
	fi
	echo "github-release: tags ${refs[*]#refs/tags/} at $(git rev-parse --short HEAD)"
	if [ -n "$push" ]; then
		git push --atomic --force origin "${refs[@]}"
	fi
}

case $cmd in
plan)
	[ $# -eq 2 ] || usage
	plan
	;;
commit)
	if [ $# -lt 3 ] || [ $# -gt 4 ]; then usage; fi
	commit "$3" "${4:-}"
	;;
*) usage ;;
esac
