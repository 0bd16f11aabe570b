/*
 * The Dialogflow CX webhook protocol, as pure functions: bytes in, structs
 * out (cx_decode), and structs in, bytes out (cx_encode).  Nothing here does
 * I/O, so every function can be unit-tested and fuzzed on its own.
 *
 * json-c stays behind this header: handlers read request fields through
 * struct cx_str and struct cx_value and build answers through the cx_resp_*
 * calls, and never see a json-c type or touch a reference count.  The few
 * calls that take a json-c object are cx/'s own (cx/json.h).
 *
 * Ownership: a decoded struct cx_request owns its parsed JSON tree; every
 * cx_str and cx_value taken from it is borrowed and valid until
 * cx_request_free().  A struct cx_response owns everything added to it.
 */
#ifndef CXHOOK_CX_H
#define CXHOOK_CX_H

#include <stdbool.h>
#include <stddef.h>

/* A JSON value inside cx/ (json-c's, out of the handlers' sight). */
struct cx_json;
struct buf;

/* Nesting deeper than this is refused unparsed (docs/contract.md §3). */
#define CX_MAX_DEPTH		64
/* Dialogflow refuses webhook responses larger than this. */
#define CX_MAX_RESPONSE		(64 * 1024)

struct cx_err {
	char	msg[256];
};

/*
 * A string borrowed from the request.  len is authoritative: CX strings may
 * carry U+0000, so "weather\u0000x" must never compare equal to "weather".
 * p is NULL when the field was absent or null.
 */
struct cx_str {
	const char	*p;
	size_t		 len;
};

bool		cx_str_eq(struct cx_str, const char *);
bool		cx_str_empty(struct cx_str);
/* s without leading and trailing ASCII whitespace. */
struct cx_str	cx_str_trim(struct cx_str);
/* Is s exactly one JSON number (RFC 8259 grammar, any magnitude)? */
bool		cx_is_json_number(struct cx_str);

/* Any JSON value (google.protobuf.Value), borrowed from the request. */
enum cx_type {
	CX_ABSENT,		/* no such member */
	CX_NULL,
	CX_BOOL,
	CX_NUMBER,
	CX_STRING,
	CX_OBJECT,
	CX_ARRAY,
};

struct cx_value {
	struct cx_json	*j;
	bool		 present;
};

enum cx_type	cx_value_type(struct cx_value);
bool		cx_value_is_set(struct cx_value);	/* present, not null */
bool		cx_value_str(struct cx_value, struct cx_str *);
bool		cx_value_num(struct cx_value, double *);
bool		cx_value_bool(struct cx_value, bool *);
struct cx_value	cx_value_get(struct cx_value, const char *);	/* member */
size_t		cx_value_len(struct cx_value);		/* array length */
struct cx_value	cx_value_at(struct cx_value, size_t);	/* array item */

/* ParameterInfo.state */
enum cx_param_state {
	CX_PARAM_UNSPECIFIED,
	CX_PARAM_EMPTY,
	CX_PARAM_INVALID,
	CX_PARAM_FILLED,
};

struct cx_form_param {
	struct cx_str		 display_name;
	bool			 required;
	enum cx_param_state	 state;
	struct cx_value		 value;
	bool			 just_collected;
};

/* Which member of the WebhookRequest `query` oneof was set. */
enum cx_query {
	CX_QUERY_NONE,
	CX_QUERY_TEXT,
	CX_QUERY_TRIGGER_INTENT,
	CX_QUERY_TRANSCRIPT,
	CX_QUERY_TRIGGER_EVENT,
	CX_QUERY_DTMF,
};

struct cx_request {
	struct cx_json		*root;		/* owned */

	struct cx_str		 detect_intent_response_id;
	struct cx_str		 tag;		/* fulfillmentInfo.tag */
	struct cx_str		 intent_name;	/* intentInfo.displayName */
	struct cx_str		 last_matched_intent;
	double			 intent_confidence;
	struct cx_value		 intent_params;	/* map of IntentParameterValue */
	struct cx_str		 current_page;
	struct cx_str		 page_name;	/* pageInfo.displayName */
	struct cx_form_param	*form_params;	/* owned array */
	size_t			 n_form_params;
	struct cx_str		 session;
	struct cx_value		 session_params;	/* map of Value */
	struct cx_value		 payload;
	bool			 has_sentiment;
	double			 sentiment_score;
	double			 sentiment_magnitude;
	enum cx_query		 query_kind;
	struct cx_str		 query;		/* the oneof member's text */
	struct cx_str		 language_code;
};

/*
 * Decodes a WebhookRequest.  body must be writable and NUL-terminated at
 * body[len] (the strict check rewrites escapes in place, see json_strict.h).
 * Returns 0, or -1 with err->msg naming what is wrong (and, for a field of
 * the wrong type, its path, e.g. "intentInfo.parameters: expected object").
 * Unknown fields are ignored; null counts as absent (proto3 JSON rules).
 */
