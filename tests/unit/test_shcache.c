/*
 * Unit tests for the shared cache.  Single flight is a property of several
 * processes, so most tests fork: the children only call the cache and
 * write what they got into a shared board, then _exit; every assertion is
 * made in the parent, after it has reaped them all.  Children are started
 * together by closing a pipe they all block on, and the parent waits for
 * "n processes are waiting" through shcache_stats rather than by sleeping,
 * so the tests do not depend on scheduling.
 *
 * Some tests check an upper bound on time, because that is the promise
 * (a put wakes its waiters at once, not at their next 100 ms check).
 * Valgrind slows every process many times over, so under it
 * (tests/run-unit.sh with VALGRIND=1) only the results, the counts and
 * the lower bounds are checked.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/clock.h"
#include "lib/shcache.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND	0
#endif

#define NKIDS		50
#define LONG_MS		5000	/* a deadline no test should reach */

/* What each child got, in memory shared with the parent. */
struct board {
	int		res[NKIDS];	/* enum shcache_result, or -1 */
	int64_t		done_ms[NKIDS];	/* when shcache_get returned */
	char		val[NKIDS][64];
	int		fills;		/* fill_fn calls, in every process */
};

/* What a waiter child does when it is handed the fill. */
struct fill_plan {
	int		 sleep_ms;
	const char	*val;		/* put this; NULL: abandon */
};

