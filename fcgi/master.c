/*
 * The master: opens the listening socket, forks the workers, then only
 * supervises.  Signal handlers write the signal number to a self-pipe and
 * the loop acts on it, so nothing that allocates, logs or locks ever runs
 * in signal context.
 *
 *   SIGTERM, SIGINT, SIGQUIT   graceful stop: workers finish the request
 *                              they are on; after the deadline plus a
 *                              grace period the stragglers get SIGKILL
 *   SIGHUP                     reload: re-read the configuration, start a
 *                              new generation of workers, retire the old
 *                              one gracefully; the listening socket stays
 *                              open throughout, so no connection is refused
 *   SIGCHLD                    reap; a worker of the current generation is
 *                              replaced at once, unless it died before it
 *                              ever took a connection: a worker that keeps
 *                              dying at birth is replaced after a doubling
 *                              back-off, and so is a fork() that fails
 *
 * The master installs its handlers before FCGX_Init could install
 * libfcgi's (which would make SIGTERM end the master alone, orphaning the
 * workers: FCGX_Init installs its own only where none is installed).
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "auth/auth.h"
#include "auth/keys.h"
#include "config/config.h"
#include "courier/courier.h"
#include "db/db.h"
#include "fcgi/listen.h"
#include "fcgi/pool.h"
#include "fcgi/scoreboard.h"
#include "keys/fetcher.h"
#include "lib/log.h"
#include "lib/shcache.h"
#include "lib/textkey.h"
#include "lib/xalloc.h"
#include "request/http.h"
#include "triage/triage.h"
#include "upstream/upstream.h"

/* Extra time, past the request deadline, a stopping worker is given. */
#define STOP_GRACE_MS	2000
/* A worker that dies younger than this counts as a crash for back-off. */
#define MIN_LIFETIME_MS	1000
#define BACKOFF_MAX_MS	5000
/* How often systemd hears the pool's STATUS line. */
#define NOTIFY_EVERY_MS	10000
/* Distinct places remembered by the weather cache. */
#define WEATHER_CACHE_ENTRIES	1024

/* What the master forks: workers, and one of each helper process. */
enum child_kind {
	CHILD_WORKER,
	CHILD_COURIER,		/* the booking outbox courier */
	CHILD_KEYS		/* the ID-token key fetcher */
};

static const char *const child_names[] = {
	"worker", "the outbox courier", "the key fetcher"
};

struct worker {
	pid_t		pid;
	int		slot;		/* in the scoreboard; -1 if no worker */
	enum child_kind	kind;
	unsigned	generation;
	int64_t		started_ms;
	int64_t		kill_at_ms;	/* retired by a reload: ends by then */
};

/* A doubling delay, from 100 ms to BACKOFF_MAX_MS. */
struct backoff {
	int64_t		ms;		/* the last delay; 0: none */
	int64_t		until;		/* no fork before this */
};

struct master {
	struct config	*cfg;
	struct pool_shared shared;
	struct triage_model *triage;	/* shared.triage, the master's to free */
	struct scoreboard *sb;
	int		 listen_fd;
	char		*unix_path;
	int		 pipe_rd, pipe_wr;
	struct worker	*workers;
	size_t		 n_workers;
	unsigned	 generation;
	int		 wanted;	/* workers of the current generation */
	struct backoff	 births;	/* workers dying before any connection */
	struct backoff	 forks;		/* fork() failing */
	bool		 stopping;
	uint64_t	 watchdog_us;	/* systemd WatchdogSec=, 0: off */
	int64_t		 next_notify_ms;
};

static int	sig_pipe_wr = -1;

static void
on_signal(int sig)
{
	unsigned char	c = (unsigned char)sig;
	int		saved = errno;

	if (write(sig_pipe_wr, &c, 1) == -1) {
		/* The pipe is full: the master has wake-ups to read already. */
	}
	errno = saved;
}

static void
master_signals(struct master *m)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGCHLD };
	struct sigaction	sa;
	int			fds[2];
	size_t			i;

	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) == -1)
		fatal("pipe");
	m->pipe_rd = fds[0];
	m->pipe_wr = sig_pipe_wr = fds[1];
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
}

