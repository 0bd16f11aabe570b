#!/bin/sh
# Builds the libfcgi cxhook links: Debian's own source package of libfcgi
# (the version pinned below, with Debian's patches), plus the patches in
# deps/libfcgi/, compiled into a static library.
#
#   scripts/libfcgi.sh OUTDIR     -> OUTDIR/libfcgi.a and OUTDIR/include/
#
# Why: Debian 12's libfcgi carries only the first half of the fix for
# CVE-2025-23016, so one crafted FCGI_PARAMS record still makes a worker
# abort, and nothing bounds how much a peer can make it allocate
# (deps/libfcgi/README.md).  The source comes through apt, from the
# machine's own Debian mirrors and verified the same way as its binary
# packages; apt's state for it is kept in OUTDIR, so the system's package
# lists are left alone.  A second run with nothing changed does nothing.
# CPPFLAGS and CFLAGS from the environment, when set (the Debian package's
# hardening flags), replace the default -O2 -g.
set -eu

version=2.4.2-2+deb12u1
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: scripts/libfcgi.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)

flags="${CPPFLAGS:-} ${CFLAGS:--O2 -g}"
stamp="$version $flags $(cat "$top"/deps/libfcgi/*.patch "$top"/deps/libfcgi/fcgi_config.h "$0" | cksum)"
if [ -f "$out/libfcgi.a" ] && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then
	touch "$out/libfcgi.a"	# up to date, as make sees it too
	exit 0
fi
echo "cxhook: building libfcgi $version with deps/libfcgi/*.patch" >&2

# deb-src twins of the machine's Debian entries (one-line and deb822
# formats), for this release's suites only.
codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
apt="$out/apt"
rm -rf "$apt"
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/sources.list.d"
cat /etc/apt/sources.list 2>/dev/null |
    awk -v c="$codename" '$1 == "deb" && $0 ~ " " c "([- ]|$)" {
	$1 = "deb-src"; print }' > "$apt/sources.list"
for f in /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] || continue
	awk -v c="$codename" '
	function flush() {
		if (types && suites ~ "(^| )" c "([- ]|$)")
			print stanza "\n"
		stanza = ""; types = 0; suites = ""
	}
	/^[ \t]*$/ { flush(); next }
	/^Types:/ { if ($0 ~ /(^|[ \t])deb([ \t]|$)/) types = 1
		stanza = stanza "Types: deb-src\n"; next }
	/^Suites:/ { suites = $0; sub(/^Suites:[ \t]*/, "", suites) }
	{ stanza = stanza $0 "\n" }
	END { flush() }' "$f" > "$apt/sources.list.d/${f##*/}"
done
aptopts="-o Dir::State::Lists=$apt/lists -o Dir::Cache=$apt/cache
    -o Dir::Etc::SourceList=$apt/sources.list
    -o Dir::Etc::SourceParts=$apt/sources.list.d
    -o APT::Sandbox::User=root -o Debug::NoLocking=1"
# shellcheck disable=SC2086
apt-get $aptopts -qq update
rm -rf "$out/src" "$out"/libfcgi_*
# shellcheck disable=SC2086
(cd "$out" && apt-get $aptopts -qq source --download-only "libfcgi=$version")
# apt has checked every file against the signed index; dpkg-source checks
# them again, and says it cannot check the .dsc's own signature, which
# needs debian-keyring: its words are shown only if it fails.
if ! dpkg-source -q -x "$out/libfcgi_$version.dsc" "$out/src" \
    >"$out/dpkg-source.log" 2>&1; then
	cat "$out/dpkg-source.log" >&2
	exit 1
fi
for p in "$top"/deps/libfcgi/*.patch; do
	patch -s -d "$out/src" -p1 --fuzz=0 < "$p"
done

# Only the FCGX_ API is used: fcgiapp.c and os_unix.c.
rm -rf "$out/include" "$out/obj"
mkdir -p "$out/include" "$out/obj"
cp "$out"/src/include/fastcgi.h "$out"/src/include/fcgiapp.h \
    "$out"/src/include/fcgimisc.h "$out"/src/include/fcgios.h \
    "$top/deps/libfcgi/fcgi_config.h" "$out/include/"
for c in fcgiapp os_unix; do
	# shellcheck disable=SC2086
	${CC:-cc} $flags -fPIC -w -I"$out/include" -c \
	    -o "$out/obj/$c.o" "$out/src/libfcgi/$c.c"
done
rm -f "$out/libfcgi.a"
ar rcs "$out/libfcgi.a" "$out/obj/fcgiapp.o" "$out/obj/os_unix.o"
cp "$out/src/LICENSE.TERMS" "$out/LICENSE.TERMS"
echo "$stamp" > "$out/stamp"
