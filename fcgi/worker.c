/*
 * A worker: one FastCGI request at a time, one PostgreSQL connection for
 * its whole life.
 *
 * Connections: the worker accepts them itself and hands each one to
 * libfcgi to read the request from.  libfcgi sets no timeout of its own,
 * and an accepted unix socket does not inherit the listener's
 * SO_RCVTIMEO, so a peer that sent one byte and stopped would hold the
 * worker for ever; every accepted connection gets [pool] idle_timeout for
 * each read and each write.  A peer that drips a byte at a time defeats a
 * per-read timeout, so the master also counts a worker as stuck once it
 * has been on one connection for the deadline plus its grace period.
 * Keep-alive asked for by the web server is refused: the connection is
 * closed after each answer, since a libfcgi worker pinned to an idle
 * connection serves nobody else.
 *
 * Signals: SIGTERM, SIGINT and SIGQUIT ask for a graceful exit, and must
 * never cost the request in hand.  A handler cannot promise that: the
 * sockets carry SO_RCVTIMEO, and a socket read with a timeout is never
 * restarted after a signal (signal(7)), so libfcgi would fail the request
 * being read.  So a worker keeps these signals blocked and looks for them
 * (sigpending) between requests.  An idle worker comes back from accept()
 * at least every POOL_TICK_MS, because the master sets that receive
 * timeout on the listening socket; that tick bounds how long a stop or
 * reload waits for an idle worker.
 */
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <netdb.h>

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "auth/keys.h"
#include "config/config.h"
#include "db/db.h"
#include "fcgi/child.h"
#include "fcgi/pool.h"
#include "fcgi/scoreboard.h"
#include "lib/cidr.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "request/http.h"
#include "upstream/upstream.h"

/* A stop signal is pending (they stay blocked in a worker: see above). */
static bool
stop_signal_pending(void)
{
	sigset_t	pending;

	if (sigpending(&pending) == -1)
		return false;
	return sigismember(&pending, SIGTERM) ||
	    sigismember(&pending, SIGINT) || sigismember(&pending, SIGQUIT);
}

/*
 * Whether to leave before the next request.  The master writes its stop
 * in the worker's slot as well as signalling (master.c), and that costs
 * a load; the pending signals themselves, for a stop sent by anyone
 * else, are looked at after every STOP_CHECK_EVERY requests and on every
 * idle tick, so that the hot path makes no system call for them.
 */
#define STOP_CHECK_EVERY	32

static bool
stop_pending(const struct sb_slot *slot, unsigned long loops)
{
	return __atomic_load_n(&slot->stop, __ATOMIC_RELAXED) != 0 ||
	    (loops % STOP_CHECK_EVERY == 0 && stop_signal_pending());
}

static ssize_t
fcgi_read(void *arg, char *buf, size_t n)
{
	FCGX_Stream	*in = arg;
	int		 got;

	if (n > 1 << 30)
		n = 1 << 30;
	got = FCGX_GetStr(buf, (int)n, in);
	if (got == 0 && FCGX_GetError(in) != 0)
		return -1;
	return got;
}

static const char *
param(FCGX_Request *r, const char *name)
{
	return FCGX_GetParam(name, r->envp);
}

static void
write_response(FCGX_Request *r, const struct http_out *out)
{
	char	head[512];
	int	n;

	n = snprintf(head, sizeof(head),
	    "Status: %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n",
	    out->status, http_reason(out->status), out->content_type,
	    out->body.len);
	FCGX_PutStr(head, n, r->out);
	if (out->headers.len > 0)
		FCGX_PutStr(out->headers.p, (int)out->headers.len, r->out);
	FCGX_PutStr("\r\n", 2, r->out);
	if (out->body.len > 0)
		FCGX_PutStr(out->body.p, (int)out->body.len, r->out);
}

