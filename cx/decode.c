/*
 * WebhookRequest decoding: bytes in, struct cx_request out.
 *
 * Three steps: json_strict_check() refuses anything that is not one
 * well-formed JSON object; json-c builds the tree; then the known fields are
 * type-checked against the proto and their values borrowed into the struct.
 *
 * Proto3 JSON rules applied (docs/cx-protocol.md §2): unknown fields are
 * ignored, since Dialogflow adds fields over time; null means "absent" for
 * every field that is not a google.protobuf.Value; a field may be spelled in
 * camelCase or in its proto snake_case name, but not both; at most one
 * member of the `query` oneof may be set; float fields take numbers or
 * numeric strings ("NaN" and the infinities count as absent); enums take
 * their name or number.  A known field of the wrong type is an error
 * naming its path.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "cx/cx.h"
#include "cx/json.h"
#include "cx/json_strict.h"
#include "lib/xalloc.h"

struct field {
	const char	*camel;
	const char	*snake;		/* NULL when it equals camel */
};

static int	fail(struct cx_err *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static int
fail(struct cx_err *err, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Finds a field by either of its names.  *out is NULL when the field is
 * absent or null.  Returns -1 when both spellings are set.
 */
static int
get_field(json_object *obj, const struct field *f, const char *path,
    json_object **out, struct cx_err *err)
{
	json_object	*a = NULL, *b = NULL;

	json_object_object_get_ex(obj, f->camel, &a);
	if (f->snake != NULL)
		json_object_object_get_ex(obj, f->snake, &b);
	if (a != NULL && b != NULL)
		return fail(err, "%s%s: set twice (as %s and %s)", path,
		    f->camel, f->camel, f->snake);
	*out = a != NULL ? a : b;
	return 0;
}

static const char *
type_word(json_type t)
{
	switch (t) {
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	case json_type_string:
		return "a string";
	case json_type_boolean:
		return "a boolean";
	case json_type_int:
	case json_type_double:
		return "a number";
	case json_type_null:
		return "null";
	}
	return "a value";
}

static int
want(json_object *o, json_type t, const char *path, const char *name,
    struct cx_err *err)
{
	json_type	got = json_object_get_type(o);

	if (got == t || (t == json_type_double && got == json_type_int))
		return 0;
	return fail(err, "%s%s: expected %s, got %s", path, name,
	    type_word(t), type_word(got));
}

static int
get_string(json_object *obj, const struct field *f, const char *path,
    struct cx_str *out, struct cx_err *err)
{
	json_object	*o;

	out->p = NULL;
	out->len = 0;
	if (get_field(obj, f, path, &o, err) == -1)
		return -1;
	if (o == NULL)
		return 0;
	if (want(o, json_type_string, path, f->camel, err) == -1)
		return -1;
	out->p = json_object_get_string(o);
	out->len = (size_t)json_object_get_string_len(o);
	return 0;
}

/* An object-typed field: *out is NULL when absent or null. */
static int
get_object(json_object *obj, const struct field *f, const char *path,
    json_object **out, struct cx_err *err)
{
	if (get_field(obj, f, path, out, err) == -1)
		return -1;
	if (*out == NULL)
		return 0;
	return want(*out, json_type_object, path, f->camel, err);
}

/*
 * float/double fields: a JSON number, or a string holding one (proto3
 * JSON).  proto3 also spells NaN and the infinities "NaN", "Infinity" and
 * "-Infinity"; JSON has no such numbers, none of these fields means
 * anything by them, and an answer that repeated one would not be JSON, so
 * they count as absent (0, as proto3 reads a float it was not sent).  Any
 * other string, strtod(3)'s "nan" and "inf" among them, and a number no
 * double holds ("1e999", refused unquoted too) is an error.
 */
static int
get_float(json_object *obj, const struct field *f, const char *path,
    double *out, struct cx_err *err)
{
	json_object	*o;
	struct cx_str	 s;

	*out = 0;
	if (get_field(obj, f, path, &o, err) == -1)
		return -1;
	if (o == NULL)
		return 0;
	switch (json_object_get_type(o)) {
	case json_type_int:
	case json_type_double:
		/* json_strict_check() let no unholdable literal through. */
		*out = json_object_get_double(o);
		if (!isfinite(*out))
			*out = 0;
		return 0;
	case json_type_string:
		s.p = json_object_get_string(o);
		s.len = (size_t)json_object_get_string_len(o);
		if (cx_str_eq(s, "NaN") || cx_str_eq(s, "Infinity") ||
		    cx_str_eq(s, "-Infinity"))
			return 0;
		if (!cx_is_json_number(s))
			return fail(err, "%s%s: not a number", path, f->camel);
		*out = strtod(s.p, NULL);
		if (isfinite(*out))
			return 0;
		*out = 0;
		return fail(err, "%s%s: number out of range", path, f->camel);
	default:
		return want(o, json_type_double, path, f->camel, err);
	}
}

static int
get_bool(json_object *obj, const struct field *f, const char *path,
    bool *out, struct cx_err *err)
{
	json_object	*o;

	*out = false;
	if (get_field(obj, f, path, &o, err) == -1)
		return -1;
	if (o == NULL)
		return 0;
	if (want(o, json_type_boolean, path, f->camel, err) == -1)
		return -1;
	*out = json_object_get_boolean(o);
	return 0;
}

/* A map key, quoted for an error message only when it is short and plain. */
static void
key_for_path(const char *key, char *buf, size_t bufsz)
{
	const char	*p;

	for (p = key; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e || *p == '"')
			break;
	if (*p != '\0' || p - key > 40)
		snprintf(buf, bufsz, "[...]");
	else
		snprintf(buf, bufsz, "[\"%s\"]", key);
}

static const struct field F_ORIGINAL = { "originalValue", "original_value" };

/* intentInfo.parameters: map<string, IntentParameterValue>. */
static int
check_intent_params(json_object *params, struct cx_err *err)
{
	char	k[48], path[128];

	json_object_object_foreach(params, key, val) {
		struct cx_str	 s;

		if (val == NULL)
			continue;
		key_for_path(key, k, sizeof(k));
		snprintf(path, sizeof(path), "intentInfo.parameters%s", k);
		if (want(val, json_type_object, path, "", err) == -1)
			return -1;
		strncat(path, ".", sizeof(path) - strlen(path) - 1);
		if (get_string(val, &F_ORIGINAL, path, &s, err) == -1)
			return -1;
	}
	return 0;
}

static int
decode_intent(json_object *root, struct cx_request *req, struct cx_err *err)
{
	static const struct field F_INFO = { "intentInfo", "intent_info" };
	static const struct field F_LAST =
	    { "lastMatchedIntent", "last_matched_intent" };
	static const struct field F_NAME = { "displayName", "display_name" };
	static const struct field F_PARAMS = { "parameters", NULL };
	static const struct field F_CONF = { "confidence", NULL };
	const char	*p = "intentInfo.";
	json_object	*info, *params;

	if (get_object(root, &F_INFO, "", &info, err) == -1)
		return -1;
	if (info == NULL)
		return 0;
	if (get_string(info, &F_LAST, p, &req->last_matched_intent, err) == -1 ||
	    get_string(info, &F_NAME, p, &req->intent_name, err) == -1 ||
	    get_float(info, &F_CONF, p, &req->intent_confidence, err) == -1 ||
	    get_object(info, &F_PARAMS, p, &params, err) == -1)
		return -1;
	if (params == NULL)
		return 0;
	if (check_intent_params(params, err) == -1)
		return -1;
	req->intent_params.j = cx_wrap(params);
	req->intent_params.present = true;
	return 0;
}

static int
parse_state(json_object *o, const char *path, enum cx_param_state *out,
    struct cx_err *err)
{
	static const char *const names[] = {
		"PARAMETER_STATE_UNSPECIFIED", "EMPTY", "INVALID", "FILLED",
	};
	size_t	i;
	int64_t	n;

	*out = CX_PARAM_UNSPECIFIED;
	if (o == NULL)
		return 0;
	if (json_object_is_type(o, json_type_int)) {
		n = json_object_get_int64(o);
		if (n < 0 || n > CX_PARAM_FILLED)
			return fail(err, "%sstate: unknown value %lld", path,
			    (long long)n);
		*out = (enum cx_param_state)n;
		return 0;
	}
	if (want(o, json_type_string, path, "state", err) == -1)
		return -1;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(json_object_get_string(o), names[i]) == 0) {
			*out = (enum cx_param_state)i;
			return 0;
		}
	}
	return fail(err, "%sstate: unknown value", path);
}

