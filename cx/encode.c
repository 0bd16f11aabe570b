/*
 * WebhookResponse building and encoding: struct cx_response in, bytes out.
 *
 * The builder only records what a handler asked for; cx_encode() is the
 * one place that knows the wire shape, so every response is camelCase,
 * carries no field the proto lacks, and is refused when it would not fit
 * Dialogflow's 64 KiB limit.
 *
 * cx_encode() writes the JSON text itself, straight into the output
 * buffer: building a json-c tree for every answer only to print and free
 * it was a third of the worker's time.  json-c objects a handler handed
 * over whole (custom payloads, handoff metadata, raw parameter values:
 * cx/json.h) are printed by json-c, after a check that every number in
 * them is one JSON can carry.
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

enum msg_kind { MSG_TEXT, MSG_PAYLOAD, MSG_PAYLOAD_TEXT, MSG_HANDOFF };

struct resp_msg {
	enum msg_kind	 kind;
	char		*text;		/* MSG_TEXT; MSG_PAYLOAD_TEXT: JSON */
	json_object	*obj;		/* MSG_PAYLOAD, MSG_HANDOFF (may be NULL) */
};

/* A session parameter's value, as it goes on the wire. */
enum pv_kind { PV_NULL, PV_STRING, PV_NUMBER, PV_BOOL, PV_JSON };

