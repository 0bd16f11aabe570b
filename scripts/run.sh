#!/bin/bash
# `make run`: a demo cxhook on this machine, in the foreground.
#
#   - a private PostgreSQL cluster in ./var/pg (scripts/pg.sh), migrated and
#     loaded with sql/demo/demo_data.sql; kept between runs
#   - the pool (build/cxhook serve, 4 workers) on a unix socket in a
#     private directory under /tmp that only lighttpd can reach: FastCGI
#     is for the web server alone, never a TCP port
#   - lighttpd on http://127.0.0.1:8080, with conf/lighttpd-cxhook.conf
#     mounting /webhook, /healthz, /metrics and /status
#
# Ctrl-C stops all three. HTTP_PORT=8080 to change the port.
# RUN_AUTH=FILE appends FILE (an [auth] section, say) to the pool's
# configuration: what a pool reached through a public tunnel needs
# (docs/deploy.md).
# Everything else it writes is under ./var (configs are regenerated every
# run).
set -eu

cd "$(dirname "$0")/.."
# lighttpd is in /usr/sbin, which is not on an ordinary user's PATH.
PATH=$PATH:/usr/sbin:/sbin
. scripts/lib.sh
repo=$(pwd)
bin=$repo/build/cxhook
http_port=${HTTP_PORT:-8080}
var=$repo/var

say() { echo "run.sh: $*" >&2; }
die() {
	say "$*"
	exit 1
}

[ -x "$bin" ] || die "$bin is missing: run make first"
command -v lighttpd >/dev/null || die "lighttpd is not installed (scripts/deps.sh run)"
command -v psql >/dev/null || die "psql is not installed (scripts/deps.sh run)"

mkdir -p "$var/www"

pool_pid=""
lighttpd_pid=""
pgdir=""
rundir=""
cleaned=0
cleanup() {
	[ "$cleaned" -eq 0 ] || return 0
	cleaned=1
	trap - INT TERM
	# shellcheck disable=SC2086
	stop_pids $lighttpd_pid $pool_pid
	if [ -n "$pgdir" ]; then
		scripts/pg.sh stop "$pgdir" || true
	fi
	[ -z "$rundir" ] || rm -rf "$rundir"
	say "stopped"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# PostgreSQL: ./var/pg, or /var/tmp/... when the postgres user (we are root)
# cannot reach ./var (say, a checkout under a 0700 home directory).
pgdir=$var/pg
set +e
scripts/pg.sh start "$pgdir" 2>"$var/pg.err"
rc=$?
set -e
if [ "$rc" -eq 3 ]; then
	hash=$(printf '%s' "$repo" | sha256sum | cut -c1-8)
	pgdir=/var/tmp/cxhook-$(id -u)-$hash
	say "the postgres user cannot reach $var; using $pgdir for the database instead"
	scripts/pg.sh start "$pgdir"
elif [ "$rc" -ne 0 ]; then
	cat "$var/pg.err" >&2
	pgdir=""
	die "PostgreSQL did not start"
fi
rm -f "$var/pg.err"
conninfo=$(scripts/pg.sh conninfo "$pgdir")

# The socket's directory, not the socket, keeps other users out: as root
# only lighttpd's www-data group may enter it (under /tmp, which www-data
# can reach wherever the checkout is).
rundir=$(mktemp -d /tmp/cxhook-run.XXXXXX)
if [ "$(id -u)" -eq 0 ]; then
	chgrp www-data "$rundir"
	chmod 0750 "$rundir"
fi
sock=$rundir/cxhook.sock
write_pool_conf "$var/cxhook.conf" "unix:$sock" 4 "$conninfo"
if [ -n "${RUN_AUTH:-}" ]; then
	[ -r "$RUN_AUTH" ] || die "RUN_AUTH=$RUN_AUTH: not a readable file"
	{ echo; echo "; from RUN_AUTH=$RUN_AUTH"; cat "$RUN_AUTH"; } >>"$var/cxhook.conf"
fi
"$bin" check-config -c "$var/cxhook.conf" >/dev/null ||
	die "$var/cxhook.conf: refused (see above)"
migrate_demo "$bin" "$var/cxhook.conf" "$conninfo"

# The shipped snippet, pointed at the demo's socket.
sed "s|/run/cxhook/cxhook.sock|$sock|g" conf/lighttpd-cxhook.conf \
	>"$var/lighttpd-cxhook.conf"
write_lighttpd_conf "$var/lighttpd.conf" "$var/www" "$http_port" \
	"$var/lighttpd-cxhook.conf"

"$bin" serve -c "$var/cxhook.conf" &
pool_pid=$!
lighttpd -D -f "$var/lighttpd.conf" &
lighttpd_pid=$!

ready=0
for _ in $(seq 100); do
	kill -0 "$pool_pid" 2>/dev/null || die "the pool exited (see its messages above)"
	kill -0 "$lighttpd_pid" 2>/dev/null || die "lighttpd exited (is port $http_port free?)"
	if curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$http_port/healthz" 2>/dev/null; then
		ready=1
		break
	fi
	sleep 0.1
done
[ "$ready" -eq 1 ] || die "http://127.0.0.1:$http_port/healthz did not answer 200 within 10 s"

cat <<EOF

cxhook is up: http://127.0.0.1:$http_port/webhook (pool on unix:$sock, database in $pgdir)
Try:

  build/cxhook send http://127.0.0.1:$http_port/webhook --tag database-query --param query_type=account_balance --param user_id=10042

Ctrl-C stops the pool, lighttpd and PostgreSQL.

EOF
if [ -n "${RUN_AUTH:-}" ]; then
	echo "The [auth] of $RUN_AUTH applies: that line needs its credentials (--token TOKEN for a bearer token)."
	echo
fi

# Until Ctrl-C, or until the pool or lighttpd exits on its own. (On Ctrl-C
# the terminal signals all three; the pool and lighttpd exit 0, and bash may
# then skip the INT trap, so the EXIT trap does the cleaning up.)
set +e
wait -n "$pool_pid" "$lighttpd_pid"
rc=$?
if [ "$rc" -ne 0 ]; then
	say "the pool or lighttpd exited with status $rc; stopping the rest"
	exit 1
fi
exit 0
