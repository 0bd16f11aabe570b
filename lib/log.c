/* stderr logger with levels, request ids and repeat counting (see log.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/log.h"

#define REQ_MAX		64
#define MSG_MAX		1024
#define LINE_MAX	(MSG_MAX + REQ_MAX + 8)	/* "[req ID] " and the message */
/* Call sites whose repeats are being counted at once. */
#define REPEAT_SLOTS	16

static enum log_level	 cur_level = LOG_LVL_INFO;

/* The request context (log.h), and its rendering as a line's prefix. */
/*
 * The request context (log.h).  Only stored while a request runs: most
 * requests log nothing, so the "[req ...] " prefix is written only when
 * a line is.
 */
static struct {
	char		id[REQ_MAX + 1];
	uint32_t	session;	/* FNV-1a of the session path */
	bool		has_session;
	char		tag[33];
} cur;
static int64_t		 repeat_ms = LOG_REPEAT_MS;
static unsigned		 repeat_burst = LOG_REPEAT_BURST;

static const char *const level_names[] = {
	[LOG_LVL_ERROR] = "error",
	[LOG_LVL_WARN] = "warn",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};

/*
 * A call site (its format string) seen within the last LOG_REPEAT_MS:
 * when its window began, how many lines it has held back since, and the
 * last of them.
 */
struct repeat {
	const char	*fmt;
	enum log_level	 level;
	int64_t		 since_ms;
	unsigned	 shown;
	unsigned	 held;
	char		 last[LINE_MAX];
};

static struct repeat	repeats[REPEAT_SLOTS];

void
log_set_level(enum log_level l)
{
	cur_level = l;
}

int
log_parse_level(const char *s, enum log_level *out)
{
	size_t	i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	if (strcasecmp(s, "warning") == 0) {
		*out = LOG_LVL_WARN;
		return 0;
	}
	return -1;
}

int
log_enabled(enum log_level l)
{
	return l <= cur_level;
}

void
log_set_repeat(int64_t window_ms, unsigned burst)
{
	repeat_ms = window_ms;
	repeat_burst = burst;
}

const char *
log_request(void)
{
	return cur.id;
}

