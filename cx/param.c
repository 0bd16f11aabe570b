/*
 * Parameter lookup (docs/contract.md §4) and typed views of parameter values.
 *
 * CX parameters are google.protobuf.Value: any JSON type, every number a
 * double.  The same id arrives as "10042", 10042 or 10042.0 depending on
 * the entity type and the agent's history, so each view accepts every
 * shape that can reasonably carry its meaning.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cx/cx.h"

/* A value that counts as "given": not absent, not null, not "". */
static bool
given(struct cx_value v)
{
	struct cx_str	s;

	if (!cx_value_is_set(v) || cx_value_type(v) == CX_NULL)
		return false;
	if (cx_value_str(v, &s) && s.len == 0)
		return false;
	return true;
}

struct cx_value
cx_param(const struct cx_request *req, const char *name)
{
	struct cx_value	ipv, v;

	ipv = cx_value_get(req->intent_params, name);
	if (cx_value_type(ipv) == CX_OBJECT) {
		v = cx_value_get(ipv, "resolvedValue");
		if (given(v))
			return v;
		v = cx_value_get(ipv, "originalValue");
		if (given(v))
			return v;
	}
	v = cx_value_get(req->session_params, name);
	if (given(v))
		return v;
	v.j = NULL;
	v.present = false;
	return v;
}

/* 2^53: beyond it a double no longer holds every integer. */
#define EXACT_INT_MAX	9007199254740992.0

/* The shortest text that reads back as the same double (19.99, not 19.989999999999998). */
static bool
num_text(double d, char *buf, size_t bufsz)
{
	int	n = -1, prec;

	if (!isfinite(d))
		return false;
	if (d == floor(d) && fabs(d) <= EXACT_INT_MAX)
		n = snprintf(buf, bufsz, "%.0f", d);
	else {
		for (prec = 15; prec <= 17; prec++) {
			n = snprintf(buf, bufsz, "%.*g", prec, d);
			if (n > 0 && (size_t)n < bufsz && strtod(buf, NULL) == d)
				break;
		}
	}
	return n > 0 && (size_t)n < bufsz;
}

static bool
copy_str(struct cx_str s, char *buf, size_t bufsz)
{
	/* An embedded NUL would silently shorten the C string. */
	if (s.len >= bufsz || memchr(s.p, '\0', s.len) != NULL)
		return false;
	memcpy(buf, s.p, s.len);
	buf[s.len] = '\0';
	return true;
}

static bool
value_text(struct cx_value v, char *buf, size_t bufsz)
{
	static const char *const members[] = { "name", "original", "city" };
	struct cx_str	 s;
	double		 d;
	size_t		 i;

	if (cx_value_str(v, &s)) {
		/* " 10042 " from a sloppy form is still 10042. */
		s = cx_str_trim(s);
		return s.len > 0 && copy_str(s, buf, bufsz);
	}
	if (cx_value_num(v, &d))
		return num_text(d, buf, bufsz);
	if (cx_value_type(v) == CX_OBJECT) {
		for (i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
			struct cx_value	m = cx_value_get(v, members[i]);

			if (cx_value_type(m) == CX_STRING &&
			    value_text(m, buf, bufsz))
				return true;
		}
	}
	return false;
}

bool
cx_param_text(const struct cx_request *req, const char *name, char *buf,
    size_t bufsz)
{
	return value_text(cx_param(req, name), buf, bufsz);
}

static bool
str_to_long(struct cx_str s, long *out)
{
	char	 tmp[32], *end;
	double	 d;

	if (!copy_str(s, tmp, sizeof(tmp)))
		return false;
	d = strtod(tmp, &end);
	if (end == tmp)
		return false;
	while (isspace((unsigned char)*end))
		end++;
	if (*end != '\0' || !isfinite(d) || d != floor(d) ||
	    fabs(d) > EXACT_INT_MAX)
		return false;
	*out = (long)d;
	return true;
}

bool
cx_param_num(const struct cx_request *req, const char *name, double *out)
{
	struct cx_value	 v = cx_param(req, name);
	struct cx_str	 s;
	char		 tmp[64], *end;

	if (cx_value_num(v, out))
		return true;
	if (!cx_value_str(v, &s) || !copy_str(s, tmp, sizeof(tmp)))
		return false;
	*out = strtod(tmp, &end);
	if (end == tmp)
		return false;
	while (isspace((unsigned char)*end))
		end++;
	return *end == '\0' && isfinite(*out);
}

