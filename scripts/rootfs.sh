#!/bin/sh
# A minimal Debian 12 root file system, made once with debootstrap from the
# machine's own Debian mirror and kept as a tarball: the clean system the
# package test installs cxhook into, and the base image the container test
# imports, without any image registry.
#
#   scripts/rootfs.sh [TARBALL]   default build/rootfs/bookworm-minbase.tar
#
# Prints the tarball's path.  Needs root (debootstrap makes device nodes and
# chowns files).  Two runs at once wait for each other; a run with the
# tarball already there does nothing.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
tarball=${1:-$top/build/rootfs/bookworm-minbase.tar}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

mkdir -p "$(dirname "$tarball")"
exec 9>"$tarball.lock"
flock 9
if [ ! -s "$tarball" ]; then
	echo "cxhook: debootstrap --variant=minbase bookworm (about a minute)" >&2
	dir=$(mktemp -d "$tarball.XXXXXX")
	trap 'rm -rf "$dir"' EXIT
	debootstrap --variant=minbase bookworm "$dir" "$mirror" \
	    >"$tarball.log" 2>&1 || { tail -n 20 "$tarball.log" >&2; exit 1; }
	# Nothing of the build machine's apt state goes in: the lists are
	# fetched again by whoever uses the tree.
	rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/archives/*.deb
	# The tree's root is /: mktemp made it 0700, which would lock every
	# user but root out of the whole system.
	chmod 0755 "$dir"
	tar -C "$dir" --numeric-owner -cf "$tarball.tmp" .
	mv "$tarball.tmp" "$tarball"
fi
echo "$tarball"