/* Letters, digits, '-', '_' and '.' of src, at most outsz - 1 of them. */
static void
keep_plain(char *out, size_t outsz, const char *src, size_t len)
{
	size_t	i, n = 0;

	for (i = 0; src != NULL && i < len && n + 1 < outsz; i++) {
		char	c = src[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')
			out[n++] = c;
	}
	out[n] = '\0';
}

/* "[req ID sess HASH tag TAG] ", or "" outside a request; out has 128 bytes. */
static void
prefix(char *out, size_t outsz)
{
	int	n;

	if (cur.id[0] == '\0' && !cur.has_session && cur.tag[0] == '\0') {
		out[0] = '\0';
		return;
	}
	n = snprintf(out, outsz, "[%s%s%s", cur.id[0] != '\0' ? "req " : "",
	    cur.id, cur.id[0] != '\0' && (cur.has_session || cur.tag[0] != '\0') ?
	    " " : "");
	if (cur.has_session && n > 0 && (size_t)n < outsz)
		n += snprintf(out + n, outsz - (size_t)n, "sess %08x%s",
		    (unsigned)cur.session, cur.tag[0] != '\0' ? " " : "");
	if (cur.tag[0] != '\0' && n > 0 && (size_t)n < outsz)
		n += snprintf(out + n, outsz - (size_t)n, "tag %s", cur.tag);
	if (n > 0 && (size_t)n < outsz)
		snprintf(out + n, outsz - (size_t)n, "] ");
}

void
log_request_begin(void)
{
	memset(&cur, 0, sizeof(cur));
}

/*
 * FNV-1a: a short name for a session, to follow it through the log
 * without writing it there; not a secret, so no need for more.
 */
void
log_request_ids(const char *response_id, size_t idlen, const char *session,
    size_t sesslen)
{
	uint32_t	h = 2166136261u;
	size_t		i;

	keep_plain(cur.id, sizeof(cur.id), response_id, idlen);
	cur.has_session = session != NULL && sesslen > 0;
	for (i = 0; cur.has_session && i < sesslen; i++) {
		h ^= (unsigned char)session[i];
		h *= 16777619u;
	}
	cur.session = h;
}

void
log_request_tag(const char *tag)
{
	keep_plain(cur.tag, sizeof(cur.tag), tag, tag != NULL ? strlen(tag) :
	    0);
}

void
log_request_end(void)
{
	memset(&cur, 0, sizeof(cur));
}

/* Control characters (newlines, tabs) become one space; no trailing ones. */
static void
flatten(char *s)
{
	char	*r, *w;
	bool	 gap = false;

	for (r = w = s; *r != '\0'; r++) {
		if ((unsigned char)*r < 0x20 || *r == 0x7f) {
			gap = true;
			continue;
		}
		if (gap && w > s && w[-1] != ' ')
			*w++ = ' ';
		gap = false;
		*w++ = *r;
	}
	while (w > s && w[-1] == ' ')
		w--;
	*w = '\0';
}

/*
 * One fprintf per line: stderr is unbuffered, and a single write keeps
 * lines from different workers from interleaving mid-line.
 */
static void
emit(enum log_level l, const char *line, const char *suffix)
{
	fprintf(stderr, "cxhook[%ld] %s: %s%s\n", (long)getpid(),
	    level_names[l], line, suffix);
}

/* Prints the last line held back, with how many there were. */
static void
release(struct repeat *r, int64_t now)
{
	char	suffix[64];

	if (r->held > 0) {
		snprintf(suffix, sizeof(suffix), " [repeated %u times in %lld s]",
		    r->held, (long long)((now - r->since_ms + 999) / 1000));
		emit(r->level, r->last, suffix);
	}
	r->fmt = NULL;
	r->held = 0;
}

/*
 * Whether line, from the call site fmt, is to be printed now; if not, it
 * is counted.  A call site's first line opens a window of LOG_REPEAT_MS
 * in which it may print LOG_REPEAT_BURST lines; the rest are held back.
 */
static bool
first_in_window(const char *fmt, enum log_level l, const char *line)
{
	struct repeat	*r, *free_slot = NULL, *oldest = NULL;
	int64_t		 now = now_ms();
	size_t		 i;

	for (i = 0; i < REPEAT_SLOTS; i++) {
		r = &repeats[i];
		if (r->fmt == fmt && r->level == l) {
			if (now - r->since_ms < repeat_ms) {
				if (r->shown++ < repeat_burst)
					return true;
				r->held++;
				snprintf(r->last, sizeof(r->last), "%s", line);
				return false;
			}
			release(r, now);
			free_slot = r;
			break;
		}
		if (r->fmt == NULL && free_slot == NULL)
			free_slot = r;
		if (r->fmt != NULL &&
		    (oldest == NULL || r->since_ms < oldest->since_ms))
			oldest = r;
	}
	if (free_slot == NULL) {
		release(oldest, now);
		free_slot = oldest;
	}
	free_slot->fmt = fmt;
	free_slot->level = l;
	free_slot->since_ms = now;
	free_slot->shown = 1;
	free_slot->held = 0;
	return true;
}

void
log_flush(void)
{
	int64_t	now = now_ms();
	size_t	i;

	for (i = 0; i < REPEAT_SLOTS; i++)
		if (repeats[i].fmt != NULL &&
		    now - repeats[i].since_ms >= repeat_ms)
			release(&repeats[i], now);
}

static void
vlog(enum log_level l, int with_errno, bool counted, const char *fmt,
    va_list ap)
{
	char	msg[MSG_MAX], line[LINE_MAX], pre[REQ_MAX + 64];
	int	saved = errno;
	size_t	n;

	if (!log_enabled(l))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno) {
		n = strlen(msg);
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(saved));
	}
	flatten(msg);
	prefix(pre, sizeof(pre));
	snprintf(line, sizeof(line), "%s%s", pre, msg);
	if (!counted || first_in_window(fmt, l, line))
		emit(l, line, "");
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_WARN, 1, true, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_WARN, 0, true, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_INFO, 0, true, fmt, ap);
	va_end(ap);
}

/* Not counted: debug output is asked for, every line of it. */
void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_DEBUG, 0, false, fmt, ap);
	va_end(ap);
}

/* Never held back: the process ends with it. */
void
fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERROR, 1, false, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERROR, 0, false, fmt, ap);
	va_end(ap);
	exit(1);
}
