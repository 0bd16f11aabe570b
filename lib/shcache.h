/*
 * A small key/value cache shared by every worker of the pool, with
 * single-flight fills: when a key is missing, exactly one process is told
 * to fetch it (SHCACHE_FILL) while the others asking for it wait for that
 * process's shcache_put() instead of calling upstream themselves.
 * shcache_fetch() runs that whole protocol for a caller in one call;
 * shcache_get(), _put() and _abandon() are its steps.
 *
 * The table is a fixed array in one MAP_SHARED|MAP_ANONYMOUS mapping, so
 * the master must call shcache_create() before it forks the workers.  It
 * is guarded by one process-shared, robust mutex: a worker killed while
 * holding it costs the cached entries (the table is emptied, since it may
 * have been left half-written), never the pool.  A process waiting for a
 * fill sleeps outside the mutex on a futex, not on a process-shared
 * condition variable, which keeps its waiters' state in the shared memory
 * (glibc) and wedges for good once one of them is killed: here a worker
 * killed while it waits costs nothing (see shcache.c).
 *
 * A filler counts as gone when it calls shcache_abandon(), when its fill
 * deadline passes, or when kill(pid, 0) reports ESRCH.  A dead worker is
 * only ESRCH once its parent has reaped it; until then its fill deadline
 * is what bounds the wait.
 *
 * Times are CLOCK_MONOTONIC milliseconds (lib/clock.h now_ms()), as
 * absolute deadlines.  Keys are exact bytes: the caller normalises them
 * (lib/textkey.h).  The pool's workers are single-threaded; a process is
 * the unit of ownership of a fill.
 */
#ifndef CXHOOK_SHCACHE_H
#define CXHOOK_SHCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHCACHE_KEY_MAX	128	/* keys are at most SHCACHE_KEY_MAX - 1 bytes */
#define SHCACHE_VAL_MAX	1024	/* values are at most SHCACHE_VAL_MAX bytes */

struct shcache;

enum shcache_result {
	SHCACHE_HIT,		/* val holds a fresh value */
	SHCACHE_FILL,		/* fetch it, then shcache_put or _abandon */
	SHCACHE_TIMEOUT		/* another process's fill outlasted deadline */
};

/*
 * Counters since shcache_create(), for every process together.  Each
 * shcache_get() ends in exactly one of hits, fills and timeouts; misses
 * counts the gets that found no fresh value on arrival, and waits those
 * that waited for another process's fill at least once.  evictions counts
 * fresh values pushed out to make room.
 */
struct shcache_stats {
	uint64_t	hits;
	uint64_t	misses;
	uint64_t	fills;
	uint64_t	waits;
	uint64_t	timeouts;
	uint64_t	evictions;
	size_t		entries_used;	/* slots holding a value or a fill */
};

/*
 * A table of nentries slots (at least 1).  Calls fatal() if the mapping or
 * its mutex cannot be set up: this is startup.
 */
struct shcache	*shcache_create(size_t nentries);
/*
 * Unmaps the table.  No process may be using it any more: this is for
 * tests, a pool keeps its cache until exit.
 */
void		 shcache_destroy(struct shcache *);

/*
 * Looks key up at time now_ms().
 *
 * SHCACHE_HIT: the value was copied into val, NUL-terminated, and its
 * length (which does not count the NUL) stored in *vallen.  valsz must be
 * at least SHCACHE_VAL_MAX + 1; a smaller one is a bug and calls fatalx().
 *
 * SHCACHE_FILL: the caller is now the one filler of key and must call
 * shcache_put() or shcache_abandon() before fill_deadline_ms; after it
 * other processes stop waiting and one of them may take the fill over.
 * Also returned at once, with no waiting, when:
 *   - key is SHCACHE_KEY_MAX bytes or longer: it is uncacheable, and put
 *     and abandon ignore it;
 *   - the calling process is itself the filler of key: a single-threaded
 *     worker asking again has lost its earlier fill, so it fills anew;
 *   - every slot is being filled by a live process: the caller fetches
 *     and its put is dropped.
 *
 * SHCACHE_TIMEOUT: another live process was filling key and deadline_ms
 * passed before it put or gave up.  The caller should not fetch key
 * itself: the point of waiting was to spare upstream.
 *
 * While it waits, the caller wakes at least every 100 ms to check that the
 * filler is alive and within its fill deadline.
 */
enum shcache_result	shcache_get(struct shcache *, const char *key,
			    char *val, size_t valsz, size_t *vallen,
			    int64_t deadline_ms, int64_t fill_deadline_ms);

/*
 * Stores val under key for ttl_ms and wakes the processes waiting for it.
 * It need not follow a FILL: a put for a key another process has taken
 * over, or that nobody is filling, just stores or overwrites.  A value
 * longer than SHCACHE_VAL_MAX or a ttl_ms <= 0 is not stored; it acts as
 * shcache_abandon(), so that the waiters do not wait in vain.
 */
void	shcache_put(struct shcache *, const char *key, const char *val,
	    size_t vallen, int64_t ttl_ms);

/*
 * The fill failed: the waiters retry, and one of them becomes the next
 * filler.  Does nothing unless the calling process is the filler of key,
 * so a late abandon cannot cancel a fill that was taken over.
 */
void	shcache_abandon(struct shcache *, const char *key);

void	shcache_stats(struct shcache *, struct shcache_stats *);

/*
 * How shcache_fetch() makes and reads one kind of value; arg is the
 * caller's, passed through to both.
 *
 * fill fetches the value (the slow call the cache is there to spare) and
 * leaves the caller's answer in arg.  It writes what is to be cached into
 * val (valsz bytes) and sets *vallen, and *ttl_ms, how long to keep it,
 * its own choice: a "not found" may be kept for less than a find.  A
 * *vallen over SHCACHE_VAL_MAX (the value did not fit) or a *ttl_ms <= 0
 * still answers the caller, but keeps nothing, and the processes waiting
 * for the value take the fill over.  It returns false if it could not
 * fetch, why being the caller's to keep in arg.
 *
 * use reads a cached value (NUL-terminated, vallen bytes before the NUL)
 * into arg.  false says it cannot (a format it does not know): the caller
 * then fetches the key itself and overwrites the value, as if it was
 * never cached.
 */
struct shcache_filler {
	bool	(*fill)(void *arg, char *val, size_t valsz, size_t *vallen,
		    int64_t *ttl_ms);
	bool	(*use)(void *arg, const char *val, size_t vallen);
};

enum shcache_fetch_result {
	SHCACHE_FETCH_CACHED,	/* use() read a cached value */
	SHCACHE_FETCH_FILLED,	/* fill() answered */
	SHCACHE_FETCH_FAILED,	/* fill() failed: why is in arg */
	SHCACHE_FETCH_TIMEOUT	/* another process's fill outlasted deadline */
};

/*
 * The whole single-flight protocol for key: a fresh value is used;
 * otherwise one process fills the key while the others asking for it
 * wait for its value, and a fill that fails is given up, so that one of
 * them takes it over.  deadline_ms bounds both the wait and the fill
 * (after it, a waiter may take the fill over), so fill must keep to it.
 *
 * SHCACHE_FETCH_TIMEOUT: arg is untouched, and the caller should not
 * fetch key itself: the point of waiting was to spare upstream.
 *
 * With no cache (NULL), no key (NULL: the caller could not make one) or
 * a key too long to keep (see shcache_get), fill is called every time,
 * and nothing is kept.
 */
enum shcache_fetch_result	shcache_fetch(struct shcache *, const char *key,
				    int64_t deadline_ms,
				    const struct shcache_filler *, void *arg);

#endif
