/*
 * Bookings: booking.create, booking.status and booking.cancel.
 *
 * PostgreSQL is the source of truth and holds the rules that must not
 * race (sql/migrations/0003_*.sql and 0004_*.sql): capacity, idempotency
 * by request key, and the forwarding outbox.  This file does what a form
 * needs: it names everything still missing in one prompt, and marks a
 * parameter INVALID (with its session value set to null, so CX asks
 * again) when it cannot be booked as given, saying why.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx/rich.h"
#include "handlers/wh.h"
#include "lib/buf.h"
#include "lib/xalloc.h"

#define FIELD_MAX	200
#define CONFIRMATION_LEN	10

/* Columns of DB_BOOK, in order. */
enum {
	BK_OUTCOME, BK_CONFIRMATION, BK_SERVICE, BK_DATE, BK_TIME,
	BK_SAY_DATE, BK_SAY_TIME, BK_OPENS, BK_CLOSES, BK_FREE,
};

struct booking_req {
	char		 service[FIELD_MAX];
	bool		 has_service;
	struct cx_date	 date;
	struct cx_time	 time;
	bool		 has_date, date_ok;
	bool		 has_time, time_ok;
	/* The parameters they came from: "date"/"time", or one "datetime". */
	const char	*date_param;
	const char	*time_param;
	char		name[FIELD_MAX], email[FIELD_MAX], phone[FIELD_MAX];
};

static const char *const month_names[] = {
	"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December",
};

static const char *
time_zone(const struct wh_ctx *ctx)
{
	if (ctx->settings != NULL && ctx->settings->time_zone != NULL)
		return ctx->settings->time_zone;
	return "UTC";
}

/*
 * Marks a form parameter INVALID and clears its session value, which is
 * what makes CX re-prompt for it (docs/cx-protocol.md §11.9).
 */
static void	invalid(struct wh_ctx *, const char *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static void
invalid(struct wh_ctx *ctx, const char *param, const char *fmt, ...)
{
	char	msg[1024];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cx_resp_form_param(ctx->resp, param, CX_PARAM_INVALID, true);
	cx_resp_set_null(ctx->resp, param);
	cx_resp_say(ctx->resp, "%s", msg);
}

static bool
given(const struct cx_request *req, const char *name)
{
	return cx_value_is_set(cx_param(req, name));
}

/* date and time, each from its own parameter or from one `datetime`. */
static void
read_when(const struct cx_request *req, struct booking_req *b)
{
	b->date_param = "date";
	b->time_param = "time";
	b->has_date = given(req, "date");
	b->date_ok = b->has_date && cx_param_date(req, "date", &b->date);
	if (!b->has_date && given(req, "datetime")) {
		b->has_date = true;
		b->date_param = "datetime";
		b->date_ok = cx_param_date(req, "datetime", &b->date);
	}
	b->has_time = given(req, "time");
	b->time_ok = b->has_time && cx_param_time(req, "time", &b->time);
	if (!b->has_time && given(req, "datetime")) {
		b->has_time = true;
		b->time_param = "datetime";
		b->time_ok = cx_param_time(req, "datetime", &b->time);
	}
}

static void
read_booking(const struct cx_request *req, struct booking_req *b)
{
	memset(b, 0, sizeof(*b));
	b->has_service = cx_param_text(req, "service", b->service,
	    sizeof(b->service));
	read_when(req, b);
	if (!cx_param_text(req, "customer_name", b->name, sizeof(b->name)))
		b->name[0] = '\0';
	if (!cx_param_text(req, "customer_email", b->email, sizeof(b->email)))
		b->email[0] = '\0';
	if (!cx_param_text(req, "customer_phone", b->phone, sizeof(b->phone)))
		b->phone[0] = '\0';
}

/*
 * Items as a spoken list, each after prefix: "a", "a and b", "a, b and c"
 * ("the service, the date and the time" with prefix "the ").
 */
static void
join_spoken(struct buf *out, const char *prefix, const char *const *items,
    size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_puts(out, i == n - 1 ? " and " : ", ");
		buf_printf(out, "%s%s", prefix, items[i]);
	}
}

/*
 * The services we offer, said and offered as chips.  A database failure
 * here only loses the list, not the answer.
 */
