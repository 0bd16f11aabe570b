/*
 * Unit tests for the booking handlers (handlers/h_booking.c) through the
 * handler seam: decoded requests in, the fake database of fake_db.h with
 * canned result sets shaped like db/stmt.c's DB_LIST_SERVICES, DB_BOOK,
 * DB_BOOKING_STATUS and DB_BOOKING_CANCEL, a deterministic ctx.random,
 * and the encoded WebhookResponse out.
 *
 * Every request checks that each result set the fake handed out was
 * released.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cx/cx.h"
#include "fake_db.h"
#include "handlers/wh.h"
#include "harness.h"
#include "lib/buf.h"

#define DEADLINE	123456789

#define SESSION		"projects/p/locations/global/agents/a/sessions/sess-42"
#define FULL		"\"service\":\"haircut\",\"date\":\"2026-12-01\"," \
			"\"time\":\"10:00\""
#define SAY_DATE	"Tuesday, December 1, 2026"
#define ALPHABET	"ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
#define NEED		"To book an appointment I still need "
#define WE_OFFER	" We offer haircut, massage and manicure. " \
			"Which would you like?"
#define DB_DOWN		"Sorry, I can't reach our records right now. " \
			"Please try again in a moment."

/* DB_LIST_SERVICES: name, opens, closes. */
static const char *const services[] = {
	"haircut", "9:00 AM", "5:00 PM",
	"massage", "10:00 AM", "6:00 PM",
	"manicure", "9:00 AM", "5:00 PM",
};
static const char *const service_names[] = {
	"haircut", "massage", "manicure",
};

/*
 * DB_BOOK: outcome, confirmation_id, service, slot_date, slot_time,
 * say_date, say_time, opens, closes, free_slots joined by '|'.
 */
#define BOOK_COLS	10
static const char *const booked[] = {
	"booked", "ABCDEFGH23", "haircut", "2026-12-01", "10:00", SAY_DATE,
	"10:00 AM", "9:00 AM", "5:00 PM", NULL,
};

/* DB_BOOKING_STATUS: id, service, status, say date, say time, date, time. */
#define STATUS_COLS	7
/* DB_BOOKING_CANCEL: outcome, service, say_date, say_time. */
#define CANCEL_COLS	4

/* ---- a deterministic ctx.random ---- */

static unsigned char	rnd_pattern[16];
static size_t		rnd_len;
static size_t		rnd_asked;

/* 'A'..'H', '2', '3', each with different high bits: "ABCDEFGH23". */
static const unsigned char rnd_default[] = {
	0x20, 0x41, 0x62, 0x83, 0xa4, 0xc5, 0xe6, 0x07, 0x38, 0xf9,
};

static void
rnd_set(const unsigned char *p, size_t n)
{
	memcpy(rnd_pattern, p, n);
	rnd_len = n;
	rnd_asked = 0;
}

static void
fake_random(void *out, size_t n)
{
	unsigned char	*b = out;
	size_t		 i;

	for (i = 0; i < n; i++)
		b[i] = rnd_pattern[i % rnd_len];
	rnd_asked += n;
}

/* ---- running requests ---- */

static void
settings_init(struct wh_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->time_zone = "America/Sao_Paulo";
	s->forward_bookings = true;
}

/* A fake database with the services list canned. */
static void
db_init(struct fake_db *f)
{
	fake_db_init(f);
	fake_db_can(f, DB_LIST_SERVICES, 3, 3, services);
	rnd_set(rnd_default, sizeof(rnd_default));
}

static void
run(struct fake_db *f, const struct wh_settings *s, const char *json,
    struct result *res)
{
	struct wh_ctx	ctx;

	ctx_db(&ctx, f, s, DEADLINE);
	ctx.random = fake_random;
	harness_run(&ctx, NULL, json, res);
	/* Every statement runs under the request's deadline. */
	if (f->calls > 0 && f->last_deadline_ms != DEADLINE)
		fail_msg("the database got deadline %lld",
		    (long long)f->last_deadline_ms);
}

/* A booking.create request with these session parameters (JSON members). */
static const char *
book_req(char *doc, size_t docsz, const char *params)
{
	snprintf(doc, docsz, "{\"detectIntentResponseId\":\"resp-1\","
	    "\"fulfillmentInfo\":{\"tag\":\"booking.create\"},"
	    "\"sessionInfo\":{\"session\":\"" SESSION "\","
	    "\"parameters\":{%s}}}", params);
	return doc;
}

/* The same with this turn's intent parameters too. */
static const char *
book_req_intent(char *doc, size_t docsz, const char *intent,
    const char *params)
{
	snprintf(doc, docsz, "{\"detectIntentResponseId\":\"resp-1\","
	    "\"intentInfo\":{\"displayName\":\"booking.create\","
	    "\"parameters\":{%s}},"
	    "\"fulfillmentInfo\":{\"tag\":\"booking.create\"},"
	    "\"sessionInfo\":{\"session\":\"" SESSION "\","
	    "\"parameters\":{%s}}}", intent, params);
	return doc;
}

static const char *
id_req(char *doc, size_t docsz, const char *tag, const char *id)
{
	snprintf(doc, docsz, "{\"fulfillmentInfo\":{\"tag\":\"%s\"},"
	    "\"sessionInfo\":{\"session\":\"" SESSION "\","
	    "\"parameters\":{\"confirmation_id\":%s}}}", tag, id);
	return doc;
}

/* ---- missing parameters ---- */

