/*
 * Any JSON object from outside (a weather provider's answer), parsed with
 * the same strict check as a webhook request and read through cx_value,
 * so handlers never touch json-c.
 */
#include <stdio.h>


#include "cx/cx.h"
#include "cx/json.h"
#include "cx/json_strict.h"

int
cx_doc_parse(char *body, size_t len, struct cx_doc *doc, struct cx_err *err)
{
	struct json_tokener	*tok;

	doc->root = NULL;
	if (json_strict_check(body, len, CX_MAX_DEPTH, err) == -1)
		return -1;
	if ((tok = json_tokener_new_ex(CX_MAX_DEPTH + 1)) == NULL) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -1;
	}
	doc->root = cx_wrap(json_tokener_parse_ex(tok, body, (int)len));
	json_tokener_free(tok);
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
