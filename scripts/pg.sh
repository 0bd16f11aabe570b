#!/bin/sh
# A private, throwaway PostgreSQL cluster in a directory, for `make run`,
# `make bench` and the integration tests. Nothing here touches the system
# cluster: the server listens only on a unix socket inside DIR.
#
#   scripts/pg.sh start DIR [PORT]     initdb if DIR/data is missing, create
#                                      role and database "cxhook", start
#                                      (an already running cluster is reused)
#   scripts/pg.sh stop DIR             stop it (no error if not running)
#   scripts/pg.sh status DIR           exit 0 if running, 3 if not
#   scripts/pg.sh conninfo DIR [PORT]  print a libpq conninfo string
#
# Layout: DIR/data (the cluster), DIR/.s.PGSQL.PORT (the socket),
# DIR/postgres.log, DIR/port (the port of the last start).
#
# PostgreSQL refuses to run as root, so as root the server runs as the
# unprivileged user "postgres" (created as a system user if missing) and DIR
# is handed to it. If that user cannot reach DIR (say the repository lives
# under a 0700 home directory), start fails with exit status 3 and a message
# naming the directory; the caller decides where to go instead.
#
# Prints nothing but errors. The cluster trades durability for speed
# (fsync off): it is for demos and tests, never for data you want to keep.
set -eu

prog=${0##*/}
die() {
	echo "$prog: $*" >&2
	exit 1
}
usage() {
	echo "usage: $prog start DIR [PORT] | stop DIR | status DIR | conninfo DIR [PORT]" >&2
	exit 64
}

[ $# -ge 2 ] || usage
cmd=$1
dir=$2
port=${3:-}
[ -n "$dir" ] || usage
case $port in
'' | *[!0-9]*) [ -z "$port" ] || die "bad port: $port" ;;
esac

# Absolute path: the socket directory is written into the server's config.
case $dir in
/*) ;;
*) dir=$(pwd)/$dir ;;
esac
dir=$(printf '%s\n' "$dir" | sed 's,/\.$,,; s,//*,/,g; s,/$,,')
data=$dir/data

bindir() {
	b=""
	if command -v pg_config >/dev/null 2>&1; then
		b=$(pg_config --bindir 2>/dev/null || true)
	fi
	if [ -z "$b" ] || [ ! -x "$b/initdb" ] || [ ! -x "$b/pg_ctl" ]; then
		b=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5n | tail -n 1)
	fi
	[ -n "$b" ] && [ -x "$b/initdb" ] && [ -x "$b/pg_ctl" ] ||
		die "PostgreSQL server binaries not found (install postgresql-15, or put pg_config on PATH)"
	echo "$b"
}

# Run a command as the user that owns the cluster.
if [ "$(id -u)" -eq 0 ]; then
	pguser=postgres
	as_pg() { runuser -u "$pguser" -- "$@"; }
else
	pguser=$(id -un)
	as_pg() { "$@"; }
fi

saved_port() {
	if [ -n "$port" ]; then
		echo "$port"
	elif [ -r "$dir/port" ]; then
		cat "$dir/port"
	else
		echo 5432
	fi
}

is_running() {
	[ -f "$data/PG_VERSION" ] || return 1
	as_pg "$(bindir)/pg_ctl" -D "$data" status >/dev/null 2>&1
}

# Can the cluster owner create, enter and write DIR?
check_reachable() {
	if ! as_pg sh -c 'cd "$1" && test -w . -a -x .' sh "$dir" 2>/dev/null; then
		echo "$prog: user $pguser cannot reach $dir (is a parent directory private, e.g. a 0700 home?); use a directory such as /tmp or /var/tmp" >&2
		exit 3
	fi
}

start() {
	bin=$(bindir)
	p=$(saved_port)
	if [ "$(id -u)" -eq 0 ] && ! id "$pguser" >/dev/null 2>&1; then
		useradd --system --home-dir /var/lib/postgresql --no-create-home \
			--shell /usr/sbin/nologin "$pguser" ||
			die "cannot create the system user $pguser"
	fi
	mkdir -p "$dir" || die "cannot create $dir"
	if [ "$(id -u)" -eq 0 ]; then
		chown "$pguser:" "$dir"
	fi
	# Others (the pool, psql) must be able to reach the socket in DIR.
	chmod 0755 "$dir"
	check_reachable

	if ! [ -f "$data/PG_VERSION" ]; then
		rm -rf "$data"
		if ! as_pg "$bin/initdb" -D "$data" -A trust --nosync -U postgres \
			-E UTF8 --locale=C >"$dir/initdb.log" 2>&1; then
			cat "$dir/initdb.log" >&2
			die "initdb failed in $data"
		fi
		as_pg sh -c 'cat >>"$1"' sh "$data/postgresql.conf" <<EOF

# --- scripts/pg.sh: private throwaway cluster ---
listen_addresses = ''
unix_socket_directories = '$dir'
unix_socket_permissions = 0777
port = $p
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
logging_collector = off
log_min_messages = warning
EOF
	fi

	if is_running; then
		running_port=$(sed -n 4p "$data/postmaster.pid" 2>/dev/null || true)
		if [ -n "$port" ] && [ -n "$running_port" ] && [ "$port" != "$running_port" ]; then
			die "cluster in $data already runs on port $running_port, not $port"
		fi
		p=${running_port:-$p}
	else
		if ! as_pg "$bin/pg_ctl" -D "$data" -l "$dir/postgres.log" -w -t 60 \
			-o "-p $p -k $dir" start >/dev/null 2>&1; then
			tail -n 20 "$dir/postgres.log" >&2 2>/dev/null || true
			die "PostgreSQL did not start in $data (log: $dir/postgres.log)"
		fi
	fi
	echo "$p" >"$dir/port.tmp" && mv "$dir/port.tmp" "$dir/port"
	if [ "$(id -u)" -eq 0 ]; then chown "$pguser:" "$dir/port"; fi

	psql="$bin/psql -X -q -v ON_ERROR_STOP=1 -h $dir -p $p -U postgres"
	have_role=$($psql -d postgres -Atc "SELECT 1 FROM pg_roles WHERE rolname = 'cxhook'") ||
		die "cannot connect to the cluster in $dir"
	if [ "$have_role" != 1 ]; then
		$psql -d postgres -c "CREATE ROLE cxhook LOGIN" >/dev/null ||
			die "cannot create role cxhook"
	fi
	have_db=$($psql -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'cxhook'") ||
		die "cannot connect to the cluster in $dir"
	if [ "$have_db" != 1 ]; then
		$psql -d postgres -c "CREATE DATABASE cxhook OWNER cxhook" >/dev/null ||
			die "cannot create database cxhook"
	fi
}

stop() {
	[ -f "$data/PG_VERSION" ] || return 0
	is_running || return 0
	as_pg "$(bindir)/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
		die "PostgreSQL in $data did not stop"
}

case $cmd in
start) start ;;
stop)
	[ -z "$port" ] || usage
	stop
	;;
status)
	if is_running; then exit 0; else exit 3; fi
	;;
conninfo)
	case $dir in
	*[!A-Za-z0-9/._+-]*) # quote for libpq: '...' with \ and ' escaped
		host="'$(printf '%s' "$dir" | sed "s/[\\\\']/\\\\&/g")'" ;;
	*) host=$dir ;;
	esac
	echo "host=$host port=$(saved_port) dbname=cxhook user=cxhook"
	;;
*) usage ;;
esac