static void
test_missing(void **state)
{
	static const struct {
		const char	*params;
		const char	*want;
		bool		 lists;
	} t[] = {
		{ "", NEED "the service, the date and the time." WE_OFFER,
		    true },
		{ "\"service\":null,\"date\":null,\"time\":\"\"",
		    NEED "the service, the date and the time." WE_OFFER, true },
		{ "\"service\":\"haircut\"", NEED "the date and the time.",
		    false },
		{ "\"service\":\"haircut\",\"date\":\"2026-12-01\"",
		    NEED "the time.", false },
		{ "\"service\":\"haircut\",\"time\":\"10:00\"",
		    NEED "the date.", false },
		{ "\"date\":\"2026-12-01\",\"time\":\"10:00\"",
		    NEED "the service." WE_OFFER, true },
		{ "\"date\":{\"year\":2026,\"month\":12,\"day\":1}",
		    NEED "the service and the time." WE_OFFER, true },
		/* a datetime is both a date and a time */
		{ "\"datetime\":\"2026-12-01T10:00:00\"",
		    NEED "the service." WE_OFFER, true },
	};
	struct fake_db		f;
	struct wh_settings	s;
	struct result		res;
	char			doc[1024];
	size_t			i;

	settings_init(&s);
	for (i = 0; i < NITEMS(t); i++) {
		db_init(&f);
		fake_db_can(&f, DB_BOOK, 1, BOOK_COLS, booked);
		run(&f, &s, book_req(doc, sizeof(doc), t[i].params), &res);
		if (strcmp(the_text(&res), t[i].want) != 0)
			fail_msg("{%s}: said \"%s\", want \"%s\"",
			    t[i].params, the_text(&res), t[i].want);
		assert_int_equal(f.calls_by_stmt[DB_BOOK], 0);
		assert_int_equal(f.calls_by_stmt[DB_LIST_SERVICES],
		    t[i].lists ? 1 : 0);
		assert_int_equal(f.calls, t[i].lists ? 1 : 0);
		if (t[i].lists) {
			assert_int_equal(nmsgs(&res), 2);
			assert_chips(&res, service_names,
			    NITEMS(service_names));
		} else
			assert_int_equal(nmsgs(&res), 1);
		assert_int_equal(nforms(&res), 0);
		assert_int_equal(nparams(&res), 0);
		assert_int_equal(rnd_asked, 0);
		result_free(&res);
	}
}

/* The corpus's empty form (17-booking-intent-no-params.json). */
static void
test_missing_corpus(void **state)
{
	static const char req[] =
	    "{\"detectIntentResponseId\":\"9f1b3d5f\","
	    "\"intentInfo\":{\"displayName\":\"booking.create\","
	    "\"confidence\":0.99},"
	    "\"pageInfo\":{\"currentPage\":\"projects/p/pages/c4\","
	    "\"formInfo\":{\"parameterInfo\":["
	    "{\"displayName\":\"service\",\"required\":true,\"state\":\"EMPTY\"},"
	    "{\"displayName\":\"date\",\"required\":true,\"state\":\"EMPTY\"},"
	    "{\"displayName\":\"time\",\"required\":true,\"state\":\"EMPTY\"}]},"
	    "\"displayName\":\"Book Appointment\"},"
	    "\"sessionInfo\":{\"session\":\"" SESSION "\",\"parameters\":{}},"
	    "\"fulfillmentInfo\":{\"tag\":\"booking.create\"},"
	    "\"text\":\"I want to book an appointment\",\"languageCode\":\"en\"}";
	struct fake_db		f;
	struct wh_settings	s;
	struct result		res;

	settings_init(&s);
	db_init(&f);
	run(&f, &s, req, &res);
	assert_string_equal(the_text(&res),
	    NEED "the service, the date and the time." WE_OFFER);
	assert_int_equal(f.calls_by_stmt[DB_LIST_SERVICES], 1);
	assert_int_equal(f.calls_by_stmt[DB_BOOK], 0);
	assert_chips(&res, service_names, NITEMS(service_names));
	result_free(&res);

	/* The list is lost with the database, the question is not. */
	db_init(&f);
	f.fail = WH_DB_UNAVAILABLE;
	run(&f, &s, req, &res);
	assert_string_equal(the_text(&res),
	    NEED "the service, the date and the time.");
	assert_int_equal(nmsgs(&res), 1);
	assert_no_error(&res);
	result_free(&res);
}

/*
 * No services at all (a fresh database without demo data): the question
 * alone, with no "We offer ." and no empty chips item.
 */
static void
test_missing_no_services(void **state)
{
	struct fake_db		 f;
	struct wh_settings	 s;
	struct result		 res;
	char			 doc[1024], why[1024];

	settings_init(&s);
	db_init(&f);
	fake_db_can(&f, DB_LIST_SERVICES, 0, 3, NULL);
	run(&f, &s, book_req(doc, sizeof(doc), ""), &res);
	why[0] = '\0';
	if (strcmp(the_text(&res),
	    NEED "the service, the date and the time.") != 0 ||
	    rich_item(&res, "chips") != NULL)
		snprintf(why, sizeof(why), "no services: %s", res.raw.p);
	result_free(&res);
	if (why[0] != '\0')
		fail_msg("%s", why);
}

/* ---- the shapes CX sends dates and times in ---- */

