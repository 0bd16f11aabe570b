#!/bin/sh
# The Debian package on a clean Debian 12, as an operator meets it: in a
# chroot made from scripts/rootfs.sh's minimal tree, cxhook_V.deb is
# installed with apt-get, checked, its conffile edited, upgraded to the same
# tree built as version V+test1, removed and purged, with the files checked
# at every step.
#
#   tests/package/test-package.sh build/deb/cxhook_V_ARCH.deb
#
# Needs root (chroot, mount: through sudo otherwise) and the Debian mirror
# (apt-get in the chroot).
# Nothing starts in the chroot: policy-rc.d says 101, and no systemd runs
# there.  The mount, the chroot and the second build go on any exit.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -eq 1 ] || { echo "usage: $0 cxhook_V_ARCH.deb" >&2; exit 64; }
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 ||
	    { echo "test-package: needs root (chroot, mount), and there is no sudo" >&2; exit 1; }
	exec sudo "$0" "$@"
fi
deb=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
t0=$(date +%s)
v1=$(dpkg-deb -f "$deb" Version)
v2="$v1+test1"
checks=0

tarball=$("$top/scripts/rootfs.sh")
mkdir -p "$top/build"
tmp=$(mktemp -d "$top/build/package-test.XXXXXX")
root="$tmp/root"

