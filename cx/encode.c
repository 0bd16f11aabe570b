/*
 * WebhookResponse building and encoding: struct cx_response in, bytes out.
 *
 * The builder only records what a handler asked for; cx_encode() is the
 * one place that knows the wire shape, so every response is camelCase,
 * carries no field the proto lacks, and is refused when it would not fit
 * Dialogflow's 64 KiB limit.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "cx/cx.h"
#include "cx/json.h"
#include "lib/buf.h"
#include "lib/xalloc.h"

enum msg_kind { MSG_TEXT, MSG_PAYLOAD, MSG_HANDOFF };

struct resp_msg {
	enum msg_kind	 kind;
	char		*text;		/* MSG_TEXT */
	json_object	*obj;		/* MSG_PAYLOAD, MSG_HANDOFF (may be NULL) */
};

struct resp_param {
	char		*name;
	json_object	*value;		/* NULL encodes JSON null */
};

struct resp_form {
	char			*name;
	enum cx_param_state	 state;
	bool			 required;
};

struct cx_response {
	struct resp_msg		*msgs;
	size_t			 n_msgs;
	struct resp_param	*params;
	size_t			 n_params;
	struct resp_form	*forms;
	size_t			 n_forms;
	enum cx_merge		 merge;
	char			*target_page;
	char			*target_flow;
	json_object		*payload;
};

struct cx_response *
cx_response_new(void)
{
	return xcalloc(1, sizeof(struct cx_response));
}

void
cx_response_free(struct cx_response *r)
{
	size_t	i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n_msgs; i++) {
		free(r->msgs[i].text);
		json_object_put(r->msgs[i].obj);
	}
	for (i = 0; i < r->n_params; i++) {
		free(r->params[i].name);
		json_object_put(r->params[i].value);
	}
	for (i = 0; i < r->n_forms; i++)
		free(r->forms[i].name);
	free(r->msgs);
	free(r->params);
	free(r->forms);
	free(r->target_page);
	free(r->target_flow);
	json_object_put(r->payload);
	free(r);
}

static struct resp_msg *
add_msg(struct cx_response *r, enum msg_kind kind)
{
	struct resp_msg	*m;

	r->msgs = xreallocarray(r->msgs, r->n_msgs + 1, sizeof(*r->msgs));
	m = &r->msgs[r->n_msgs++];
	memset(m, 0, sizeof(*m));
	m->kind = kind;
	return m;
}

void
cx_resp_say(struct cx_response *r, const char *fmt, ...)
{
	struct resp_msg	*m;
	va_list		 ap;

	m = add_msg(r, MSG_TEXT);
	va_start(ap, fmt);
	if (vasprintf(&m->text, fmt, ap) == -1)
		m->text = xstrdup("");
	va_end(ap);
}

void
cx_resp_payload(struct cx_response *r, json_object *payload)
{
	add_msg(r, MSG_PAYLOAD)->obj = payload;
}

void
cx_resp_handoff(struct cx_response *r, json_object *metadata)
{
	add_msg(r, MSG_HANDOFF)->obj = metadata;
}

void
cx_resp_handoff_reason(struct cx_response *r, const char *reason,
    double score)
{
	json_object	*md = json_object_new_object();

	json_object_object_add(md, "reason", json_object_new_string(reason));
	/* A score JSON cannot carry is left out, not sent as NaN. */
	if (isfinite(score))
		json_object_object_add(md, "sentimentScore",
		    json_object_new_double(score));
	cx_resp_handoff(r, md);
}

void
cx_resp_merge(struct cx_response *r, enum cx_merge m)
{
	r->merge = m;
}

size_t
cx_resp_n_messages(const struct cx_response *r)
{
	return r->n_msgs;
}

void
cx_resp_set_json(struct cx_response *r, const char *name, json_object *value)
{
	struct resp_param	*p;
	size_t			 i;

	for (i = 0; i < r->n_params; i++) {
		if (strcmp(r->params[i].name, name) == 0) {
			json_object_put(r->params[i].value);
			r->params[i].value = value;
			return;
		}
	}
	r->params = xreallocarray(r->params, r->n_params + 1,
	    sizeof(*r->params));
	p = &r->params[r->n_params++];
	p->name = xstrdup(name);
	p->value = value;
}

bool
cx_resp_has_param(const struct cx_response *r, const char *name)
{
	size_t	i;

	for (i = 0; i < r->n_params; i++)
		if (strcmp(r->params[i].name, name) == 0)
			return true;
	return false;
}

void
cx_resp_set_str(struct cx_response *r, const char *name, const char *s)
{
	cx_resp_set_json(r, name, json_object_new_string(s));
}

