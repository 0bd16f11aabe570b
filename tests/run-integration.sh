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

# Debian's python3 (with python3-pytest), not whatever python is first on PATH.
# shellcheck disable=SC2086
PYTHONDONTWRITEBYTECODE=1 exec /usr/bin/python3 -m pytest -q -p no:cacheprovider \
	$where "$@"
