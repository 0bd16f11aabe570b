/*
 * The shared cache (see shcache.h).
 *
 * Everything lives in one shared mapping: a header with the mutex, the
 * wakeup word and the counters, then a fixed array of entries.
 * Lookups scan the whole array.  At the ~1024 entries a pool uses that is
 * a few microseconds, and it keeps eviction, which has to look at every
 * slot anyway, trivially correct; each entry keeps a hash of its key so
 * the scan rarely touches key bytes.
 *
 * The mutex is held only to read or write the table: never across I/O,
 * and its holder blocks on nothing.  A waiter for another process's fill
 * sleeps with the mutex released, on a futex: gen, a counter bumped
 * whenever a fill ends (put, abandon, recovery), and every sleeper is woken
 * then.  It reads gen under the mutex and sleeps only while gen still has
 * that value, so no wakeup is lost; one woken for another key goes back to
 * sleep.
 *
 * No condition variable: a process-shared pthread_cond_t keeps the state
 * of each waiter inside it (glibc since 2.25), so a waiter SIGKILLed in
 * pthread_cond_timedwait stays counted there for good, and a later
 * broadcast waits for it to leave, for ever, holding the mutex: every
 * worker then wedges on the cache.  The kernel keeps a futex's sleepers to
 * itself, and a dead one is simply gone.
 */
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/futex.h"
#include "lib/log.h"
#include "lib/shcache.h"

/* The longest a waiter sleeps before checking that its filler lives. */
#define POLL_MS		100

enum sc_state { SC_EMPTY, SC_FILLING, SC_READY };

struct sc_entry {
	int		state;			/* enum sc_state */
	pid_t		filler;			/* SC_FILLING */
	int64_t		fill_deadline_ms;	/* SC_FILLING */
	int64_t		expires_ms;		/* SC_READY */
	uint64_t	used;			/* LRU stamp: shcache.tick */
	uint32_t	hash;
	size_t		keylen;
	size_t		vallen;
	char		key[SHCACHE_KEY_MAX];
	char		val[SHCACHE_VAL_MAX + 1];
};

/*
 * Checklist: mu must stay the first member.  test_shcache.c stages the
 * death of a lock holder by locking the mutex through the struct pointer.
 */
struct shcache {
	pthread_mutex_t		mu;
	uint32_t		gen;		/* the futex word; see above */
	size_t			maplen;
	size_t			nentries;
	uint64_t		tick;
	struct shcache_stats	st;
	struct sc_entry		ents[];
};

/* FNV-1a: only a filter before memcmp, so any spread will do. */
static uint32_t
sc_hash(const char *key, size_t len)
{
	uint32_t	h = 2166136261u;
	size_t		i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 16777619u;
	}
	return h;
}

/*
 * A fill ended: wakes every sleeper.  Called with the mutex held, so that a
 * waiter reading gen under it sees either the old value and the old entry
 * or the new ones.
 */
static void
sc_wake(struct shcache *c)
{
	futex_bump(&c->gen);
}

/*
 * A process died holding the mutex, perhaps halfway through writing an
 * entry, and which one cannot be known.  So every entry goes: a lost cache
 * costs one refill per key, a torn value would be a wrong answer.  The
 * waiters of fills in progress find their key gone and refill it.
 */
static void
sc_recover(struct shcache *c)
{
	size_t	i;

	for (i = 0; i < c->nentries; i++)
		c->ents[i].state = SC_EMPTY;
	pthread_mutex_consistent(&c->mu);
	sc_wake(c);
}

/*
 * Returns whether the previous holder had died, for sc_unlock to report.
 * Any other error means the mapping is corrupt: like running out of
 * memory, it kills the worker, and the master forks a fresh one.
 */
static bool
sc_lock(struct shcache *c)
{
	int	rc;

	rc = pthread_mutex_lock(&c->mu);
	if (rc == EOWNERDEAD) {
		sc_recover(c);
		return true;
	}
	if (rc != 0) {
		errno = rc;
		fatal("shcache: pthread_mutex_lock");
	}
	return false;
}

/* The warning waits until the lock is released: its holder does no I/O. */
static void
sc_unlock(struct shcache *c, bool recovered)
{
	pthread_mutex_unlock(&c->mu);
	if (recovered)
		log_warnx("shcache: a process died holding the cache lock; "
		    "the cache was emptied");
}

static struct sc_entry *
sc_find(struct shcache *c, const char *key, size_t keylen, uint32_t h)
{
	struct sc_entry	*e;
	size_t		 i;

	for (i = 0; i < c->nentries; i++) {
		e = &c->ents[i];
		if (e->state != SC_EMPTY && e->hash == h &&
		    e->keylen == keylen && memcmp(e->key, key, keylen) == 0)
			return e;
	}
	return NULL;
}

/*
 * A zombie still answers kill(), so a dead filler is only seen here once
 * it has been reaped; the fill deadline bounds the wait until then.
 */
