/*
 * Any JSON object from outside (a weather provider's answer), parsed with
 * the same strict check as a webhook request and read through cx_value,
 * so handlers never touch json-c.
 */
#include <errno.h>
#include <stdio.h>


#include "cx/cx.h"
#include "cx/json.h"
#include "cx/json_strict.h"

/*
 * One tokener for the life of the process, reset for each document:
 * creating one costs as much as a small parse.  A process of cxhook's is
 * single-threaded; the tokener is per thread all the same.
 */
json_object *
cx_json_parse(const char *body, size_t len)
{
	static _Thread_local struct json_tokener	*tok;

	if (tok == NULL && (tok = json_tokener_new_ex(CX_MAX_DEPTH + 1)) ==
	    NULL) {
		errno = ENOMEM;
		return NULL;
	}
	json_tokener_reset(tok);
	errno = EINVAL;
	return json_tokener_parse_ex(tok, body, (int)len);
}

int
cx_doc_parse(char *body, size_t len, struct cx_doc *doc, struct cx_err *err)
{
	doc->root = NULL;
	if (json_strict_check(body, len, CX_MAX_DEPTH, err) == -1)
		return -1;
	doc->root = cx_wrap(cx_json_parse(body, len));
	if (doc->root == NULL) {
		snprintf(err->msg, sizeof(err->msg), "not a JSON object");
		return -1;
	}
	return 0;
}

struct cx_value
cx_doc_root(const struct cx_doc *doc)
{
	struct cx_value	v = { doc->root, doc->root != NULL };

	return v;
}

void
cx_doc_free(struct cx_doc *doc)
{
	json_object_put(cx_j(doc->root));
	doc->root = NULL;
}