/*
 * How long the request waited before we accepted it, from nginx's
 * `fastcgi_param REQUEST_START $msec` (seconds since the epoch).  A
 * request that sat in the listen queue past its deadline has already been
 * given up on by the proxy, which has answered 504 by now.
 */
static int64_t
queued_ms(const char *request_start)
{
	struct timespec	ts;
	double		start, now;
	char		*end;

	if (request_start == NULL || *request_start == '\0')
		return 0;
	start = strtod(request_start, &end);
	if (*end != '\0' || start <= 0)
		return 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	/* Clock skew or nonsense: trust our own clock instead. */
	if (now < start || now - start > 3600)
		return 0;
	return (int64_t)((now - start) * 1000);
}

/* A worker's row in the pool's scoreboard: its host for the pipeline. */
struct board {
	struct scoreboard	*sb;
	struct sb_slot		*slot;
	struct auth_keyring	*keyring;
	char			*auth_header;	/* HTTP_X_WEBHOOK_SECRET */
};

static void
board_route(void *arg, const char *tag, const char *request_id)
{
	struct board	*b = arg;

	sb_set_tag(b->slot, tag);
	sb_set_request(b->slot, request_id);
}

static void
board_report(void *arg, bool metrics, struct buf *out)
{
	struct board	*b = arg;

	if (metrics) {
		sb_metrics(b->sb, now_us(), out);
		sb_auth_metrics(b->sb, b->keyring, out);
	} else
		sb_status_json(b->sb, now_us(), out);
}

static void
board_auth(void *arg, const struct auth_settings *s,
    const struct auth_result *res)
{
	struct board	*b = arg;

	sb_auth_count(b->sb, s, res);
}

/* The CGI name of a header: X-Webhook-Secret is HTTP_X_WEBHOOK_SECRET. */
static char *
cgi_header_name(const char *name)
{
	char	*cgi, *p;

	if (name == NULL)
		return NULL;
	if (asprintf(&cgi, "HTTP_%s", name) == -1)
		fatal("asprintf");
	for (p = cgi; *p != '\0'; p++)
		*p = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
	return cgi;
}

static void
serve_one(struct http_app *app, struct board *b, FCGX_Request *r)
{
	struct http_in	in;
	struct http_out	out;

	memset(&in, 0, sizeof(in));
	in.started_ms = now_ms() - queued_ms(param(r, "REQUEST_START"));
	in.method = param(r, "REQUEST_METHOD");
	in.uri = param(r, "REQUEST_URI");
	in.content_type = param(r, "CONTENT_TYPE");
	in.content_length = param(r, "CONTENT_LENGTH");
	in.authorization = param(r, "HTTP_AUTHORIZATION");
	if (b->auth_header != NULL)
		in.auth_header = param(r, b->auth_header);
	if (app->auth.client_cert) {
		in.client_verify = param(r, "SSL_CLIENT_VERIFY");
		in.client_dn = param(r, "SSL_CLIENT_S_DN");
	}
	in.read = fcgi_read;
	in.read_arg = r->in;
	http_out_init(&out);
	sb_begin(b->slot, "-", now_us());
	http_handle(app, &in, &out);
	write_response(r, &out);
	sb_end(b->sb, b->slot, out.status, now_us());
	log_debug("%s %s %d %lldms", in.method != NULL ? in.method : "-",
	    out.tag != NULL ? out.tag : "-", out.status,
	    (long long)(now_ms() - in.started_ms));
	http_out_clear(&out);
}

/* Unguessable bytes for booking ids; getrandom(2) blocks only before boot-time seeding. */
static void
fill_random(void *p, size_t n)
{
	unsigned char	*b = p;
	ssize_t		 got;

	while (n > 0) {
		got = getrandom(b, n, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			fatal("getrandom");
		}
		b += got;
		n -= (size_t)got;
	}
}