int	cx_decode(char *body, size_t len, struct cx_request *,
	    struct cx_err *);
void	cx_request_free(struct cx_request *);

/* The session id: the last segment of sessionInfo.session. */
struct cx_str	cx_session_id(const struct cx_request *);

/*
 * Parameter lookup, docs/contract.md §4: this turn's
 * intentInfo.parameters[name].resolvedValue, else its originalValue, else
 * sessionInfo.parameters[name].  A null or empty-string value counts as
 * not given, so the next source is tried.
 */
struct cx_value	cx_param(const struct cx_request *, const char *name);

/*
 * Typed views of a parameter.  Each returns false when the parameter is
 * absent or cannot be read as that type.
 *  - text: a string as is; a number as an integer when it is integral
 *    ("10042" from 10042 or 10042.0), else shortest %g; an object's "name",
 *    "original" or "city" member (in that order) when it is a string.
 *  - integer: an integral number, or a string holding one.
 *  - number: any finite number, or a string holding one.
 */
bool	cx_param_text(const struct cx_request *, const char *name,
	    char *buf, size_t bufsz);
bool	cx_param_int(const struct cx_request *, const char *name, long *);
bool	cx_param_num(const struct cx_request *, const char *name, double *);

struct cx_date {
	int	year, month, day;
};
struct cx_time {
	int	hours, minutes, seconds;
};
/*
 * @sys.date as {"year","month","day"} or "YYYY-MM-DD" (a leading date of an
 * ISO date-time is taken too); @sys.time as {"hours","minutes","seconds"}
 * with minutes and seconds possibly missing (missing = 0; hours are
 * required), or "HH:MM[:SS]", optionally followed by am/pm.  Range checks (month 13, 25:00) fail; whether a day
 * exists in its month (Feb 30) is the caller's question.
 */
bool	cx_param_date(const struct cx_request *, const char *, struct cx_date *);
bool	cx_param_time(const struct cx_request *, const char *, struct cx_time *);
bool	cx_date_valid(const struct cx_date *);	/* Feb 30 is not */

/*
 * Any JSON object from outside (an upstream API's answer): strictly
 * checked like a request, then read with cx_value_*.  body must be
 * writable and NUL-terminated at body[len].
 */
struct cx_doc {
	struct cx_json	*root;
};

int		cx_doc_parse(char *body, size_t len, struct cx_doc *,
		    struct cx_err *);
struct cx_value	cx_doc_root(const struct cx_doc *);
void		cx_doc_free(struct cx_doc *);

/* ---- responses ---- */

enum cx_merge {
	CX_MERGE_UNSPECIFIED,
	CX_MERGE_APPEND,
	CX_MERGE_REPLACE,
};

struct cx_response;

struct cx_response	*cx_response_new(void);
void			 cx_response_free(struct cx_response *);

/* A text message (a printf format; the result must be valid UTF-8). */
void	cx_resp_say(struct cx_response *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* A liveAgentHandoff message, metadata {"reason": reason, "sentimentScore": score}. */
void	cx_resp_handoff_reason(struct cx_response *, const char *reason,
	    double score);
void	cx_resp_merge(struct cx_response *, enum cx_merge);

/*
 * Session parameters to set.  Setting the same name twice keeps the last
 * value.  set_null deletes the parameter in the session.  set_number_text
 * writes a JSON number from its exact decimal text ("1250.75"): money never
 * passes through a C double on its way out.
 */
void	cx_resp_set_str(struct cx_response *, const char *, const char *);
void	cx_resp_set_number_text(struct cx_response *, const char *,
	    const char *);
void	cx_resp_set_int(struct cx_response *, const char *, long);
void	cx_resp_set_double(struct cx_response *, const char *, double);
void	cx_resp_set_bool(struct cx_response *, const char *, bool);
void	cx_resp_set_null(struct cx_response *, const char *);
bool	cx_resp_has_param(const struct cx_response *, const char *);

/* pageInfo.formInfo.parameterInfo[]: state (and optionally a new value). */
void	cx_resp_form_param(struct cx_response *, const char *name,
	    enum cx_param_state, bool required);

void	cx_resp_target_page(struct cx_response *, const char *);
void	cx_resp_target_flow(struct cx_response *, const char *);

size_t	cx_resp_n_messages(const struct cx_response *);

/*
 * Encodes a WebhookResponse: camelCase names only, no field the proto
 * lacks.  Appends to out.  Returns 0, or -1 with err set when the response
 * would exceed CX_MAX_RESPONSE or sets both targetPage and targetFlow.
 */
int	cx_encode(const struct cx_response *, struct buf *, struct cx_err *);

/*
 * The error body of docs/contract.md §3:
 * {"error":{"code":N,"message":"..."}}.
 */
void	cx_encode_error(struct buf *, int code, const char *message);

#endif