static int64_t
backoff_grow(struct backoff *b)
{
	b->ms = b->ms == 0 ? 100 : b->ms * 2;
	if (b->ms > BACKOFF_MAX_MS)
		b->ms = BACKOFF_MAX_MS;
	b->until = now_ms() + b->ms;
	return b->ms;
}

static struct worker *
add_child(struct master *m, pid_t pid, int slot, enum child_kind kind)
{
	struct worker	*w;

	m->workers = xreallocarray(m->workers, m->n_workers + 1,
	    sizeof(*m->workers));
	w = &m->workers[m->n_workers++];
	w->pid = pid;
	w->slot = slot;
	w->kind = kind;
	w->generation = m->generation;
	w->started_ms = now_ms();
	w->kill_at_ms = 0;
	return w;
}

/*
 * fork() fails when memory or a task limit (RLIMIT_NPROC, a cgroup's
 * pids.max, systemd's TasksMax=) runs out: forks wait for a back-off, so
 * the master goes on reaping and handling signals, and says so once per
 * try rather than in a tight loop.
 */
static pid_t
fork_or_back_off(struct master *m, const char *what)
{
	pid_t	pid;

	if ((pid = fork()) == -1) {
		int	saved = errno;

		log_warnx("cannot fork %s: %s; next try in %lld ms", what,
		    strerror(saved), (long long)backoff_grow(&m->forks));
	} else if (pid > 0)
		m->forks.ms = 0;
	return pid;
}

static bool
spawn_courier(struct master *m)
{
	pid_t	pid, master_pid = getpid();

	if ((pid = fork_or_back_off(m, "the outbox courier")) == -1)
		return false;
	if (pid == 0) {
		close(m->pipe_rd);
		close(m->pipe_wr);
		close(m->listen_fd);
		courier_run(m->cfg, master_pid);
	}
	add_child(m, pid, -1, CHILD_COURIER);
	return true;
}

static bool
spawn_keys(struct master *m)
{
	pid_t	pid, master_pid = getpid();

	if ((pid = fork_or_back_off(m, "the key fetcher")) == -1)
		return false;
	if (pid == 0) {
		close(m->pipe_rd);
		close(m->pipe_wr);
		close(m->listen_fd);
		keys_run(m->cfg, m->shared.keyring, master_pid);
	}
	add_child(m, pid, -1, CHILD_KEYS);
	return true;
}

static bool
spawn(struct master *m)
{
	pid_t		 pid, master_pid = getpid();
	int		 slot;

	if ((slot = sb_claim(m->sb, 0)) == -1) {
		log_warnx("scoreboard full: not starting another worker");
		backoff_grow(&m->forks);
		return false;
	}
	if ((pid = fork_or_back_off(m, "a worker")) == -1) {
		sb_release(m->sb, slot);
		return false;
	}
	if (pid == 0) {
		close(m->pipe_rd);
		close(m->pipe_wr);
		m->sb->slots[slot].pid = getpid();
		worker_run(m->cfg, m->listen_fd, master_pid, &m->shared, slot);
	}
	m->sb->slots[slot].pid = pid;
	add_child(m, pid, slot, CHILD_WORKER);
	return true;
}

static int
count_current(const struct master *m, enum child_kind kind)
{
	size_t	i;
	int	n = 0;

	for (i = 0; i < m->n_workers; i++)
		if (m->workers[i].generation == m->generation &&
		    m->workers[i].kind == kind)
			n++;
	return n;
}

/* Forks until the current generation is complete, unless backing off. */
static void
fill_pool(struct master *m)
{
	int64_t	now = now_ms();

	if (m->stopping || now < m->births.until || now < m->forks.until)
		return;
	while (count_current(m, CHILD_WORKER) < m->wanted)
		if (!spawn(m))
			return;
	if (m->cfg->booking_forward_url != NULL &&
	    count_current(m, CHILD_COURIER) == 0 && !spawn_courier(m))
		return;
	if (m->cfg->id_token_audience != NULL &&
	    count_current(m, CHILD_KEYS) == 0)
		spawn_keys(m);
}

/*
 * Names what the worker was doing: the tag is what matters at 3 a.m.,
 * and the request id ties the death to that conversation turn.
 */