static struct board *
board_new(void)
{
	struct board	*b;
	int		 i;

	b = mmap(NULL, sizeof(*b), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(b != MAP_FAILED);
	for (i = 0; i < NKIDS; i++)
		b->res[i] = -1;
	return b;
}

static void
board_free(struct board *b)
{
	munmap(b, sizeof(*b));
}

static void
sleep_ms(int ms)
{
	struct timespec	ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* took (ms) is under ms: an upper bound, not checked under valgrind. */
#define assert_within(took, ms) do {					\
	int64_t	took_ = (took);						\
									\
	if (!RUNNING_ON_VALGRIND && took_ >= (ms))			\
		fail_msg("took %lld ms, want under %d", (long long)took_,	\
		    (ms));						\
} while (0)

/* Every child forked, for kill_strays. */
static pid_t	kids[256];
static size_t	nkids;

/*
 * A child dies with the test binary: a test ended by its alarm leaves no
 * stuck process behind.
 */
static pid_t
xfork(void)
{
	pid_t	pid;

	assert_true(nkids < sizeof(kids) / sizeof(kids[0]));
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0 && prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		_exit(1);
	if (pid != 0)
		kids[nkids++] = pid;
	return pid;
}

/*
 * Teardown of every test: one that failed may have left children behind,
 * stuck on a wedged cache perhaps, and they must not spill into the next
 * test.  Only a child not yet reaped is killed, so no recycled pid is.
 */
static int
kill_strays(void **state)
{
	size_t	i;

	alarm(0);
	for (i = 0; i < nkids; i++)
		if (waitpid(kids[i], NULL, WNOHANG) == 0) {
			kill(kids[i], SIGKILL);
			waitpid(kids[i], NULL, 0);
		}
	nkids = 0;
	return 0;
}

/* Blocks until every copy of the pipe's write end is closed. */
static void
gate_wait(int fd)
{
	char	ch;

	while (read(fd, &ch, 1) == -1 && errno == EINTR)
		;
}

static void
reap(pid_t pid)
{
	int	st;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/*
 * Like reap, but a child that has not exited within ms (LONG_MS under
 * valgrind) is a failure: it is killed first, so that the test fails
 * rather than hangs.
 */
static void
reap_within(pid_t pid, int ms)
{
	int64_t	until;
	pid_t	got;
	int	st;

	if (RUNNING_ON_VALGRIND)
		ms = LONG_MS;
	until = now_ms() + ms;
	while ((got = waitpid(pid, &st, WNOHANG)) == 0 && now_ms() < until)
		sleep_ms(2);
	if (got == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fail_msg("child %ld still running after %d ms", (long)pid, ms);
	}
	assert_int_equal(got, pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void
kill_and_reap(pid_t pid)
{
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
}

/* No zombie and no stray child is left behind by a test. */
static void
assert_no_children(void)
{
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

/* Polls the shcache_stats counter at offset off until it reaches n. */
static void
wait_for(struct shcache *c, size_t off, uint64_t n)
{
	struct shcache_stats	st;
	uint64_t		v;
	int64_t			until = now_ms() + LONG_MS;

	for (;;) {
		shcache_stats(c, &st);
		memcpy(&v, (const char *)&st + off, sizeof(v));
		if (v >= n)
			return;
		assert_true(now_ms() < until);
		sleep_ms(5);
	}
}

#define WAIT_FOR(c, counter, n)	\
	wait_for((c), offsetof(struct shcache_stats, counter), (n))

static enum shcache_result
get(struct shcache *c, const char *key, char *val, int64_t wait_ms,
    int64_t fill_ms)
{
	char			buf[SHCACHE_VAL_MAX + 1];
	size_t			len = 0;
	enum shcache_result	r;

	r = shcache_get(c, key, buf, sizeof(buf), &len, now_ms() + wait_ms,
	    now_ms() + fill_ms);
	if (val != NULL) {
		if (r == SHCACHE_HIT)
			memcpy(val, buf, len + 1);
		else
			val[0] = '\0';
	}
	return r;
}

static void
put(struct shcache *c, const char *key, const char *val, int64_t ttl_ms)
{
	shcache_put(c, key, val, strlen(val), ttl_ms);
}

/*
 * A child that looks key up once the gate pipe (if not NULL) is closed,
 * records the result as board slot idx and, if it is handed the fill,
 * carries out plan.
 */
static pid_t
spawn_waiter(struct shcache *c, struct board *b, int idx, const char *key,
    const int *gate, const struct fill_plan *plan)
{
	enum shcache_result	r;
	pid_t			pid;
	char			val[SHCACHE_VAL_MAX + 1];

	if ((pid = xfork()) != 0)
		return pid;
	if (gate != NULL) {
		close(gate[1]);
		gate_wait(gate[0]);
	}
	r = get(c, key, val, LONG_MS, LONG_MS);
	b->done_ms[idx] = now_ms();
	if (r == SHCACHE_FILL) {
		sleep_ms(plan->sleep_ms);
		if (plan->val != NULL) {
			put(c, key, plan->val, 60000);
			snprintf(val, sizeof(val), "%s", plan->val);
		} else
			shcache_abandon(c, key);
	}
	/* The board is zeroed: the copy stays NUL-terminated. */
	memcpy(b->val[idx], val, strnlen(val, sizeof(b->val[idx]) - 1));
	b->res[idx] = (int)r;
	_exit(0);
}

/*
 * A child that takes the fill of key (and reports it), then waits for a
 * command on the returned pipe: 'p' puts val, 'a' abandons, end of file
 * leaves the fill as it is.  Exits 0 only if it was handed the fill.
 */
static pid_t
spawn_filler(struct shcache *c, const char *key, int64_t fill_ms,
    const char *val, int *cmdfd)
{
	int			ready[2], cmd[2];
	pid_t			pid;
	char			ch;
	enum shcache_result	r;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(cmd), 0);
	if ((pid = xfork()) == 0) {
		close(ready[0]);
		close(cmd[1]);
		r = get(c, key, NULL, LONG_MS, fill_ms);
		ch = r == SHCACHE_FILL ? 'F' : 'x';
		if (write(ready[1], &ch, 1) != 1 || r != SHCACHE_FILL)
			_exit(1);
		if (read(cmd[0], &ch, 1) == 1) {
			if (ch == 'p')
				put(c, key, val, 60000);
			else
				shcache_abandon(c, key);
		}
		_exit(0);
	}
	close(ready[1]);
	close(cmd[0]);
	assert_int_equal(read(ready[0], &ch, 1), 1);
	assert_int_equal(ch, 'F');
	close(ready[0]);
	*cmdfd = cmd[1];
	return pid;
}

static void
send_cmd(int fd, char ch)
{
	assert_int_equal(write(fd, &ch, 1), 1);
	close(fd);
}

static void
test_put_get(void **state)
{
	struct shcache		*c = shcache_create(16);
	struct shcache_stats	 st;
	char			 val[SHCACHE_VAL_MAX + 1];
	size_t			 len = 99;

	assert_int_equal(get(c, "london", NULL, 100, 1000), SHCACHE_FILL);
	put(c, "london", "rain", 60000);
	memset(val, 'x', sizeof(val));
	assert_int_equal(shcache_get(c, "london", val, sizeof(val), &len,
	    now_ms() + 100, now_ms() + 1000), SHCACHE_HIT);
	assert_int_equal(len, 4);
	assert_string_equal(val, "rain");

	/* Keys are exact bytes: normalising is the caller's job. */
	assert_int_equal(get(c, "London", NULL, 100, 1000), SHCACHE_FILL);
	shcache_abandon(c, "London");

	/* A put needs no fill before it, and overwrites. */
	put(c, "paris", "sun", 60000);
	put(c, "paris", "clouds", 60000);
	assert_int_equal(get(c, "paris", val, 100, 1000), SHCACHE_HIT);
	assert_string_equal(val, "clouds");

	shcache_stats(c, &st);
	assert_int_equal(st.hits, 2);
	assert_int_equal(st.misses, 2);
	assert_int_equal(st.fills, 2);
	assert_int_equal(st.waits, 0);
	assert_int_equal(st.timeouts, 0);
	assert_int_equal(st.evictions, 0);
	assert_int_equal(st.entries_used, 2);
	shcache_destroy(c);
}

/* Values are bytes with a length, up to SHCACHE_VAL_MAX of them. */
static void
test_value_bytes(void **state)
{
	struct shcache	*c = shcache_create(4);
	char		 big[SHCACHE_VAL_MAX + 1], val[SHCACHE_VAL_MAX + 1];
	size_t		 len;

	memset(big, 'v', sizeof(big));
	shcache_put(c, "max", big, SHCACHE_VAL_MAX, 60000);
	assert_int_equal(shcache_get(c, "max", val, sizeof(val), &len,
	    now_ms() + 100, now_ms() + 100), SHCACHE_HIT);
	assert_int_equal(len, SHCACHE_VAL_MAX);
	assert_int_equal(val[SHCACHE_VAL_MAX], '\0');
	assert_memory_equal(val, big, SHCACHE_VAL_MAX);

	shcache_put(c, "nul", "a\0b", 3, 60000);
	assert_int_equal(shcache_get(c, "nul", val, sizeof(val), &len,
	    now_ms() + 100, now_ms() + 100), SHCACHE_HIT);
	assert_int_equal(len, 3);
	assert_memory_equal(val, "a\0b", 4);

	/* Too long is not stored, and gives the fill up. */
	assert_int_equal(get(c, "big", NULL, 100, 1000), SHCACHE_FILL);
	shcache_put(c, "big", big, SHCACHE_VAL_MAX + 1, 60000);
	assert_int_equal(get(c, "big", NULL, 100, 1000), SHCACHE_FILL);
	shcache_destroy(c);
}

/*
 * A single-threaded worker that asks again for a key it is filling has
 * lost that fill: it gets the fill back at once rather than waiting for
 * itself.
 */
static void
test_same_process_refills(void **state)
{
	struct shcache		*c = shcache_create(4);
	struct shcache_stats	 st;
	int64_t			 t0;

	assert_int_equal(get(c, "rome", NULL, 2000, 2000), SHCACHE_FILL);
	t0 = now_ms();
	assert_int_equal(get(c, "rome", NULL, 2000, 2000), SHCACHE_FILL);
	assert_within(now_ms() - t0, 50);
	shcache_stats(c, &st);
	assert_int_equal(st.fills, 2);
	assert_int_equal(st.waits, 0);
	assert_int_equal(st.entries_used, 1);
	shcache_destroy(c);
}

/* 50 processes ask for one missing key at once: one fetch, 49 hits. */
static void
test_single_flight(void **state)
{
	static const struct fill_plan	 plan = { 200, "sunny" };
	struct shcache			*c = shcache_create(64);
	struct board			*b = board_new();
	struct shcache_stats		 st;
	pid_t				 pids[NKIDS];
	int				 gate[2], i, fills = 0, hits = 0;

	assert_int_equal(pipe(gate), 0);
	for (i = 0; i < NKIDS; i++)
		pids[i] = spawn_waiter(c, b, i, "madrid", gate, &plan);
	close(gate[0]);
	close(gate[1]);		/* and they are off */
	for (i = 0; i < NKIDS; i++)
		reap(pids[i]);
	assert_no_children();

	for (i = 0; i < NKIDS; i++) {
		if (b->res[i] == SHCACHE_FILL)
			fills++;
		else if (b->res[i] == SHCACHE_HIT)
			hits++;
		assert_string_equal(b->val[i], "sunny");
	}
	assert_int_equal(fills, 1);
	assert_int_equal(hits, NKIDS - 1);
	shcache_stats(c, &st);
	assert_int_equal(st.fills, 1);
	assert_int_equal(st.hits, NKIDS - 1);
	assert_int_equal(st.misses + st.hits - st.waits, NKIDS);
	assert_int_equal(st.timeouts, 0);
	board_free(b);
	shcache_destroy(c);
}

/*
 * A put wakes the waiters at once, not at their next 100 ms check: here
 * the put comes 30 ms into the parent's wait, and the check at 100 ms.
 */
static void
test_put_wakes(void **state)
{
	static const struct fill_plan	 plan = { 30, "dawn" };
	struct shcache			*c = shcache_create(16);
	struct board			*b = board_new();
	char				 val[SHCACHE_VAL_MAX + 1];
	int64_t				 took;
	pid_t				 pid;

	pid = spawn_waiter(c, b, 0, "nuuk", NULL, &plan);
	WAIT_FOR(c, fills, 1);
	assert_int_equal(get(c, "nuuk", val, LONG_MS, LONG_MS), SHCACHE_HIT);
	assert_string_equal(val, "dawn");
	took = now_ms() - b->done_ms[0];
	assert_true(took >= 30);
	assert_within(took, 80);
	reap(pid);
	assert_no_children();
	assert_int_equal(b->res[0], SHCACHE_FILL);
	board_free(b);
	shcache_destroy(c);
}

/*
 * Counts the children of the board that got r (an enum shcache_result or
 * shcache_fetch_result), and checks their values.
 */
static int
count(const struct board *b, int n, int r, const char *val)
{
	int	i, k = 0;

	for (i = 0; i < n; i++) {
		if (b->res[i] != r)
			continue;
		k++;
		if (val != NULL)
			assert_string_equal(b->val[i], val);
	}
	return k;
}

/* A failed fill passes to exactly one of the waiters. */
static void
test_abandon_hands_over(void **state)
{
	static const struct fill_plan	 plan = { 50, "second" };
	struct shcache			*c = shcache_create(16);
	struct board			*b = board_new();
	pid_t				 filler, pids[5];
	int64_t				 t0;
	int				 cmd, i;

	filler = spawn_filler(c, "oslo", LONG_MS, NULL, &cmd);
	for (i = 0; i < 5; i++)
		pids[i] = spawn_waiter(c, b, i, "oslo", NULL, &plan);
	WAIT_FOR(c, waits, 5);
	t0 = now_ms();
	send_cmd(cmd, 'a');
	reap(filler);
	for (i = 0; i < 5; i++)
		reap(pids[i]);
	assert_no_children();

	assert_int_equal(count(b, 5, SHCACHE_FILL, "second"), 1);
	assert_int_equal(count(b, 5, SHCACHE_HIT, "second"), 4);
	/* Woken by the abandon, not by their 100 ms check. */
	for (i = 0; i < 5; i++)
		if (b->res[i] == SHCACHE_FILL)
			assert_within(b->done_ms[i] - t0, 50);
	board_free(b);
	shcache_destroy(c);
}

/*
 * A filler SIGKILLed mid-fill is noticed within a poll interval of being
 * reaped, long before its own fill deadline or the waiters' deadline.
 */
static void
test_killed_filler(void **state)
{
	static const struct fill_plan	 plan = { 0, "fresh" };
	struct shcache			*c = shcache_create(16);
	struct board			*b = board_new();
	pid_t				 filler, pids[3];
	int64_t				 t0;
	int				 cmd, i;

	filler = spawn_filler(c, "lima", LONG_MS, NULL, &cmd);
	for (i = 0; i < 3; i++)
		pids[i] = spawn_waiter(c, b, i, "lima", NULL, &plan);
	WAIT_FOR(c, waits, 3);
	t0 = now_ms();
	assert_int_equal(kill(filler, SIGKILL), 0);
	assert_int_equal(waitpid(filler, NULL, 0), filler);
	close(cmd);
	for (i = 0; i < 3; i++)
		reap(pids[i]);
	assert_no_children();

	assert_int_equal(count(b, 3, SHCACHE_FILL, "fresh"), 1);
	assert_int_equal(count(b, 3, SHCACHE_HIT, "fresh"), 2);
	for (i = 0; i < 3; i++)
		if (b->res[i] == SHCACHE_FILL)
			assert_within(b->done_ms[i] - t0, 1000);
	board_free(b);
	shcache_destroy(c);
}

/*
 * Processes SIGKILLed while they wait for another's fill, and fillers
 * SIGKILLed mid-fill, cost nothing but themselves, round after round on
 * one table: the put that ends each fill returns at once, and the
 * waiters left get its value at once.  A process-shared condition
 * variable fails this: glibc keeps each waiter's state inside it, and the
 * first broadcast after a waiter died there blocks for ever, holding the
 * lock.
 */
static void
test_killed_waiters(void **state)
{
	static const struct fill_plan	 plan = { 0, "clear" };
	struct shcache			*c = shcache_create(16);
	struct board			*b = board_new();
	char				 key[16], val[SHCACHE_VAL_MAX + 1];
	pid_t				 filler, pids[4];
	int64_t				 t0;
	int				 cmd, round, i, idx;

	alarm(20);		/* a wedged cache fails the test, not the run */
	for (round = 0; round < 6; round++) {
		snprintf(key, sizeof(key), "accra%d", round);
		filler = spawn_filler(c, key, LONG_MS, "clear", &cmd);
		for (i = 0; i < 4; i++)
			pids[i] = spawn_waiter(c, b, round * 4 + i, key, NULL,
			    &plan);
		WAIT_FOR(c, waits, (uint64_t)(round + 1) * 4);
		kill_and_reap(pids[0]);
		kill_and_reap(pids[1]);

		/* Odd rounds lose the filler too: a waiter takes over. */
		t0 = now_ms();
		if (round % 2 == 0) {
			send_cmd(cmd, 'p');
			reap_within(filler, 500);
		} else {
			kill_and_reap(filler);
			close(cmd);
		}
		for (i = 2; i < 4; i++) {
			reap_within(pids[i], 1000);
			idx = round * 4 + i;
			assert_true(b->res[idx] == SHCACHE_HIT ||
			    (round % 2 == 1 && b->res[idx] == SHCACHE_FILL));
			assert_string_equal(b->val[idx], "clear");
			assert_within(b->done_ms[idx] - t0, 500);
		}
		assert_int_equal(count(b, (round + 1) * 4, SHCACHE_FILL,
		    NULL), (round + 1) / 2);
		assert_int_equal(get(c, key, val, 100, 100), SHCACHE_HIT);
		assert_string_equal(val, "clear");
	}
	alarm(0);
	assert_no_children();
	board_free(b);
	shcache_destroy(c);
}

/*
 * A process SIGKILLed holding the lock while others wait for a fill: the
 * waiters find it dead at their next check and empty the table (it may be
 * torn), one of them fills the key anew and the others get its value; the
 * first filler's put, when it comes, still returns at once.
 */
static void
test_killed_lock_holder(void **state)
{
	static const struct fill_plan	 plan = { 0, "mist" };
	struct shcache			*c = shcache_create(16);
	struct board			*b = board_new();
	char				 ch, val[SHCACHE_VAL_MAX + 1];
	pid_t				 filler, holder, pids[3];
	int64_t				 t0;
	int				 cmd, ready[2], i;

	alarm(20);
	filler = spawn_filler(c, "hanoi", LONG_MS, "late", &cmd);
	for (i = 0; i < 3; i++)
		pids[i] = spawn_waiter(c, b, i, "hanoi", NULL, &plan);
	WAIT_FOR(c, waits, 3);
	assert_int_equal(pipe(ready), 0);
	if ((holder = xfork()) == 0) {
		if (pthread_mutex_lock((pthread_mutex_t *)(void *)c) != 0 ||
		    write(ready[1], "L", 1) != 1)
			_exit(1);
		pause();
		_exit(1);
	}
	assert_int_equal(read(ready[0], &ch, 1), 1);
	close(ready[0]);
	close(ready[1]);
	t0 = now_ms();
	kill_and_reap(holder);
	for (i = 0; i < 3; i++) {
		reap_within(pids[i], 1000);
		assert_within(b->done_ms[i] - t0, 500);
	}
	assert_int_equal(count(b, 3, SHCACHE_FILL, "mist"), 1);
	assert_int_equal(count(b, 3, SHCACHE_HIT, "mist"), 2);

	send_cmd(cmd, 'p');
	reap_within(filler, 500);
	assert_int_equal(get(c, "hanoi", val, 100, 100), SHCACHE_HIT);
	assert_string_equal(val, "late");
	alarm(0);
	assert_no_children();
	board_free(b);
	shcache_destroy(c);
}

/* A live filler past its fill deadline is taken over too. */
static void
test_fill_deadline(void **state)
{
	struct shcache	*c = shcache_create(16);
	pid_t		 filler;
	int64_t		 t0, took;
	int		 cmd;

	filler = spawn_filler(c, "kyiv", 300, NULL, &cmd);
	t0 = now_ms();
	assert_int_equal(get(c, "kyiv", NULL, LONG_MS, LONG_MS), SHCACHE_FILL);
	took = now_ms() - t0;
	assert_true(took >= 250);
	assert_within(took, 1000);
	put(c, "kyiv", "snow", 60000);
	close(cmd);
	reap(filler);
	assert_no_children();
	shcache_destroy(c);
}

/*
 * A put by a filler that was taken over still stores, but its late
 * abandon must not cancel the fill of the process that took over.
 */
static void
test_put_after_takeover(void **state)
{
	struct shcache	*c = shcache_create(16);
	char		 val[SHCACHE_VAL_MAX + 1];
	pid_t		 pid;
	int		 cmd;

	assert_int_equal(get(c, "quito", NULL, 100, 50), SHCACHE_FILL);
	/* The child waits out our 50 ms fill deadline and takes over. */
	pid = spawn_filler(c, "quito", LONG_MS, "child", &cmd);
	shcache_abandon(c, "quito");
	assert_int_equal(get(c, "quito", NULL, 100, LONG_MS), SHCACHE_TIMEOUT);
	send_cmd(cmd, 'p');
	reap(pid);
	assert_no_children();
	assert_int_equal(get(c, "quito", val, 100, 100), SHCACHE_HIT);
	assert_string_equal(val, "child");

	put(c, "quito", "late", 60000);
	assert_int_equal(get(c, "quito", val, 100, 100), SHCACHE_HIT);
	assert_string_equal(val, "late");
	shcache_destroy(c);
}

static void
test_timeout(void **state)
{
	struct shcache		*c = shcache_create(16);
	struct shcache_stats	 st;
	pid_t			 filler;
	int64_t			 t0, took;
	int			 cmd;

	filler = spawn_filler(c, "cairo", LONG_MS, "hot", &cmd);
	t0 = now_ms();
	assert_int_equal(get(c, "cairo", NULL, 150, LONG_MS), SHCACHE_TIMEOUT);
	took = now_ms() - t0;
	assert_true(took >= 140);
	assert_within(took, 1000);
	/* A deadline already past does not wait at all. */
	assert_int_equal(get(c, "cairo", NULL, -1, LONG_MS), SHCACHE_TIMEOUT);

	send_cmd(cmd, 'p');
	reap(filler);
	assert_no_children();
	assert_int_equal(get(c, "cairo", NULL, 150, LONG_MS), SHCACHE_HIT);
	shcache_stats(c, &st);
	assert_int_equal(st.timeouts, 2);
	assert_int_equal(st.waits, 1);
	assert_int_equal(st.hits, 1);
	shcache_destroy(c);
}

static void
test_ttl(void **state)
{
	struct shcache	*c = shcache_create(4);
	char		 val[SHCACHE_VAL_MAX + 1];

	put(c, "perth", "warm", 50);
	assert_int_equal(get(c, "perth", val, 100, 1000), SHCACHE_HIT);
	assert_string_equal(val, "warm");
	sleep_ms(80);
	assert_int_equal(get(c, "perth", NULL, 100, 1000), SHCACHE_FILL);

	/* No ttl, no value: the put gives the fill up. */
	put(c, "perth", "warm", 0);
	assert_int_equal(get(c, "perth", NULL, 100, 1000), SHCACHE_FILL);
	shcache_destroy(c);
}

static void
test_eviction(void **state)
{
	struct shcache		*c = shcache_create(4);
	struct shcache_stats	 st;
	char			 key[16], val[SHCACHE_VAL_MAX + 1];
	int			 i;

	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(get(c, key, NULL, 100, 1000), SHCACHE_FILL);
		put(c, key, key, 60000);
	}
	shcache_stats(c, &st);
	assert_int_equal(st.entries_used, 4);
	assert_int_equal(st.evictions, 6);
	for (i = 6; i < 10; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(get(c, key, val, 100, 1000), SHCACHE_HIT);
		assert_string_equal(val, key);
	}
	assert_int_equal(get(c, "k0", NULL, 100, 1000), SHCACHE_FILL);
	shcache_destroy(c);
}

/* The least recently used value goes first; an expired one before it. */
static void
test_lru(void **state)
{
	struct shcache		*c = shcache_create(4);
	struct shcache_stats	 st;

	put(c, "a", "1", 60000);
	put(c, "b", "2", 60000);
	put(c, "c", "3", 60000);
	put(c, "d", "4", 60000);
	assert_int_equal(get(c, "a", NULL, 100, 100), SHCACHE_HIT);
	put(c, "e", "5", 60000);
	assert_int_equal(get(c, "a", NULL, 100, 100), SHCACHE_HIT);
	assert_int_equal(get(c, "c", NULL, 100, 100), SHCACHE_HIT);
	assert_int_equal(get(c, "d", NULL, 100, 100), SHCACHE_HIT);
	assert_int_equal(get(c, "e", NULL, 100, 100), SHCACHE_HIT);
	shcache_stats(c, &st);
	assert_int_equal(st.evictions, 1);

	put(c, "short", "6", 1);	/* evicts a, the least recent */
	sleep_ms(5);
	put(c, "f", "7", 60000);	/* takes the expired slot */
	shcache_stats(c, &st);
	assert_int_equal(st.evictions, 2);
	assert_int_equal(get(c, "c", NULL, 100, 100), SHCACHE_HIT);
	assert_int_equal(get(c, "f", NULL, 100, 100), SHCACHE_HIT);
	assert_int_equal(get(c, "b", NULL, 100, 100), SHCACHE_FILL);
	shcache_destroy(c);
}

/* Live fills are never evicted: with all slots filling, nothing is stored. */
static void
test_full_of_fills(void **state)
{
	struct shcache		*c = shcache_create(2);
	struct shcache_stats	 st;

	assert_int_equal(get(c, "a", NULL, 100, LONG_MS), SHCACHE_FILL);
	assert_int_equal(get(c, "b", NULL, 100, LONG_MS), SHCACHE_FILL);
	assert_int_equal(get(c, "c", NULL, 100, LONG_MS), SHCACHE_FILL);
	put(c, "c", "3", 60000);
	assert_int_equal(get(c, "c", NULL, 100, LONG_MS), SHCACHE_FILL);
	shcache_stats(c, &st);
	assert_int_equal(st.entries_used, 2);
	assert_int_equal(st.evictions, 0);

	/* Once a fill is past its deadline its slot is free again. */
	assert_int_equal(get(c, "a", NULL, 100, -1), SHCACHE_FILL);
	put(c, "c", "3", 60000);
	assert_int_equal(get(c, "c", NULL, 100, LONG_MS), SHCACHE_HIT);
	shcache_destroy(c);
}

/* Too long a key is uncacheable: FILL at once, and put stores nothing. */
static void
test_long_key(void **state)
{
	struct shcache		*c = shcache_create(4);
	struct shcache_stats	 st;
	char			 key[SHCACHE_KEY_MAX + 1];

	memset(key, 'k', sizeof(key));
	key[SHCACHE_KEY_MAX] = '\0';
	assert_int_equal(get(c, key, NULL, 100, LONG_MS), SHCACHE_FILL);
	assert_int_equal(get(c, key, NULL, 100, LONG_MS), SHCACHE_FILL);
	put(c, key, "v", 60000);
	shcache_abandon(c, key);
	assert_int_equal(get(c, key, NULL, 100, LONG_MS), SHCACHE_FILL);
	shcache_stats(c, &st);
	assert_int_equal(st.entries_used, 0);
	assert_int_equal(st.fills, 3);

	/* SHCACHE_KEY_MAX - 1 bytes is the longest cacheable key. */
	key[SHCACHE_KEY_MAX - 1] = '\0';
	assert_int_equal(get(c, key, NULL, 100, LONG_MS), SHCACHE_FILL);
	put(c, key, "v", 60000);
	assert_int_equal(get(c, key, NULL, 100, LONG_MS), SHCACHE_HIT);
	shcache_destroy(c);
}

/*
 * A process that dies holding the mutex: the next locker gets EOWNERDEAD,
 * empties the table (it may be torn) and carries on, every time.  The
 * mutex is the first member of struct shcache (see shcache.c).
 */
static void
test_owner_died(void **state)
{
	struct shcache	*c = shcache_create(8);
	char		 val[SHCACHE_VAL_MAX + 1];
	pid_t		 pid;
	int		 round;

	alarm(10);		/* a wedged mutex fails the test, not the run */
	for (round = 0; round < 2; round++) {
		put(c, "baku", "wind", 60000);
		assert_int_equal(get(c, "baku", NULL, 100, 100), SHCACHE_HIT);
		if ((pid = xfork()) == 0) {
			if (pthread_mutex_lock((pthread_mutex_t *)(void *)c)
			    != 0)
				_exit(1);
			_exit(0);
		}
		reap(pid);
		assert_int_equal(get(c, "baku", NULL, 100, 1000),
		    SHCACHE_FILL);
		put(c, "baku", "calm", 60000);
		assert_int_equal(get(c, "baku", val, 100, 100), SHCACHE_HIT);
		assert_string_equal(val, "calm");
	}
	alarm(0);
	assert_no_children();
	shcache_destroy(c);
}

/* ---- shcache_fetch ---- */

/*
 * What fill_fn and use_fn do for one shcache_fetch caller.  fill_fn
 * first writes 'F' to ready_fd and waits for a byte on cmd_fd, if they
 * are not -1 ('p' goes on, anything else fails), then answers val (NULL:
 * fails) with ttl_ms, or says it is too long to keep.  use_fn takes any
 * value but refuse.  got is what the caller was answered, from either.
 * A child fetches with a deadline wait_ms (0: LONG_MS) away.
 */
struct fetch_arg {
	const char	*val;
	int64_t		 ttl_ms;
	bool		 too_long;
	const char	*refuse;
	int		 ready_fd;
	int		 cmd_fd;
	int		 sleep_ms;
	int		 wait_ms;
	int		*fills;		/* counts fill_fn calls */
	int		 uses;
	char		 got[64];
};

static bool
fill_fn(void *arg, char *val, size_t valsz, size_t *vallen, int64_t *ttl_ms)
{
	struct fetch_arg	*a = arg;
	char			 ch = 'p';

	__atomic_add_fetch(a->fills, 1, __ATOMIC_SEQ_CST);
	if (a->ready_fd != -1 && write(a->ready_fd, "F", 1) != 1)
		return false;
	if (a->cmd_fd != -1 && read(a->cmd_fd, &ch, 1) != 1)
		return false;
	sleep_ms(a->sleep_ms);
	if (ch != 'p' || a->val == NULL)
		return false;
	snprintf(val, valsz, "%s", a->val);
	*vallen = a->too_long ? SHCACHE_VAL_MAX + 1 : strlen(a->val);
	*ttl_ms = a->ttl_ms;
	snprintf(a->got, sizeof(a->got), "%s", a->val);
	return true;
}

static bool
use_fn(void *arg, const char *val, size_t vallen)
{
	struct fetch_arg	*a = arg;

	a->uses++;
	if (strlen(val) != vallen ||
	    (a->refuse != NULL && strcmp(val, a->refuse) == 0))
		return false;
	snprintf(a->got, sizeof(a->got), "%s", val);
	return true;
}

static const struct shcache_filler filler = { fill_fn, use_fn };

/* A fetch_arg answering val for ttl_ms, fills counted in *fills. */
static struct fetch_arg
answers(const char *val, int64_t ttl_ms, int *fills)
{
	struct fetch_arg	a;

	memset(&a, 0, sizeof(a));
	a.val = val;
	a.ttl_ms = ttl_ms;
	a.ready_fd = a.cmd_fd = -1;
	a.fills = fills;
	return a;
}

static enum shcache_fetch_result
fetch(struct shcache *c, const char *key, int64_t wait_ms,
    struct fetch_arg *a)
{
	return shcache_fetch(c, key, now_ms() + wait_ms, &filler, a);
}

/*
 * A child that fetches key (once the gate pipe, if not NULL, is closed)
 * as *tmpl says, its fills counted on the board, and records the result
 * and its answer as board slot idx.  A child with a cmd_fd stays alive,
 * like a worker, until it reads one more byte there.
 */
static pid_t
spawn_fetcher(struct shcache *c, struct board *b, int idx, const char *key,
    const int *gate, const struct fetch_arg *tmpl)
{
	struct fetch_arg		a = *tmpl;
	enum shcache_fetch_result	r;
	pid_t				pid;

	if ((pid = xfork()) != 0)
		return pid;
	if (gate != NULL) {
		close(gate[1]);
		gate_wait(gate[0]);
	}
	a.fills = &b->fills;
	r = fetch(c, key, a.wait_ms > 0 ? a.wait_ms : LONG_MS, &a);
	memcpy(b->val[idx], a.got, strnlen(a.got, sizeof(b->val[idx]) - 1));
	b->res[idx] = (int)r;
	if (a.cmd_fd != -1)
		gate_wait(a.cmd_fd);
	_exit(0);
}

/*
 * A child that fetches key and stops in its fill until told: returns
 * once it is there, with the pipe to send its command ('p' goes on, 'a'
 * fails) in *cmdfd, and send_cmd() on it then lets the child exit.
 */
static pid_t
spawn_stopped_filler(struct shcache *c, struct board *b, int idx,
    const char *key, const struct fetch_arg *tmpl, int *cmdfd)
{
	struct fetch_arg	a = *tmpl;
	int			ready[2], cmd[2];
	pid_t			pid;
	char			ch;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(cmd), 0);
	a.ready_fd = ready[1];
	a.cmd_fd = cmd[0];
	pid = spawn_fetcher(c, b, idx, key, NULL, &a);
	close(ready[1]);
	close(cmd[0]);
	assert_int_equal(read(ready[0], &ch, 1), 1);
	assert_int_equal(ch, 'F');
	close(ready[0]);
	*cmdfd = cmd[1];
	return pid;
}

/* A miss is filled and kept; the next fetch uses it and fills nothing. */
static void
test_fetch_fills_then_uses(void **state)
{
	struct shcache		*c = shcache_create(16);
	struct shcache_stats	 st;
	struct fetch_arg	 a;
	int			 fills = 0;

	a = answers("rain", 60000, &fills);
	assert_int_equal(fetch(c, "london", LONG_MS, &a),
	    SHCACHE_FETCH_FILLED);
	assert_string_equal(a.got, "rain");
	assert_int_equal(fills, 1);
	assert_int_equal(a.uses, 0);

	a = answers("sun", 60000, &fills);
	assert_int_equal(fetch(c, "london", LONG_MS, &a),
	    SHCACHE_FETCH_CACHED);
	assert_string_equal(a.got, "rain");
	assert_int_equal(fills, 1);
	assert_int_equal(a.uses, 1);

	shcache_stats(c, &st);
	assert_int_equal(st.fills, 1);
	assert_int_equal(st.hits, 1);
	assert_int_equal(st.entries_used, 1);
	shcache_destroy(c);
}

/* 50 processes fetch one missing key at once: one fill, 49 uses. */
static void
test_fetch_single_flight(void **state)
{
	struct shcache		*c = shcache_create(64);
	struct board		*b = board_new();
	struct fetch_arg	 a = answers("sunny", 60000, NULL);
	pid_t			 pids[NKIDS];
	int			 gate[2], i;

	a.sleep_ms = 200;
	assert_int_equal(pipe(gate), 0);
	for (i = 0; i < NKIDS; i++)
		pids[i] = spawn_fetcher(c, b, i, "madrid", gate, &a);
	close(gate[0]);
	close(gate[1]);
	for (i = 0; i < NKIDS; i++)
		reap(pids[i]);
	assert_no_children();

	assert_int_equal(b->fills, 1);
	assert_int_equal(count(b, NKIDS, SHCACHE_FETCH_FILLED, "sunny"), 1);
	assert_int_equal(count(b, NKIDS, SHCACHE_FETCH_CACHED, "sunny"),
	    NKIDS - 1);
	board_free(b);
	shcache_destroy(c);
}

/*
 * The filler of key ends with end ('a': its fill fails; 'p': it answers
 * a value too long to keep) while 4 others wait: either way one of them
 * takes the fill over, and the other 3 use its value.  The filler lives
 * on and its fill deadline is far off, so the waiters, whose deadline
 * comes first, can only have been told by the fetch itself.
 */
static void
fetch_taken_over(char end)
{
	struct shcache		*c = shcache_create(16);
	struct board		*b = board_new();
	struct fetch_arg	 first = answers("first", 60000, NULL);
	struct fetch_arg	 next = answers("second", 60000, NULL);
	struct fetch_arg	 a;
	pid_t			 pids[5];
	int			 cmd, fills = 0, i;

	first.too_long = true;
	first.wait_ms = 2 * LONG_MS;
	next.wait_ms = LONG_MS / 2;
	pids[0] = spawn_stopped_filler(c, b, 0, "oslo", &first, &cmd);
	for (i = 1; i < 5; i++)
		pids[i] = spawn_fetcher(c, b, i, "oslo", NULL, &next);
	WAIT_FOR(c, waits, 4);
	assert_int_equal(write(cmd, &end, 1), 1);
	for (i = 1; i < 5; i++)
		reap(pids[i]);
	send_cmd(cmd, 'x');
	reap(pids[0]);
	assert_no_children();

	if (end == 'a') {
		assert_int_equal(b->res[0], SHCACHE_FETCH_FAILED);
		assert_string_equal(b->val[0], "");
	} else {
		/* Not kept, but answered all the same. */
		assert_int_equal(b->res[0], SHCACHE_FETCH_FILLED);
		assert_string_equal(b->val[0], "first");
	}
	assert_int_equal(b->fills, 2);
	b->res[0] = -1;
	assert_int_equal(count(b, 5, SHCACHE_FETCH_FILLED, "second"), 1);
	assert_int_equal(count(b, 5, SHCACHE_FETCH_CACHED, "second"), 3);

	a = answers("third", 60000, &fills);
	assert_int_equal(fetch(c, "oslo", LONG_MS, &a), SHCACHE_FETCH_CACHED);
	assert_string_equal(a.got, "second");
	assert_int_equal(fills, 0);
	board_free(b);
	shcache_destroy(c);
}

static void
test_fetch_failed_fill_taken_over(void **state)
{
	fetch_taken_over('a');
}

static void
test_fetch_too_long_taken_over(void **state)
{
	fetch_taken_over('p');
}

/*
 * A fill that outlasts a waiter's deadline: the waiter gets
 * SHCACHE_FETCH_TIMEOUT, having neither filled nor used anything, and
 * the value, once there, is used.
 */
static void
test_fetch_timeout(void **state)
{
	struct shcache		*c = shcache_create(16);
	struct board		*b = board_new();
	struct shcache_stats	 st;
	struct fetch_arg	 hot = answers("hot", 60000, NULL), a;
	pid_t			 pid;
	int64_t			 t0;
	int			 cmd;

	pid = spawn_stopped_filler(c, b, 0, "cairo", &hot, &cmd);
	a = answers("mine", 60000, &b->fills);
	t0 = now_ms();
	assert_int_equal(fetch(c, "cairo", 150, &a), SHCACHE_FETCH_TIMEOUT);
	/* It waited: only the lower bound, which no slow machine breaks. */
	assert_true(now_ms() - t0 >= 140);
	assert_int_equal(b->fills, 1);
	assert_int_equal(a.uses, 0);
	assert_string_equal(a.got, "");

	/* Waiting again, with time enough, gets the filler's value. */
	assert_int_equal(write(cmd, "p", 1), 1);
	assert_int_equal(fetch(c, "cairo", LONG_MS, &a), SHCACHE_FETCH_CACHED);
	assert_string_equal(a.got, "hot");
	send_cmd(cmd, 'x');
	reap(pid);
	assert_no_children();
	assert_int_equal(b->res[0], SHCACHE_FETCH_FILLED);
	assert_int_equal(b->fills, 1);
	shcache_stats(c, &st);
	assert_int_equal(st.timeouts, 1);
	board_free(b);
	shcache_destroy(c);
}

/* The fill chooses how long its value is kept; 0 keeps nothing. */
static void
test_fetch_ttl_from_fill(void **state)
{
	struct shcache		*c = shcache_create(16);
	struct fetch_arg	 nf, found, none;
	int			 fills = 0;

	nf = answers("not found", 100, &fills);
	found = answers("found", 60000, &fills);
	none = answers("uncached", 0, &fills);
	assert_int_equal(fetch(c, "atlantis", LONG_MS, &nf),
	    SHCACHE_FETCH_FILLED);
	assert_int_equal(fetch(c, "atlantis", LONG_MS, &nf),
	    SHCACHE_FETCH_CACHED);
	assert_int_equal(fetch(c, "paris", LONG_MS, &found),
	    SHCACHE_FETCH_FILLED);
	assert_int_equal(fetch(c, "perth", LONG_MS, &none),
	    SHCACHE_FETCH_FILLED);
	assert_int_equal(fetch(c, "perth", LONG_MS, &none),
	    SHCACHE_FETCH_FILLED);
	assert_int_equal(fills, 4);

	sleep_ms(150);
	assert_int_equal(fetch(c, "atlantis", LONG_MS, &nf),
	    SHCACHE_FETCH_FILLED);
	assert_int_equal(fetch(c, "paris", LONG_MS, &found),
	    SHCACHE_FETCH_CACHED);
	assert_string_equal(found.got, "found");
	assert_int_equal(fills, 5);
	shcache_destroy(c);
}

/*
 * A fresh value use() cannot read is fetched again and overwritten; a
 * fetch that fails then leaves it as it was.
 */
static void
test_fetch_unreadable_value(void **state)
{
	struct shcache		*c = shcache_create(16);
	struct fetch_arg	 a;
	char			 val[SHCACHE_VAL_MAX + 1];
	int			 fills = 0;

	put(c, "rome", "v0:sun", 60000);
	a = answers("v1:sun", 60000, &fills);
	a.refuse = "v0:sun";
	assert_int_equal(fetch(c, "rome", LONG_MS, &a), SHCACHE_FETCH_FILLED);
	assert_int_equal(a.uses, 1);
	assert_int_equal(fills, 1);
	assert_int_equal(fetch(c, "rome", LONG_MS, &a), SHCACHE_FETCH_CACHED);
	assert_string_equal(a.got, "v1:sun");
	assert_int_equal(fills, 1);

	put(c, "milan", "v0:fog", 60000);
	a = answers(NULL, 60000, &fills);
	a.refuse = "v0:fog";
	assert_int_equal(fetch(c, "milan", LONG_MS, &a), SHCACHE_FETCH_FAILED);
	assert_int_equal(fills, 2);
	assert_int_equal(get(c, "milan", val, 100, 100), SHCACHE_HIT);
	assert_string_equal(val, "v0:fog");
	shcache_destroy(c);
}

/*
 * No cache, no key, or a key too long to keep: every fetch fills, and
 * nothing is kept or counted.
 */
static void
test_fetch_uncached(void **state)
{
	struct shcache		*c = shcache_create(4);
	struct shcache_stats	 st;
	struct fetch_arg	 a, bad;
	char			 key[SHCACHE_KEY_MAX + 1];
	int			 fills = 0, i;

	memset(key, 'k', sizeof(key));
	key[SHCACHE_KEY_MAX] = '\0';
	a = answers("v", 60000, &fills);
	bad = answers(NULL, 60000, &fills);
	for (i = 0; i < 2; i++) {
		assert_int_equal(fetch(NULL, "lima", LONG_MS, &a),
		    SHCACHE_FETCH_FILLED);
		assert_int_equal(fetch(c, NULL, LONG_MS, &a),
		    SHCACHE_FETCH_FILLED);
		assert_int_equal(fetch(c, key, LONG_MS, &a),
		    SHCACHE_FETCH_FILLED);
	}
	assert_int_equal(fetch(NULL, "lima", LONG_MS, &bad),
	    SHCACHE_FETCH_FAILED);
	assert_int_equal(fetch(c, NULL, LONG_MS, &bad), SHCACHE_FETCH_FAILED);
	assert_int_equal(fetch(c, key, LONG_MS, &bad), SHCACHE_FETCH_FAILED);
	assert_int_equal(fills, 9);
	assert_int_equal(a.uses, 0);
	assert_string_equal(a.got, "v");

	shcache_stats(c, &st);
	assert_int_equal(st.entries_used, 0);
	assert_int_equal(st.hits, 0);
	/* Only the long key reached the table, as its own fills. */
	assert_int_equal(st.fills, 3);
	shcache_destroy(c);
}

/* A value too long to keep answers its caller, and is not kept. */
static void
test_fetch_too_long(void **state)
{
	struct shcache		*c = shcache_create(4);
	struct shcache_stats	 st;
	struct fetch_arg	 a;
	int			 fills = 0;

	a = answers("big", 60000, &fills);
	a.too_long = true;
	assert_int_equal(fetch(c, "big", LONG_MS, &a), SHCACHE_FETCH_FILLED);
	assert_string_equal(a.got, "big");
	shcache_stats(c, &st);
	assert_int_equal(st.entries_used, 0);
	assert_int_equal(fetch(c, "big", LONG_MS, &a), SHCACHE_FETCH_FILLED);
	assert_int_equal(fills, 2);
	shcache_destroy(c);
}

#define TEST(f)	cmocka_unit_test_teardown(f, kill_strays)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_put_get),
		TEST(test_value_bytes),
		TEST(test_same_process_refills),
		TEST(test_single_flight),
		TEST(test_put_wakes),
		TEST(test_abandon_hands_over),
		TEST(test_killed_filler),
		TEST(test_killed_waiters),
		TEST(test_killed_lock_holder),
		TEST(test_fill_deadline),
		TEST(test_put_after_takeover),
		TEST(test_timeout),
		TEST(test_ttl),
		TEST(test_eviction),
		TEST(test_lru),
		TEST(test_full_of_fills),
		TEST(test_long_key),
		TEST(test_owner_died),
		TEST(test_fetch_fills_then_uses),
		TEST(test_fetch_single_flight),
		TEST(test_fetch_failed_fill_taken_over),
		TEST(test_fetch_too_long_taken_over),
		TEST(test_fetch_timeout),
		TEST(test_fetch_ttl_from_fill),
		TEST(test_fetch_unreadable_value),
		TEST(test_fetch_uncached),
		TEST(test_fetch_too_long),
	};

	return cmocka_run_group_tests_name("shcache", tests, NULL, NULL);
}