static void
offer_services(struct wh_ctx *ctx, const char *lead)
{
	struct db_rows	 rows;
	struct buf	 line;
	struct rich	*r;
	const char	*names[32];
	int		 i, n;

	if (ctx->db_ops->exec(ctx->db, DB_LIST_SERVICES, NULL, 0, &rows,
	    ctx->deadline_ms) != WH_OK) {
		cx_resp_say(ctx->resp, "%s", lead);
		return;
	}
	if (rows.nrows == 0) {
		db_rows_clear(&rows);
		cx_resp_say(ctx->resp, "%s", lead);
		return;
	}
	n = rows.nrows < 32 ? rows.nrows : 32;
	buf_init(&line);
	buf_printf(&line, "%s We offer ", lead);
	for (i = 0; i < n; i++)
		names[i] = db_cell(&rows, i, 0);
	join_spoken(&line, "", names, (size_t)n);
	buf_puts(&line, ". Which would you like?");
	cx_resp_say(ctx->resp, "%s", line.p);
	r = rich_new();
	rich_chips(r, names, (size_t)n);
	cx_resp_rich(ctx->resp, r);
	buf_clear(&line);
	db_rows_clear(&rows);
}

static bool
ask_missing(struct wh_ctx *ctx, const struct booking_req *b)
{
	const char	*missing[3];
	size_t		 n = 0;
	struct buf	 line;

	if (!b->has_service)
		missing[n++] = "service";
	if (!b->has_date)
		missing[n++] = "date";
	if (!b->has_time)
		missing[n++] = "time";
	if (n == 0)
		return false;
	buf_init(&line);
	buf_puts(&line, "To book an appointment I still need ");
	join_spoken(&line, "the ", missing, n);
	buf_putc(&line, '.');
	if (!b->has_service)
		offer_services(ctx, line.p);
	else
		cx_resp_say(ctx->resp, "%s", line.p);
	buf_clear(&line);
	return true;
}

/* Dates and times that cannot be booked whatever the calendar says. */
static bool
reject_malformed(struct wh_ctx *ctx, const struct booking_req *b)
{
	char	day[64];

	if (!b->date_ok) {
		invalid(ctx, b->date_param,
		    "I didn't catch a valid date. Which day would you like?");
		return true;
	}
	if (!cx_date_valid(&b->date)) {
		snprintf(day, sizeof(day), "%s %d, %d",
		    month_names[b->date.month - 1], b->date.day, b->date.year);
		invalid(ctx, b->date_param, "%s isn't a date on the calendar. "
		    "%s", day, "Which day would you like?");
		return true;
	}
	if (!b->time_ok) {
		invalid(ctx, b->time_param,
		    "I didn't catch a valid time. What time would you like?");
		return true;
	}
	return false;
}

/* An unguessable id: 50 random bits in an alphabet without 0/O, 1/I. */
static void
new_confirmation(struct wh_ctx *ctx, char *out)
{
	static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	unsigned char	rnd[CONFIRMATION_LEN];
	size_t		i;

	ctx->random(rnd, sizeof(rnd));
	for (i = 0; i < CONFIRMATION_LEN; i++)
		out[i] = alphabet[rnd[i] & 31];
	out[CONFIRMATION_LEN] = '\0';
}

static void
say_booked(struct wh_ctx *ctx, const struct db_rows *r)
{
	struct rich	*rc;
	char		 subtitle[256];

	cx_resp_say(ctx->resp, "You're booked for a %s on %s at %s. Your "
	    "confirmation number is %s.", db_cell(r, 0, BK_SERVICE),
	    db_cell(r, 0, BK_SAY_DATE), db_cell(r, 0, BK_SAY_TIME),
	    db_cell(r, 0, BK_CONFIRMATION));
	cx_resp_set_str(ctx->resp, "confirmation_id",
	    db_cell(r, 0, BK_CONFIRMATION));
	cx_resp_set_str(ctx->resp, "booking_status", "confirmed");
	cx_resp_set_str(ctx->resp, "appointment_service",
	    db_cell(r, 0, BK_SERVICE));
	cx_resp_set_str(ctx->resp, "appointment_date", db_cell(r, 0, BK_DATE));
	cx_resp_set_str(ctx->resp, "appointment_time", db_cell(r, 0, BK_TIME));
	snprintf(subtitle, sizeof(subtitle), "%s at %s - confirmation %s",
	    db_cell(r, 0, BK_SAY_DATE), db_cell(r, 0, BK_SAY_TIME),
	    db_cell(r, 0, BK_CONFIRMATION));
	rc = rich_new();
	rich_info(rc, "Appointment booked", subtitle, NULL);
	cx_resp_rich(ctx->resp, rc);
}

