/*
 * JSON paths and the path by path comparison of two trees (jsondiff.h).
 * A walk names where it is by a chain of struct jpos on the stack, from
 * the node up to the root: matching a path and printing one allocate
 * nothing.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/jsondiff.h"
#include "lib/errf.h"
#include "lib/xalloc.h"

/* Bytes of a value printed in a difference; the rest is cut. */
#define VALUE_MAX	300

enum jstep_kind {
	JSTEP_KEY,
	JSTEP_INDEX,
	JSTEP_ANY,
};

struct jstep {
	enum jstep_kind	 kind;
	char		*key;
	size_t		 index;
};

struct jpath {
	struct jstep	*step;
	size_t		 n;
};

struct jpos {
	const struct jpos	*up;	/* NULL at the root */
	const char		*key;	/* a member's name; NULL: an element */
	size_t			 index;
	size_t			 depth;	/* steps from the root */
};

/* One side of a comparison: json-c holds JSON null as NULL. */
struct side {
	json_object	*j;
	bool		 has;
};

struct walk {
	FILE			*fp;
	const struct jpath_set	*vol;
	size_t			 n;	/* differences found */
	size_t			 max;	/* of them printed */
};

/* A member's or an element's place, below pos (its key or index unset). */
static struct jpos
below(const struct jpos *pos)
{
	struct jpos	child = { pos, NULL, 0, pos->depth + 1 };

	return child;
}

static void
path_push(struct jpath *p, enum jstep_kind kind, char *key, size_t index)
{
	p->step = xreallocarray(p->step, p->n + 1, sizeof(*p->step));
	p->step[p->n].kind = kind;
	p->step[p->n].key = key;
	p->step[p->n].index = index;
	p->n++;
}

static void
path_free(struct jpath *p)
{
	size_t	i;

	for (i = 0; i < p->n; i++)
		free(p->step[i].key);
	free(p->step);
}

/* ["NAME"], NAME a JSON string; s is at the quote.  Past the ']', or NULL. */
static const char *
parse_quoted(const char *s, char **key)
{
	const char	*q;
	json_object	*j;
	char		*text;

	for (q = s + 1; *q != '\0' && *q != '"'; q++)
		if (*q == '\\' && q[1] != '\0')
			q++;
	if (*q != '"' || q[1] != ']')
		return NULL;
	text = xstrndup(s, (size_t)(q - s) + 1);
	j = json_tokener_parse(text);
	free(text);
	if (!json_object_is_type(j, json_type_string)) {
		json_object_put(j);
		return NULL;
	}
	*key = xstrdup(json_object_get_string(j));
	json_object_put(j);
	return q + 2;
}

/* [N] or [*]; s is past the '['.  Past the ']', or NULL. */
static const char *
parse_index(struct jpath *p, const char *s)
{
	unsigned long long	 n;
	char			*end;
	char			*key;

	if (s[0] == '*' && s[1] == ']') {
		path_push(p, JSTEP_ANY, NULL, 0);
		return s + 2;
	}
	if (s[0] == '"') {
		if ((s = parse_quoted(s, &key)) != NULL)
			path_push(p, JSTEP_KEY, key, 0);
		return s;
	}
	if (s[0] < '0' || s[0] > '9')
		return NULL;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0 || *end != ']' || n > SIZE_MAX)
		return NULL;
	path_push(p, JSTEP_INDEX, NULL, (size_t)n);
	return end + 1;
}

int
jpath_set_add(struct jpath_set *set, const char *text, char *err,
    size_t errsz)
{
	struct jpath	 p = { NULL, 0 };
	const char	*s = text;
	size_t		 n;
	bool		 name;

	/* "$" may be left out before a first name. */
	name = *s != '$' && *s != '.' && *s != '[';
	if (*s == '$')
		s++;
	if (*text == '\0')
		goto bad;
	while (*s != '\0') {
		if (*s == '.' || name) {
			s += name ? 0 : 1;
			name = false;
			if ((n = strcspn(s, ".[]\" \t")) == 0)
				goto bad;
			if (n == 1 && *s == '*')
				path_push(&p, JSTEP_ANY, NULL, 0);
			else
				path_push(&p, JSTEP_KEY, xstrndup(s, n), 0);
			s += n;
		} else if (*s == '[') {
			if ((s = parse_index(&p, s + 1)) == NULL)
				goto bad;
		} else
			goto bad;
	}
	set->v = xreallocarray(set->v, set->n + 1, sizeof(*set->v));
	set->v[set->n++] = p;
	return 0;
bad:
	path_free(&p);
	return errf(err, errsz, "not a JSON path: %s", text);
}

void
jpath_set_free(struct jpath_set *set)
{
	size_t	i;

	for (i = 0; i < set->n; i++)
		path_free(&set->v[i]);
	free(set->v);
	set->v = NULL;
	set->n = 0;
}