void
cx_resp_set_number_text(struct cx_response *r, const char *name,
    const char *text)
{
	struct cx_str	t = { text, strlen(text) };
	double		d = strtod(text, NULL);

	/*
	 * json-c prints the text given, so "1250.75" stays exact; text that
	 * is not a JSON number would make the whole response invalid, so it
	 * goes through a double instead.  What no double holds ("NaN", as
	 * PostgreSQL spells a numeric NaN, or "1e999") is no number: null.
	 */
	if (!isfinite(d))
		cx_resp_set_null(r, name);
	else if (cx_is_json_number(t))
		cx_resp_set_json(r, name, json_object_new_double_s(d, text));
	else
		cx_resp_set_json(r, name, json_object_new_double(d));
}

void
cx_resp_set_int(struct cx_response *r, const char *name, long v)
{
	cx_resp_set_json(r, name, json_object_new_int64(v));
}

void
cx_resp_set_double(struct cx_response *r, const char *name, double v)
{
	/* JSON has no NaN or infinities. */
	if (isfinite(v))
		cx_resp_set_json(r, name, json_object_new_double(v));
	else
		cx_resp_set_null(r, name);
}

void
cx_resp_set_bool(struct cx_response *r, const char *name, bool v)
{
	cx_resp_set_json(r, name, json_object_new_boolean(v));
}

void
cx_resp_set_null(struct cx_response *r, const char *name)
{
	cx_resp_set_json(r, name, NULL);
}

void
cx_resp_form_param(struct cx_response *r, const char *name,
    enum cx_param_state state, bool required)
{
	struct resp_form	*f;
	size_t			 i;

	for (i = 0; i < r->n_forms; i++) {
		if (strcmp(r->forms[i].name, name) == 0) {
			r->forms[i].state = state;
			r->forms[i].required = required;
			return;
		}
	}
	r->forms = xreallocarray(r->forms, r->n_forms + 1, sizeof(*r->forms));
	f = &r->forms[r->n_forms++];
	f->name = xstrdup(name);
	f->state = state;
	f->required = required;
}

static void
replace_str(char **dst, const char *s)
{
	free(*dst);
	*dst = xstrdup(s);
}

void
cx_resp_target_page(struct cx_response *r, const char *page)
{
	replace_str(&r->target_page, page);
}

void
cx_resp_target_flow(struct cx_response *r, const char *flow)
{
	replace_str(&r->target_flow, flow);
}

void
cx_resp_webhook_payload(struct cx_response *r, json_object *payload)
{
	json_object_put(r->payload);
	r->payload = payload;
}

/* ---- encoding ---- */

static json_object *
shared(json_object *o)
{
	/* The response keeps its reference; the wire tree takes another. */
	return json_object_get(o);
}

static json_object *
encode_msg(const struct resp_msg *m)
{
	json_object	*msg, *inner, *list;

	msg = json_object_new_object();
	switch (m->kind) {
	case MSG_TEXT:
		inner = json_object_new_object();
		list = json_object_new_array();
		json_object_array_add(list, json_object_new_string(m->text));
		json_object_object_add(inner, "text", list);
		json_object_object_add(msg, "text", inner);
		break;
	case MSG_PAYLOAD:
		json_object_object_add(msg, "payload", m->obj != NULL ?
		    shared(m->obj) : json_object_new_object());
		break;
	case MSG_HANDOFF:
		inner = json_object_new_object();
		if (m->obj != NULL)
			json_object_object_add(inner, "metadata", shared(m->obj));
		json_object_object_add(msg, "liveAgentHandoff", inner);
		break;
	}
	return msg;
}

static json_object *
encode_fulfillment(const struct cx_response *r)
{
	static const char *const merge_names[] = {
		[CX_MERGE_UNSPECIFIED] = NULL,
		[CX_MERGE_APPEND] = "APPEND",
		[CX_MERGE_REPLACE] = "REPLACE",
	};
	json_object	*fr, *msgs;
	size_t		 i;

	fr = json_object_new_object();
	msgs = json_object_new_array();
	for (i = 0; i < r->n_msgs; i++)
		json_object_array_add(msgs, encode_msg(&r->msgs[i]));
	json_object_object_add(fr, "messages", msgs);
	if (merge_names[r->merge] != NULL)
		json_object_object_add(fr, "mergeBehavior",
		    json_object_new_string(merge_names[r->merge]));
	return fr;
}