static bool
sc_filler_gone(const struct sc_entry *e, int64_t now)
{
	if (now >= e->fill_deadline_ms)
		return true;
	return kill(e->filler, 0) == -1 && errno == ESRCH;
}

/*
 * A slot for a key that has none: an empty or expired one, or one whose
 * filler is past its deadline, else the least recently used fresh value.
 * Never the fill of a live process, whose waiters would lose it.  The
 * kill() probes for dead fillers come last, for the rare table that is
 * all fills.  NULL when every slot is a live fill.
 */
static struct sc_entry *
sc_claim(struct shcache *c, const char *key, size_t keylen, uint32_t h,
    int64_t now)
{
	struct sc_entry	*e, *lru = NULL;
	size_t		 i;

	for (i = 0; i < c->nentries; i++) {
		e = &c->ents[i];
		if (e->state == SC_EMPTY ||
		    (e->state == SC_READY && e->expires_ms <= now) ||
		    (e->state == SC_FILLING && now >= e->fill_deadline_ms))
			goto found;
		if (e->state == SC_READY &&
		    (lru == NULL || e->used < lru->used))
			lru = e;
	}
	if (lru != NULL) {
		c->st.evictions++;
		e = lru;
		goto found;
	}
	for (i = 0; i < c->nentries; i++) {
		e = &c->ents[i];
		if (e->state == SC_FILLING && sc_filler_gone(e, now))
			goto found;
	}
	return NULL;
found:
	e->state = SC_EMPTY;
	e->hash = h;
	e->keylen = keylen;
	memcpy(e->key, key, keylen);
	e->key[keylen] = '\0';
	return e;
}

