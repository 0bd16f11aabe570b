/*
 * Logging to stderr, one line per event, for journald or a terminal.
 * The x forms omit strerror(errno), as in OpenBSD's log.c.
 *
 * What an operator can read:
 *  - every event is one line: control characters in a message (libpq's
 *    errors span several lines) become spaces;
 *  - lines carry the pid, and, while a request is being handled, its
 *    request id ("[req ID]"), so that one conversation turn can be
 *    followed through the pool's interleaved output;
 *  - a call site (debug lines aside) prints at most LOG_REPEAT_BURST
 *    lines in LOG_REPEAT_MS: the lines past those are counted, and the
 *    last of them is printed with the count when the window has passed
 *    ("... [repeated 140 times in 10 s]"), so an outage or a flood costs
 *    a few lines, not hundreds a second.
 *    log_flush() prints what is due; the pool calls it on its ticks.
 *
 * What it never carries: request bodies, parameters, caller text, query
 * strings, tokens, keys, passwords, confirmation ids.  Callers pass only
 * what is theirs to say (names of things, counts, states, SQLSTATEs).
 */
#ifndef CXHOOK_LOG_H
#define CXHOOK_LOG_H

#include <stddef.h>
#include <stdint.h>

#define LOG_REPEAT_MS		10000
#define LOG_REPEAT_BURST	5

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void	log_set_level(enum log_level);
int	log_parse_level(const char *, enum log_level *);
int	log_enabled(enum log_level);
/*
 * The request the following lines belong to, or NULL between requests.
 * Only letters, digits, '-' and '_' are kept, at most 64 of them.
 */
void	log_set_request(const char *id, size_t len);
/* The request id now in force ("" between requests). */
const char *log_request(void);
/* Prints the counts of repeats whose window has passed. */
void	log_flush(void);
/* Sets the repeat window and burst (LOG_REPEAT_MS, _BURST): for tests. */
void	log_set_repeat(int64_t window_ms, unsigned burst);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