/* The slot is taken: offer the next free ones, as words and as chips. */
static void
say_full(struct wh_ctx *ctx, const struct booking_req *b,
    const struct db_rows *r)
{
	const char	*free_text = db_cell(r, 0, BK_FREE);
	char		*copy, *slot, *save = NULL;
	const char	*slots[3];
	size_t		 n = 0;
	struct buf	 line;
	struct rich	*rc;

	buf_init(&line);
	buf_printf(&line, "Sorry, %s on %s is fully booked.",
	    db_cell(r, 0, BK_SAY_TIME), db_cell(r, 0, BK_SAY_DATE));
	copy = xstrdup(free_text != NULL ? free_text : "");
	for (slot = strtok_r(copy, "|", &save); slot != NULL && n < 3;
	    slot = strtok_r(NULL, "|", &save))
		slots[n++] = slot;
	if (n == 0)
		buf_puts(&line, " I couldn't find a free time in the next two "
		    "weeks.");
	else {
		buf_puts(&line, n == 1 ? " The next free time is " :
		    " The next free times are ");
		join_spoken(&line, "", slots, n);
		buf_puts(&line, ". Which would you like?");
	}
	invalid(ctx, b->time_param, "%s", line.p);
	if (n > 0) {
		rc = rich_new();
		rich_chips(rc, slots, n);
		cx_resp_rich(ctx->resp, rc);
	}
	cx_resp_set_str(ctx->resp, "booking_status", "slot_full");
	free(copy);
	buf_clear(&line);
}

static enum wh_status
answer_outcome(struct wh_ctx *ctx, const struct booking_req *b,
    const struct db_rows *r)
{
	const char	*outcome = db_cell(r, 0, BK_OUTCOME);
	char		 lead[FIELD_MAX + 64];

	if (strcmp(outcome, "booked") == 0)
		say_booked(ctx, r);
	else if (strcmp(outcome, "unknown_service") == 0) {
		cx_resp_form_param(ctx->resp, "service", CX_PARAM_INVALID,
		    true);
		cx_resp_set_null(ctx->resp, "service");
		snprintf(lead, sizeof(lead), "Sorry, we don't offer %s.",
		    b->service);
		offer_services(ctx, lead);
	} else if (strcmp(outcome, "past_date") == 0)
		invalid(ctx, b->date_param, "%s has already passed. %s",
		    db_cell(r, 0, BK_SAY_DATE), "Which day would you like?");
	else if (strcmp(outcome, "past_time") == 0)
		invalid(ctx, b->time_param, "%s on that day has already passed. "
		    "%s", db_cell(r, 0, BK_SAY_TIME), "What time would you like?");
	else if (strcmp(outcome, "closed") == 0) {
		snprintf(lead, sizeof(lead), "We take %s appointments between "
		    "%s and %s.", db_cell(r, 0, BK_SERVICE),
		    db_cell(r, 0, BK_OPENS), db_cell(r, 0, BK_CLOSES));
		invalid(ctx, b->time_param, "%s %s", lead,
		    "What time would you like?");
	} else if (strcmp(outcome, "full") == 0)
		say_full(ctx, b, r);
	else
		return WH_INTERNAL;	/* the SQL and this file disagree */
	return WH_OK;
}

/*
 * The request key, "<session path>/<detectIntentResponseId>:booking.create":
 * a retried request (same session, response id and tag) finds the booking
 * it made, and the same response id in another session is another
 * request.  The SQL stores it hashed.  false (no key, so no retry
 * protection) without a response id, or when a NUL would make the key
 * indistinguishable from a shorter one.
 */
static bool
request_key(const struct cx_request *req, struct buf *key)
{
	struct cx_str	sess = req->session;
	struct cx_str	rid = req->detect_intent_response_id;

	if (cx_str_empty(rid) || memchr(rid.p, '\0', rid.len) != NULL ||
	    (sess.p != NULL && memchr(sess.p, '\0', sess.len) != NULL))
		return false;
	if (sess.p != NULL)
		buf_append(key, sess.p, sess.len);
	buf_putc(key, '/');
	buf_append(key, rid.p, rid.len);
	buf_puts(key, ":booking.create");
	return true;
}