static void
test_shapes(void **state)
{
	static const struct {
		const char	*intent;	/* NULL: none */
		const char	*params;
		const char	*date, *time;
	} t[] = {
		{ NULL, "\"service\":\"haircut\",\"date\":{\"year\":2026,"
		    "\"month\":12,\"day\":1},\"time\":{\"hours\":10,"
		    "\"minutes\":0}", "2026-12-01", "10:00" },
		{ NULL, "\"service\":\"haircut\",\"date\":{\"year\":2026,"
		    "\"month\":9,\"day\":14},\"time\":{\"hours\":15,"
		    "\"minutes\":30,\"seconds\":0,\"nanos\":0}",
		    "2026-09-14", "15:30" },
		{ NULL, "\"service\":\"haircut\",\"date\":\"2026-12-01\","
		    "\"time\":{\"hours\":9}", "2026-12-01", "09:00" },
		{ NULL, "\"service\":\"haircut\",\"date\":\"2026-12-01\","
		    "\"time\":\"15:30\"", "2026-12-01", "15:30" },
		{ NULL, "\"service\":\"haircut\",\"date\":\"2026-12-01\","
		    "\"time\":\"3:30 PM\"", "2026-12-01", "15:30" },
		{ NULL, "\"service\":\"haircut\",\"date\":\"2026-12-01\","
		    "\"time\":\"12:05 am\"", "2026-12-01", "00:05" },
		{ NULL, "\"service\":\"haircut\",\"date\":\"2026-12-01\","
		    "\"time\":\"12:00 PM\"", "2026-12-01", "12:00" },
		{ NULL, "\"service\":\"haircut\",\"date\":\"2026-12-01\","
		    "\"time\":\"15:30:45\"", "2026-12-01", "15:30" },
		{ NULL, "\"service\":\"haircut\",\"date\":\"2028-02-29\","
		    "\"time\":\"10:00\"", "2028-02-29", "10:00" },
		{ NULL, "\"service\":\"haircut\",\"datetime\":"
		    "\"2026-12-01T10:00:00\"", "2026-12-01", "10:00" },
		{ NULL, "\"service\":\"haircut\",\"datetime\":"
		    "\"2026-12-01T10:00:00-03:00\"", "2026-12-01", "10:00" },
		{ NULL, "\"service\":\"haircut\",\"datetime\":{\"year\":2026,"
		    "\"month\":12,\"day\":1,\"hours\":9,\"minutes\":45,"
		    "\"seconds\":0}", "2026-12-01", "09:45" },
		/* date wins over datetime's date; time comes from datetime */
		{ NULL, "\"service\":\"haircut\",\"date\":\"2026-12-02\","
		    "\"datetime\":\"2026-12-01T10:00:00\"",
		    "2026-12-02", "10:00" },
		/* 15-booking-all-params.json: this turn's values win */
		{ "\"service\":{\"originalValue\":\"a haircut\","
		    "\"resolvedValue\":\"haircut\"},\"date\":{\"originalValue\":"
		    "\"september 14th\",\"resolvedValue\":{\"year\":2026,"
		    "\"month\":9,\"day\":14}},\"time\":{\"originalValue\":"
		    "\"3:30 pm\",\"resolvedValue\":{\"hours\":15,\"minutes\":30,"
		    "\"seconds\":0,\"nanos\":0}}",
		    "\"service\":\"massage\",\"date\":\"2026-01-01\","
		    "\"time\":\"08:00\"", "2026-09-14", "15:30" },
		/* 19-booking-date-time-as-strings.json */
		{ "\"date\":{\"originalValue\":\"2026-09-14\","
		    "\"resolvedValue\":\"2026-09-14\"},\"time\":{"
		    "\"originalValue\":\"15:30\",\"resolvedValue\":\"15:30\"}",
		    "\"service\":\"haircut\"", "2026-09-14", "15:30" },
	};
	struct fake_db		f;
	struct wh_settings	s;
	struct result		res;
	char			doc[2048];
	size_t			i;

	settings_init(&s);
	for (i = 0; i < NITEMS(t); i++) {
		db_init(&f);
		fake_db_can(&f, DB_BOOK, 1, BOOK_COLS, booked);
		if (t[i].intent != NULL)
			book_req_intent(doc, sizeof(doc), t[i].intent,
			    t[i].params);
		else
			book_req(doc, sizeof(doc), t[i].params);
		run(&f, &s, doc, &res);
		if (f.calls_by_stmt[DB_BOOK] != 1)
			fail_msg("case %zu: not booked: %s", i, res.raw.p);
		assert_int_equal(f.last_stmt, DB_BOOK);
		assert_int_equal(f.last_nparams, 11);
		assert_string_equal(f.last_params[0], "haircut");
		if (strcmp(f.last_params[1], t[i].date) != 0 ||
		    strcmp(f.last_params[2], t[i].time) != 0)
			fail_msg("case %zu: booked %s %s, want %s %s", i,
			    f.last_params[1], f.last_params[2], t[i].date,
			    t[i].time);
		assert_int_equal(nforms(&res), 0);
		result_free(&res);
	}
}

/* ---- dates and times that cannot be booked as given ---- */

static void
test_malformed(void **state)
{
	static const struct {
		const char	*intent;	/* NULL: none */
		const char	*params;
		const char	*param;
		const char	*want;
	} t[] = {
		{ NULL, "\"service\":\"haircut\",\"date\":{\"year\":2027,"
		    "\"month\":2,\"day\":30},\"time\":\"10:00\"", "date",
		    "February 30, 2027 isn't a date on the calendar. "
		    "Which day would you like?" },
		{ NULL, "\"service\":\"haircut\",\"date\":\"2027-02-30\","
		    "\"time\":\"10:00\"", "date",
		    "February 30, 2027 isn't a date on the calendar. "
		    "Which day would you like?" },
		{ NULL, "\"service\":\"haircut\",\"date\":\"2026-02-29\","
		    "\"time\":\"10:00\"", "date",
		    "February 29, 2026 isn't a date on the calendar. "
		    "Which day would you like?" },
		{ NULL, "\"service\":\"haircut\",\"date\":\"2026-04-31\","
		    "\"time\":\"10:00\"", "date",
		    "April 31, 2026 isn't a date on the calendar. "
		    "Which day would you like?" },
		{ "\"date\":{\"originalValue\":\"someday\","
		    "\"resolvedValue\":null}",
		    "\"service\":\"haircut\",\"time\":\"10:00\"", "date",
		    "I didn't catch a valid date. Which day would you like?" },
		{ NULL, "\"service\":\"haircut\",\"date\":\"2026-13-01\","
		    "\"time\":\"10:00\"", "date",
		    "I didn't catch a valid date. Which day would you like?" },
		{ NULL, "\"service\":\"haircut\",\"date\":{\"year\":2026,"
		    "\"month\":12},\"time\":\"10:00\"", "date",
		    "I didn't catch a valid date. Which day would you like?" },
		{ NULL, "\"service\":\"haircut\",\"date\":\"2026-12-01\","
		    "\"time\":\"25:00\"", "time",
		    "I didn't catch a valid time. What time would you like?" },
		{ NULL, "\"service\":\"haircut\",\"date\":\"2026-12-01\","
		    "\"time\":{\"hours\":24}", "time",
		    "I didn't catch a valid time. What time would you like?" },
		{ NULL, "\"service\":\"haircut\",\"date\":\"2026-12-01\","
		    "\"time\":\"13:00 PM\"", "time",
		    "I didn't catch a valid time. What time would you like?" },
		{ NULL, "\"service\":\"haircut\",\"date\":\"2026-12-01\","
		    "\"time\":\"noon\"", "time",
		    "I didn't catch a valid time. What time would you like?" },
		{ NULL, "\"service\":\"haircut\",\"date\":\"2026-12-01\","
		    "\"time\":{\"minutes\":30}", "time",
		    "I didn't catch a valid time. What time would you like?" },
	};
	struct fake_db		f;
	struct wh_settings	s;
	struct result		res;
	char			doc[2048];
	size_t			i;

	settings_init(&s);
	for (i = 0; i < NITEMS(t); i++) {
		db_init(&f);
		fake_db_can(&f, DB_BOOK, 1, BOOK_COLS, booked);
		if (t[i].intent != NULL)
			book_req_intent(doc, sizeof(doc), t[i].intent,
			    t[i].params);
		else
			book_req(doc, sizeof(doc), t[i].params);
		run(&f, &s, doc, &res);
		if (strcmp(the_text(&res), t[i].want) != 0)
			fail_msg("case %zu: said \"%s\", want \"%s\"", i,
			    the_text(&res), t[i].want);
		assert_invalid(&res, t[i].param);
		assert_int_equal(nmsgs(&res), 1);
		assert_int_equal(nparams(&res), 1);
		assert_int_equal(f.calls, 0);
		assert_int_equal(rnd_asked, 0);
		result_free(&res);
	}
}

