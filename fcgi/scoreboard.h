/*
 * The scoreboard: one shared-memory page set, mapped by the master before
 * it forks, with a slot per worker.  A worker writes only its own slot;
 * the master and any worker answering /status or /metrics read all of
 * them.  Counters are updated with atomics; the short strings may be read
 * mid-update, which a status page tolerates.
 *
 * It is also how the master names the tag a worker was handling when it
 * died.
 */
#ifndef CXHOOK_SCOREBOARD_H
#define CXHOOK_SCOREBOARD_H

#include <stdint.h>
#include <sys/types.h>

#include "auth/auth.h"
#include "lib/buf.h"

struct auth_keyring;

#define SB_SLOTS	1024
#define SB_TAG_LEN	32
#define SB_REQ_LEN	72

/*
 * A worker is idle in accept(), on a connection (reading a request, or
 * closing after its answer), or busy with a request (which it handles on
 * a connection).
 */
enum sb_state { SB_FREE, SB_IDLE, SB_CONN, SB_BUSY };

struct sb_slot {
	pid_t		pid;
	int		state;			/* enum sb_state */
	uint64_t	requests;
	uint64_t	conns;			/* connections accepted */
	int64_t		started_ms;		/* CLOCK_MONOTONIC */
	int64_t		conn_since_us;		/* 0 when idle */
	int64_t		busy_since_us;		/* 0 unless busy */
	uint64_t	busy_total_us;
	int		stop;			/* the master asks it to leave */
	char		tag[SB_TAG_LEN];	/* current or last route */
	char		request[SB_REQ_LEN];	/* its request id (lib/log.h) */
};

struct scoreboard {
	int64_t		started_ms;
	int64_t		started_unix;
	pid_t		master_pid;
	uint64_t	requests_total;
	uint64_t	responses[6];		/* by status class: [2] = 2xx */
	uint64_t	duration_us_total;
	uint64_t	workers_respawned;
	uint64_t	workers_killed;		/* stuck past the deadline */
	uint64_t	conns_refused;		/* peers not in [pool] allow */
	/* [auth] decisions: by the mode that accepted, by mode and reason. */
	uint64_t	auth_accepted[AUTH_MODES];
	uint64_t	auth_refused[AUTH_MODES][AUTH_REASONS];
	struct sb_slot	slots[SB_SLOTS];
};

struct scoreboard	*sb_create(void);
/* Master: a free slot for a new worker, or -1. */
int			 sb_claim(struct scoreboard *, pid_t);
void			 sb_release(struct scoreboard *, int slot);

/* Worker: around each connection, and each request on it (now_us()). */
void	sb_conn_begin(struct sb_slot *, int64_t now_us);
void	sb_conn_end(struct sb_slot *);
void	sb_begin(struct sb_slot *, const char *tag, int64_t now_us);
void	sb_end(struct scoreboard *, struct sb_slot *, int status,
	    int64_t now_us);
void	sb_set_tag(struct sb_slot *, const char *tag);
void	sb_set_request(struct sb_slot *, const char *id);

/* The /status JSON and the /metrics Prometheus text (now_us() times). */
void	sb_status_json(const struct scoreboard *, int64_t now_us, struct buf *);
void	sb_metrics(const struct scoreboard *, int64_t now_us, struct buf *);

/* Counts an [auth] decision: the mode that accepted, or every configured
 * mode's reason for a refusal. */
void	sb_auth_count(struct scoreboard *, const struct auth_settings *,
	    const struct auth_result *);
/* The [auth] lines of /metrics: the counts, and the ID-token keys. */
void	sb_auth_metrics(const struct scoreboard *, struct auth_keyring *,
	    struct buf *);

#endif
