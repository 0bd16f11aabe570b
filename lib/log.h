/*
 * Logging to stderr, one line per event, for journald or a terminal.
 * The x forms omit strerror(errno), as in OpenBSD's log.c.  Lines carry the
 * pid so that a pool's interleaved output can be told apart.  Request bodies
 * are never logged: CX payloads carry what users said.
 */
#ifndef CXHOOK_LOG_H
#define CXHOOK_LOG_H

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void	log_set_level(enum log_level);
int	log_parse_level(const char *, enum log_level *);
int	log_enabled(enum log_level);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