/*
 * An agent whose form collects one `datetime` parameter: what must be
 * asked again is datetime, the parameter the form has.  An impossible
 * datetime, or one whose slot is full, marks datetime INVALID and null:
 * marking "date" or "time", which this form lacks, would leave datetime
 * FILLED, and CX would not ask again.
 */
static void
test_datetime_invalid(void **state)
{
	static const struct {
		const char	*datetime;
		bool		 full;		/* DB_BOOK answers full */
	} t[] = {
		{ "2026-12-01T25:00:00", false },
		{ "2027-02-30T10:00:00", false },
		{ "2026-12-01T10:00:00", true },
	};
	static const char *const full[] = {
		"full", NULL, "haircut", "2026-12-01", "10:00", SAY_DATE,
		"10:00 AM", "9:00 AM", "5:00 PM", "Tue Dec 1 at 11:00 AM",
	};
	struct fake_db		 f;
	struct wh_settings	 s;
	struct result		 res;
	json_object		*v;
	const char		*name, *state_;
	char			 doc[1024], params[256], why[2048];
	size_t			 i;

	settings_init(&s);
	why[0] = '\0';
	for (i = 0; i < NITEMS(t); i++) {
		db_init(&f);
		fake_db_can(&f, DB_BOOK, 1, BOOK_COLS, full);
		snprintf(params, sizeof(params), "\"service\":\"haircut\","
		    "\"datetime\":\"%s\"", t[i].datetime);
		run(&f, &s, book_req(doc, sizeof(doc), params), &res);
		assert_int_equal(f.calls_by_stmt[DB_BOOK], t[i].full ? 1 : 0);
		name = jstr(res.o, FORMS "[0].displayName");
		state_ = jstr(res.o, FORMS "[0].state");
		if (why[0] == '\0' && (nforms(&res) != 1 || name == NULL ||
		    strcmp(name, "datetime") != 0 || state_ == NULL ||
		    strcmp(state_, "INVALID") != 0 ||
		    !jlookup(res.o, PARAMS ".datetime", &v) || v != NULL))
			snprintf(why, sizeof(why), "datetime %s: want "
			    "datetime INVALID and null: %s", t[i].datetime,
			    res.raw.p);
		result_free(&res);
	}
	if (why[0] != '\0')
		fail_msg("%s", why);
}

/* ---- what DB_BOOK is sent ---- */

static void
test_book_params(void **state)
{
	static const char *const want[] = {
		"haircut", "2026-12-01", "10:00", "America/Sao_Paulo", "Ana",
		"ana@example.com", "+1 650-555-0142", "sess-42",
		SESSION "/resp-1:booking.create", "ABCDEFGH23", "true",
	};
	struct fake_db		f;
	struct wh_settings	s;
	struct result		res;
	char			doc[1024];
	size_t			i;

	settings_init(&s);
	db_init(&f);
	fake_db_can(&f, DB_BOOK, 1, BOOK_COLS, booked);
	run(&f, &s, book_req(doc, sizeof(doc), FULL ",\"customer_name\":"
	    "{\"name\":\"Ana\"},\"customer_email\":\"ana@example.com\","
	    "\"customer_phone\":\"+1 650-555-0142\""), &res);
	assert_int_equal(f.calls, 1);
	assert_int_equal(f.last_stmt, DB_BOOK);
	assert_int_equal(f.last_nparams, 11);
	for (i = 0; i < NITEMS(want); i++)
		if (strcmp(f.last_params[i], want[i]) != 0)
			fail_msg("DB_BOOK $%zu is \"%s\", want \"%s\"", i + 1,
			    f.last_params[i], want[i]);
	assert_int_equal(rnd_asked, 10);
	result_free(&res);

	/* No settings: UTC, no forwarding. */
	db_init(&f);
	fake_db_can(&f, DB_BOOK, 1, BOOK_COLS, booked);
	run(&f, NULL, book_req(doc, sizeof(doc), FULL), &res);
	assert_string_equal(f.last_params[3], "UTC");
	assert_string_equal(f.last_params[10], "false");
	/* No customer details: SQL NULLs. */
	assert_string_equal(f.last_params[4], "(null)");
	assert_string_equal(f.last_params[5], "(null)");
	assert_string_equal(f.last_params[6], "(null)");
	result_free(&res);

	s.time_zone = NULL;
	s.forward_bookings = false;
	db_init(&f);
	fake_db_can(&f, DB_BOOK, 1, BOOK_COLS, booked);
	run(&f, &s, book_req(doc, sizeof(doc), FULL), &res);
	assert_string_equal(f.last_params[3], "UTC");
	assert_string_equal(f.last_params[10], "false");
	result_free(&res);

	/* No detectIntentResponseId: no request key. */
	settings_init(&s);
	db_init(&f);
	fake_db_can(&f, DB_BOOK, 1, BOOK_COLS, booked);
	run(&f, &s, "{\"fulfillmentInfo\":{\"tag\":\"booking.create\"},"
	    "\"sessionInfo\":{\"session\":\"" SESSION "\",\"parameters\":{"
	    FULL ",\"customer_name\":\"Ana Souza\"}}}", &res);
	assert_int_equal(f.calls_by_stmt[DB_BOOK], 1);
	assert_string_equal(f.last_params[4], "Ana Souza");
	assert_string_equal(f.last_params[7], "sess-42");
	assert_string_equal(f.last_params[8], "(null)");
	result_free(&res);

	/* The intent route, and no session: no session id. */
	db_init(&f);
	fake_db_can(&f, DB_BOOK, 1, BOOK_COLS, booked);
	run(&f, &s, "{\"detectIntentResponseId\":\"r-9\",\"intentInfo\":{"
	    "\"displayName\":\"booking.create\"},\"sessionInfo\":{"
	    "\"parameters\":{" FULL "}}}", &res);
	assert_int_equal(f.calls_by_stmt[DB_BOOK], 1);
	assert_string_equal(f.last_params[7], "(null)");
	assert_string_equal(f.last_params[8], "/r-9:booking.create");
	result_free(&res);
}