static void
log_exit(const struct sb_slot *s, const char *what, pid_t pid, int status)
{
	char		 doing[SB_TAG_LEN + SB_REQ_LEN + 32] = "";
	char		 tag[SB_TAG_LEN], req[SB_REQ_LEN];
	int		 st = s != NULL ? s->state : SB_IDLE;

	if (s != NULL) {
		memcpy(tag, s->tag, sizeof(tag));
		tag[sizeof(tag) - 1] = '\0';
		memcpy(req, s->request, sizeof(req));
		req[sizeof(req) - 1] = '\0';
	}
	if (s == NULL)
		snprintf(doing, sizeof(doing), " (%s)", what);
	else if (st == SB_BUSY)
		snprintf(doing, sizeof(doing), " while handling %s%s%s%s", tag,
		    req[0] != '\0' ? " [req " : "", req,
		    req[0] != '\0' ? "]" : "");
	else if (st == SB_CONN)
		snprintf(doing, sizeof(doing), " on a connection");
	if (WIFSIGNALED(status))
		log_warnx("worker %ld killed by signal %d (%s)%s", (long)pid,
		    WTERMSIG(status), strsignal(WTERMSIG(status)), doing);
	else if (WEXITSTATUS(status) != 0)
		log_warnx("worker %ld exited with status %d%s", (long)pid,
		    WEXITSTATUS(status), doing);
	else
		log_debug("worker %ld exited", (long)pid);
}

/*
 * A worker that dies before it ever took a connection is failing at
 * birth (a bad library, a resource that is gone): its replacements wait
 * for a doubling back-off.  One that dies on a connection is replaced at
 * once, whatever its age: a client must not be able to empty the pool by
 * killing workers faster than a back-off lets them return.
 */
static void
after_death(struct master *m, const struct worker *w)
{
	const struct sb_slot	*s = w->kind != CHILD_WORKER ? NULL :
				    &m->sb->slots[w->slot];
	bool			 on_conn = s != NULL && s->conns > 0;

	if (m->stopping || w->generation != m->generation)
		return;
	if (!on_conn && now_ms() - w->started_ms < MIN_LIFETIME_MS)
		log_warnx("worker died within %d ms of starting; next start in "
		    "%lld ms", MIN_LIFETIME_MS,
		    (long long)backoff_grow(&m->births));
	else if (!on_conn)
		m->births.ms = 0;
}

static void
reap(struct master *m)
{
	pid_t	pid;
	int	status;
	size_t	i;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < m->n_workers; i++)
			if (m->workers[i].pid == pid)
				break;
		if (i == m->n_workers)
			continue;
		if (m->workers[i].kind != CHILD_WORKER)
			log_exit(NULL, child_names[m->workers[i].kind], pid,
			    status);
		else {
			log_exit(&m->sb->slots[m->workers[i].slot], NULL, pid,
			    status);
			if (!m->stopping &&
			    m->workers[i].generation == m->generation)
				m->sb->workers_respawned++;
		}
		after_death(m, &m->workers[i]);
		if (m->workers[i].kind == CHILD_WORKER)
			sb_release(m->sb, m->workers[i].slot);
		m->workers[i] = m->workers[--m->n_workers];
	}
}

/*
 * Signals every worker older than generation below.  A stop is also
 * written in the worker's scoreboard slot, where a busy worker sees it
 * between two requests without a system call (worker.c).
 */
static void
signal_generation(struct master *m, unsigned below, int sig)
{
	size_t	i;

	for (i = 0; i < m->n_workers; i++) {
		if (m->workers[i].generation >= below)
			continue;
		if (sig == SIGTERM && m->workers[i].kind == CHILD_WORKER)
			__atomic_store_n(&m->sb->slots[m->workers[i].slot].stop,
			    1, __ATOMIC_RELAXED);
		kill(m->workers[i].pid, sig);
	}
}

int
pool_config_check(const struct config *cfg, char *err, size_t errsz)
{
	const struct {
		const char	*key;
		const char	*url;
	} urls[] = {
		{ "[weather] url", cfg->weather_url },
		{ "[booking] forward_url", cfg->booking_forward_url },
		{ "[auth] id_token_jwks_url", cfg->id_token_audience != NULL ?
		    cfg->id_token_jwks_url : NULL },
	};
	const char	*why;
	char		 msg[256];
	size_t		 i;

	if (db_conninfo_check(cfg->conninfo, msg, sizeof(msg)) == -1) {
		snprintf(err, errsz, "%s: [database] conninfo: %s", cfg->path,
		    msg);
		return -1;
	}
	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		if (urls[i].url == NULL ||
		    (why = upstream_url_error(urls[i].url)) == NULL)
			continue;
		snprintf(err, errsz, "%s: %s: %s", cfg->path, urls[i].key, why);
		return -1;
	}
	return 0;
}