static int
decode_form_param(json_object *o, size_t i, struct cx_form_param *fp,
    struct cx_err *err)
{
	static const struct field F_NAME = { "displayName", "display_name" };
	static const struct field F_REQ = { "required", NULL };
	static const struct field F_STATE = { "state", NULL };
	static const struct field F_JUST = { "justCollected", "just_collected" };
	char		 path[96];
	json_object	*state, *value = NULL;

	snprintf(path, sizeof(path),
	    "pageInfo.formInfo.parameterInfo[%zu]", i);
	if (o == NULL)
		return fail(err, "%s: null is not allowed in a list", path);
	if (want(o, json_type_object, path, "", err) == -1)
		return -1;
	strncat(path, ".", sizeof(path) - strlen(path) - 1);
	if (get_string(o, &F_NAME, path, &fp->display_name, err) == -1 ||
	    get_bool(o, &F_REQ, path, &fp->required, err) == -1 ||
	    get_bool(o, &F_JUST, path, &fp->just_collected, err) == -1 ||
	    get_field(o, &F_STATE, path, &state, err) == -1 ||
	    parse_state(state, path, &fp->state, err) == -1)
		return -1;
	fp->value.present = json_object_object_get_ex(o, "value", &value);
	fp->value.j = cx_wrap(value);
	return 0;
}

