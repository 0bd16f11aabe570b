/*
 * One-pass, non-recursive RFC 8259 check run on every body before json-c
 * (json_strict.h says what it refuses and why).
 *
 * The scanner is a flat state machine over the bytes with an explicit
 * stack of open containers, so nesting costs heap (bounded by max_depth),
 * never C stack.  It relies on body[len] being NUL: every inner loop stops
 * on a byte that cannot continue the token it is in, and NUL continues
 * none, so the hot loops need no bounds checks of their own.
 *
 * Duplicate keys: each open object owns a run at the end of one shared
 * array of key records.  When the object closes its run is checked
 * (pairwise when short, sorted when long, so a hostile 200,000-key object
 * costs O(n log n), not O(n^2)) and popped.  Keys without escapes are
 * compared where they lie in the body; only escaped keys are decoded, into
 * a shared buffer that is popped the same way.  Memory stays linear in the
 * input.
 *
 * Number range is decided from the digits themselves rather than with
 * strtod, which depends on the locale and would need a copy of spans of
 * any length.
 *
 * Byte offsets in messages are 0-based offsets into the body.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx/cx.h"
#include "cx/json_strict.h"
#include "lib/xalloc.h"

/* A duplicate key is quoted in the message only if this short and printable. */
#define KEY_ECHO_MAX	40
/* Objects with at most this many keys are checked pairwise, not sorted. */
#define PAIRWISE_MAX	8
/* Exponents are accumulated up to here; beyond, any value is 0 or infinite. */
#define EXP_SAT		1000000000LL
/* A key record whose bytes lie in the body, not in the decode buffer. */
#define NO_DOFF		SIZE_MAX

#define IS_DIGIT(c)	((unsigned)(c) - '0' < 10u)

enum { J_OBJ, J_ARR };

/* What the scanner expects next, after skipping whitespace. */
enum {
	ST_OBJ_FIRST,		/* a key or '}' */
	ST_OBJ_KEY,		/* a key, after ',' */
	ST_COLON,
	ST_ARR_FIRST,		/* a value or ']' */
	ST_VALUE,
	ST_AFTER		/* ',' or the closing bracket */
};

/* Byte classes inside a string. */
enum { C_OK, C_QUOTE, C_BSLASH, C_CTRL, C_HIGH };

struct jframe {
	size_t	 kstart;	/* this object's first key record */
	size_t	 dstart;	/* decode buffer length when it opened */
	int	 kind;
};

struct jkey {
	const char	*p;	/* key bytes; set at close for decoded keys */
	size_t		 doff;	/* offset in the decode buffer, or NO_DOFF */
	size_t		 len;
	size_t		 at;	/* body offset of the opening quote */
};

struct jscan {
	char		*b;
	size_t		 len;
	size_t		 i;
	int		 max_depth;
	struct cx_err	*err;
	struct jframe	*st;
	size_t		 depth, stcap;
	struct jkey	*keys;
	size_t		 nkeys, kcap;
	char		*dec;
	size_t		 dlen, dcap;
};

/* The C_* class of each byte inside a string. */
static const unsigned char strclass[256] = {
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,		/* 0x00 */
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,		/* 0x10 */
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,		/* 0x20 '"' */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,		/* 0x30 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,		/* 0x40 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0,		/* 0x50 '\' */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,		/* 0x60 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,		/* 0x70 */
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,		/* 0x80 */
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
};

/*
 * 2^1024 - 2^970, halfway between DBL_MAX and 2^1024: a correctly rounding
 * strtod turns any value from here up into infinity.
 */
static const char dbl_overflow[] =
	"179769313486231580793728971405303415079934132710037826936173"
	"778980444968292764750946649017977587207096330286416692887910"
	"946555547851940402630657488671505820681908902000708383676273"
	"854845817711531764475730270069855571366959622842914819860834"
	"936475292719074168444365510704342711559699508093042880177904"
	"174497792";

