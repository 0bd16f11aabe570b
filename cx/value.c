/*
 * Borrowed views of JSON values from a decoded request (see cx.h).  These
 * wrap json-c so that handlers never include it or touch refcounts.
 */
#include <ctype.h>
#include <math.h>
#include <string.h>


#include "cx/cx.h"
#include "cx/json.h"

bool
cx_str_eq(struct cx_str s, const char *lit)
{
	size_t	n = strlen(lit);

	return s.p != NULL && s.len == n && memcmp(s.p, lit, n) == 0;
}

bool
cx_str_empty(struct cx_str s)
{
	return s.p == NULL || s.len == 0;
}

struct cx_str
cx_str_trim(struct cx_str s)
{
	while (s.len > 0 && isspace((unsigned char)s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && isspace((unsigned char)s.p[s.len - 1]))
		s.len--;
	return s;
}

static size_t
digits(const char *p, const char *end)
{
	const char	*q = p;

	while (q < end && *q >= '0' && *q <= '9')
		q++;
	return (size_t)(q - p);
}

/* RFC 8259 number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
bool
cx_is_json_number(struct cx_str s)
{
	const char	*p = s.p, *end = s.p + s.len;
	size_t		 n;

	if (s.p == NULL)
		return false;
	if (p < end && *p == '-')
		p++;
	if ((n = digits(p, end)) == 0 || (*p == '0' && n > 1))
		return false;
	p += n;
	if (p < end && *p == '.') {
		if ((n = digits(++p, end)) == 0)
			return false;
		p += n;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		if ((n = digits(p, end)) == 0)
			return false;
		p += n;
	}
	return p == end;
}

enum cx_type
cx_value_type(struct cx_value v)
{
	if (!v.present)
		return CX_ABSENT;
	switch (json_object_get_type(cx_j(v.j))) {
	case json_type_null:
		return CX_NULL;
	case json_type_boolean:
		return CX_BOOL;
	case json_type_double:
	case json_type_int:
		return CX_NUMBER;
	case json_type_string:
		return CX_STRING;
	case json_type_object:
		return CX_OBJECT;
	case json_type_array:
		return CX_ARRAY;
	}
	return CX_NULL;
}

bool
cx_value_is_set(struct cx_value v)
{
	return v.present && v.j != NULL;
}

bool
cx_value_str(struct cx_value v, struct cx_str *out)
{
	if (cx_value_type(v) != CX_STRING)
		return false;
	out->p = json_object_get_string(cx_j(v.j));
	out->len = (size_t)json_object_get_string_len(cx_j(v.j));
	return true;
}

bool
cx_value_num(struct cx_value v, double *out)
{
	if (cx_value_type(v) != CX_NUMBER)
		return false;
	*out = json_object_get_double(cx_j(v.j));
	return isfinite(*out);
}

bool
cx_value_bool(struct cx_value v, bool *out)
{
	if (cx_value_type(v) != CX_BOOL)
		return false;
	*out = json_object_get_boolean(cx_j(v.j));
	return true;
}

struct cx_value
cx_value_get(struct cx_value v, const char *name)
{
	struct cx_value	 r = { NULL, false };
	json_object	*m;

	if (cx_value_type(v) == CX_OBJECT &&
	    json_object_object_get_ex(cx_j(v.j), name, &m)) {
		r.j = cx_wrap(m);
		r.present = true;
	}
	return r;
}

size_t
cx_value_len(struct cx_value v)
{
	if (cx_value_type(v) != CX_ARRAY)
		return 0;
	return json_object_array_length(cx_j(v.j));
}

struct cx_value
cx_value_at(struct cx_value v, size_t i)
{
	struct cx_value	r = { NULL, false };

	if (i < cx_value_len(v)) {
		r.j = cx_wrap(json_object_array_get_idx(cx_j(v.j), i));
		r.present = true;
	}
	return r;
}
