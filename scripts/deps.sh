#!/bin/sh
# Installs the Debian packages cxhook needs to build, run and test, and
# nothing else. Only what is missing is installed, so a second run is a no-op.
#   scripts/deps.sh            build + run + test packages
#   scripts/deps.sh build      just what `make` needs
#   scripts/deps.sh bench      what `make bench` runs besides
set -eu

build_pkgs="gcc make pkg-config dpkg-dev patch libjson-c-dev libpq-dev libicu-dev
	libcurl4-openssl-dev libinih-dev libsystemd-dev libcmocka-dev liblinear-dev scdoc"
run_pkgs="postgresql-15 postgresql-client-15 lighttpd libfcgi-bin curl liblinear4"
# TLS in the tests: apache2 ships mod_ssl and nginx-light its ssl module,
# lighttpd's is a package of its own; python3-cryptography makes the test
# keys, certificates and ID tokens.  The package and container tests build
# a clean Debian 12 with debootstrap, a .deb with debhelper (dpkg-buildpackage
# also wants build-essential, which a minimal Debian lacks; checked by
# lintian) and an image with podman (run by runc); docker-compose checks
# deploy/compose.yaml offline (it runs nothing).
test_pkgs="apache2 nginx-light wrk valgrind python3-pytest systemd clang libfcgi-dev pgbouncer
	libclang-rt-14-dev lighttpd-mod-openssl python3-cryptography prometheus
	debootstrap build-essential debhelper fakeroot lintian podman runc containernetworking-plugins uidmap
	docker-compose"

bench_pkgs="wrk lighttpd nginx-light libfcgi-dev postgresql-15 postgresql-client-15
	python3-fastapi uvicorn python3-uvloop python3-httptools python3-psycopg
	python3-jwt python3-cryptography"

case "${1:-all}" in
build) want=$build_pkgs ;;
run) want="$build_pkgs $run_pkgs" ;;
bench) want="$build_pkgs $bench_pkgs" ;;
*) want="$build_pkgs $run_pkgs $test_pkgs" ;;
esac

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	if ! command -v sudo >/dev/null 2>&1; then
		# Root runs this same script, so that the services the
		# packages bring stay stopped and disabled (below).
		case $0 in
		*/*) self=$(cd "${0%/*}" && pwd)/${0##*/} ;;
		*) self=$(pwd)/$0 ;;
		esac
		echo "cxhook: these Debian packages are missing:$missing" >&2
		echo "cxhook: installing them needs root, and there is no sudo; run" >&2
		echo "    su -c 'sh $self ${1:-all}'" >&2
		echo "then this command again." >&2
		exit 1
	fi
	sudo="sudo"
fi
echo "cxhook: installing missing Debian packages:$missing" >&2
# Web servers and PostgreSQL must not be started by their package scripts:
# cxhook starts its own private instances on loopback, and Apache and
# nginx would both reach for port 80.  policy-rc.d saying 101 ("action
# forbidden") is Debian's way to ask that; one is put in place for the
# install when the machine has none.
export DEBIAN_FRONTEND=noninteractive
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	trap '$sudo rm -f "$policy"' EXIT
	printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
	$sudo chmod 0755 "$policy"
fi
$sudo apt-get update -qq >/dev/null
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null

# ... nor be started at the next boot: every service the packages just
# installed is disabled (the tests and `make run` start their own).
for unit in apache2 nginx lighttpd postgresql pgbouncer prometheus; do
	case " $missing " in
	*" $unit"*) ;;
	*) continue ;;
	esac
	$sudo systemctl --quiet disable "$unit" 2>/dev/null || true
done