int
pool_triage_load(const struct config *cfg, struct triage_model **out,
    char *err, size_t errsz)
{
	struct triage_model	*m;
	char			 why[512];
	size_t			 i;

	*out = NULL;
	if (cfg->triage_model == NULL)
		return 0;
	if (triage_icu_load() == -1) {
		snprintf(err, errsz, "%s: [triage] model: ICU cannot be loaded",
		    cfg->path);
		return -1;
	}
	if ((m = triage_model_load(cfg->triage_model, why,
	    sizeof(why))) == NULL) {
		snprintf(err, errsz, "%s: [triage] model: %s", cfg->path, why);
		return -1;
	}
	/* A route for a category the model lacks is a typo. */
	for (i = 0; i < cfg->n_triage_routes; i++) {
		if (triage_model_find_label(m,
		    cfg->triage_routes[i].category) >= 0)
			continue;
		snprintf(err, errsz, "%s: [triage] route.%s: the model has no "
		    "such category", cfg->path, cfg->triage_routes[i].category);
		triage_model_free(m);
		return -1;
	}
	*out = m;
	return 0;
}

static void
log_model(const struct config *cfg, const struct triage_model *t)
{
	if (t != NULL)
		log_info("triage model %s: %zu categories, %zu terms, %zu bytes",
		    cfg->triage_model, triage_model_nclass(t),
		    triage_model_nterm(t), triage_model_bytes(t));
}

/*
 * Starts a new generation.  The workers of the old ones finish what they
 * are doing; one still busy after the deadline plus the grace period (a
 * connection that never ends) is killed then.
 */
static void
retire_generation(struct master *m)
{
	int64_t	by = now_ms() + m->cfg->deadline_ms + STOP_GRACE_MS;
	size_t	i;

	for (i = 0; i < m->n_workers; i++)
		if (m->workers[i].kill_at_ms == 0)
			m->workers[i].kill_at_ms = by;
	m->generation++;
}

static void
reload(struct master *m)
{
	struct config		*fresh;
	struct triage_model	*triage = NULL;
	char			 err[1024];

	fresh = xcalloc(1, sizeof(*fresh));
	/* A model that does not load refuses the reload, as a bad file does. */
	if (config_load(m->cfg->path, fresh, err, sizeof(err)) == -1 ||
	    pool_config_check(fresh, err, sizeof(err)) == -1 ||
	    pool_triage_load(fresh, &triage, err, sizeof(err)) == -1) {
		log_warnx("reload refused, keeping the running configuration: "
		    "%s", err);
		config_free(fresh);
		free(fresh);
		return;
	}
	if (strcmp(fresh->listen, m->cfg->listen) != 0)
		log_warnx("reload: a new listen address needs a restart; "
		    "keeping %s", m->cfg->listen);
	sd_notify(0, "RELOADING=1");
	/*
	 * Old workers keep a pointer into the old configuration in their
	 * own copy of memory; the master's copy can be swapped now.
	 */
	free(fresh->listen);
	fresh->listen = xstrdup(m->cfg->listen);
	config_free(m->cfg);
	*m->cfg = *fresh;
	free(fresh);
	log_set_level(m->cfg->log_level);
	/*
	 * Workers of the old generation have the old model in their own
	 * address space: the master's mapping of it can go.
	 */
	triage_model_free(m->triage);
	m->triage = triage;
	m->shared.triage = triage;
	log_model(m->cfg, triage);
	retire_generation(m);
	m->wanted = m->cfg->workers;
	m->births.ms = m->births.until = 0;
	fill_pool(m);
	signal_generation(m, m->generation, SIGTERM);
	log_info("reloaded: %d workers, generation %u", m->wanted,
	    m->generation);
	sd_notify(0, "READY=1");
}

