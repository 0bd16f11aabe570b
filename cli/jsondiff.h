/*
 * JSON paths, and the path by path comparison of two JSON trees that
 * `cxhook replay` prints (cli/replay.c).
 *
 * A path is "$" followed by steps: .NAME or ["NAME"] (a member), [N] (an
 * element), .* or [*] (any member or any element).  The leading "$" may
 * be left out: "sessionInfo.parameters.confirmation_id".
 */
#ifndef CXHOOK_CLI_JSONDIFF_H
#define CXHOOK_CLI_JSONDIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <json-c/json.h>

struct jpath;

/* Paths whose values are compared for presence and type only. */
struct jpath_set {
	struct jpath	*v;
	size_t		 n;
};

/* Adds a path to the set; 0, or -1 with err set (the path is not one). */
int	jpath_set_add(struct jpath_set *, const char *text, char *err,
	    size_t errsz);
void	jpath_set_free(struct jpath_set *);

/*
 * Prints every difference between want and got to fp, one line each,
 * "  PATH: expected X, got Y", at most max lines and a count of the rest;
 * returns the number of differences.  Numbers are equal by value (14 and
 * 14.0), member order does not count, and a path of vol matches when both
 * sides hold a value of one JSON type.
 */
size_t	jdiff(FILE *fp, const struct jpath_set *vol, json_object *want,
	    json_object *got, size_t max);

/*
 * What `replay --update` writes for got: a copy with the members of every
 * object sorted by name, so that files diff well.  At a path of vol where
 * old (when has_old) holds a value of the same type, old's value is kept,
 * so that rewriting a file changes only what really changed.  The caller
 * owns the result (json_object_put).
 */
json_object	*jcanon(const struct jpath_set *vol, json_object *got,
		    json_object *old, bool has_old);

#endif