struct resp_param {
	char		*name;
	enum pv_kind	 kind;
	char		*text;		/* PV_STRING; PV_NUMBER: its JSON text */
	bool		 b;		/* PV_BOOL */
	json_object	*json;		/* PV_JSON */
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

static void
param_clear(struct resp_param *p, bool name_too)
{
	if (name_too)
		free(p->name);
	free(p->text);
	json_object_put(p->json);
	p->text = NULL;
	p->json = NULL;
}

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
	for (i = 0; i < r->n_params; i++)
		param_clear(&r->params[i], true);
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
cx_resp_payload_text(struct cx_response *r, char *json)
{
	add_msg(r, MSG_PAYLOAD_TEXT)->text = json;
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

/* The parameter called name, emptied for a new value (made if new). */
static struct resp_param *
param_slot(struct cx_response *r, const char *name)
{
	struct resp_param	*p;
	size_t			 i;

	for (i = 0; i < r->n_params; i++) {
		if (strcmp(r->params[i].name, name) == 0) {
			param_clear(&r->params[i], false);
			return &r->params[i];
		}
	}
	r->params = xreallocarray(r->params, r->n_params + 1,
	    sizeof(*r->params));
	p = &r->params[r->n_params++];
	memset(p, 0, sizeof(*p));
	p->name = xstrdup(name);
	return p;
}

void
cx_resp_set_json(struct cx_response *r, const char *name, json_object *value)
{
	struct resp_param	*p = param_slot(r, name);

	p->kind = value != NULL ? PV_JSON : PV_NULL;
	p->json = value;
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
	struct resp_param	*p = param_slot(r, name);

	p->kind = PV_STRING;
	p->text = xstrdup(s);
}

/*
 * The shortest text that reads back as d ("0.1", not
 * "0.10000000000000001"): a JSON number, since d is finite.
 */
static void
double_text(double d, char *out, size_t outsz)
{
	snprintf(out, outsz, "%.15g", d);
	if (strtod(out, NULL) != d)
		snprintf(out, outsz, "%.17g", d);
}

static void
set_number(struct cx_response *r, const char *name, const char *text)
{
	struct resp_param	*p = param_slot(r, name);

	p->kind = PV_NUMBER;
	p->text = xstrdup(text);
}

void
cx_resp_set_number_text(struct cx_response *r, const char *name,
    const char *text)
{
	struct cx_str	t = { text, strlen(text) };
	double		d = strtod(text, NULL);
	char		num[32];

	/*
	 * The text given goes out as it is, so "1250.75" stays exact; text
	 * that is not a JSON number would make the whole response invalid,
	 * so it goes through a double instead.  What no double holds
	 * ("NaN", as PostgreSQL spells a numeric NaN, or "1e999") is no
	 * number: null.
	 */
	if (!isfinite(d))
		cx_resp_set_null(r, name);
	else if (cx_is_json_number(t))
		set_number(r, name, text);
	else {
		double_text(d, num, sizeof(num));
		set_number(r, name, num);
	}
}

void
cx_resp_set_int(struct cx_response *r, const char *name, long v)
{
	char	num[32];

	snprintf(num, sizeof(num), "%ld", v);
	set_number(r, name, num);
}

void
cx_resp_set_double(struct cx_response *r, const char *name, double v)
{
	char	num[32];

	/* JSON has no NaN or infinities. */
	if (!isfinite(v)) {
		cx_resp_set_null(r, name);
		return;
	}
	double_text(v, num, sizeof(num));
	set_number(r, name, num);
}

void
cx_resp_set_bool(struct cx_response *r, const char *name, bool v)
{
	struct resp_param	*p = param_slot(r, name);

	p->kind = PV_BOOL;
	p->b = v;
}

void
cx_resp_set_null(struct cx_response *r, const char *name)
{
	param_slot(r, name)->kind = PV_NULL;
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

/* A JSON string: RFC 8259 escapes, '/' left as it is. */
void
cx_json_put_str(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char	*run;

	buf_putc(b, '"');
	for (run = s; *s != '\0'; s++) {
		unsigned char	c = (unsigned char)*s;
		const char	*esc;
		char		 u[6];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		buf_append(b, run, (size_t)(s - run));
		run = s + 1;
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		default:
			memcpy(u, "\\u00", 4);
			u[4] = hex[c >> 4];
			u[5] = hex[c & 15];
			buf_append(b, u, sizeof(u));
			continue;
		}
		buf_puts(b, esc);
	}
	buf_append(b, run, (size_t)(s - run));
	buf_putc(b, '"');
}

/* "name": */
static void
put_key(struct buf *b, const char *name)
{
	cx_json_put_str(b, name);
	buf_putc(b, ':');
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

/* A json-c object a handler handed over, printed by json-c; false: a bad number. */
static bool
put_json(struct buf *b, json_object *o)
{
	const char	*s;
	size_t		 len;

	if (!numbers_ok(o))
		return false;
	s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (s == NULL)
		return false;
	buf_append(b, s, len);
	return true;
}

static bool
put_msg(struct buf *b, const struct resp_msg *m)
{
	switch (m->kind) {
	case MSG_TEXT:
		buf_puts(b, "{\"text\":{\"text\":[");
		cx_json_put_str(b, m->text);
		buf_puts(b, "]}}");
		return true;
	case MSG_PAYLOAD:
		buf_puts(b, "{\"payload\":");
		if (m->obj == NULL)
			buf_puts(b, "{}");
		else if (!put_json(b, m->obj))
			return false;
		buf_putc(b, '}');
		return true;
	case MSG_PAYLOAD_TEXT:
		buf_puts(b, "{\"payload\":");
		buf_puts(b, m->text);
		buf_putc(b, '}');
		return true;
	case MSG_HANDOFF:
		buf_puts(b, "{\"liveAgentHandoff\":{");
		if (m->obj != NULL) {
			buf_puts(b, "\"metadata\":");
			if (!put_json(b, m->obj))
				return false;
		}
		buf_puts(b, "}}");
		return true;
	}
	return false;
}

static bool
put_fulfillment(struct buf *b, const struct cx_response *r)
{
	static const char *const merge_names[] = {
		[CX_MERGE_UNSPECIFIED] = NULL,
		[CX_MERGE_APPEND] = "APPEND",
		[CX_MERGE_REPLACE] = "REPLACE",
	};
	size_t	i;

	buf_puts(b, "\"fulfillmentResponse\":{\"messages\":[");
	for (i = 0; i < r->n_msgs; i++) {
		if (i > 0)
			buf_putc(b, ',');
		if (!put_msg(b, &r->msgs[i]))
			return false;
	}
	buf_putc(b, ']');
	if (merge_names[r->merge] != NULL) {
		buf_puts(b, ",\"mergeBehavior\":");
		cx_json_put_str(b, merge_names[r->merge]);
	}
	buf_putc(b, '}');
	return true;
}

static void
put_forms(struct buf *b, const struct cx_response *r)
{
	static const char *const state_names[] = {
		[CX_PARAM_UNSPECIFIED] = "PARAMETER_STATE_UNSPECIFIED",
		[CX_PARAM_EMPTY] = "EMPTY",
		[CX_PARAM_INVALID] = "INVALID",
		[CX_PARAM_FILLED] = "FILLED",
	};
	size_t	i;

	buf_puts(b, "\"pageInfo\":{\"formInfo\":{\"parameterInfo\":[");
	for (i = 0; i < r->n_forms; i++) {
		buf_puts(b, i > 0 ? ",{" : "{");
		put_key(b, "displayName");
		cx_json_put_str(b, r->forms[i].name);
		if (r->forms[i].required)
			buf_puts(b, ",\"required\":true");
		buf_puts(b, ",\"state\":");
		cx_json_put_str(b, state_names[r->forms[i].state]);
		buf_putc(b, '}');
	}
	buf_puts(b, "]}}");
}

static bool
put_session(struct buf *b, const struct cx_response *r)
{
	const struct resp_param	*p;
	size_t			 i;

	buf_puts(b, "\"sessionInfo\":{\"parameters\":{");
	for (i = 0; i < r->n_params; i++) {
		p = &r->params[i];
		if (i > 0)
			buf_putc(b, ',');
		put_key(b, p->name);
		switch (p->kind) {
		case PV_NULL:
			buf_puts(b, "null");
			break;
		case PV_STRING:
			cx_json_put_str(b, p->text);
			break;
		case PV_NUMBER:
			buf_puts(b, p->text);
			break;
		case PV_BOOL:
			buf_puts(b, p->b ? "true" : "false");
			break;
		case PV_JSON:
			if (!put_json(b, p->json))
				return false;
			break;
		}
	}
	buf_puts(b, "}}");
	return true;
}

/* Writes the members of the WebhookResponse object; false: a bad number. */
static bool
put_response(struct buf *b, const struct cx_response *r)
{
	bool	first = true;

#define MEMBER()	do { if (!first) buf_putc(b, ','); first = false; } while (0)
	if (r->n_msgs > 0 || r->merge != CX_MERGE_UNSPECIFIED) {
		MEMBER();
		if (!put_fulfillment(b, r))
			return false;
	}
	if (r->n_forms > 0) {
		MEMBER();
		put_forms(b, r);
	}
	if (r->n_params > 0) {
		MEMBER();
		if (!put_session(b, r))
			return false;
	}
	if (r->payload != NULL) {
		MEMBER();
		put_key(b, "payload");
		if (!put_json(b, r->payload))
			return false;
	}
	if (r->target_page != NULL) {
		MEMBER();
		put_key(b, "targetPage");
		cx_json_put_str(b, r->target_page);
	}
	if (r->target_flow != NULL) {
		MEMBER();
		put_key(b, "targetFlow");
		cx_json_put_str(b, r->target_flow);
	}
#undef MEMBER
	return true;
}

int
cx_encode(const struct cx_response *r, struct buf *out, struct cx_err *err)
{
	size_t	start = out->len, len;

	if (r->target_page != NULL && r->target_flow != NULL) {
		snprintf(err->msg, sizeof(err->msg),
		    "targetPage and targetFlow are one oneof: set one");
		return -1;
	}
	buf_putc(out, '{');
	if (!put_response(out, r)) {
		snprintf(err->msg, sizeof(err->msg),
		    "a number JSON cannot carry (NaN, an infinity, or one "
		    "no double holds)");
		goto fail;
	}
	buf_putc(out, '}');
	if ((len = out->len - start) > CX_MAX_RESPONSE) {
		snprintf(err->msg, sizeof(err->msg),
		    "response of %zu bytes exceeds the %d byte limit", len,
		    CX_MAX_RESPONSE);
		goto fail;
	}
	return 0;
fail:
	/* Nothing of a refused response stays in the buffer. */
	out->len = start;
	out->p[start] = '\0';
	return -1;
}

void
cx_encode_error(struct buf *out, int code, const char *message)
{
	buf_printf(out, "{\"error\":{\"code\":%d,\"message\":", code);
	cx_json_put_str(out, message);
	buf_puts(out, "}}");
}