/* Waits for every worker to leave; SIGKILL for those past the grace time. */
static void
stop_all(struct master *m)
{
	int64_t		kill_at;
	unsigned char	c;
	struct pollfd	pfd = { m->pipe_rd, POLLIN, 0 };

	m->stopping = true;
	sd_notify(0, "STOPPING=1");
	signal_generation(m, m->generation + 1, SIGTERM);
	kill_at = now_ms() + m->cfg->deadline_ms + STOP_GRACE_MS;
	while (m->n_workers > 0) {
		int64_t	left = kill_at - now_ms();

		if (left <= 0) {
			log_warnx("%zu workers still busy after the grace "
			    "period: killing them", m->n_workers);
			signal_generation(m, m->generation + 1, SIGKILL);
			kill_at = now_ms() + 60000;
			left = 1000;
		}
		if (poll(&pfd, 1, (int)(left < 200 ? left : 200)) > 0)
			while (read(m->pipe_rd, &c, 1) == 1)
				;
		reap(m);
	}
}

/* Applies one signal; returns false when the master should stop. */
static bool
on_master_signal(struct master *m, int sig)
{
	switch (sig) {
	case SIGCHLD:
		reap(m);
		return true;
	case SIGHUP:
		reload(m);
		return true;
	default:
		log_info("received signal %d (%s): stopping", sig,
		    strsignal(sig));
		return false;
	}
}

/*
 * A worker on one connection past the deadline plus the grace period is
 * stuck: every call a request makes is bounded by the deadline, and every
 * read and write on the connection by idle_timeout, so either something
 * is badly wrong or a peer is dripping bytes to hold it.  It is killed,
 * named with its tag, and replaced.  SIGKILL, because a worker keeps
 * SIGTERM blocked until its request is done.
 */
static void
kill_stuck(struct master *m)
{
	int64_t	limit = (m->cfg->deadline_ms + STOP_GRACE_MS) * 1000, since;
	int64_t	now = now_us();
	size_t	i;
	char	tag[SB_TAG_LEN], req[SB_REQ_LEN];

	for (i = 0; i < m->n_workers; i++) {
		struct sb_slot	*s;

		if (m->workers[i].kind != CHILD_WORKER)
			continue;
		s = &m->sb->slots[m->workers[i].slot];
		since = __atomic_load_n(&s->conn_since_us, __ATOMIC_RELAXED);
		if (since == 0 || now - since < limit)
			continue;
		memcpy(tag, s->tag, sizeof(tag));
		tag[sizeof(tag) - 1] = '\0';
		memcpy(req, s->request, sizeof(req));
		req[sizeof(req) - 1] = '\0';
		if (__atomic_load_n(&s->state, __ATOMIC_RELAXED) == SB_BUSY)
			log_warnx("worker %ld stuck for %lld ms handling %s%s%s%s: "
			    "killing it", (long)m->workers[i].pid,
			    (long long)((now - since) / 1000), tag,
			    req[0] != '\0' ? " [req " : "", req,
			    req[0] != '\0' ? "]" : "");
		else
			log_warnx("worker %ld held for %lld ms by a connection "
			    "that sent no complete request: killing it",
			    (long)m->workers[i].pid,
			    (long long)((now - since) / 1000));
		kill(m->workers[i].pid, SIGKILL);
		/* Once is enough: the reaper frees the slot. */
		__atomic_store_n(&s->conn_since_us, 0, __ATOMIC_RELAXED);
		m->sb->workers_killed++;
	}
}

/* Workers of a retired generation still there at their end. */
static void
kill_retired(struct master *m)
{
	int64_t	now = now_ms();
	size_t	i;

	for (i = 0; i < m->n_workers; i++) {
		struct worker	*w = &m->workers[i];

		if (w->kill_at_ms == 0 || now < w->kill_at_ms)
			continue;
		log_warnx("worker %ld of generation %u still running after a "
		    "reload: killing it", (long)w->pid, w->generation);
		kill(w->pid, SIGKILL);
		w->kill_at_ms = INT64_MAX;	/* once */
		if (w->kind == CHILD_WORKER)
			m->sb->workers_killed++;
	}
}

