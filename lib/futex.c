/* futex(2) for lib/futex.h. */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/futex.h"
#include "lib/log.h"

void
futex_sleep(uint32_t *word, uint32_t seen, int64_t until_ms)
{
	struct timespec	ts;
	int64_t		ms;

	if ((ms = until_ms - now_ms()) <= 0)
		return;
	/* FUTEX_WAIT's timeout is relative, on CLOCK_MONOTONIC. */
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	if (syscall(SYS_futex, word, FUTEX_WAIT, seen, &ts, NULL, 0) == -1 &&
	    errno != EAGAIN && errno != ETIMEDOUT && errno != EINTR)
		fatal("futex wait");
}

void
futex_bump(uint32_t *word)
{
	__atomic_add_fetch(word, 1, __ATOMIC_RELEASE);
	if (syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0) == -1)
		fatal("futex wake");
}