build2=""
cleanup() {
	rc=$?
	if [ -n "$build2" ]; then
		# The whole group, and until its last compiler has gone.
		kill -TERM -- "-$build2" 2>/dev/null || :
		n=0
		while ps -eo pgid=,stat= | awk -v g="$build2" \
		    '$1 == g && $2 !~ /^Z/ { n++ } END { exit !n }' && [ $n -lt 50 ]; do
			sleep 0.2
			n=$((n + 1))
		done
		kill -KILL -- "-$build2" 2>/dev/null || :
		wait "$build2" 2>/dev/null || :
	fi
	if mountpoint -q "$root/proc" 2>/dev/null; then
		umount "$root/proc" || umount -l "$root/proc"
	fi
	# Never across a mount point, should one still be there.
	rm -rf --one-file-system "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

fail() {
	echo "test-package: FAIL: $*" >&2
	exit 1
}

ok() {
	checks=$((checks + 1))
}

# in_root CMD...: runs CMD in the chroot, in /root, with apt and dpkg never
# asking (a conffile question would fail the step: stdin is empty).
in_root() {
	chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	    HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
	    sh -c 'cd /root && "$@"' sh "$@" </dev/null
}

# apt_get ARGS...: apt-get in the chroot; its output is shown on failure.
apt_get() {
	if ! in_root apt-get -q -y "$@" >"$tmp/apt.log" 2>&1; then
		cat "$tmp/apt.log" >&2
		fail "apt-get $*"
	fi
}

# The upgrade's package: the same tree, built as version V+test1 (VERSION
# and debian/changelog changed in the build's export only).  It builds in
# the background while the chroot is made and the first package installed.
# setsid makes it a process group of its own, which cleanup can end whole.
echo "test-package: building cxhook $v2 beside the chroot" >&2
DEB_BUILD_OPTIONS=nocheck setsid "$top/scripts/deb.sh" --version "$v2" \
    --no-lintian "$tmp/deb2" >"$tmp/build2.log" 2>&1 &
build2=$!

mkdir "$root"
tar -C "$root" --numeric-owner -xpf "$tarball"
cp /etc/resolv.conf "$root/etc/resolv.conf"
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
mount -t proc proc "$root/proc"
cp "$deb" "$root/root/"
cp "$top/tests/corpus/triage/tiny.csv" "$root/root/"
apt_get update

# --- install ---------------------------------------------------------------
echo "test-package: apt-get install ./${deb##*/}" >&2
apt_get install "./${deb##*/}"

[ "$(in_root dpkg-query -W -f='${Status} ${Version}' cxhook)" = "install ok installed $v1" ] ||
    fail "dpkg does not list cxhook $v1 as installed"
ok
[ "$(in_root cxhook --version)" = "cxhook $v1" ] || fail "cxhook --version is not 'cxhook $v1'"
ok
[ "$(in_root dpkg-query -S /usr/bin/cxhook)" = "cxhook: /usr/bin/cxhook" ] ||
    fail "/usr/bin/cxhook is not the package's"
ok

# The configuration: a conffile, as shipped, with the socket of the units.
conf="$root/etc/cxhook/cxhook.conf"
sum=$(md5sum <"$conf" | cut -d' ' -f1)
in_root dpkg-query -W -f='${Conffiles}\n' cxhook | grep -qx " /etc/cxhook/cxhook.conf $sum" ||
    fail "/etc/cxhook/cxhook.conf is not a conffile of cxhook as shipped"
ok
grep -qx 'listen = systemd' "$conf" || fail "cxhook.conf does not say listen = systemd"
ok
sed 's|^listen = systemd$|listen = unix:/run/cxhook/cxhook.sock|' "$conf" |
    cmp -s - "$root/usr/share/cxhook/conf/cxhook.conf.example" ||
    fail "cxhook.conf differs from the example by more than its listen line"
ok

# check-config: exit 0 on the shipped file, 78 naming file, line and key on
# a bad one (cxhook(8)).
in_root cxhook check-config -c /etc/cxhook/cxhook.conf >"$tmp/out" 2>&1 ||
    { cat "$tmp/out" >&2; fail "check-config refuses the shipped cxhook.conf"; }
ok
line=$(grep -n '^workers = ' "$conf" | cut -d: -f1)
sed 's/^workers = .*/workers = many/' "$conf" >"$root/root/bad.conf"
rc=0
in_root cxhook check-config -c /root/bad.conf >"$tmp/out" 2>&1 || rc=$?
[ "$rc" -eq 78 ] || fail "check-config on a bad file: exit $rc, not 78"
ok
grep -q "/root/bad.conf:$line: \[pool\] workers" "$tmp/out" ||
    fail "check-config does not name the file, line $line and key: $(cat "$tmp/out")"
ok

# The units: in Debian 12's place, pointed at /usr/bin/cxhook, installed
# but neither enabled nor started (README.Debian).
unit="$root/lib/systemd/system/cxhook.service"
[ -f "$unit" ] && [ -f "$root/lib/systemd/system/cxhook.socket" ] || fail "units missing"
ok
[ "$(grep '^Exec' "$unit")" = "ExecStart=/usr/bin/cxhook serve -c /etc/cxhook/cxhook.conf
ExecReload=/bin/kill -HUP \$MAINPID" ] || fail "cxhook.service's Exec lines: $(grep '^Exec' "$unit")"
ok
grep -qx 'DynamicUser=yes' "$unit" || fail "cxhook.service lacks DynamicUser=yes"
ok
! grep -q /usr/local "$unit" "$root/lib/systemd/system/cxhook.socket" || fail "/usr/local in a unit"
ok
grep -qx 'ListenStream=/run/cxhook/cxhook.sock' "$root/lib/systemd/system/cxhook.socket" ||
    fail "cxhook.socket does not listen on /run/cxhook/cxhook.sock"
ok
for u in cxhook.socket cxhook.service; do
	[ -f "$root/var/lib/systemd/deb-systemd-helper-enabled/$u.dsh-also" ] ||
	    fail "the package's scripts did not hand $u to deb-systemd-helper"
	ok
done
[ -z "$(find "$root/etc/systemd/system" -name 'cxhook.*')" ] ||
    fail "a cxhook unit is enabled: $(find "$root/etc/systemd/system" -name 'cxhook.*')"
ok

# The manual pages, the SQL, the snippets, the copyright.
for m in man8/cxhook.8 man5/cxhook.conf.5; do
	name=${m#*/}
	zcat "$root/usr/share/man/$m.gz" | grep -q "^\.TH \"${name%.*}\" \"${name##*.}\"" ||
	    fail "manual page $m missing or not $name"
	ok
done
for f in "$top"/sql/migrations/*.sql "$top"/sql/demo/*.sql \
    "$top"/conf/*-cxhook.conf "$top"/conf/*-cxhook-cluster.conf; do
	case $f in
	*/sql/*) dest=sql ;;
	*) dest=conf ;;
	esac
	cmp -s "$f" "$root/usr/share/cxhook/$dest/${f##*/}" ||
	    fail "/usr/share/cxhook/$dest/${f##*/} is not ${f#"$top"/}"
	ok
done
head -n 1 "$root/usr/share/doc/cxhook/copyright" |
    grep -qx 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' ||
    fail "/usr/share/doc/cxhook/copyright is not DEP-5"
ok

# The libraries loaded with dlopen, which dpkg-shlibdeps cannot see: ICU
# (a Depends) and liblinear (a Recommends, installed by default) are
# there when training and classifying need them.
in_root cxhook train --data tiny.csv --folds 3 --model tiny.model >"$tmp/out" 2>&1 ||
    { cat "$tmp/out" >&2; fail "cxhook train in the installed system"; }
ok
in_root cxhook classify --model tiny.model "wake me up at seven" >"$tmp/out" 2>&1 ||
    { cat "$tmp/out" >&2; fail "cxhook classify in the installed system"; }
grep -q '"category":"alarm"' "$tmp/out" || fail "classify: $(cat "$tmp/out")"
ok

# No maintainer script touches PostgreSQL.
for s in "$root"/var/lib/dpkg/info/cxhook.*; do
	! grep -qiE 'psql|postgres|dropdb|createdb' "$s" || fail "${s##*/} mentions PostgreSQL"
done
ok

# --- edit, upgrade ---------------------------------------------------------
sed -i 's/^workers = .*/workers = 3/' "$conf"
echo '; edited by the operator' >>"$conf"
in_root cxhook check-config -c /etc/cxhook/cxhook.conf >/dev/null 2>&1 ||
    fail "check-config refuses the edited cxhook.conf"
ok
edited=$(md5sum <"$conf")

if ! wait "$build2"; then
	build2=""
	tail -n 40 "$tmp/build2.log" >&2
	fail "building cxhook $v2"
fi
build2=""
deb2=$(ls "$tmp"/deb2/cxhook_"$v2"_*.deb)
cp "$deb2" "$root/root/"
echo "test-package: apt-get install ./${deb2##*/} (upgrade)" >&2
apt_get install "./${deb2##*/}"

[ "$(in_root dpkg-query -W -f='${Status} ${Version}' cxhook)" = "install ok installed $v2" ] ||
    fail "dpkg does not list cxhook $v2 after the upgrade"
ok
[ "$(in_root cxhook --version)" = "cxhook $v2" ] || fail "cxhook --version after the upgrade"
ok
[ "$(md5sum <"$conf")" = "$edited" ] || fail "the upgrade changed the edited cxhook.conf"
ok
[ -z "$(find "$root/etc/cxhook" -name '*.dpkg-*')" ] ||
    fail "the upgrade left $(find "$root/etc/cxhook" -name '*.dpkg-*')"
ok

# --- remove: the configuration stays ---------------------------------------
apt_get remove cxhook
[ "$(in_root dpkg-query -W -f='${Status}' cxhook)" = "deinstall ok config-files" ] ||
    fail "after remove, cxhook is not in state config-files"
ok
[ ! -e "$root/usr/bin/cxhook" ] && [ ! -e "$unit" ] && [ ! -e "$root/usr/share/cxhook" ] ||
    fail "remove left the program, the units or /usr/share/cxhook"
ok
[ "$(md5sum <"$conf")" = "$edited" ] || fail "remove did not keep the edited cxhook.conf"
ok

# --- purge: nothing of the package is left ---------------------------------
apt_get purge cxhook
[ -z "$(in_root dpkg-query -W -f='${Status}' cxhook 2>/dev/null)" ] ||
    fail "after purge dpkg still knows cxhook"
ok
[ ! -e "$root/etc/cxhook" ] || fail "purge left /etc/cxhook: $(ls -A "$root/etc/cxhook")"
ok
# Every path named after cxhook is gone (the test's own files in /root and
# /tmp aside), the units' state with deb-systemd-helper included.
left=$(find "$root" -xdev -path "$root/root" -prune -o -path "$root/tmp" -prune -o \
    -name '*cxhook*' -print)
[ -z "$left" ] || fail "purge left: $left"
ok

echo "test-package: $checks checks passed in $(($(date +%s) - t0)) s:" \
    "install $v1, upgrade to $v2, remove, purge, in a clean Debian 12 chroot"
