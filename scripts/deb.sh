#!/bin/sh
# Builds the Debian package of cxhook with dpkg-buildpackage (debian/), from
# a clean export of the tree: the files git knows of, as they are in the
# working tree (changes not yet committed included), never build/ or var/.
# Then lintian checks the result and must find no error.
#
#   scripts/deb.sh [--version V] [--no-lintian] OUTDIR
#
# OUTDIR receives cxhook_V_ARCH.deb, its -dbgsym package, the source
# package (.dsc, .tar.xz) and the .changes and .buildinfo files; the log of
# the build is OUTDIR/build.log.  --version V builds the same tree as
# version V (VERSION and a debian/changelog entry are changed in the
# export only): the package test upgrades to such a build.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
version=""
lint=1
while [ $# -gt 1 ]; do
	case $1 in
	--version) version=$2; shift 2 ;;
	--no-lintian) lint=0; shift ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || { echo "usage: scripts/deb.sh [--version V] [--no-lintian] OUTDIR" >&2; exit 64; }
mkdir -p "$1"
out=$(cd "$1" && pwd)
v=${version:-$(cat "$top/VERSION")}

work=$(mktemp -d "$out/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
src="$work/cxhook-$v"
mkdir "$src"
if git -C "$top" rev-parse --show-toplevel >/dev/null 2>&1; then
	# Deleted files git still lists are left out.
	(cd "$top" && git ls-files -z --cached --others --exclude-standard |
	    xargs -0 sh -c 'for f; do if [ -e "$f" ] || [ -L "$f" ]; then
		printf "%s\0" "$f"; fi; done' sh |
	    tar --null --no-recursion -T - -cf -) | tar -C "$src" -xf -
else
	tar -C "$top" --exclude=./build --exclude=./var -cf - . | tar -C "$src" -xf -
fi

if [ -n "$version" ]; then
	printf '%s\n' "$version" >"$src/VERSION"
	maint=$(sed -n 's/^Maintainer: //p' "$src/debian/control")
	{
		printf 'cxhook (%s) bookworm; urgency=medium\n\n' "$version"
		printf '  * Built as %s by scripts/deb.sh --version.\n\n' "$version"
		printf ' -- %s  %s\n\n' "$maint" "$(date -R)"
		cat "$src/debian/changelog"
	} >"$src/debian/changelog.new"
	mv "$src/debian/changelog.new" "$src/debian/changelog"
fi

# The package's own make runs with the package's flags only: nothing of a
# calling make (its jobserver) or of a sanitizer build may leak in.
unset MAKEFLAGS MAKELEVEL MFLAGS SANITIZE BUILD CFLAGS CPPFLAGS LDFLAGS
echo "cxhook: dpkg-buildpackage cxhook $v (log: $out/build.log)" >&2
if ! (cd "$src" && dpkg-buildpackage -us -uc -jauto) >"$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log" >&2
	exit 1
fi

arch=$(dpkg --print-architecture)
changes="$work/cxhook_${v}_$arch.changes"
if [ "$lint" = 1 ]; then
	# Source and binary packages alike; warnings are shown, errors fail.
	lintian --allow-root --fail-on error --display-level '>=warning' "$changes"
fi
rm -f "$out"/cxhook_* "$out"/cxhook-dbgsym_*
mv "$work"/cxhook_* "$work"/cxhook-dbgsym_* "$out"/
echo "$out/cxhook_${v}_$arch.deb"