static int
decode_page(json_object *root, struct cx_request *req, struct cx_err *err)
{
	static const struct field F_INFO = { "pageInfo", "page_info" };
	static const struct field F_CUR = { "currentPage", "current_page" };
	static const struct field F_NAME = { "displayName", "display_name" };
	static const struct field F_FORM = { "formInfo", "form_info" };
	static const struct field F_PI = { "parameterInfo", "parameter_info" };
	const char	*p = "pageInfo.";
	json_object	*info, *form, *list;
	size_t		 i, n;

	if (get_object(root, &F_INFO, "", &info, err) == -1)
		return -1;
	if (info == NULL)
		return 0;
	if (get_string(info, &F_CUR, p, &req->current_page, err) == -1 ||
	    get_string(info, &F_NAME, p, &req->page_name, err) == -1 ||
	    get_object(info, &F_FORM, p, &form, err) == -1)
		return -1;
	if (form == NULL)
		return 0;
	if (get_field(form, &F_PI, "pageInfo.formInfo.", &list, err) == -1)
		return -1;
	if (list == NULL)
		return 0;
	if (want(list, json_type_array, "pageInfo.formInfo.", "parameterInfo",
	    err) == -1)
		return -1;
	n = json_object_array_length(list);
	req->form_params = xcalloc(n, sizeof(*req->form_params));
	req->n_form_params = n;
	for (i = 0; i < n; i++)
		if (decode_form_param(json_object_array_get_idx(list, i), i,
		    &req->form_params[i], err) == -1)
			return -1;
	return 0;
}

static int
decode_session(json_object *root, struct cx_request *req, struct cx_err *err)
{
	static const struct field F_INFO = { "sessionInfo", "session_info" };
	static const struct field F_SESSION = { "session", NULL };
	static const struct field F_PARAMS = { "parameters", NULL };
	json_object	*info, *params;

	if (get_object(root, &F_INFO, "", &info, err) == -1)
		return -1;
	if (info == NULL)
		return 0;
	if (get_string(info, &F_SESSION, "sessionInfo.", &req->session,
	    err) == -1 ||
	    get_object(info, &F_PARAMS, "sessionInfo.", &params, err) == -1)
		return -1;
	if (params != NULL) {
		req->session_params.j = cx_wrap(params);
		req->session_params.present = true;
	}
	return 0;
}