static bool
path_matches(const struct jpath *p, const struct jpos *pos)
{
	const struct jstep	*st;
	size_t			 i;

	if (p->n != pos->depth)
		return false;
	for (i = p->n; i > 0; i--, pos = pos->up) {
		st = &p->step[i - 1];
		if (st->kind == JSTEP_KEY && (pos->key == NULL ||
		    strcmp(pos->key, st->key) != 0))
			return false;
		if (st->kind == JSTEP_INDEX && (pos->key != NULL ||
		    pos->index != st->index))
			return false;
	}
	return true;
}

static bool
is_volatile(const struct jpath_set *vol, const struct jpos *pos)
{
	size_t	i;

	for (i = 0; vol != NULL && i < vol->n; i++)
		if (path_matches(&vol->v[i], pos))
			return true;
	return false;
}

/* A name printed as .NAME, not ["NAME"]: one a path can give back. */
static bool
plain_name(const char *k)
{
	if (*k == '\0')
		return false;
	for (; *k != '\0'; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
		    (*k >= '0' && *k <= '9') || *k == '_' || *k == '-'))
			return false;
	return true;
}

static void
print_path(FILE *fp, const struct jpos *pos)
{
	json_object	*s;

	if (pos->up == NULL) {
		fputc('$', fp);
		return;
	}
	print_path(fp, pos->up);
	if (pos->key == NULL)
		fprintf(fp, "[%zu]", pos->index);
	else if (plain_name(pos->key))
		fprintf(fp, ".%s", pos->key);
	else {
		s = json_object_new_string(pos->key);
		fprintf(fp, "[%s]", json_object_to_json_string_ext(s,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(s);
	}
}

static void
print_value(FILE *fp, struct side v)
{
	const char	*s;
	size_t		 len;

	if (!v.has) {
		fputs("(absent)", fp);
		return;
	}
	s = json_object_to_json_string_ext(v.j,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if ((len = strlen(s)) <= VALUE_MAX) {
		fputs(s, fp);
		return;
	}
	/* Cut between two UTF-8 sequences, not inside one. */
	len = VALUE_MAX;
	while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
		len--;
	fwrite(s, 1, len, fp);
	fputs("\xe2\x80\xa6", fp);
}

/* The JSON type, an integer and a fraction being one: numbers. */
static json_type
kind(json_object *j)
{
	json_type	t = json_object_get_type(j);

	return t == json_type_int ? json_type_double : t;
}

static const char *
kind_name(json_object *j)
{
	switch (kind(j)) {
	case json_type_boolean:
		return "a boolean";
	case json_type_double:
		return "a number";
	case json_type_string:
		return "a string";
	case json_type_array:
		return "an array";
	case json_type_object:
		return "an object";
	default:
		return "null";
	}
}

/* Two values of one kind, neither an object nor an array. */
static bool
scalar_equal(json_object *a, json_object *b)
{
	switch (kind(a)) {
	case json_type_boolean:
		return json_object_get_boolean(a) == json_object_get_boolean(b);
	case json_type_double:
		/* Integers as integers: a double loses digits past 2^53. */
		if (json_object_is_type(a, json_type_int) &&
		    json_object_is_type(b, json_type_int))
			return json_object_get_int64(a) ==
			    json_object_get_int64(b) &&
			    json_object_get_uint64(a) ==
			    json_object_get_uint64(b);
		return json_object_get_double(a) == json_object_get_double(b);
	case json_type_string:
		return json_object_get_string_len(a) ==
		    json_object_get_string_len(b) &&
		    memcmp(json_object_get_string(a), json_object_get_string(b),
		    (size_t)json_object_get_string_len(a)) == 0;
	default:
		return true;	/* null */
	}
}

static void
report(struct walk *w, const struct jpos *pos, struct side want,
    struct side got, bool by_type)
{
	if (w->n++ >= w->max)
		return;
	fputs("  ", w->fp);
	print_path(w->fp, pos);
	fputs(": expected ", w->fp);
	if (by_type)
		fprintf(w->fp, "%s (volatile)", kind_name(want.j));
	else
		print_value(w->fp, want);
	fputs(", got ", w->fp);
	print_value(w->fp, got);
	fputc('\n', w->fp);
}

static void	diff_node(struct walk *, const struct jpos *, struct side,
		    struct side);

static struct side
member(json_object *obj, const char *key)
{
	struct side	s;

	s.has = json_object_object_get_ex(obj, key, &s.j);
	return s;
}

static void
diff_object(struct walk *w, const struct jpos *pos, json_object *want,
    json_object *got)
{
	struct json_object_iterator	 it, end;
	struct jpos			 child = below(pos);
	struct side			 none = { NULL, false };

	end = json_object_iter_end(want);
	for (it = json_object_iter_begin(want);
	    !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		child.key = json_object_iter_peek_name(&it);
		diff_node(w, &child, member(want, child.key),
		    member(got, child.key));
	}
	end = json_object_iter_end(got);
	for (it = json_object_iter_begin(got);
	    !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		child.key = json_object_iter_peek_name(&it);
		if (!json_object_object_get_ex(want, child.key, NULL))
			diff_node(w, &child, none, member(got, child.key));
	}
}

static void
diff_array(struct walk *w, const struct jpos *pos, json_object *want,
    json_object *got)
{
	struct jpos	child = below(pos);
	struct side	a, b;
	size_t		nw, ng, i;

	nw = json_object_array_length(want);
	ng = json_object_array_length(got);
	for (i = 0; i < nw || i < ng; i++) {
		child.index = i;
		a.has = i < nw;
		a.j = a.has ? json_object_array_get_idx(want, i) : NULL;
		b.has = i < ng;
		b.j = b.has ? json_object_array_get_idx(got, i) : NULL;
		diff_node(w, &child, a, b);
	}
}

static void
diff_node(struct walk *w, const struct jpos *pos, struct side want,
    struct side got)
{
	if (!want.has || !got.has) {
		if (want.has || got.has)
			report(w, pos, want, got, false);
		return;
	}
	if (is_volatile(w->vol, pos)) {
		if (kind(want.j) != kind(got.j))
			report(w, pos, want, got, true);
		return;
	}
	if (kind(want.j) != kind(got.j))
		report(w, pos, want, got, false);
	else if (kind(want.j) == json_type_object)
		diff_object(w, pos, want.j, got.j);
	else if (kind(want.j) == json_type_array)
		diff_array(w, pos, want.j, got.j);
	else if (!scalar_equal(want.j, got.j))
		report(w, pos, want, got, false);
}

size_t
jdiff(FILE *fp, const struct jpath_set *vol, json_object *want,
    json_object *got, size_t max)
{
	struct walk	w = { fp, vol, 0, max };
	struct jpos	root = { NULL, NULL, 0, 0 };
	struct side	a = { want, true }, b = { got, true };

	diff_node(&w, &root, a, b);
	if (w.n > max)
		fprintf(fp, "  (%zu more differences)\n", w.n - max);
	return w.n;
}

static json_object	*canon_node(const struct jpath_set *,
			    const struct jpos *, json_object *, struct side);

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(const char * const *)a, *(const char * const *)b);
}

static json_object *
canon_object(const struct jpath_set *vol, const struct jpos *pos,
    json_object *got, struct side old)
{
	struct json_object_iterator	 it, end;
	struct jpos			 child = below(pos);
	struct side			 o;
	json_object			*out;
	const char			**names;
	size_t				 n = 0, i;

	names = xreallocarray(NULL, (size_t)json_object_object_length(got),
	    sizeof(*names));
	end = json_object_iter_end(got);
	for (it = json_object_iter_begin(got);
	    !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
		names[n++] = json_object_iter_peek_name(&it);
	qsort(names, n, sizeof(*names), by_name);
	out = json_object_new_object();
	for (i = 0; i < n; i++) {
		child.key = names[i];
		o.has = old.has &&
		    json_object_is_type(old.j, json_type_object) &&
		    json_object_object_get_ex(old.j, names[i], &o.j);
		json_object_object_add(out, names[i], canon_node(vol, &child,
		    json_object_object_get(got, names[i]), o));
	}
	free(names);
	return out;
}

static json_object *
canon_array(const struct jpath_set *vol, const struct jpos *pos,
    json_object *got, struct side old)
{
	struct jpos	 child = below(pos);
	struct side	 o;
	json_object	*out;
	size_t		 n, i;

	n = json_object_array_length(got);
	out = json_object_new_array_ext((int)n);
	for (i = 0; i < n; i++) {
		child.index = i;
		o.has = old.has &&
		    json_object_is_type(old.j, json_type_array) &&
		    i < json_object_array_length(old.j);
		o.j = o.has ? json_object_array_get_idx(old.j, i) : NULL;
		json_object_array_add(out, canon_node(vol, &child,
		    json_object_array_get_idx(got, i), o));
	}
	return out;
}

static json_object *
canon_node(const struct jpath_set *vol, const struct jpos *pos,
    json_object *got, struct side old)
{
	struct side	none = { NULL, false };

	if (old.has && is_volatile(vol, pos) && kind(old.j) == kind(got))
		return canon_node(NULL, pos, old.j, none);
	switch (json_object_get_type(got)) {
	case json_type_object:
		return canon_object(vol, pos, got, old);
	case json_type_array:
		return canon_array(vol, pos, got, old);
	default:
		/* Shared, not copied: a number keeps the text it came as. */
		return json_object_get(got);
	}
}

json_object *
jcanon(const struct jpath_set *vol, json_object *got, json_object *old,
    bool has_old)
{
	struct jpos	root = { NULL, NULL, 0, 0 };
	struct side	o = { old, has_old };

	return canon_node(vol, &root, got, o);
}
