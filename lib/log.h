/*
 * Logging to stderr, one line per event, for journald or a terminal.
 * The x forms omit strerror(errno), as in OpenBSD's log.c.
 *
 * What an operator can read:
 *  - every event is one line: control characters in a message (libpq's
 *    errors span several lines) become spaces;
 *  - lines carry the pid (the worker), and, from the moment a request is
 *    accepted until it is done, the request's context: its request id,
 *    a short hash of its session and the route it took
 *    ("[req ID sess 1a2b3c4d tag weather]"), so that one conversation turn,
 *    and one conversation, can be followed through the pool's
 *    interleaved output;
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
 * The request context.  log_request_begin() opens it when a connection is
 * accepted (empty), the pipeline fills it as it learns the request's ids
 * (after decoding) and its route, and log_request_end() closes it when the
 * request is done: one place each.  Ids keep only letters, digits, '-',
 * '_' and '.' (at most 64); the session is kept as an 8-digit hash of its
 * whole path, never itself (an integrator may have made it of a phone
 * number).
 */
void	log_request_begin(void);
void	log_request_ids(const char *response_id, size_t idlen,
	    const char *session, size_t sesslen);
void	log_request_tag(const char *tag);
void	log_request_end(void);
/* The request id in force ("" outside a request, or before its decoding). */
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
