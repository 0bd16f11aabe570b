/*
 * cx/'s own side of json-c: what the protocol layer builds answers from,
 * kept out of cx/cx.h so that handlers never see a json-c type.  Only
 * files in cx/ (and their unit tests) include this.
 */
#ifndef CXHOOK_CX_JSON_H
#define CXHOOK_CX_JSON_H

#include <json-c/json.h>

#include "cx/cx.h"
#include "lib/buf.h"

/* The two names of one pointer: json-c's inside cx/, cxhook's outside. */
static inline json_object *
cx_j(struct cx_json *p)
{
	return (json_object *)(void *)p;
}

static inline struct cx_json *
cx_wrap(json_object *o)
{
	return (struct cx_json *)(void *)o;
}

/*
 * Parses a document the strict check has vetted (cx/json_strict.h) with
 * the process's one tokener; NULL (errno ENOMEM when out of memory).
 */
json_object	*cx_json_parse(const char *body, size_t len);

/* Appends s to b as a JSON string (RFC 8259 escapes, '/' as it is). */
void	cx_json_put_str(struct buf *, const char *);
/*
 * A custom payload message whose JSON text (an object, well formed, its
 * numbers JSON's) is given whole; takes ownership of json (malloc'd).
 */
void	cx_resp_payload_text(struct cx_response *, char *json);

/* A custom payload message; takes ownership of the JSON object. */
void	cx_resp_payload(struct cx_response *, json_object *);
/* A liveAgentHandoff message; takes ownership of metadata (may be NULL). */
void	cx_resp_handoff(struct cx_response *, json_object *metadata);
/* A session parameter; takes ownership of value (NULL means JSON null). */
void	cx_resp_set_json(struct cx_response *, const char *, json_object *);
/* The response-level payload (QueryResult.webhookPayloads); takes ownership. */
void	cx_resp_webhook_payload(struct cx_response *, json_object *);

#endif