struct shcache *
shcache_create(size_t nentries)
{
	struct shcache		*c;
	pthread_mutexattr_t	 ma;
	size_t			 maplen;
	int			 rc;

	if (nentries == 0 ||
	    nentries > (SIZE_MAX - sizeof(*c)) / sizeof(c->ents[0]))
		fatalx("shcache: bad table size %zu", nentries);
	maplen = sizeof(*c) + nentries * sizeof(c->ents[0]);
	/* Anonymous memory is zeroed: every entry starts SC_EMPTY. */
	c = mmap(NULL, maplen, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (c == MAP_FAILED)
		fatal("shcache: mmap %zu bytes", maplen);
	c->maplen = maplen;
	c->nentries = nentries;

	if ((rc = pthread_mutexattr_init(&ma)) != 0 ||
	    (rc = pthread_mutexattr_setpshared(&ma,
	    PTHREAD_PROCESS_SHARED)) != 0 ||
	    (rc = pthread_mutexattr_setrobust(&ma,
	    PTHREAD_MUTEX_ROBUST)) != 0 ||
	    (rc = pthread_mutex_init(&c->mu, &ma)) != 0) {
		errno = rc;
		fatal("shcache: mutex");
	}
	pthread_mutexattr_destroy(&ma);
	return c;
}

/*
 * The mutex and the futex word live in the mapping and need nothing but
 * the munmap: no destroy call that could wait for a process that died.
 */
void
shcache_destroy(struct shcache *c)
{
	if (c != NULL)
		munmap(c, c->maplen);
}

enum shcache_result
shcache_get(struct shcache *c, const char *key, char *val, size_t valsz,
    size_t *vallen, int64_t deadline_ms, int64_t fill_deadline_ms)
{
	struct sc_entry		*e;
	enum shcache_result	 res;
	size_t			 keylen;
	uint32_t		 h, seen;
	int64_t			 now, until;
	pid_t			 self;
	bool			 arrived = true, waited = false, recovered;

	if (valsz < SHCACHE_VAL_MAX + 1)
		fatalx("%s: value buffer of %zu bytes", __func__, valsz);
	keylen = strnlen(key, SHCACHE_KEY_MAX);
	h = sc_hash(key, keylen);
	self = getpid();

	recovered = sc_lock(c);
	if (keylen >= SHCACHE_KEY_MAX) {
		c->st.misses++;
		c->st.fills++;
		res = SHCACHE_FILL;
		goto out;
	}
	/* While we sleep the entry may be emptied or reused: look up anew. */
	for (;;) {
		now = now_ms();
		e = sc_find(c, key, keylen, h);
		if (e != NULL && e->state == SC_READY && e->expires_ms > now) {
			memcpy(val, e->val, e->vallen);
			val[e->vallen] = '\0';
			*vallen = e->vallen;
			e->used = ++c->tick;
			c->st.hits++;
			res = SHCACHE_HIT;
			break;
		}
		if (arrived) {
			c->st.misses++;
			arrived = false;
		}
		if (e != NULL && e->state == SC_FILLING && e->filler != self &&
		    !sc_filler_gone(e, now)) {
			if (now >= deadline_ms) {
				c->st.timeouts++;
				res = SHCACHE_TIMEOUT;
				break;
			}
			if (!waited) {
				c->st.waits++;
				waited = true;
			}
			until = now + POLL_MS;
			if (until > deadline_ms)
				until = deadline_ms;
			if (until > e->fill_deadline_ms)
				until = e->fill_deadline_ms;
			seen = __atomic_load_n(&c->gen, __ATOMIC_RELAXED);
			sc_unlock(c, recovered);
			futex_sleep(&c->gen, seen, until);
			recovered = sc_lock(c);
			continue;
		}
		/*
		 * Nobody is filling key, or its filler is gone or is us: we
		 * are the filler now.  The waiters of a gone filler need no
		 * wakeup, they see us at their next check.
		 */
		if (e == NULL)
			e = sc_claim(c, key, keylen, h, now);
		if (e != NULL) {
			e->state = SC_FILLING;
			e->filler = self;
			e->fill_deadline_ms = fill_deadline_ms;
			e->used = ++c->tick;
		}
		c->st.fills++;
		res = SHCACHE_FILL;
		break;
	}
out:
	sc_unlock(c, recovered);
	return res;
}

void
shcache_put(struct shcache *c, const char *key, const char *val,
    size_t vallen, int64_t ttl_ms)
{
	struct sc_entry	*e;
	size_t		 keylen;
	uint32_t	 h;
	int64_t		 now;
	bool		 recovered, was_filling;

	keylen = strnlen(key, SHCACHE_KEY_MAX);
	if (keylen >= SHCACHE_KEY_MAX)
		return;
	if (vallen > SHCACHE_VAL_MAX || ttl_ms <= 0) {
		shcache_abandon(c, key);
		return;
	}
	h = sc_hash(key, keylen);

	recovered = sc_lock(c);
	now = now_ms();
	if ((e = sc_find(c, key, keylen, h)) == NULL)
		e = sc_claim(c, key, keylen, h, now);
	if (e != NULL) {
		was_filling = e->state == SC_FILLING;
		memcpy(e->val, val, vallen);
		e->val[vallen] = '\0';
		e->vallen = vallen;
		e->expires_ms = ttl_ms > INT64_MAX - now ? INT64_MAX :
		    now + ttl_ms;
		e->filler = 0;
		e->used = ++c->tick;
		e->state = SC_READY;
		if (was_filling)
			sc_wake(c);
	}
	sc_unlock(c, recovered);
}

void
shcache_abandon(struct shcache *c, const char *key)
{
	struct sc_entry	*e;
	size_t		 keylen;
	bool		 recovered;

	keylen = strnlen(key, SHCACHE_KEY_MAX);
	if (keylen >= SHCACHE_KEY_MAX)
		return;
	recovered = sc_lock(c);
	e = sc_find(c, key, keylen, sc_hash(key, keylen));
	if (e != NULL && e->state == SC_FILLING && e->filler == getpid()) {
		e->state = SC_EMPTY;
		sc_wake(c);
	}
	sc_unlock(c, recovered);
}

void
shcache_stats(struct shcache *c, struct shcache_stats *st)
{
	size_t	i;
	bool	recovered;

	recovered = sc_lock(c);
	*st = c->st;
	st->entries_used = 0;
	for (i = 0; i < c->nentries; i++)
		if (c->ents[i].state != SC_EMPTY)
			st->entries_used++;
	sc_unlock(c, recovered);
}

/*
 * len and ttl start at values that keep nothing, so a fill that forgets
 * to set them answers its caller and frees its waiters all the same.
 * A value left too long is never read: shcache_put() checks the length
 * first.
 */
static bool
sc_fill(const struct shcache_filler *f, void *arg, char *val, size_t valsz,
    size_t *len, int64_t *ttl_ms)
{
	*len = 0;
	*ttl_ms = 0;
	return f->fill(arg, val, valsz, len, ttl_ms);
}

enum shcache_fetch_result
shcache_fetch(struct shcache *c, const char *key, int64_t deadline_ms,
    const struct shcache_filler *f, void *arg)
{
	char	val[SHCACHE_VAL_MAX + 1];
	size_t	len;
	int64_t	ttl_ms;

	if (c == NULL || key == NULL)
		return sc_fill(f, arg, val, sizeof(val), &len, &ttl_ms) ?
		    SHCACHE_FETCH_FILLED : SHCACHE_FETCH_FAILED;
	switch (shcache_get(c, key, val, sizeof(val), &len, deadline_ms,
	    deadline_ms)) {
	case SHCACHE_TIMEOUT:
		return SHCACHE_FETCH_TIMEOUT;
	case SHCACHE_HIT:
		if (f->use(arg, val, len))
			return SHCACHE_FETCH_CACHED;
		/*
		 * Fresh but unreadable: fetched again and overwritten.  Not
		 * our fill, so an abandon below does nothing.
		 */
		break;
	case SHCACHE_FILL:
		break;
	}
	if (!sc_fill(f, arg, val, sizeof(val), &len, &ttl_ms)) {
		shcache_abandon(c, key);
		return SHCACHE_FETCH_FAILED;
	}
	shcache_put(c, key, val, len, ttl_ms);
	return SHCACHE_FETCH_FILLED;
}