static json_object *
encode_forms(const struct cx_response *r)
{
	static const char *const state_names[] = {
		[CX_PARAM_UNSPECIFIED] = "PARAMETER_STATE_UNSPECIFIED",
		[CX_PARAM_EMPTY] = "EMPTY",
		[CX_PARAM_INVALID] = "INVALID",
		[CX_PARAM_FILLED] = "FILLED",
	};
	json_object	*page, *form, *list, *pi;
	size_t		 i;

	list = json_object_new_array();
	for (i = 0; i < r->n_forms; i++) {
		pi = json_object_new_object();
		json_object_object_add(pi, "displayName",
		    json_object_new_string(r->forms[i].name));
		if (r->forms[i].required)
			json_object_object_add(pi, "required",
			    json_object_new_boolean(1));
		json_object_object_add(pi, "state",
		    json_object_new_string(state_names[r->forms[i].state]));
		json_object_array_add(list, pi);
	}
	form = json_object_new_object();
	json_object_object_add(form, "parameterInfo", list);
	page = json_object_new_object();
	json_object_object_add(page, "formInfo", form);
	return page;
}

static json_object *
encode_session(const struct cx_response *r)
{
	json_object	*si, *params;
	size_t		 i;

	params = json_object_new_object();
	for (i = 0; i < r->n_params; i++)
		json_object_object_add(params, r->params[i].name,
		    r->params[i].value != NULL ?
		    shared(r->params[i].value) : NULL);
	si = json_object_new_object();
	json_object_object_add(si, "parameters", params);
	return si;
}

/*
 * Is every number in the tree one JSON can carry?  A double is printed as
 * json-c holds it: NaN and the infinities come out as bare NaN, Infinity
 * and -Infinity, and a double made with its own text prints that text.
 * Whatever a handler handed over (payloads, metadata, parameters) is
 * checked, so no answer that is not JSON can leave.  Recursive, as
 * json-c's own printer is, over a tree no deeper than the one it prints.
 */
static bool
numbers_ok(json_object *o)
{
	struct cx_str	 text;
	size_t		 i, n;

	switch (json_object_get_type(o)) {
	case json_type_double:
		text.p = json_object_to_json_string_length(o,
		    JSON_C_TO_STRING_PLAIN, &text.len);
		return isfinite(json_object_get_double(o)) &&
		    text.p != NULL && cx_is_json_number(text) &&
		    isfinite(strtod(text.p, NULL));
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			if (!numbers_ok(json_object_array_get_idx(o, i)))
				return false;
		return true;
	case json_type_object: {
		json_object_object_foreach(o, key, val) {
			(void)key;
			if (!numbers_ok(val))
				return false;
		}
		return true;
	}
	default:
		return true;
	}
}

int
cx_encode(const struct cx_response *r, struct buf *out, struct cx_err *err)
{
	json_object	*root;
	const char	*s;
	size_t		 len;
	int		 rc = -1;

	if (r->target_page != NULL && r->target_flow != NULL) {
		snprintf(err->msg, sizeof(err->msg),
		    "targetPage and targetFlow are one oneof: set one");
		return -1;
	}
	root = json_object_new_object();
	if (r->n_msgs > 0 || r->merge != CX_MERGE_UNSPECIFIED)
		json_object_object_add(root, "fulfillmentResponse",
		    encode_fulfillment(r));
	if (r->n_forms > 0)
		json_object_object_add(root, "pageInfo", encode_forms(r));
	if (r->n_params > 0)
		json_object_object_add(root, "sessionInfo", encode_session(r));
	if (r->payload != NULL)
		json_object_object_add(root, "payload", shared(r->payload));
	if (r->target_page != NULL)
		json_object_object_add(root, "targetPage",
		    json_object_new_string(r->target_page));
	if (r->target_flow != NULL)
		json_object_object_add(root, "targetFlow",
		    json_object_new_string(r->target_flow));

	if (!numbers_ok(root)) {
		snprintf(err->msg, sizeof(err->msg),
		    "a number JSON cannot carry (NaN, an infinity, or one "
		    "no double holds)");
		goto out;
	}
	s = json_object_to_json_string_length(root, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (s == NULL) {
		snprintf(err->msg, sizeof(err->msg), "encoding failed");
	} else if (len > CX_MAX_RESPONSE) {
		snprintf(err->msg, sizeof(err->msg),
		    "response of %zu bytes exceeds the %d byte limit", len,
		    CX_MAX_RESPONSE);
	} else {
		buf_append(out, s, len);
		rc = 0;
	}
out:
	json_object_put(root);
	return rc;
}

void
cx_encode_error(struct buf *out, int code, const char *message)
{
	json_object	*root, *e;

	e = json_object_new_object();
	json_object_object_add(e, "code", json_object_new_int(code));
	json_object_object_add(e, "message", json_object_new_string(message));
	root = json_object_new_object();
	json_object_object_add(root, "error", e);
	buf_puts(out, json_object_to_json_string_ext(root,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}
