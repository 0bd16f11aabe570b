/*
 * The prefork pool: a master that owns the listening socket and N
 * identical workers that each loop on FCGX_Accept_r.
 */
#ifndef CXHOOK_POOL_H
#define CXHOOK_POOL_H

#include <stddef.h>

struct auth_keyring;
struct config;
struct scoreboard;
struct shcache;
struct triage_model;

/* What the master shares with every worker it forks. */
struct pool_shared {
	struct scoreboard	*sb;
	struct shcache		*weather_cache;
	struct auth_keyring	*keyring;	/* the ID-token keys */
	/* Read-only pages every worker shares; NULL: no [triage] model. */
	const struct triage_model *triage;
};


/*
 * The receive timeout on the listening socket: how often an idle worker
 * comes back from accept(), and how long a connected peer may stay
 * silent.
 */
#define POOL_TICK_MS	2000

/* An AddressSanitizer build, which runs without max_worker_memory. */
#if defined(__SANITIZE_ADDRESS__)
#define CXHOOK_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CXHOOK_ASAN	1
#endif
#endif
#ifndef CXHOOK_ASAN
#define CXHOOK_ASAN	0
#endif

/*
 * What config_load cannot see without the libraries behind the pool: a
 * conninfo libpq cannot parse, a URL libcurl cannot use.  0, or -1 with
 * err set ("FILE: [section] key: why").
 */
int	pool_config_check(const struct config *, char *err, size_t errsz);

/*
 * The [triage] model the configuration names, read and checked (its
 * checksum, version and sizes, and a category for every route.*): 0 with
 * *out set (NULL when no model is configured), or -1 with err set.
 */
int	pool_triage_load(const struct config *, struct triage_model **out,
	    char *err, size_t errsz);

/* Runs the pool in the foreground until SIGTERM/SIGINT/SIGQUIT; an exit code. */
int	pool_run(struct config *);

/*
 * A worker's life; never returns.  master_pid lets it notice an
 * orphaning; slot is its row in the scoreboard.
 */
void	worker_run(const struct config *, int listen_fd, int master_pid,
	    const struct pool_shared *, int slot) __attribute__((noreturn));

#endif