bool
cx_param_int(const struct cx_request *req, const char *name, long *out)
{
	struct cx_value	 v = cx_param(req, name);
	struct cx_str	 s;
	double		 d;

	if (cx_value_num(v, &d)) {
		if (d != floor(d) || fabs(d) > EXACT_INT_MAX)
			return false;
		*out = (long)d;
		return true;
	}
	if (cx_value_str(v, &s))
		return str_to_long(s, out);
	return false;
}

/* An integral member of an object; absent counts as dflt. */
static bool
member_int(struct cx_value obj, const char *name, int dflt, int *out)
{
	struct cx_value	m = cx_value_get(obj, name);
	double		d;

	if (!m.present || cx_value_type(m) == CX_NULL) {
		*out = dflt;
		return true;
	}
	if (!cx_value_num(m, &d) || d != floor(d) || fabs(d) > 1e6)
		return false;
	*out = (int)d;
	return true;
}

static bool
date_in_range(const struct cx_date *d)
{
	return d->year >= 1 && d->year <= 9999 && d->month >= 1 &&
	    d->month <= 12 && d->day >= 1 && d->day <= 31;
}

bool
cx_date_valid(const struct cx_date *d)
{
	static const int mdays[] =
	    { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int	leap, max;

	if (!date_in_range(d))
		return false;
	leap = (d->year % 4 == 0 && d->year % 100 != 0) || d->year % 400 == 0;
	max = mdays[d->month - 1] + (d->month == 2 && leap);
	return d->day <= max;
}

bool
cx_param_date(const struct cx_request *req, const char *name,
    struct cx_date *out)
{
	struct cx_value	v = cx_param(req, name);
	struct cx_str	s;
	char		tmp[64];
	int		n = 0;

	if (cx_value_type(v) == CX_OBJECT) {
		if (!cx_value_get(v, "year").present ||
		    !cx_value_get(v, "month").present ||
		    !cx_value_get(v, "day").present)
			return false;
		if (!member_int(v, "year", 0, &out->year) ||
		    !member_int(v, "month", 0, &out->month) ||
		    !member_int(v, "day", 0, &out->day))
			return false;
		return date_in_range(out);
	}
	if (!cx_value_str(v, &s) || !copy_str(s, tmp, sizeof(tmp)))
		return false;
	/* "2026-09-14", or the date of "2026-09-14T15:30:00-03:00". */
	if (sscanf(tmp, "%4d-%2d-%2d%n", &out->year, &out->month, &out->day,
	    &n) != 3 || n != 10 || (tmp[10] != '\0' && tmp[10] != 'T' &&
	    tmp[10] != ' '))
		return false;
	return date_in_range(out);
}

static bool
parse_time_str(const char *s, struct cx_time *t)
{
	const char	*rest;
	int		 n = 0, n2 = 0;

	t->seconds = 0;
	if (sscanf(s, "%2d:%2d%n", &t->hours, &t->minutes, &n) != 2)
		return false;
	rest = s + n;
	if (sscanf(rest, ":%2d%n", &t->seconds, &n2) == 1)
		rest += n2;
	while (*rest == ' ')
		rest++;
	if (strcasecmp(rest, "pm") == 0 || strcasecmp(rest, "p.m.") == 0) {
		if (t->hours < 1 || t->hours > 12)
			return false;
		t->hours = t->hours % 12 + 12;
	} else if (strcasecmp(rest, "am") == 0 ||
	    strcasecmp(rest, "a.m.") == 0) {
		if (t->hours < 1 || t->hours > 12)
			return false;
		t->hours %= 12;
	} else if (*rest != '\0')
		return false;
	return true;
}

bool
cx_param_time(const struct cx_request *req, const char *name,
    struct cx_time *out)
{
	struct cx_value	v = cx_param(req, name);
	struct cx_str	s;
	char		tmp[64], *t;

	if (cx_value_type(v) == CX_OBJECT) {
		if (!cx_value_get(v, "hours").present)
			return false;
		if (!member_int(v, "hours", 0, &out->hours) ||
		    !member_int(v, "minutes", 0, &out->minutes) ||
		    !member_int(v, "seconds", 0, &out->seconds))
			return false;
	} else {
		if (!cx_value_str(v, &s) || !copy_str(s, tmp, sizeof(tmp)))
			return false;
		/* The time of an ISO date-time ("...T15:30:00-03:00"), or a
		 * bare time; the zone offset is not ours to apply. */
		if ((t = strchr(tmp, 'T')) != NULL) {
			t++;
			t[strspn(t, "0123456789:")] = '\0';
		} else
			t = tmp;
		if (!parse_time_str(t, out))
			return false;
	}
	return out->hours >= 0 && out->hours <= 23 && out->minutes >= 0 &&
	    out->minutes <= 59 && out->seconds >= 0 && out->seconds <= 59;
}