/*
 * The request key names the session: one response id in two sessions
 * (two agents, or two environments, with one session id) is two requests.
 */
static void
test_book_key_has_session(void **state)
{
	static const char *const sessions[] = {
		"projects/p/locations/l/agents/a/sessions/s-1",
		"projects/p/locations/l/agents/b/sessions/s-1",
		"projects/p/locations/l/agents/a/environments/e/sessions/s-1",
	};
	struct fake_db		f;
	struct wh_settings	s;
	struct result		res;
	char			doc[1024];
	char			keys[NITEMS(sessions)][FAKE_PARAM_MAX];
	size_t			i, j;

	settings_init(&s);
	for (i = 0; i < NITEMS(sessions); i++) {
		db_init(&f);
		fake_db_can(&f, DB_BOOK, 1, BOOK_COLS, booked);
		snprintf(doc, sizeof(doc), "{"
		    "\"detectIntentResponseId\":\"r-1\","
		    "\"fulfillmentInfo\":{\"tag\":\"booking.create\"},"
		    "\"sessionInfo\":{\"session\":\"%s\",\"parameters\":{"
		    FULL "}}}", sessions[i]);
		run(&f, &s, doc, &res);
		assert_int_equal(f.calls_by_stmt[DB_BOOK], 1);
		/* Every session is s-1: the stored session id cannot tell. */
		assert_string_equal(f.last_params[7], "s-1");
		snprintf(keys[i], sizeof(keys[i]), "%s", f.last_params[8]);
		if (strstr(keys[i], "r-1") == NULL ||
		    strncmp(keys[i], sessions[i], strlen(sessions[i])) != 0)
			fail_msg("key \"%s\" for session %s", keys[i],
			    sessions[i]);
		for (j = 0; j < i; j++)
			if (strcmp(keys[i], keys[j]) == 0)
				fail_msg("sessions %s and %s share key \"%s\"",
				    sessions[j], sessions[i], keys[i]);
		result_free(&res);
	}

	/* A NUL would hide what follows it: no key rather than a short one. */
	db_init(&f);
	fake_db_can(&f, DB_BOOK, 1, BOOK_COLS, booked);
	run(&f, &s, "{\"detectIntentResponseId\":\"r-1\\u0000x\","
	    "\"fulfillmentInfo\":{\"tag\":\"booking.create\"},"
	    "\"sessionInfo\":{\"session\":\"" SESSION "\",\"parameters\":{"
	    FULL "}}}", &res);
	assert_int_equal(f.calls_by_stmt[DB_BOOK], 1);
	assert_string_equal(f.last_params[8], "(null)");
	result_free(&res);
}

/* 50 random bits as 10 characters of the 32-letter alphabet. */
static void
test_confirmation(void **state)
{
	static const struct {
		unsigned char	 rnd[10];
		const char	*want;
	} t[] = {
		{ { 0x20, 0x41, 0x62, 0x83, 0xa4, 0xc5, 0xe6, 0x07, 0x38,
		    0xf9 }, "ABCDEFGH23" },
		{ { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 }, "ABCDEFGHJK" },
		{ { 10, 11, 12, 13, 14, 15, 16, 17, 18, 19 }, "LMNPQRSTUV" },
		{ { 20, 21, 22, 23, 24, 25, 26, 27, 28, 29 }, "WXYZ234567" },
		{ { 30, 31, 0xff, 0x7f, 0x9f, 0x3f, 0x5f, 0xbf, 0xdf, 0x1f },
		    "8999999999" },
		{ { 0x80, 0x40, 0xc0, 0xe0, 0x60, 0xa0, 0x20, 0x00, 0x00,
		    0x00 }, "AAAAAAAAAA" },
	};
	struct fake_db		f;
	struct wh_settings	s;
	struct result		res;
	char			doc[1024];
	size_t			i, k;

	settings_init(&s);
	for (i = 0; i < NITEMS(t); i++) {
		db_init(&f);
		rnd_set(t[i].rnd, sizeof(t[i].rnd));
		fake_db_can(&f, DB_BOOK, 1, BOOK_COLS, booked);
		run(&f, &s, book_req(doc, sizeof(doc), FULL), &res);
		assert_int_equal(rnd_asked, 10);
		if (strcmp(f.last_params[9], t[i].want) != 0)
			fail_msg("random %zu: confirmation %s, want %s", i,
			    f.last_params[9], t[i].want);
		for (k = 0; f.last_params[9][k] != '\0'; k++)
			assert_non_null(strchr(ALPHABET,
			    f.last_params[9][k]));
		result_free(&res);
	}
}

/* ---- DB_BOOK's outcomes ---- */

