#!/bin/bash
# `make bench`: how fast is the pool behind lighttpd, next to lighttpd
# serving a static file?
#
# Sets up, in a temporary directory under /tmp: a private PostgreSQL
# (scripts/pg.sh) with the demo data, the pool on a unix socket
# (workers = 2 x CPUs), lighttpd with conf/lighttpd-cxhook.conf. Then
#   1. wrk POSTs the account-balance request for 10042 to /webhook
#   2. wrk GETs a small static JSON file from the same lighttpd
# and prints requests/s, p50 and p99 for both, their ratio and the pool's
# total resident memory. Everything is stopped and removed at the end.
#
# Environment: DURATION=10s THREADS=2 CONNECTIONS=32 WORKERS=<2 x nproc>
set -eu

cd "$(dirname "$0")/.."
. scripts/lib.sh
repo=$(pwd)
bin=$repo/build/cxhook
duration=${DURATION:-10s}
threads=${THREADS:-2}
connections=${CONNECTIONS:-32}
ncpu=$(nproc 2>/dev/null || echo 2)
workers=${WORKERS:-$((ncpu * 2))}
[ "$workers" -ge 1 ] 2>/dev/null || workers=4

say() { echo "bench.sh: $*" >&2; }
die() {
	say "$*"
	exit 1
}

[ -x "$bin" ] || die "$bin is missing: run make first"
for c in wrk lighttpd psql curl; do
	command -v "$c" >/dev/null || die "$c is not installed (scripts/deps.sh)"
done

tmp=$(mktemp -d /tmp/cxhook-bench.XXXXXX)
chmod 0755 "$tmp" # lighttpd's www-data workers must reach the socket
pool_pid=""
lighttpd_pid=""
cleanup() {
	trap - INT TERM EXIT
	# shellcheck disable=SC2086
	stop_pids $lighttpd_pid $pool_pid
	scripts/pg.sh stop "$tmp/pg" || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "setting up in $tmp (workers = $workers)"
scripts/pg.sh start "$tmp/pg"
conninfo=$(scripts/pg.sh conninfo "$tmp/pg")
mkdir -p "$tmp/run" "$tmp/www" "$tmp/lighttpd"
chmod 0755 "$tmp/run" "$tmp/www"
sock=$tmp/run/cxhook.sock

write_pool_conf "$tmp/cxhook.conf" "unix:$sock" "$workers" "$conninfo"
migrate_demo "$bin" "$tmp/cxhook.conf" "$conninfo"

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 18080)
sed "s|/run/cxhook/cxhook.sock|$sock|g" conf/lighttpd-cxhook.conf >"$tmp/lighttpd-cxhook.conf"
write_lighttpd_conf "$tmp/lighttpd.conf" "$tmp/www" "$port" \
	"$tmp/lighttpd-cxhook.conf"

# The same answer the webhook gives, as a static file of similar size.
body='{"detectIntentResponseId":"bench-0001","fulfillmentInfo":{"tag":"database-query"},"sessionInfo":{"session":"projects/bench/locations/global/agents/bench/sessions/bench","parameters":{"query_type":"account_balance","user_id":"10042"}},"text":"what is my balance","languageCode":"en"}'

"$bin" serve -c "$tmp/cxhook.conf" 2>"$tmp/pool.log" &
pool_pid=$!
lighttpd -D -f "$tmp/lighttpd.conf" >"$tmp/lighttpd.log" 2>&1 &
lighttpd_pid=$!

answer=""
for _ in $(seq 100); do
	kill -0 "$pool_pid" 2>/dev/null || { cat "$tmp/pool.log" >&2; die "the pool exited"; }
	kill -0 "$lighttpd_pid" 2>/dev/null || { cat "$tmp/lighttpd.log" >&2; die "lighttpd exited"; }
	# Until the balance comes back: before the pool's socket exists,
	# lighttpd answers 503 for a while.
	answer=$(curl -sS -m 5 -H 'Content-Type: application/json' --data-binary "$body" \
		"http://127.0.0.1:$port/webhook" 2>/dev/null) || answer=""
	case $answer in
	*'1,250.75'*) break ;;
	esac
	sleep 0.1
done
case $answer in
*'1,250.75'*) ;;
*) die "the webhook does not answer the balance request correctly: $answer" ;;
esac
printf '%s\n' "$answer" >"$tmp/www/static.json"

lua_quote() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'; }
cat >"$tmp/webhook.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = "$(lua_quote "$body")"
EOF

# wrk --latency output -> "rps p50_ms p99_ms errors"
summarize() {
	awk '
	function ms(v) {
		if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
		if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
		if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
		return v + 0
	}
	$1 == "50%" { p50 = ms($2) }
	$1 == "99%" { p99 = ms($2) }
	/^Requests\/sec:/ { rps = $2 }
	/Non-2xx or 3xx responses:/ { bad += $NF }
	/Socket errors:/ { for (i = 3; i <= NF; i += 2) bad += $(i + 1) }
	END { printf "%s %.3f %.3f %d\n", rps, p50, p99, bad }
	' "$1"
}

say "webhook: wrk -t$threads -c$connections -d$duration POST /webhook"
wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$tmp/webhook.lua" \
	"http://127.0.0.1:$port/webhook" >"$tmp/wrk-webhook.txt" 2>&1 ||
	{ cat "$tmp/wrk-webhook.txt" >&2; die "wrk failed"; }

# Resident memory of the pool: master plus its workers.
rss_kib=0
for pid in $pool_pid $(cat /proc/"$pool_pid"/task/*/children 2>/dev/null); do
	kb=$(awk '/^VmRSS:/ { print $2 }' /proc/"$pid"/status 2>/dev/null || echo 0)
	rss_kib=$((rss_kib + ${kb:-0}))
done
nproc_pool=$((1 + $(cat /proc/"$pool_pid"/task/*/children 2>/dev/null | wc -w)))

say "static: wrk -t$threads -c$connections -d$duration GET /static.json"
wrk -t"$threads" -c"$connections" -d"$duration" --latency \
	"http://127.0.0.1:$port/static.json" >"$tmp/wrk-static.txt" 2>&1 ||
	{ cat "$tmp/wrk-static.txt" >&2; die "wrk failed"; }

read -r w_rps w_p50 w_p99 w_bad < <(summarize "$tmp/wrk-webhook.txt")
read -r s_rps s_p50 s_p99 s_bad < <(summarize "$tmp/wrk-static.txt")

echo
echo "cxhook bench: lighttpd + $workers workers on $ncpu CPUs, wrk -t$threads -c$connections -d$duration"
printf '%-22s %12s %10s %10s %8s\n' "" "requests/s" "p50 ms" "p99 ms" "errors"
printf '%-22s %12s %10s %10s %8s\n' "webhook (balance)" "$w_rps" "$w_p50" "$w_p99" "$w_bad"
printf '%-22s %12s %10s %10s %8s\n' "static JSON file" "$s_rps" "$s_p50" "$s_p99" "$s_bad"
awk -v w="$w_rps" -v s="$s_rps" 'BEGIN {
	if (s > 0) printf "webhook / static:      %.1f%% of the static rate (%.2fx slower)\n", 100 * w / s, s / (w > 0 ? w : 1)
}'
awk -v k="$rss_kib" -v n="$nproc_pool" 'BEGIN {
	printf "pool RSS:              %.1f MiB (master + %d workers)\n", k / 1024, n - 1
}'
if [ "$w_bad" -gt 0 ]; then
	say "warning: $w_bad webhook requests failed (non-2xx or socket errors); see the wrk output:"
	cat "$tmp/wrk-webhook.txt" >&2
fi
