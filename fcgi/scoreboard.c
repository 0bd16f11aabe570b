/* The shared-memory scoreboard (see scoreboard.h). */
#include <sys/mman.h>

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth/keys.h"
#include "fcgi/scoreboard.h"
#include "lib/clock.h"
#include "lib/log.h"

#define LOAD(p)		__atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define ADD(p, v)	__atomic_add_fetch((p), (v), __ATOMIC_RELAXED)

struct scoreboard *
sb_create(void)
{
	struct scoreboard	*sb;

	sb = mmap(NULL, sizeof(*sb), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	/* Anonymous memory comes zeroed: a page is touched when first used. */
	if (sb == MAP_FAILED)
		fatal("mmap scoreboard");
	sb->started_ms = now_ms();
	sb->started_unix = (int64_t)time(NULL);
	sb->master_pid = getpid();
	return sb;
}

int
sb_claim(struct scoreboard *sb, pid_t pid)
{
	int	i;

	for (i = 0; i < SB_SLOTS; i++) {
		struct sb_slot *s = &sb->slots[i];

		if (LOAD(&s->state) != SB_FREE)
			continue;
		memset(s, 0, sizeof(*s));
		s->pid = pid;
		s->started_ms = now_ms();
		STORE(&s->state, SB_IDLE);
		return i;
	}
	return -1;
}

void
sb_release(struct scoreboard *sb, int slot)
{
	if (slot >= 0 && slot < SB_SLOTS)
		STORE(&sb->slots[slot].state, SB_FREE);
}

/* src, cut to fit: the per-request path, so no snprintf. */
static void
copy_str(char *dst, size_t dstsz, const char *src)
{
	size_t	n = strnlen(src, dstsz - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

void
sb_set_tag(struct sb_slot *s, const char *tag)
{
	copy_str(s->tag, sizeof(s->tag), tag);
}

void
sb_set_request(struct sb_slot *s, const char *id)
{
	copy_str(s->request, sizeof(s->request), id);
}

void
sb_conn_begin(struct sb_slot *s, int64_t now)
{
	ADD(&s->conns, 1);
	sb_set_tag(s, "-");
	sb_set_request(s, "");
	STORE(&s->conn_since_us, now);
	STORE(&s->state, SB_CONN);
}

void
sb_conn_end(struct sb_slot *s)
{
	STORE(&s->conn_since_us, 0);
	STORE(&s->state, SB_IDLE);
}

void
sb_begin(struct sb_slot *s, const char *tag, int64_t now)
{
	sb_set_tag(s, tag);
	STORE(&s->busy_since_us, now);
	STORE(&s->state, SB_BUSY);
}

void
sb_end(struct scoreboard *sb, struct sb_slot *s, int status, int64_t now)
{
	int64_t	took = now - LOAD(&s->busy_since_us);
	int	class = status / 100;

	if (took < 0)
		took = 0;
	ADD(&s->requests, 1);
	ADD(&s->busy_total_us, (uint64_t)took);
	STORE(&s->busy_since_us, 0);
	STORE(&s->state, SB_CONN);
	ADD(&sb->requests_total, 1);
	ADD(&sb->duration_us_total, (uint64_t)took);
	if (class >= 1 && class <= 5)
		ADD(&sb->responses[class], 1);
}

static void
count_states(const struct scoreboard *sb, int *idle, int *busy)
{
	int	i;

	*idle = *busy = 0;
	for (i = 0; i < SB_SLOTS; i++) {
		int	st = LOAD(&sb->slots[i].state);

		*idle += st == SB_IDLE;
		*busy += st == SB_BUSY || st == SB_CONN;
	}
}

/* A tag is ours (a route family), but escape it anyway: it is JSON. */
static void
json_str(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(b, '\\');
		if ((unsigned char)*s >= 0x20)
			buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

void
sb_status_json(const struct scoreboard *sb, int64_t now, struct buf *b)
{
	static const char *const names[] =
	    { "free", "idle", "connected", "busy" };
	int	i, idle, busy, first = 1;

	count_states(sb, &idle, &busy);
	buf_printf(b, "{\"pool\":{\"masterPid\":%ld,\"startTime\":%lld,"
	    "\"uptimeSeconds\":%lld,\"workers\":%d,\"active\":%d,\"idle\":%d,"
	    "\"requests\":%llu,\"respawned\":%llu},\"workers\":[",
	    (long)sb->master_pid, (long long)sb->started_unix,
	    (long long)((now / 1000 - sb->started_ms) / 1000), idle + busy, busy,
	    idle, (unsigned long long)LOAD(&sb->requests_total),
	    (unsigned long long)LOAD(&sb->workers_respawned));
	for (i = 0; i < SB_SLOTS; i++) {
		const struct sb_slot	*s = &sb->slots[i];
		int			 st = LOAD(&s->state);
		int64_t			 since = LOAD(&s->busy_since_us);
		char			 tag[SB_TAG_LEN];

		if (st == SB_FREE)
			continue;
		memcpy(tag, s->tag, sizeof(tag));
		tag[sizeof(tag) - 1] = '\0';
		buf_printf(b, "%s{\"pid\":%ld,\"state\":\"%s\",\"requests\":%llu,"
		    "\"busyMs\":%.3f,\"busyTotalMs\":%.3f,\"tag\":",
		    first ? "" : ",", (long)s->pid, names[st],
		    (unsigned long long)LOAD(&s->requests),
		    st == SB_BUSY && since > 0 ? (double)(now - since) / 1000 :
		    0.0, (double)LOAD(&s->busy_total_us) / 1000);
		json_str(b, tag);
		buf_putc(b, '}');
		first = 0;
	}
	buf_puts(b, "]}");
}

void
sb_metrics(const struct scoreboard *sb, int64_t now, struct buf *b)
{
	int	idle, busy, c;

	count_states(sb, &idle, &busy);
	buf_printf(b,
	    "# HELP cxhook_workers Workers in the pool, by state.\n"
	    "# TYPE cxhook_workers gauge\n"
	    "cxhook_workers{state=\"idle\"} %d\n"
	    "cxhook_workers{state=\"busy\"} %d\n"
	    "# HELP cxhook_requests_total Requests answered by the pool.\n"
	    "# TYPE cxhook_requests_total counter\n"
	    "cxhook_requests_total %llu\n"
	    "# HELP cxhook_responses_total Responses by HTTP status class.\n"
	    "# TYPE cxhook_responses_total counter\n", idle, busy,
	    (unsigned long long)LOAD(&sb->requests_total));
	for (c = 2; c <= 5; c++)
		buf_printf(b, "cxhook_responses_total{class=\"%dxx\"} %llu\n",
		    c, (unsigned long long)LOAD(&sb->responses[c]));
	buf_printf(b,
	    "# HELP cxhook_request_duration_seconds_total Time spent answering, in all.\n"
	    "# TYPE cxhook_request_duration_seconds_total counter\n"
	    "cxhook_request_duration_seconds_total %.6f\n"
	    "# HELP cxhook_workers_respawned_total Workers replaced after "
	    "dying.\n"
	    "# TYPE cxhook_workers_respawned_total counter\n"
	    "cxhook_workers_respawned_total %llu\n"
	    "# HELP cxhook_workers_killed_total Workers killed for being stuck "
	    "past the deadline.\n"
	    "# TYPE cxhook_workers_killed_total counter\n"
	    "cxhook_workers_killed_total %llu\n"
	    "# HELP cxhook_connections_refused_total Connections closed at "
	    "accept: the peer is not in [pool] allow.\n"
	    "# TYPE cxhook_connections_refused_total counter\n"
	    "cxhook_connections_refused_total %llu\n"
	    "# HELP cxhook_uptime_seconds Seconds since the pool started.\n"
	    "# TYPE cxhook_uptime_seconds gauge\n"
	    "cxhook_uptime_seconds %lld\n",
	    (double)LOAD(&sb->duration_us_total) / 1e6,
	    (unsigned long long)LOAD(&sb->workers_respawned),
	    (unsigned long long)LOAD(&sb->workers_killed),
	    (unsigned long long)LOAD(&sb->conns_refused),
	    (long long)((now / 1000 - sb->started_ms) / 1000));
}

void
sb_auth_count(struct scoreboard *sb, const struct auth_settings *s,
    const struct auth_result *res)
{
	int	m;

	if (res->status == 0) {
		__atomic_add_fetch(&sb->auth_accepted[res->mode], 1,
		    __ATOMIC_RELAXED);
		return;
	}
	for (m = 0; m < AUTH_MODES; m++)
		if (auth_mode_on(s, m))
			__atomic_add_fetch(&sb->auth_refused[m][res->reason[m]],
			    1, __ATOMIC_RELAXED);
}

/* Series that never moved are left out: most modes are off. */
void
sb_auth_metrics(const struct scoreboard *sb, struct auth_keyring *kr,
    struct buf *b)
{
	struct keyring_info	info;
	int64_t			now = (int64_t)time(NULL);
	uint64_t		n;
	int			m, r;

	buf_puts(b, "# HELP cxhook_auth_accepted_total Requests let in, by "
	    "the [auth] mode that accepted them.\n"
	    "# TYPE cxhook_auth_accepted_total counter\n");
	for (m = 0; m < AUTH_MODES; m++)
		if ((n = LOAD(&sb->auth_accepted[m])) > 0)
			buf_printf(b, "cxhook_auth_accepted_total{mode=\"%s\"} "
			    "%llu\n", auth_mode_name(m), (unsigned long long)n);
	buf_puts(b, "# HELP cxhook_auth_refused_total Requests refused, by "
	    "each configured mode's reason.\n"
	    "# TYPE cxhook_auth_refused_total counter\n");
	for (m = 0; m < AUTH_MODES; m++)
		for (r = 0; r < AUTH_REASONS; r++)
			if ((n = LOAD(&sb->auth_refused[m][r])) > 0)
				buf_printf(b, "cxhook_auth_refused_total{mode="
				    "\"%s\",reason=\"%s\"} %llu\n",
				    auth_mode_name(m), auth_reason_name(r),
				    (unsigned long long)n);
	if (kr == NULL)
		return;
	keyring_info(kr, &info);
	buf_printf(b,
	    "# HELP cxhook_auth_keys_loaded Whether a set of ID-token keys is "
	    "loaded.\n"
	    "# TYPE cxhook_auth_keys_loaded gauge\n"
	    "cxhook_auth_keys_loaded %d\n"
	    "# HELP cxhook_auth_key_fetches_total Key sets fetched and "
	    "published.\n"
	    "# TYPE cxhook_auth_key_fetches_total counter\n"
	    "cxhook_auth_key_fetches_total %llu\n"
	    "# HELP cxhook_auth_key_fetch_failures_total Key fetches that "
	    "failed (the last good set is kept).\n"
	    "# TYPE cxhook_auth_key_fetch_failures_total counter\n"
	    "cxhook_auth_key_fetch_failures_total %llu\n",
	    info.loaded, (unsigned long long)info.fetches,
	    (unsigned long long)info.failures);
	if (!info.loaded)
		return;
	buf_printf(b,
	    "# HELP cxhook_auth_keys_age_seconds Since the key set in use "
	    "was fetched.\n"
	    "# TYPE cxhook_auth_keys_age_seconds gauge\n"
	    "cxhook_auth_keys_age_seconds %lld\n"
	    "# HELP cxhook_auth_keys_expires_in_seconds Until the key set is "
	    "due to be fetched again (negative: overdue, fetches failing).\n"
	    "# TYPE cxhook_auth_keys_expires_in_seconds gauge\n"
	    "cxhook_auth_keys_expires_in_seconds %lld\n",
	    (long long)(now - info.fetched_unix),
	    (long long)(info.expires_unix - now));
}
