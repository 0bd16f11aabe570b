/*
 * A strict RFC 8259 check that runs before json-c sees a body.
 *
 * json-c 0.16 is lenient where a webhook must not be: even with
 * JSON_TOKENER_STRICT it accepts single quotes, NaN, raw control
 * characters, overlong UTF-8 and lone surrogates; it silently keeps the
 * last of duplicate keys; it clamps integers it cannot hold; and it
 * truncates object keys at an escaped U+0000.  So every body goes through
 * this one-pass, non-recursive check first, and json-c only ever parses
 * documents already known to be well-formed.
 *
 * The check refuses (returns -1, err->msg says what and where):
 *  - anything but exactly one JSON object, with only whitespace around it;
 *  - invalid UTF-8 (overlong forms, surrogates, > U+10FFFF, stray bytes),
 *    a BOM, raw control characters in strings, bad escapes, unpaired
 *    \uD800-\uDFFF escapes;
 *  - nesting deeper than max_depth (without recursing);
 *  - a number a double cannot hold (1e999), or an integer literal outside
 *    the int64/uint64 range json-c represents exactly;
 *  - the same key twice in one object (compared after unescaping).
 *
 * U+0000 is legal inside strings and is kept.  Inside an object key, where
 * json-c would truncate, the escape \u0000 is rewritten in place to \ufffd
 * (same length): the key then matches no field or parameter name and is
 * never shortened into one.
 */
#ifndef CXHOOK_JSON_STRICT_H
#define CXHOOK_JSON_STRICT_H

#include <stddef.h>

struct cx_err;

/* body[len] must be readable (a NUL terminator); body is modified only as
 * described above. */
int	json_strict_check(char *body, size_t len, int max_depth,
	    struct cx_err *err);

#endif
