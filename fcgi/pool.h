/*
 * The prefork pool: a master that owns the listening socket and N
 * identical workers that each loop on FCGX_Accept_r.
 */
#ifndef CXHOOK_POOL_H
#define CXHOOK_POOL_H

struct config;
struct scoreboard;
struct shcache;

/* What the master shares with every worker it forks. */
struct pool_shared {
	struct scoreboard	*sb;
	struct shcache		*weather_cache;
};

/* Runs the pool in the foreground until SIGTERM/SIGINT/SIGQUIT; an exit code. */
int	pool_run(struct config *);

/*
 * A worker's life; never returns.  master_pid lets it notice an
 * orphaning; slot is its row in the scoreboard.
 */
void	worker_run(const struct config *, int listen_fd, int master_pid,
	    const struct pool_shared *, int slot) __attribute__((noreturn));

#endif