static int	fail(struct jscan *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static int
fail(struct jscan *s, const char *fmt, ...)
{
	va_list	ap;

	if (s->err != NULL) {
		va_start(ap, fmt);
		vsnprintf(s->err->msg, sizeof(s->err->msg), fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Room for need elements of size bytes, growing by doubling. */
static void *
grow(void *p, size_t *cap, size_t need, size_t size)
{
	size_t	n;

	if (need <= *cap)
		return p;
	n = *cap == 0 ? 16 : *cap;
	while (n < need)
		n *= 2;
	*cap = n;
	return xreallocarray(p, n, size);
}

static void
skip_ws(struct jscan *s)
{
	const char	*b = s->b;
	size_t		 i = s->i;

	while (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t')
		i++;
	s->i = i;
}

static int
hexval(unsigned char c)
{
	if (IS_DIGIT(c))
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Four hex digits, read one by one so that a NUL stops the read. */
static long
hex4(const char *p)
{
	long	v = 0;
	int	k, d;

	for (k = 0; k < 4; k++) {
		if ((d = hexval((unsigned char)p[k])) < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/*
 * The length of the UTF-8 sequence at p (RFC 3629 table 3-7), or 0 if it
 * is invalid: overlong, a surrogate, above U+10FFFF, truncated, or a stray
 * byte.  Each byte is looked at only if the previous one was valid, so the
 * NUL at body[len] ends a truncated sequence.
 */
static size_t
utf8_seq(const unsigned char *p)
{
	unsigned char	c = p[0], lo = 0x80, hi = 0xbf;

	if (c >= 0xc2 && c <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
		if (p[1] < lo || p[1] > hi)
			return 0;
		return (p[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
		if (p[1] < lo || p[1] > hi || (p[2] & 0xc0) != 0x80)
			return 0;
		return (p[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;
}

static char *
utf8_put(char *o, long cp)
{
	if (cp < 0x80) {
		*o++ = (char)cp;
	} else if (cp < 0x800) {
		*o++ = (char)(0xc0 | cp >> 6);
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*o++ = (char)(0xe0 | cp >> 12);
		*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*o++ = (char)(0xf0 | cp >> 18);
		*o++ = (char)(0x80 | (cp >> 12 & 0x3f));
		*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	}
	return o;
}

/*
 * Decode the already validated key between body offsets from and to (the
 * quotes excluded) onto the end of the decode buffer; returns its length.
 */
static size_t
key_decode(struct jscan *s, size_t from, size_t to)
{
	const char	*q = s->b + from, *e = s->b + to;
	char		*o, *o0;
	long		 cp;

	/* Unescaping never lengthens a string. */
	s->dec = grow(s->dec, &s->dcap, s->dlen + (to - from), 1);
	o = o0 = s->dec + s->dlen;
	while (q < e) {
		if (*q != '\\') {
			*o++ = *q++;
			continue;
		}
		switch (q[1]) {
		case 'b':
			*o++ = '\b';
			break;
		case 'f':
			*o++ = '\f';
			break;
		case 'n':
			*o++ = '\n';
			break;
		case 'r':
			*o++ = '\r';
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'u':
			cp = hex4(q + 2);
			if (cp >= 0xd800 && cp <= 0xdbff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (hex4(q + 8) - 0xdc00);
				q += 6;
			}
			o = utf8_put(o, cp);
			q += 4;
			break;
		default:		/* '"', '\\', '/' */
			*o++ = q[1];
			break;
		}
		q += 2;
	}
	s->dlen += (size_t)(o - o0);
	return (size_t)(o - o0);
}

/* Record the key whose quotes are at body offsets start and end. */
static void
key_add(struct jscan *s, size_t start, size_t end, int escaped)
{
	struct jkey	*k;

	s->keys = grow(s->keys, &s->kcap, s->nkeys + 1, sizeof(*s->keys));
	k = &s->keys[s->nkeys++];
	k->at = start;
	if (!escaped) {
		k->p = s->b + start + 1;
		k->doff = NO_DOFF;
		k->len = end - start - 1;
	} else {
		/* Resolved at close: the buffer may move until then. */
		k->p = NULL;
		k->doff = s->dlen;
		k->len = key_decode(s, start + 1, end);
	}
}

/*
 * The escape at body offset *ip; advances *ip past it.  In a key, \u0000 is
 * rewritten to \ufffd because json-c would cut the key there.
 */
static int
scan_escape(struct jscan *s, size_t *ip, int iskey)
{
	char	*q = s->b + *ip;
	long	 cp, lo;

	switch (q[1]) {
	case '"':
	case '\\':
	case '/':
	case 'b':
	case 'f':
	case 'n':
	case 'r':
	case 't':
		*ip += 2;
		return 0;
	case 'u':
		break;
	default:
		if (*ip + 1 >= s->len)
			return fail(s, "unexpected end of input at byte %zu",
			    s->len);
		return fail(s, "invalid escape at byte %zu", *ip);
	}
	if ((cp = hex4(q + 2)) < 0)
		return fail(s, "invalid \\u escape at byte %zu", *ip);
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return fail(s, "unpaired surrogate escape at byte %zu", *ip);
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (q[6] != '\\' || q[7] != 'u' || (lo = hex4(q + 8)) < 0xdc00 ||
		    lo > 0xdfff)
			return fail(s, "unpaired surrogate escape at byte %zu",
			    *ip);
		*ip += 12;
		return 0;
	}
	if (cp == 0 && iskey)
		memcpy(q + 2, "fffd", 4);
	*ip += 6;
	return 0;
}

/* The string whose opening quote is at s->i; keys are recorded. */
static int
scan_string(struct jscan *s, int iskey)
{
	const unsigned char	*p = (const unsigned char *)s->b;
	size_t			 start = s->i, i = s->i + 1, n;
	int			 escaped = 0;

	for (;;) {
		while (strclass[p[i]] == C_OK)
			i++;
		switch (strclass[p[i]]) {
		case C_QUOTE:
			if (iskey)
				key_add(s, start, i, escaped);
			s->i = i + 1;
			return 0;
		case C_BSLASH:
			if (scan_escape(s, &i, iskey) == -1)
				return -1;
			escaped = 1;
			break;
		case C_CTRL:
			if (i >= s->len)
				return fail(s,
				    "unexpected end of input at byte %zu", i);
			return fail(s, "control character in string at byte %zu",
			    i);
		default:
			if ((n = utf8_seq(p + i)) == 0)
				return fail(s, "invalid UTF-8 at byte %zu", i);
			i += n;
			break;
		}
	}
}

/* Does the integer literal d[0..n) fit json-c's int64 or uint64? */
static int
int_fits(const char *d, size_t n, int neg)
{
	static const char	 i64min[] = "9223372036854775808";
	static const char	 u64max[] = "18446744073709551615";
	const char		*lim = neg ? i64min : u64max;
	size_t			 limlen = neg ? sizeof(i64min) - 1 :
				    sizeof(u64max) - 1;

	if (n != limlen)
		return n < limlen;
	return memcmp(d, lim, n) <= 0;
}

/*
 * Is the unsigned number with mantissa m[0..mlen) (digits and maybe a '.')
 * and exponent part e[0..elen) ("e-12", or empty) finite as a double?
 * Writing it as 0.D x 10^x with D starting at its first non-zero digit,
 * it is finite below 10^308 and infinite from 10^309; in between, D is
 * compared digit by digit with the rounding threshold.
 */
static int
double_fits(const char *m, size_t mlen, const char *e, size_t elen)
{
	const char	*end = m + mlen, *d;
	long long	 x, ex = 0;
	size_t		 k;
	char		 dc, tc;
	int		 eneg = 0;

	if (elen > 0) {
		e++;
		if (*e == '+' || *e == '-')
			eneg = *e++ == '-';
		for (; IS_DIGIT(*e); e++)
			if (ex < EXP_SAT)
				ex = ex * 10 + (*e - '0');
	}
	if (eneg)
		ex = -ex;
	if (*m != '0') {
		for (d = m; d < end && *d != '.'; d++)
			;
		x = (long long)(d - m) + ex;
		d = m;
	} else {
		x = ex;
		for (d = m + 1; d < end && (*d == '.' || *d == '0'); d++)
			if (*d == '0')
				x--;
		if (d == end)
			return 1;	/* zero */
	}
	if (x < (long long)sizeof(dbl_overflow) - 1)
		return 1;
	if (x > (long long)sizeof(dbl_overflow) - 1)
		return 0;
	for (k = 0;; k++) {
		while (d < end && *d == '.')
			d++;
		if (d == end && k >= sizeof(dbl_overflow) - 1)
			return 0;	/* exactly the threshold */
		dc = d < end ? *d++ : '0';
		tc = k < sizeof(dbl_overflow) - 1 ? dbl_overflow[k] : '0';
		if (dc != tc)
			return dc < tc;
	}
}

static int
scan_number(struct jscan *s)
{
	const char	*p = s->b;
	size_t		 start = s->i, i = s->i, digits, intend, mend;
	int		 neg = 0, integral = 1;

	if (p[i] == '-') {
		neg = 1;
		i++;
	}
	digits = i;
	if (p[i] == '0') {
		if (IS_DIGIT(p[++i]))
			return fail(s, "invalid number at byte %zu", start);
	} else if (IS_DIGIT(p[i])) {
		while (IS_DIGIT(p[i]))
			i++;
	} else
		return fail(s, "invalid number at byte %zu", start);
	intend = i;
	if (p[i] == '.') {
		integral = 0;
		if (!IS_DIGIT(p[++i]))
			return fail(s, "invalid number at byte %zu", start);
		while (IS_DIGIT(p[i]))
			i++;
	}
	mend = i;
	if (p[i] == 'e' || p[i] == 'E') {
		integral = 0;
		if (p[++i] == '+' || p[i] == '-')
			i++;
		if (!IS_DIGIT(p[i]))
			return fail(s, "invalid number at byte %zu", start);
		while (IS_DIGIT(p[i]))
			i++;
	}
	s->i = i;
	if (integral ? int_fits(p + digits, intend - digits, neg) :
	    double_fits(p + digits, mend - digits, p + mend, i - mend))
		return 0;
	return fail(s, "number out of range at byte %zu", start);
}

static int
scan_literal(struct jscan *s, char c)
{
	const char	*lit;
	size_t		 n;

	lit = c == 't' ? "true" : c == 'f' ? "false" : "null";
	n = strlen(lit);
	if (s->len - s->i < n || memcmp(s->b + s->i, lit, n) != 0)
		return fail(s, "invalid literal at byte %zu", s->i);
	s->i += n;
	return 0;
}

/* Open a container at s->i. */
static int
push(struct jscan *s, int kind)
{
	struct jframe	*f;

	if (s->max_depth < 0 || s->depth >= (size_t)s->max_depth)
		return fail(s, "nesting deeper than %d at byte %zu",
		    s->max_depth, s->i);
	s->st = grow(s->st, &s->stcap, s->depth + 1, sizeof(*s->st));
	f = &s->st[s->depth++];
	f->kind = kind;
	f->kstart = s->nkeys;
	f->dstart = s->dlen;
	s->i++;
	return 0;
}

static int
key_cmp(const void *va, const void *vb)
{
	const struct jkey	*a = va, *b = vb;
	int			 c;

	if ((c = memcmp(a->p, b->p, a->len < b->len ? a->len : b->len)) != 0)
		return c;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return a->at < b->at ? -1 : a->at > b->at;
}

static int
key_eq(const struct jkey *a, const struct jkey *b)
{
	return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

/* Key bytes come from the network: quote them only if short and plain. */
static int
dup_fail(struct jscan *s, const struct jkey *k)
{
	size_t		n = k->len < KEY_ECHO_MAX ? k->len : KEY_ECHO_MAX, j;
	unsigned char	c;

	for (j = 0; j < n; j++) {
		c = (unsigned char)k->p[j];
		if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
			return fail(s, "duplicate key at byte %zu", k->at);
	}
	return fail(s, "duplicate key \"%.*s%s\" at byte %zu", (int)n, k->p,
	    k->len > n ? "..." : "", k->at);
}

/*
 * The keys of the object that is closing, from record `from` on.  Of the
 * duplicates, the one that comes first in the body is reported.
 */
static int
keys_check(struct jscan *s, size_t from)
{
	struct jkey	*k;
	const struct jkey *dup = NULL;
	size_t		 n = s->nkeys - from, a, b;

	/* Before any pointer arithmetic: keys is NULL until the first key. */
	if (n < 2)
		return 0;
	k = s->keys + from;
	for (a = 0; a < n; a++)
		if (k[a].doff != NO_DOFF)
			k[a].p = s->dec + k[a].doff;
	if (n <= PAIRWISE_MAX) {
		for (b = 1; b < n && dup == NULL; b++)
			for (a = 0; a < b; a++)
				if (key_eq(&k[a], &k[b])) {
					dup = &k[b];
					break;
				}
	} else {
		/* Equal keys sort by position, so k[a] is the later one. */
		qsort(k, n, sizeof(*k), key_cmp);
		for (a = 1; a < n; a++)
			if (key_eq(&k[a - 1], &k[a]) &&
			    (dup == NULL || k[a].at < dup->at))
				dup = &k[a];
	}
	return dup == NULL ? 0 : dup_fail(s, dup);
}

/* Close the innermost container with c at s->i; returns the next state. */
static int
close_container(struct jscan *s, char c)
{
	struct jframe	*f = &s->st[s->depth - 1];

	if (f->kind == J_OBJ) {
		if (c != '}')
			return fail(s, "expected ',' or '}' at byte %zu", s->i);
		if (keys_check(s, f->kstart) == -1)
			return -1;
		s->nkeys = f->kstart;
		s->dlen = f->dstart;
	} else if (c != ']')
		return fail(s, "expected ',' or ']' at byte %zu", s->i);
	s->depth--;
	s->i++;
	return ST_AFTER;
}

static int
scan_value(struct jscan *s, char c)
{
	switch (c) {
	case '{':
		return push(s, J_OBJ) == -1 ? -1 : ST_OBJ_FIRST;
	case '[':
		return push(s, J_ARR) == -1 ? -1 : ST_ARR_FIRST;
	case '"':
		return scan_string(s, 0) == -1 ? -1 : ST_AFTER;
	case '-':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return scan_number(s) == -1 ? -1 : ST_AFTER;
	case 't':
	case 'f':
	case 'n':
		return scan_literal(s, c) == -1 ? -1 : ST_AFTER;
	default:
		return fail(s, "expected a value at byte %zu", s->i);
	}
}

/* One token at s->i (not whitespace, not the end); returns the next state. */
static int
step(struct jscan *s, int state)
{
	char	c = s->b[s->i];

	switch (state) {
	case ST_OBJ_FIRST:
		if (c == '}')
			return close_container(s, c);
		if (c != '"')
			return fail(s, "expected a key or '}' at byte %zu",
			    s->i);
		return scan_string(s, 1) == -1 ? -1 : ST_COLON;
	case ST_OBJ_KEY:
		if (c != '"')
			return fail(s, "expected a key at byte %zu", s->i);
		return scan_string(s, 1) == -1 ? -1 : ST_COLON;
	case ST_COLON:
		if (c != ':')
			return fail(s, "expected ':' at byte %zu", s->i);
		s->i++;
		return ST_VALUE;
	case ST_ARR_FIRST:
		if (c == ']')
			return close_container(s, c);
		return scan_value(s, c);
	case ST_VALUE:
		return scan_value(s, c);
	default:
		if (c != ',')
			return close_container(s, c);
		s->i++;
		return s->st[s->depth - 1].kind == J_OBJ ? ST_OBJ_KEY :
		    ST_VALUE;
	}
}

static int
scan(struct jscan *s)
{
	int	state;

	if (s->len >= 3 && memcmp(s->b, "\xef\xbb\xbf", 3) == 0)
		return fail(s, "byte order mark at byte 0 (not allowed)");
	skip_ws(s);
	if (s->i == s->len)
		return fail(s, "empty body");
	if (s->b[s->i] != '{')
		return fail(s, "body is not a JSON object");
	if (push(s, J_OBJ) == -1)
		return -1;
	state = ST_OBJ_FIRST;
	while (s->depth > 0) {
		skip_ws(s);
		if (s->i >= s->len)
			return fail(s, "unexpected end of input at byte %zu",
			    s->i);
		if ((state = step(s, state)) == -1)
			return -1;
	}
	skip_ws(s);
	if (s->i < s->len)
		return fail(s, "trailing data after the JSON object at byte %zu",
		    s->i);
	return 0;
}

int
json_strict_check(char *body, size_t len, int max_depth, struct cx_err *err)
{
	struct jscan	s;
	int		rc;

	memset(&s, 0, sizeof(s));
	s.b = body;
	s.len = len;
	s.max_depth = max_depth;
	s.err = err;
	if (body[len] != '\0')
		rc = fail(&s, "body is not NUL-terminated (internal error)");
	else
		rc = scan(&s);
	free(s.st);
	free(s.keys);
	free(s.dec);
	return rc;
}