/*
 * systemd: a STATUS line every NOTIFY_EVERY_MS (as PHP-FPM does) and,
 * under WatchdogSec=, WATCHDOG=1 at half the interval, but only while
 * the pool has workers: a master that cannot keep any alive is restarted.
 */
static void
notify_systemd(struct master *m)
{
	int64_t		now = now_ms(), every = NOTIFY_EVERY_MS;
	int		idle = 0, busy = 0;
	size_t		i;

	if (m->watchdog_us > 0 && (int64_t)(m->watchdog_us / 2000) < every)
		every = (int64_t)(m->watchdog_us / 2000);
	if (now < m->next_notify_ms)
		return;
	m->next_notify_ms = now + every;
	for (i = 0; i < m->n_workers; i++) {
		if (m->workers[i].kind != CHILD_WORKER)
			continue;
		if (m->sb->slots[m->workers[i].slot].state != SB_IDLE)
			busy++;
		else
			idle++;
	}
	sd_notifyf(0, "%sSTATUS=Workers active: %d, idle: %d, requests: %llu",
	    m->watchdog_us > 0 && idle + busy > 0 ? "WATCHDOG=1\n" : "",
	    busy, idle, (unsigned long long)m->sb->requests_total);
}

static void
supervise(struct master *m)
{
	struct pollfd	pfd = { m->pipe_rd, POLLIN, 0 };
	unsigned char	c;
	bool		run = true;

	while (run) {
		fill_pool(m);
		kill_stuck(m);
		kill_retired(m);
		notify_systemd(m);
		log_flush();
		if (poll(&pfd, 1, 250) <= 0)
			continue;
		while (run && read(m->pipe_rd, &c, 1) == 1)
			run = on_master_signal(m, c);
	}
}

/*
 * A receive timeout on the listener is inherited by every accepted
 * connection: libfcgi itself never times out a read (§3.5).
 */
static void
set_io_timeout(int fd, int64_t ms)
{
	struct timeval	tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1)
		log_warn("setsockopt SO_RCVTIMEO");
}

int
pool_run(struct config *cfg)
{
	struct master		m;
	struct auth_settings	auth;
	char			err[512];

	memset(&m, 0, sizeof(m));
	m.cfg = cfg;
	m.sb = sb_create();
	m.shared.sb = m.sb;
	/* Before any fork: every worker maps the same cache. */
	m.shared.weather_cache = shcache_create(WEATHER_CACHE_ENTRIES);
	/* And the ID-token keys, which a reload may turn on. */
	m.shared.keyring = keyring_create();
	/* And the same ICU, which keys the cache (lib/textkey.c). */
	if (cfg->weather_url != NULL)
		(void)textkey_load();
	/* And the triage model, read-only pages every worker shares. */
	if (pool_triage_load(cfg, &m.triage, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return 78;	/* EX_CONFIG */
	}
	m.shared.triage = m.triage;
	log_model(cfg, m.triage);
	master_signals(&m);
	if ((m.listen_fd = listen_open(cfg, &m.unix_path, err,
	    sizeof(err))) == -1) {
		log_warnx("cannot listen: %s", err);
		return 69;	/* EX_UNAVAILABLE */
	}
	set_io_timeout(m.listen_fd, cfg->deadline_ms < POOL_TICK_MS ?
	    cfg->deadline_ms : POOL_TICK_MS);
	auth_settings_from(&auth, cfg);
	if (!auth_configured(&auth))
		log_warnx("no [auth] mode configured: the webhook accepts "
		    "unauthenticated requests");
	if (CXHOOK_ASAN)
		log_warnx("an AddressSanitizer build: max_worker_memory is not "
		    "enforced");
	if (sd_watchdog_enabled(0, &m.watchdog_us) <= 0)
		m.watchdog_us = 0;
	m.wanted = cfg->workers;
	fill_pool(&m);
	log_info("listening on %s with %d workers", cfg->listen, m.wanted);
	sd_notifyf(0, "READY=1\nSTATUS=%d workers on %s\nMAINPID=%ld",
	    m.wanted, cfg->listen, (long)getpid());
	supervise(&m);
	stop_all(&m);
	if (m.unix_path != NULL)
		unlink(m.unix_path);
	close(m.listen_fd);
	free(m.unix_path);
	free(m.workers);
	triage_model_free(m.triage);
	log_info("stopped");
	return 0;
}