static void
test_booked(void **state)
{
	/* A retried request: the database answers with the first booking. */
	static const char *const retried[] = {
		"booked", "ZXCV234567", "massage", "2026-12-02", "14:30",
		"Wednesday, December 2, 2026", "2:30 PM", "10:00 AM",
		"6:00 PM", NULL,
	};
	struct fake_db		 f;
	struct wh_settings	 s;
	struct result		 res;
	json_object		*info;
	char			 doc[1024];

	settings_init(&s);
	db_init(&f);
	fake_db_can(&f, DB_BOOK, 1, BOOK_COLS, booked);
	run(&f, &s, book_req(doc, sizeof(doc), FULL), &res);
	assert_string_equal(the_text(&res), "You're booked for a haircut on "
	    "Tuesday, December 1, 2026 at 10:00 AM. Your confirmation number "
	    "is ABCDEFGH23.");
	assert_string_equal(jstr(res.o, TEXT0), the_text(&res));
	assert_param(&res, "confirmation_id", "ABCDEFGH23");
	assert_param(&res, "booking_status", "confirmed");
	assert_param(&res, "appointment_service", "haircut");
	assert_param(&res, "appointment_date", "2026-12-01");
	assert_param(&res, "appointment_time", "10:00");
	assert_int_equal(nparams(&res), 5);
	assert_no_error(&res);
	assert_int_equal(nforms(&res), 0);
	assert_int_equal(nmsgs(&res), 2);
	info = rich_item(&res, "info");
	assert_non_null(info);
	assert_string_equal(jstr(info, "title"), "Appointment booked");
	assert_string_equal(jstr(info, "subtitle"),
	    SAY_DATE " at 10:00 AM - confirmation ABCDEFGH23");
	assert_null(rich_item(&res, "chips"));
	assert_int_equal(f.calls, 1);
	result_free(&res);

	db_init(&f);
	fake_db_can(&f, DB_BOOK, 1, BOOK_COLS, retried);
	run(&f, &s, book_req(doc, sizeof(doc), FULL), &res);
	assert_string_equal(f.last_params[9], "ABCDEFGH23");
	assert_string_equal(the_text(&res), "You're booked for a massage on "
	    "Wednesday, December 2, 2026 at 2:30 PM. Your confirmation number "
	    "is ZXCV234567.");
	assert_param(&res, "confirmation_id", "ZXCV234567");
	assert_param(&res, "appointment_service", "massage");
	assert_param(&res, "appointment_date", "2026-12-02");
	assert_param(&res, "appointment_time", "14:30");
	result_free(&res);
}

static void
test_unknown_service(void **state)
{
	static const char *const unknown[] = {
		"unknown_service", NULL, NULL, NULL, NULL, NULL, NULL, NULL,
		NULL, NULL,
	};
	struct fake_db		f;
	struct wh_settings	s;
	struct result		res;
	char			doc[1024];

	settings_init(&s);
	db_init(&f);
	fake_db_can(&f, DB_BOOK, 1, BOOK_COLS, unknown);
	run(&f, &s, book_req(doc, sizeof(doc), "\"service\":\"yoga\","
	    "\"date\":\"2026-12-01\",\"time\":\"10:00\""), &res);
	assert_int_equal(f.calls_by_stmt[DB_BOOK], 1);
	assert_int_equal(f.calls_by_stmt[DB_LIST_SERVICES], 1);
	assert_string_equal(the_text(&res),
	    "Sorry, we don't offer yoga." WE_OFFER);
	assert_invalid(&res, "service");
	assert_chips(&res, service_names, NITEMS(service_names));
	assert_false(jhas(res.o, PARAMS ".confirmation_id"));
	assert_false(jhas(res.o, PARAMS ".booking_status"));
	assert_int_equal(f.handed_out, 2);
	result_free(&res);
}

static void
test_refused_slot(void **state)
{
	static const struct {
		const char	*outcome;
		const char	*param;
		const char	*want;
	} t[] = {
		{ "past_date", "date", SAY_DATE " has already passed. "
		    "Which day would you like?" },
		{ "past_time", "time", "10:00 AM on that day has already "
		    "passed. What time would you like?" },
		{ "closed", "time", "We take haircut appointments between "
		    "9:00 AM and 5:00 PM. What time would you like?" },
	};
	const char		*row[BOOK_COLS];
	struct fake_db		 f;
	struct wh_settings	 s;
	struct result		 res;
	char			 doc[1024];
	size_t			 i;

	settings_init(&s);
	for (i = 0; i < NITEMS(t); i++) {
		memcpy(row, booked, sizeof(row));
		row[0] = t[i].outcome;
		row[1] = NULL;
		db_init(&f);
		fake_db_can(&f, DB_BOOK, 1, BOOK_COLS, row);
		run(&f, &s, book_req(doc, sizeof(doc), FULL), &res);
		if (strcmp(the_text(&res), t[i].want) != 0)
			fail_msg("%s: said \"%s\"", t[i].outcome,
			    the_text(&res));
		assert_invalid(&res, t[i].param);
		assert_int_equal(nmsgs(&res), 1);
		assert_false(jhas(res.o, PARAMS ".confirmation_id"));
		assert_int_equal(f.calls, 1);
		result_free(&res);
	}
}

static void
test_full(void **state)
{
	static const char *const three[] = {
		"Tue Dec 1 at 11:00 AM", "Tue Dec 1 at 11:30 AM",
		"Wed Dec 2 at 9:00 AM",
	};
	static const struct {
		const char	*free;		/* the '|'-joined cell */
		const char	*want;
		size_t		 nchips;
	} t[] = {
		{ "Tue Dec 1 at 11:00 AM|Tue Dec 1 at 11:30 AM|Wed Dec 2 at 9:00 AM",
		    "Sorry, 10:00 AM on " SAY_DATE " is fully booked. The next "
		    "free times are Tue Dec 1 at 11:00 AM, Tue Dec 1 at 11:30 AM "
		    "and Wed Dec 2 at 9:00 AM. Which would you like?", 3 },
		{ "Tue Dec 1 at 11:00 AM|Tue Dec 1 at 11:30 AM|Wed Dec 2 at 9:00 AM"
		    "|Wed Dec 2, 9:30 AM",
		    "Sorry, 10:00 AM on " SAY_DATE " is fully booked. The next "
		    "free times are Tue Dec 1 at 11:00 AM, Tue Dec 1 at 11:30 AM "
		    "and Wed Dec 2 at 9:00 AM. Which would you like?", 3 },
		{ "Tue Dec 1 at 11:00 AM",
		    "Sorry, 10:00 AM on " SAY_DATE " is fully booked. The next "
		    "free time is Tue Dec 1 at 11:00 AM. Which would you like?",
		    1 },
		{ NULL, "Sorry, 10:00 AM on " SAY_DATE " is fully booked. "
		    "I couldn't find a free time in the next two weeks.", 0 },
		{ "", "Sorry, 10:00 AM on " SAY_DATE " is fully booked. "
		    "I couldn't find a free time in the next two weeks.", 0 },
	};
	const char		*row[BOOK_COLS];
	struct fake_db		 f;
	struct wh_settings	 s;
	struct result		 res;
	char			 doc[1024];
	size_t			 i;

	settings_init(&s);
	for (i = 0; i < NITEMS(t); i++) {
		memcpy(row, booked, sizeof(row));
		row[0] = "full";
		row[1] = NULL;
		row[9] = t[i].free;
		db_init(&f);
		fake_db_can(&f, DB_BOOK, 1, BOOK_COLS, row);
		run(&f, &s, book_req(doc, sizeof(doc), FULL), &res);
		if (strcmp(the_text(&res), t[i].want) != 0)
			fail_msg("case %zu: said \"%s\"", i, the_text(&res));
		assert_invalid(&res, "time");
		assert_param(&res, "booking_status", "slot_full");
		if (t[i].nchips > 0) {
			assert_int_equal(nmsgs(&res), 2);
			assert_chips(&res, three, t[i].nchips);
		} else {
			assert_int_equal(nmsgs(&res), 1);
			assert_null(rich_item(&res, "chips"));
		}
		assert_false(jhas(res.o, PARAMS ".confirmation_id"));
		assert_int_equal(f.calls, 1);
		result_free(&res);
	}
}