/*
 * How a worker times its connections out.  With the libfcgi of
 * deps/libfcgi (FCGX_SetIoTimeout, patch 0003), connections are accepted
 * non-blocking and libfcgi waits for a slow peer itself, with poll(),
 * only when a read or a write would block: no system call at all while
 * the web server keeps up.  Debian's stock libfcgi (the test build
 * cxhook-stock-libfcgi) lacks it, hence the weak reference: there each
 * connection gets SO_RCVTIMEO and SO_SNDTIMEO instead.
 */
#pragma weak FCGX_SetIoTimeout

struct conn_opts {
	int64_t		 idle_ms;
	bool		 nonblocking;	/* libfcgi times reads and writes out */
	bool		 tcp;		/* TCP_NODELAY on each connection */
	struct cidr	*allow;		/* [pool] allow; NULL: anyone */
	size_t		 n_allow;
	uint64_t	*refused;	/* in the scoreboard */
};

static void
allow_init(struct conn_opts *o, char **allow)
{
	size_t	n;

	for (n = 0; allow != NULL && allow[n] != NULL; n++)
		;
	if (n == 0)
		return;
	if (!o->tcp) {
		log_warnx("worker: [pool] allow applies to TCP only; the "
		    "socket is not TCP");
		return;
	}
	o->allow = xcalloc(n, sizeof(*o->allow));
	for (o->n_allow = 0; o->n_allow < n; o->n_allow++)
		/* config_load() checked every entry. */
		if (cidr_parse(allow[o->n_allow], &o->allow[o->n_allow]) == -1)
			fatalx("[pool] allow: bad entry");
}

static void
conn_opts_init(struct conn_opts *o, int listen_fd, const struct config *cfg,
    uint64_t *refused)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof(ss);
	int64_t			idle_ms = cfg->idle_timeout_ms;

	memset(o, 0, sizeof(*o));
	o->refused = refused;
	o->idle_ms = idle_ms;
	o->nonblocking = FCGX_SetIoTimeout != NULL;
	if (o->nonblocking)
		FCGX_SetIoTimeout((int)idle_ms);
	o->tcp = getsockname(listen_fd, (struct sockaddr *)&ss, &len) == 0 &&
	    (ss.ss_family == AF_INET || ss.ss_family == AF_INET6);
	allow_init(o, cfg->allow);
}

/*
 * A peer [pool] allow does not name is closed before a byte is read, so
 * nothing it sends reaches libfcgi (libfcgi's own FCGI_WEB_SERVER_ADDRS,
 * IPv4 only and read from the environment, is the same idea).
 */