static int
decode_misc(json_object *root, struct cx_request *req, struct cx_err *err)
{
	static const struct field F_ID =
	    { "detectIntentResponseId", "detect_intent_response_id" };
	static const struct field F_FI = { "fulfillmentInfo", "fulfillment_info" };
	static const struct field F_TAG = { "tag", NULL };
	static const struct field F_MSGS = { "messages", NULL };
	static const struct field F_PAYLOAD = { "payload", NULL };
	static const struct field F_SENT =
	    { "sentimentAnalysisResult", "sentiment_analysis_result" };
	static const struct field F_SCORE = { "score", NULL };
	static const struct field F_MAG = { "magnitude", NULL };
	static const struct field F_LANG = { "languageCode", "language_code" };
	static const struct field F_LINFO = { "languageInfo", "language_info" };
	json_object	*fi, *msgs, *payload, *sent, *linfo;
	size_t		 i, n;

	if (get_string(root, &F_ID, "", &req->detect_intent_response_id,
	    err) == -1 ||
	    get_string(root, &F_LANG, "", &req->language_code, err) == -1 ||
	    get_object(root, &F_FI, "", &fi, err) == -1 ||
	    (fi != NULL &&
	    get_string(fi, &F_TAG, "fulfillmentInfo.", &req->tag, err) == -1) ||
	    get_object(root, &F_PAYLOAD, "", &payload, err) == -1 ||
	    get_object(root, &F_LINFO, "", &linfo, err) == -1 ||
	    get_object(root, &F_SENT, "", &sent, err) == -1)
		return -1;
	if (payload != NULL) {
		req->payload.j = cx_wrap(payload);
		req->payload.present = true;
	}
	if (sent != NULL) {
		req->has_sentiment = true;
		if (get_float(sent, &F_SCORE, "sentimentAnalysisResult.",
		    &req->sentiment_score, err) == -1 ||
		    get_float(sent, &F_MAG, "sentimentAnalysisResult.",
		    &req->sentiment_magnitude, err) == -1)
			return -1;
	}
	/* The agent's queued messages are not read, only shape-checked. */
	if (get_field(root, &F_MSGS, "", &msgs, err) == -1)
		return -1;
	if (msgs == NULL)
		return 0;
	if (want(msgs, json_type_array, "", "messages", err) == -1)
		return -1;
	n = json_object_array_length(msgs);
	for (i = 0; i < n; i++) {
		json_object	*m = json_object_array_get_idx(msgs, i);
		char		 path[48];

		snprintf(path, sizeof(path), "messages[%zu]", i);
		if (m == NULL)
			return fail(err, "%s: null is not allowed in a list",
			    path);
		if (want(m, json_type_object, path, "", err) == -1)
			return -1;
	}
	return 0;
}

/* The `query` oneof: text, triggerIntent, transcript, triggerEvent, dtmfDigits. */
static int
decode_query(json_object *root, struct cx_request *req, struct cx_err *err)
{
	static const struct field members[] = {
		{ "text", NULL },
		{ "triggerIntent", "trigger_intent" },
		{ "transcript", NULL },
		{ "triggerEvent", "trigger_event" },
		{ "dtmfDigits", "dtmf_digits" },
	};
	static const enum cx_query kinds[] = {
		CX_QUERY_TEXT, CX_QUERY_TRIGGER_INTENT, CX_QUERY_TRANSCRIPT,
		CX_QUERY_TRIGGER_EVENT, CX_QUERY_DTMF,
	};
	const char	*first = NULL;
	struct cx_str	 s;
	size_t		 i;

	for (i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
		if (get_string(root, &members[i], "", &s, err) == -1)
			return -1;
		if (s.p == NULL)
			continue;
		if (first != NULL)
			return fail(err, "%s and %s: only one member of the "
			    "query oneof may be set", first, members[i].camel);
		first = members[i].camel;
		req->query_kind = kinds[i];
		req->query = s;
	}
	return 0;
}

int
cx_decode(char *body, size_t len, struct cx_request *req, struct cx_err *err)
{
	json_object		*root;

	memset(req, 0, sizeof(*req));
	if (json_strict_check(body, len, CX_MAX_DEPTH, err) == -1)
		return -1;
	/* The strict check has vetted every byte; json-c only builds. */
	if ((root = cx_json_parse(body, len)) == NULL && errno == ENOMEM)
		return fail(err, "out of memory");
	if (root == NULL || !json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return fail(err, "body is not a JSON object");
	}
	req->root = cx_wrap(root);
	if (decode_misc(root, req, err) == -1 ||
	    decode_query(root, req, err) == -1 ||
	    decode_intent(root, req, err) == -1 ||
	    decode_page(root, req, err) == -1 ||
	    decode_session(root, req, err) == -1) {
		cx_request_free(req);
		return -1;
	}
	return 0;
}

void
cx_request_free(struct cx_request *req)
{
	json_object_put(cx_j(req->root));
	free(req->form_params);
	memset(req, 0, sizeof(*req));
}

struct cx_str
cx_session_id(const struct cx_request *req)
{
	struct cx_str	s = req->session;
	const char	*slash;

	if (s.p == NULL)
		return s;
	slash = memrchr(s.p, '/', s.len);
	if (slash != NULL) {
		s.len -= (size_t)(slash + 1 - s.p);
		s.p = slash + 1;
	}
	return s;
}
