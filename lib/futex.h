/*
 * Sleeping on a 32-bit word in shared memory until another process moves
 * it on (Linux futex(2), process-shared: no FUTEX_PRIVATE_FLAG).  The
 * kernel keeps the sleepers, so a process killed while it sleeps leaves
 * nothing behind in the mapping.
 */
#ifndef CXHOOK_FUTEX_H
#define CXHOOK_FUTEX_H

#include <stdint.h>

/*
 * Sleeps while *word == seen, until until_ms (now_ms() time) at the
 * latest.  A wakeup, a timeout, a signal and a word that has already moved
 * on all mean the same to the caller: look again.
 */
void	futex_sleep(uint32_t *word, uint32_t seen, int64_t until_ms);
/* Bumps *word (release) and wakes every sleeper on it. */
void	futex_bump(uint32_t *word);

#endif