enum wh_status
h_booking_create(struct wh_ctx *ctx)
{
	struct booking_req	 b;
	struct db_rows		 rows;
	char			 date[16], tm[16], conf[CONFIRMATION_LEN + 1];
	char			 sess[FIELD_MAX];
	const char		*params[11];
	struct cx_str		 sid;
	struct buf		 key;
	bool			 keyed;
	enum wh_status		 st;

	read_booking(ctx->req, &b);
	if (ask_missing(ctx, &b) || reject_malformed(ctx, &b))
		return WH_OK;
	snprintf(date, sizeof(date), "%04d-%02d-%02d", b.date.year,
	    b.date.month, b.date.day);
	snprintf(tm, sizeof(tm), "%02d:%02d", b.time.hours, b.time.minutes);
	new_confirmation(ctx, conf);
	sid = cx_session_id(ctx->req);
	snprintf(sess, sizeof(sess), "%.*s", (int)(sid.len < 190 ? sid.len :
	    190), sid.p != NULL ? sid.p : "");
	buf_init(&key);
	keyed = request_key(ctx->req, &key);
	params[0] = b.service;
	params[1] = date;
	params[2] = tm;
	params[3] = time_zone(ctx);
	params[4] = b.name[0] != '\0' ? b.name : NULL;
	params[5] = b.email[0] != '\0' ? b.email : NULL;
	params[6] = b.phone[0] != '\0' ? b.phone : NULL;
	params[7] = sess[0] != '\0' ? sess : NULL;
	params[8] = keyed ? key.p : NULL;
	params[9] = conf;
	params[10] = ctx->settings != NULL && ctx->settings->forward_bookings ?
	    "true" : "false";
	st = ctx->db_ops->exec(ctx->db, DB_BOOK, params, 11, &rows,
	    ctx->deadline_ms);
	buf_clear(&key);
	if (st != WH_OK)
		return st;
	if (rows.nrows != 1 || db_cell(&rows, 0, BK_OUTCOME) == NULL) {
		db_rows_clear(&rows);
		return WH_INTERNAL;
	}
	st = answer_outcome(ctx, &b, &rows);
	db_rows_clear(&rows);
	return st;
}

/* Confirmation ids are upper case; people type them any way. */
static bool
want_confirmation(struct wh_ctx *ctx, char *id, size_t idsz)
{
	char	*p;

	if (cx_param_text(ctx->req, "confirmation_id", id, idsz)) {
		for (p = id; *p != '\0'; p++)
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
		return true;
	}
	cx_resp_say(ctx->resp, "What is your booking's confirmation number?");
	return false;
}

static void
say_not_found(struct wh_ctx *ctx, const char *id)
{
	wh_fail(ctx, "booking_not_found", "I couldn't find a booking with "
	    "confirmation number %s. Please check it and try again.", id);
}

enum wh_status
h_booking_status(struct wh_ctx *ctx)
{
	char		 id[64];
	const char	*params[2];
	struct db_rows	 rows;
	enum wh_status	 st;
	bool		 live;

	if (!want_confirmation(ctx, id, sizeof(id)))
		return WH_OK;
	params[0] = id;
	params[1] = time_zone(ctx);
	st = ctx->db_ops->exec(ctx->db, DB_BOOKING_STATUS, params, 2, &rows,
	    ctx->deadline_ms);
	if (st != WH_OK)
		return st;
	if (rows.nrows == 0) {
		db_rows_clear(&rows);
		say_not_found(ctx, id);
		return WH_OK;
	}
	live = strcmp(db_cell(&rows, 0, 2), "confirmed") == 0;
	cx_resp_say(ctx->resp, "Your %s on %s at %s %s.", db_cell(&rows, 0, 1),
	    db_cell(&rows, 0, 3), db_cell(&rows, 0, 4),
	    live ? "is confirmed" : "was cancelled");
	cx_resp_set_str(ctx->resp, "confirmation_id", db_cell(&rows, 0, 0));
	cx_resp_set_str(ctx->resp, "booking_status", db_cell(&rows, 0, 2));
	cx_resp_set_str(ctx->resp, "appointment_service", db_cell(&rows, 0, 1));
	cx_resp_set_str(ctx->resp, "appointment_date", db_cell(&rows, 0, 5));
	cx_resp_set_str(ctx->resp, "appointment_time", db_cell(&rows, 0, 6));
	db_rows_clear(&rows);
	return WH_OK;
}

enum wh_status
h_booking_cancel(struct wh_ctx *ctx)
{
	char		 id[64];
	const char	*params[3];
	struct db_rows	 rows;
	enum wh_status	 st;

	if (!want_confirmation(ctx, id, sizeof(id)))
		return WH_OK;
	params[0] = id;
	params[1] = time_zone(ctx);
	params[2] = ctx->settings != NULL && ctx->settings->forward_bookings ?
	    "true" : "false";
	st = ctx->db_ops->exec(ctx->db, DB_BOOKING_CANCEL, params, 3, &rows,
	    ctx->deadline_ms);
	if (st != WH_OK)
		return st;
	if (rows.nrows != 1 || strcmp(db_cell(&rows, 0, 0), "not_found") == 0) {
		db_rows_clear(&rows);
		say_not_found(ctx, id);
		return WH_OK;
	}
	/* Cancelling twice is one cancellation: the same answer both times. */
	cx_resp_say(ctx->resp, "Your %s on %s at %s is cancelled.",
	    db_cell(&rows, 0, 1), db_cell(&rows, 0, 2), db_cell(&rows, 0, 3));
	cx_resp_set_str(ctx->resp, "booking_status", "cancelled");
	cx_resp_set_str(ctx->resp, "confirmation_id", id);
	db_rows_clear(&rows);
	return WH_OK;
}