/* ---- failures ---- */

static void
test_db_failure(void **state)
{
	static const struct {
		const char	*tag;
		const char	*id;		/* NULL: booking.create */
	} t[] = {
		{ "booking.create", NULL },
		{ "booking.status", "\"ABCDEFGH23\"" },
		{ "booking.cancel", "\"ABCDEFGH23\"" },
	};
	static const struct {
		enum wh_status	 st;
		const char	*code;
	} fails[] = {
		{ WH_DB_UNAVAILABLE, "database_unavailable" },
		{ WH_DEADLINE, "deadline" },
	};
	struct fake_db		f;
	struct wh_settings	s;
	struct result		res;
	char			doc[1024];
	size_t			i, j;

	settings_init(&s);
	for (i = 0; i < NITEMS(t); i++) {
		for (j = 0; j < NITEMS(fails); j++) {
			db_init(&f);
			fake_db_can(&f, DB_BOOK, 1, BOOK_COLS, booked);
			f.fail = fails[j].st;
			if (t[i].id == NULL)
				book_req(doc, sizeof(doc), FULL);
			else
				id_req(doc, sizeof(doc), t[i].tag, t[i].id);
			run(&f, &s, doc, &res);
			assert_int_equal(f.calls, 1);
			assert_int_equal(nmsgs(&res), 1);
			if (fails[j].st == WH_DB_UNAVAILABLE)
				assert_string_equal(the_text(&res), DB_DOWN);
			assert_error_code(&res, fails[j].code);
			assert_int_equal(nparams(&res), 2);
			assert_int_equal(nforms(&res), 0);
			assert_null(strstr(res.raw.p, "booked"));
			result_free(&res);
		}
	}
}

/* A result set DB_BOOK never gives: an internal error, not a crash. */
static void
test_book_bad_rows(void **state)
{
	static const char *const null_outcome[BOOK_COLS] = { NULL };
	struct fake_db		f;
	struct wh_settings	s;
	struct result		res;
	char			doc[1024];
	int			i;

	settings_init(&s);
	for (i = 0; i < 3; i++) {
		db_init(&f);
		if (i == 0)
			fake_db_can(&f, DB_BOOK, 0, BOOK_COLS, NULL);
		else if (i == 1)
			fake_db_can(&f, DB_BOOK, 1, BOOK_COLS, null_outcome);
		else {
			static const char *const two[2 * BOOK_COLS] = {
				"booked", "A", "haircut", "2026-12-01", "10:00",
				SAY_DATE, "10:00 AM", "9:00 AM", "5:00 PM",
				NULL, "booked", "B", "haircut", "2026-12-01",
				"10:00", SAY_DATE, "10:00 AM", "9:00 AM",
				"5:00 PM", NULL,
			};

			fake_db_can(&f, DB_BOOK, 2, BOOK_COLS, two);
		}
		run(&f, &s, book_req(doc, sizeof(doc), FULL), &res);
		assert_error_code(&res, "internal_error");
		assert_int_equal(nparams(&res), 2);
		assert_int_equal(f.handed_out, 1);
		result_free(&res);
	}
}

/* ---- booking.status ---- */

static void
test_status_missing_id(void **state)
{
	static const char *const reqs[] = {
		"{\"fulfillmentInfo\":{\"tag\":\"booking.status\"}}",
		"{\"fulfillmentInfo\":{\"tag\":\"booking.cancel\"}}",
		"{\"fulfillmentInfo\":{\"tag\":\"booking.status\"},"
		"\"sessionInfo\":{\"parameters\":{\"confirmation_id\":\"\"}}}",
		"{\"fulfillmentInfo\":{\"tag\":\"booking.cancel\"},"
		"\"sessionInfo\":{\"parameters\":{\"confirmation_id\":null}}}",
		"{\"intentInfo\":{\"displayName\":\"booking.status\"}}",
	};
	struct fake_db		f;
	struct wh_settings	s;
	struct result		res;
	size_t			i;

	settings_init(&s);
	for (i = 0; i < NITEMS(reqs); i++) {
		db_init(&f);
		run(&f, &s, reqs[i], &res);
		assert_string_equal(the_text(&res),
		    "What is your booking's confirmation number?");
		assert_int_equal(nmsgs(&res), 1);
		assert_int_equal(f.calls, 0);
		assert_int_equal(nparams(&res), 0);
		result_free(&res);
	}
}