static bool
peer_allowed(const struct conn_opts *o, const struct sockaddr_storage *ss)
{
	char	host[INET6_ADDRSTRLEN];

	if (o->allow == NULL ||
	    cidr_match(o->allow, o->n_allow, (const struct sockaddr *)ss))
		return true;
	__atomic_add_fetch(o->refused, 1, __ATOMIC_RELAXED);
	if (getnameinfo((const struct sockaddr *)ss, sizeof(*ss), host,
	    sizeof(host), NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(host, sizeof(host), "?");
	log_warnx("worker: a connection from %s refused: not in [pool] allow",
	    host);
	return false;
}

/*
 * The next connection, with the idle timeout on every read and write;
 * -1 with errno when there is none (EAGAIN: the listener's receive
 * timeout, the idle tick).
 */
static int
accept_conn(int listen_fd, const struct conn_opts *o)
{
	struct sockaddr_storage	ss;
	socklen_t		sslen = sizeof(ss);
	struct timeval		tv;
	int			fd, one = 1;

	if ((fd = accept4(listen_fd, o->allow != NULL ?
	    (struct sockaddr *)&ss : NULL, o->allow != NULL ? &sslen : NULL,
	    SOCK_CLOEXEC | (o->nonblocking ? SOCK_NONBLOCK : 0))) == -1)
		return -1;
	if (!peer_allowed(o, &ss)) {
		close(fd);
		errno = ECONNABORTED;	/* as a peer gone before we took it */
		return -1;
	}
	tv.tv_sec = o->idle_ms / 1000;
	tv.tv_usec = (o->idle_ms % 1000) * 1000;
	if (!o->nonblocking &&
	    (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1)) {
		log_warn("worker: setsockopt on a new connection");
		close(fd);
		errno = EAGAIN;
		return -1;
	}
	/* Answers go out in one piece: no reason to wait for an ACK. */
	if (o->tcp)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	return fd;
}

/*
 * Whether accept() failing with err leaves the worker able to go on: a
 * tick, a signal, a peer gone before we took it, or a shortage that may
 * pass (after a pause, so that it is not a busy loop).
 */
static bool
accept_transient(int err)
{
	switch (err) {
	case EAGAIN:
	case EINTR:
	case ECONNABORTED:
	case EPROTO:
	case ENETDOWN:
	case EHOSTUNREACH:
	case ENETUNREACH:
		return true;
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
		log_warnx("worker: accept: %s", strerror(err));
		usleep(100 * 1000);
		return true;
	default:
		return false;
	}
}

/*
 * Has libfcgi read the request on the connection fd.  FCGX_Accept_r
 * takes an open ipcFd as the connection to read the next request from,
 * and keepConnection keeps the finish it starts with from closing it.
 * These fields are libfcgi's own ("don't use anything below here" in
 * fcgiapp.h), used knowingly: the version linked is pinned
 * (deps/libfcgi/README.md).  The request was initialised with no
 * listening socket, so when libfcgi gives up on the connection (a read
 * timeout, a protocol error) and closes it, the accept it would block in
 * next fails at once and control comes back here.  Only the responder
 * role is served.
 */
static bool
read_request(FCGX_Request *r, int fd)
{
	const char	*role;

	r->ipcFd = fd;
	r->keepConnection = 1;
	if (FCGX_Accept_r(r) != 0)
		return false;
	role = FCGX_GetParam("FCGI_ROLE", r->envp);
	if (role != NULL && strcmp(role, "RESPONDER") == 0)
		return true;
	r->keepConnection = 0;
	FCGX_Finish_r(r);
	return false;
}

/*
 * Whether the web server has sent all it will: the body read to its end
 * (reading at most DRAIN_MAX more, when the answer went out before it
 * was read, a 405 or a 401 say).  Usually it was read already and this
 * costs nothing.
 */
#define DRAIN_MAX	(64 * 1024)

static bool
input_ended(FCGX_Stream *in)
{
	char	scratch[4096];
	size_t	total = 0;
	int	n;

	while (!FCGX_HasSeenEOF(in) && total < DRAIN_MAX) {
		if ((n = FCGX_GetStr(scratch, sizeof(scratch), in)) <= 0)
			break;
		total += (size_t)n;
	}
	return FCGX_HasSeenEOF(in) && FCGX_GetError(in) == 0;
}

/*
 * Sends what is left of the answer and ends the connection, refusing
 * keep-alive (see the top of this file).  A web server that has sent all
 * it will is simply closed on: libfcgi's lingering close (shut down the
 * sending side, then read until the peer closes) is for a peer still
 * sending, whose unread bytes would otherwise reset the connection before
 * it read the answer, and it costs three system calls and a wait.
 */
static void
finish(FCGX_Request *r)
{
	bool	ended = input_ended(r->in);

	r->keepConnection = ended;
	FCGX_Finish_r(r);
	if (r->ipcFd != -1) {
		close(r->ipcFd);
		r->ipcFd = -1;
	}
}

/*
 * RLIMIT_DATA covers the heap and every private writable mapping, so an
 * allocation that would take the worker past max_worker_memory fails
 * (and ends the worker) instead of the machine running out.
 * AddressSanitizer's shadow memory counts as data too: a sanitizer build
 * runs without the limit (the master says so at start).
 */
static void
limit_memory(int64_t bytes)
{
#if !CXHOOK_ASAN
	struct rlimit	rl;

	rl.rlim_cur = rl.rlim_max = (rlim_t)bytes;
	if (setrlimit(RLIMIT_DATA, &rl) == -1)
		log_warn("worker: setrlimit RLIMIT_DATA");
#else
	(void)bytes;
#endif
}

void
worker_run(const struct config *cfg, int listen_fd, int master_pid,
    const struct pool_shared *shared, int slot)
{
	struct http_app	 app;
	struct board	 board;
	struct conn_opts conn;
	FCGX_Request	 req;
	struct db	*db;
	long		 served = 0, limit;
	unsigned long	 loops;
	uint32_t	 r;
	char		 linger[32];
	int		 fd;

	child_signals(NULL, master_pid);
	limit_memory(cfg->max_worker_memory);

	/*
	 * libfcgi's close waits for the peer's EOF (a lingering close) up
	 * to this long: no longer than any other wait on a connection.
	 */
	snprintf(linger, sizeof(linger), "%lld",
	    (long long)cfg->idle_timeout_ms);
	setenv("LIBFCGI_OS_CLOSE_POLL_TIMEOUT", linger, 1);
	if (FCGX_Init() != 0)
		fatalx("FCGX_Init failed");
	conn_opts_init(&conn, listen_fd, cfg, &shared->sb->conns_refused);
	db = db_open(cfg->conninfo, cfg->connect_timeout_ms, DB_WORKER);
	if (cfg->unnamed_statements)
		db_use_unnamed(db);
	db_warm(db, now_ms() + cfg->connect_timeout_ms);

	memset(&app, 0, sizeof(app));
	app.cfg = cfg;
	app.db_ops = &db_pg_ops;
	app.db = db;
	app.http_ops = &upstream_http_ops;
	app.http = upstream_new();
	app.weather_cache = shared->weather_cache;
	app.triage = shared->triage;
	app.random = fill_random;
	board.sb = shared->sb;
	board.slot = &shared->sb->slots[slot];
	board.keyring = cfg->id_token_audience != NULL ? shared->keyring :
	    NULL;
	board.auth_header = cgi_header_name(cfg->header_name);
	app.host.route = board_route;
	app.host.report = board_report;
	app.host.auth = board_auth;
	app.host.arg = &board;
	http_settings(&app, cfg);
	if (cfg->id_token_audience != NULL)
		app.auth_keys = auth_keys_new(shared->keyring);
	buf_init(&app.body);

	/* Jitter keeps recycled workers from all restarting at once. */
	limit = cfg->max_requests;
	if (limit > 0 && cfg->max_requests_jitter > 0) {
		fill_random(&r, sizeof(r));
		limit += (long)(r % ((uint32_t)cfg->max_requests_jitter + 1));
	}
	FCGX_InitRequest(&req, -1, 0);
	for (loops = 0; !stop_pending(board.slot, loops); loops++) {
		log_flush();
		if ((fd = accept_conn(listen_fd, &conn)) == -1) {
			if (accept_transient(errno)) {
				/* An idle tick: look at the signals next. */
				loops = STOP_CHECK_EVERY - 1;
				continue;
			}
			log_warn("worker: accept");
			break;
		}
		sb_conn_begin(board.slot, now_us());
		log_request_begin();
		if (read_request(&req, fd)) {
			serve_one(&app, &board, &req);
			finish(&req);
			db_end_request(db);
			served++;
		}
		log_request_end();
		sb_conn_end(board.slot);
		if (limit > 0 && served >= limit) {
			log_info("worker: recycling after %ld requests",
			    served);
			break;
		}
	}
	FCGX_Free(&req, 1);
	buf_clear(&app.body);
	upstream_free(app.http);
	auth_keys_free(app.auth_keys);
	free(board.auth_header);
	free(conn.allow);
	db_close(db);
	_exit(0);
}
