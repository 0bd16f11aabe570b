#!/bin/sh
# Runs the integration suite (tests/integration, pytest): a private
# PostgreSQL, the cxhook pool and lighttpd, Apache and nginx in front of it,
# all on loopback in a temporary directory under /tmp.
#
#   CXHOOK=build/cxhook tests/run-integration.sh [PYTEST-ARGS...]
#
# Extra arguments go to pytest (e.g. -k balance, -x, -v, or test files such
# as tests/integration/test_pool.py instead of the whole directory).
# CXHOOK_IT_KEEP=1 keeps the temporary directory (configs and logs).
# Exits with pytest's status.
set -eu

cd "$(dirname "$0")/.."

if [ -z "${CXHOOK:-}" ]; then
	echo "run-integration.sh: set CXHOOK to the cxhook binary (make check-integration does)" >&2
	exit 64
fi
case $CXHOOK in
/*) ;;
*) CXHOOK=$(pwd)/$CXHOOK ;;
esac
if [ ! -x "$CXHOOK" ]; then
	echo "run-integration.sh: $CXHOOK is not an executable" >&2
	exit 66
fi
export CXHOOK

# The whole suite unless test files or directories were named.
where=tests/integration
for a in "$@"; do
	case $a in
	-*) ;;
	*) [ -e "${a%%::*}" ] && where="" ;;
	esac
done

# A sanitizer build reports into files here, from every process of every
# pool the tests start; any report fails the run, even when the crash it
# caused was survived (a worker that dies is replaced and the test may pass).
reports=$(mktemp -d /tmp/cxhook-san.XXXXXX)
trap 'rm -rf "$reports"' EXIT
export ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=1"
export UBSAN_OPTIONS="log_path=$reports/ubsan:print_stacktrace=1"
# VALGRIND=1 runs every pool under memcheck, reporting into the same place.
if [ "${VALGRIND:-0}" = 1 ]; then
	export CXHOOK_VALGRIND_LOGS="$reports"
fi

# Debian's python3 (with python3-pytest), not whatever python is first on PATH.
# shellcheck disable=SC2086
status=0
PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 -m pytest -q -p no:cacheprovider \
	$where "$@" || status=$?
# memcheck writes an empty log for a clean process (-q); keep only reports.
find "$reports" -name 'vg.*.log' -size 0 -delete
if [ -n "$(ls -A "$reports")" ]; then
	echo "run-integration.sh: sanitizer or valgrind reports:" >&2
	for f in "$reports"/*; do
		echo "== $f" >&2
		head -n 40 "$f" >&2
	done
	[ "$status" -ne 0 ] || status=1
fi
exit "$status"
