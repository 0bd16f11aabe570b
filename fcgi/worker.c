/*
 * A worker: one FastCGI request at a time, one PostgreSQL connection for
 * its whole life.
 *
 * Signals: SIGTERM, SIGINT and SIGQUIT ask for a
 * graceful exit, and must never cost the request in hand.  A handler
 * cannot promise that: the sockets carry SO_RCVTIMEO, and a socket read
 * with a timeout is never restarted after a signal (signal(7)), so libfcgi
 * would fail the request being read; and a signal during libfcgi's
 * post-accept poll makes its OS_Accept spin on a closed descriptor once
 * FCGX_ShutdownPending() is set.  So a worker keeps these signals
 * blocked and looks for them (sigpending) between requests.  An idle
 * worker comes back from FCGX_Accept_r at least every POOL_TICK_MS,
 * because the master sets that receive timeout on the listening socket
 * (accepted sockets inherit it, which also drops a peer that connects and
 * sends nothing); that tick bounds how long a stop or reload waits for an
 * idle worker.
 */
#include <sys/prctl.h>
#include <sys/random.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "fcgi/config.h"
#include "fcgi/db.h"
#include "fcgi/http.h"
#include "fcgi/pool.h"
#include "fcgi/scoreboard.h"
#include "fcgi/upstream.h"
#include "lib/log.h"

/* A stop signal is pending (they stay blocked in a worker: see above). */
static bool
stop_pending(void)
{
	sigset_t	pending;

	if (sigpending(&pending) == -1)
		return false;
	return sigismember(&pending, SIGTERM) ||
	    sigismember(&pending, SIGINT) || sigismember(&pending, SIGQUIT);
}

void
child_signals(void (*handler)(int), int master_pid)
{
	struct sigaction	sa;
	sigset_t		mask;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	/* Without SA_RESTART, so that blocking calls return on a stop. */
	sa.sa_handler = handler != NULL ? handler : SIG_DFL;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&mask);
	if (handler == NULL) {
		sigaddset(&mask, SIGTERM);
		sigaddset(&mask, SIGINT);
		sigaddset(&mask, SIGQUIT);
	}
	sigprocmask(SIG_SETMASK, &mask, NULL);
	/* A child must not outlive its master, even one killed by SIGKILL. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != master_pid)
		_exit(0);
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

static void
serve_one(struct http_app *app, FCGX_Request *r)
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
	in.read = fcgi_read;
	in.read_arg = r->in;
	http_out_init(&out);
	sb_begin(app->slot, "-", now_us());
	http_handle(app, &in, &out);
	write_response(r, &out);
	sb_end(app->sb, app->slot, out.status, now_us());
	log_debug("%s %s %d %s %lldms", in.method != NULL ? in.method : "-",
	    in.uri != NULL ? in.uri : "-", out.status,
	    out.tag != NULL ? out.tag : "-",
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

void
worker_run(const struct config *cfg, int listen_fd, int master_pid,
    const struct pool_shared *shared, int slot)
{
	struct http_app	 app;
	FCGX_Request	 req;
	struct db	*db;
	long		 served = 0, limit;
	uint32_t	 r;
	int		 rc;

	child_signals(NULL, master_pid);

	if (FCGX_Init() != 0)
		fatalx("FCGX_Init failed");
	db = db_open(cfg->conninfo, cfg->connect_timeout_ms);
	db_warm(db, now_ms() + cfg->connect_timeout_ms);

	memset(&app, 0, sizeof(app));
	app.cfg = cfg;
	app.db_ops = &db_pg_ops;
	app.db = db;
	app.http_ops = &upstream_http_ops;
	app.http = upstream_new();
	app.weather_cache = shared->weather_cache;
	app.random = fill_random;
	app.sb = shared->sb;
	app.slot = &shared->sb->slots[slot];
	http_settings(&app, cfg);
	buf_init(&app.body);

	/* Jitter keeps recycled workers from all restarting at once. */
	limit = cfg->max_requests;
	if (limit > 0 && cfg->max_requests_jitter > 0) {
		fill_random(&r, sizeof(r));
		limit += (long)(r % ((uint32_t)cfg->max_requests_jitter + 1));
	}
	FCGX_InitRequest(&req, listen_fd, 0);
	while (!stop_pending()) {
		rc = FCGX_Accept_r(&req);
		if (rc < 0) {
			/* EAGAIN: the SO_RCVTIMEO tick. */
			if (rc == -EAGAIN || rc == -EWOULDBLOCK ||
			    rc == -EINTR)
				continue;
			log_warnx("worker: accept failed: %s", strerror(-rc));
			break;
		}
		serve_one(&app, &req);
		FCGX_Finish_r(&req);
		db_end_request(db);
		if (limit > 0 && ++served >= limit) {
			log_info("worker: recycling after %ld requests",
			    served);
			break;
		}
	}
	FCGX_Free(&req, 1);
	buf_clear(&app.body);
	upstream_free(app.http);
	db_close(db);
	_exit(0);
}