static void
test_status(void **state)
{
	static const struct {
		const char	*status;
		const char	*want;
	} t[] = {
		{ "confirmed", "Your haircut on " SAY_DATE " at 10:00 AM is "
		    "confirmed." },
		{ "cancelled", "Your haircut on " SAY_DATE " at 10:00 AM was "
		    "cancelled." },
	};
	static const char *const ids[] = {
		"\"abcdefgh23\"", "\" AbCdEfGh23 \"", "\"ABCDEFGH23\"",
	};
	const char		*row[STATUS_COLS] = {
		"ABCDEFGH23", "haircut", NULL, SAY_DATE, "10:00 AM",
		"2026-12-01", "10:00",
	};
	struct fake_db		 f;
	struct wh_settings	 s;
	struct result		 res;
	char			 doc[1024];
	size_t			 i, j;

	settings_init(&s);
	for (i = 0; i < NITEMS(t); i++) {
		for (j = 0; j < NITEMS(ids); j++) {
			row[2] = t[i].status;
			db_init(&f);
			fake_db_can(&f, DB_BOOKING_STATUS, 1, STATUS_COLS, row);
			run(&f, &s, id_req(doc, sizeof(doc), "booking.status",
			    ids[j]), &res);
			assert_int_equal(f.calls, 1);
			assert_int_equal(f.last_stmt, DB_BOOKING_STATUS);
			assert_int_equal(f.last_nparams, 2);
			assert_string_equal(f.last_params[0], "ABCDEFGH23");
			assert_string_equal(f.last_params[1],
			    "America/Sao_Paulo");
			assert_string_equal(the_text(&res), t[i].want);
			assert_int_equal(nmsgs(&res), 1);
			assert_param(&res, "confirmation_id", "ABCDEFGH23");
			assert_param(&res, "booking_status", t[i].status);
			assert_param(&res, "appointment_service", "haircut");
			assert_param(&res, "appointment_date", "2026-12-01");
			assert_param(&res, "appointment_time", "10:00");
			assert_no_error(&res);
			result_free(&res);
		}
	}

	/* The intent route, this turn's value, no settings: UTC. */
	row[2] = "confirmed";
	db_init(&f);
	fake_db_can(&f, DB_BOOKING_STATUS, 1, STATUS_COLS, row);
	run(&f, NULL, "{\"intentInfo\":{\"displayName\":\"booking.status\","
	    "\"parameters\":{\"confirmation_id\":{\"originalValue\":"
	    "\"abcdefgh23\",\"resolvedValue\":\"abcdefgh23\"}}}}", &res);
	assert_string_equal(f.last_params[0], "ABCDEFGH23");
	assert_string_equal(f.last_params[1], "UTC");
	assert_string_equal(the_text(&res), t[0].want);
	result_free(&res);
}

static void
test_status_not_found(void **state)
{
	struct fake_db		f;
	struct wh_settings	s;
	struct result		res;
	char			doc[1024];

	settings_init(&s);
	db_init(&f);
	fake_db_can(&f, DB_BOOKING_STATUS, 0, STATUS_COLS, NULL);
	run(&f, &s, id_req(doc, sizeof(doc), "booking.status",
	    "\"zzzz999999\""), &res);
	assert_string_equal(f.last_params[0], "ZZZZ999999");
	assert_string_equal(the_text(&res), "I couldn't find a booking with "
	    "confirmation number ZZZZ999999. Please check it and try again.");
	assert_error_code(&res, "booking_not_found");
	assert_int_equal(nparams(&res), 2);
	assert_int_equal(f.handed_out, 1);
	result_free(&res);
}

/* ---- booking.cancel ---- */

static void
test_cancel(void **state)
{
	static const char *const outcomes[] = {
		"cancelled", "already_cancelled",
	};
	const char		*row[CANCEL_COLS] = {
		NULL, "haircut", SAY_DATE, "10:00 AM",
	};
	struct fake_db		 f;
	struct wh_settings	 s;
	struct result		 res;
	char			 doc[1024];
	size_t			 i;

	settings_init(&s);
	for (i = 0; i < NITEMS(outcomes); i++) {
		row[0] = outcomes[i];
		db_init(&f);
		fake_db_can(&f, DB_BOOKING_CANCEL, 1, CANCEL_COLS, row);
		run(&f, &s, id_req(doc, sizeof(doc), "booking.cancel",
		    "\"abcdefgh23\""), &res);
		assert_int_equal(f.calls, 1);
		assert_int_equal(f.last_stmt, DB_BOOKING_CANCEL);
		assert_int_equal(f.last_nparams, 3);
		assert_string_equal(f.last_params[0], "ABCDEFGH23");
		assert_string_equal(f.last_params[1], "America/Sao_Paulo");
		assert_string_equal(f.last_params[2], "true");
		/* Cancelling twice: the same answer both times. */
		assert_string_equal(the_text(&res), "Your haircut on " SAY_DATE
		    " at 10:00 AM is cancelled.");
		assert_int_equal(nmsgs(&res), 1);
		assert_param(&res, "booking_status", "cancelled");
		assert_param(&res, "confirmation_id", "ABCDEFGH23");
		assert_int_equal(nparams(&res), 2);
		result_free(&res);
	}

	/* Forwarding off. */
	s.forward_bookings = false;
	row[0] = "cancelled";
	db_init(&f);
	fake_db_can(&f, DB_BOOKING_CANCEL, 1, CANCEL_COLS, row);
	run(&f, &s, id_req(doc, sizeof(doc), "booking.cancel",
	    "\"ABCDEFGH23\""), &res);
	assert_string_equal(f.last_params[2], "false");
	result_free(&res);
}

static void
test_cancel_not_found(void **state)
{
	static const char *const not_found[CANCEL_COLS] = { "not_found" };
	struct fake_db		f;
	struct wh_settings	s;
	struct result		res;
	char			doc[1024];
	int			i;

	settings_init(&s);
	for (i = 0; i < 2; i++) {
		db_init(&f);
		if (i == 0)
			fake_db_can(&f, DB_BOOKING_CANCEL, 1, CANCEL_COLS,
			    not_found);
		else
			fake_db_can(&f, DB_BOOKING_CANCEL, 0, CANCEL_COLS,
			    NULL);
		run(&f, &s, id_req(doc, sizeof(doc), "booking.cancel",
		    "\"nope123456\""), &res);
		assert_string_equal(the_text(&res), "I couldn't find a booking "
		    "with confirmation number NOPE123456. Please check it and "
		    "try again.");
		assert_error_code(&res, "booking_not_found");
		assert_false(jhas(res.o, PARAMS ".booking_status"));
		assert_int_equal(f.handed_out, 1);
		result_free(&res);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_missing_corpus),
		cmocka_unit_test(test_missing_no_services),
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_datetime_invalid),
		cmocka_unit_test(test_book_params),
		cmocka_unit_test(test_book_key_has_session),
		cmocka_unit_test(test_confirmation),
		cmocka_unit_test(test_booked),
		cmocka_unit_test(test_unknown_service),
		cmocka_unit_test(test_refused_slot),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_db_failure),
		cmocka_unit_test(test_book_bad_rows),
		cmocka_unit_test(test_status_missing_id),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_status_not_found),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_cancel_not_found),
	};

	return cmocka_run_group_tests_name("booking", tests, NULL, NULL);
}
