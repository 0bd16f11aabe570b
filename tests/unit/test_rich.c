/*
 * Unit tests for the richContent builder (cx/rich.c): each response is
 * encoded with cx_encode(), parsed back with json-c, and checked against
 * the Dialogflow Messenger shapes of docs/cx-protocol.md §7, key by key, so an
 * extra field or a null where a field should be absent fails as surely as
 * a wrong value.
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
#include "cx/rich.h"
#include "lib/buf.h"
#include "tests/unit/fake_db.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* The bytes a lone payload message adds around the payload. */
#define ENVELOPE	"{\"fulfillmentResponse\":{\"messages\":[{\"payload\":}]}}"

struct enc {
	struct buf	 raw;
	json_object	*root;
};

/* Encodes r, which must succeed, and parses it back into e. */
static void
encode(const struct cx_response *r, struct enc *e)
{
	struct cx_err	err;

	buf_init(&e->raw);
	memset(&err, 0, sizeof(err));
	if (cx_encode(r, &e->raw, &err) != 0)
		fail_msg("cx_encode failed: %s", err.msg);
	if ((e->root = jparse(e->raw.p, e->raw.len)) == NULL)
		fail_msg("not JSON: %s", e->raw.p);
}

static void
enc_clear(struct enc *e)
{
	json_object_put(e->root);
	buf_clear(&e->raw);
}

static json_object *
member(json_object *o, const char *key)
{
	json_object	*v;

	assert_non_null(o);
	assert_true(json_object_is_type(o, json_type_object));
	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("no member \"%s\" in %s", key,
		    json_object_to_json_string(o));
	assert_non_null(v);	/* present and not JSON null */
	return v;
}

static json_object *
array_at(json_object *a, size_t i)
{
	assert_non_null(a);
	assert_true(json_object_is_type(a, json_type_array));
	assert_true(i < json_object_array_length(a));
	return json_object_array_get_idx(a, i);
}

static size_t
array_len(json_object *a)
{
	assert_non_null(a);
	assert_true(json_object_is_type(a, json_type_array));
	return json_object_array_length(a);
}

static void
assert_str_member(json_object *o, const char *key, const char *want)
{
	json_object	*v = member(o, key);

	assert_true(json_object_is_type(v, json_type_string));
	assert_int_equal(json_object_get_string_len(v), strlen(want));
	assert_string_equal(json_object_get_string(v), want);
}

/* o has exactly the members named, a NULL-terminated list. */
static void
assert_keys(json_object *o, ...)
{
	va_list		 ap;
	const char	*k;
	int		 n = 0;

	va_start(ap, o);
	while ((k = va_arg(ap, const char *)) != NULL) {
		member(o, k);
		n++;
	}
	va_end(ap);
	if (json_object_object_length(o) != n)
		fail_msg("want %d members, got %s", n,
		    json_object_to_json_string(o));
}

/*
 * The richContent array of the response's only message, checked to be
 * an array of non-empty arrays of objects.
 */
static json_object *
rich_content(struct enc *e)
{
	json_object	*msgs, *msg, *payload, *rc, *card;
	size_t		 i, j;

	assert_keys(e->root, "fulfillmentResponse", NULL);
	msgs = member(member(e->root, "fulfillmentResponse"), "messages");
	assert_int_equal(array_len(msgs), 1);
	msg = array_at(msgs, 0);
	assert_keys(msg, "payload", NULL);
	payload = member(msg, "payload");
	assert_keys(payload, "richContent", NULL);
	rc = member(payload, "richContent");
	assert_true(array_len(rc) > 0);
	for (i = 0; i < array_len(rc); i++) {
		card = array_at(rc, i);
		assert_true(array_len(card) > 0);
		for (j = 0; j < array_len(card); j++)
			assert_true(json_object_is_type(array_at(card, j),
			    json_type_object));
	}
	return rc;
}

/* Item i of card c. */
static json_object *
item(json_object *rc, size_t c, size_t i)
{
	return array_at(array_at(rc, c), i);
}

static void
test_info(void **state)
{
	struct cx_response	*resp = cx_response_new();
	struct rich		*r = rich_new();
	struct enc		 e;
	json_object		*rc, *it;

	rich_info(r, "Order 10042", "Shipped today",
	    "https://example.com/o/10042");
	rich_info(r, "", NULL, NULL);
	rich_info(r, "Only link", NULL, "https://example.com/x");
	cx_resp_rich(resp, r);
	assert_int_equal(cx_resp_n_messages(resp), 1);
	encode(resp, &e);
	rc = rich_content(&e);
	assert_int_equal(array_len(rc), 1);
	assert_int_equal(array_len(array_at(rc, 0)), 3);

	it = item(rc, 0, 0);
	assert_keys(it, "type", "title", "subtitle", "anchor", NULL);
	assert_str_member(it, "type", "info");
	assert_str_member(it, "title", "Order 10042");
	assert_str_member(it, "subtitle", "Shipped today");
	assert_keys(member(it, "anchor"), "href", NULL);
	assert_str_member(member(it, "anchor"), "href",
	    "https://example.com/o/10042");

	it = item(rc, 0, 1);
	assert_keys(it, "type", "title", NULL);
	assert_str_member(it, "type", "info");
	assert_str_member(it, "title", "");

	it = item(rc, 0, 2);
	assert_keys(it, "type", "title", "anchor", NULL);
	assert_str_member(member(it, "anchor"), "href",
	    "https://example.com/x");

	/* No slash escaping: Messenger gets the URL as written. */
	assert_non_null(strstr(e.raw.p, "\"https://example.com/o/10042\""));
	enc_clear(&e);
	cx_response_free(resp);
}

static void
test_description(void **state)
{
	static const char *const lines[] = { "First line", "", "Third" };
	static const char *const holes[] = { "a", NULL, "c" };
	struct cx_response	*resp = cx_response_new();
	struct rich		*r = rich_new();
	struct enc		 e;
	json_object		*rc, *it, *text;
	size_t			 i;

	rich_description(r, "Opening hours", lines, NITEMS(lines));
	rich_description(r, "None", NULL, 0);
	rich_description(r, "Holes", holes, NITEMS(holes));
	rich_description(r, "Two of three", lines, 2);
	cx_resp_rich(resp, r);
	encode(resp, &e);
	rc = rich_content(&e);
	assert_int_equal(array_len(array_at(rc, 0)), 4);

	it = item(rc, 0, 0);
	assert_keys(it, "type", "title", "text", NULL);
	assert_str_member(it, "type", "description");
	assert_str_member(it, "title", "Opening hours");
	text = member(it, "text");
	assert_int_equal(array_len(text), NITEMS(lines));
	for (i = 0; i < NITEMS(lines); i++)
		assert_string_equal(json_object_get_string(array_at(text, i)),
		    lines[i]);

	it = item(rc, 0, 1);
	assert_keys(it, "type", "title", "text", NULL);
	assert_int_equal(array_len(member(it, "text")), 0);

	text = member(item(rc, 0, 2), "text");
	assert_int_equal(array_len(text), 2);
	assert_string_equal(json_object_get_string(array_at(text, 0)), "a");
	assert_string_equal(json_object_get_string(array_at(text, 1)), "c");

	text = member(item(rc, 0, 3), "text");
	assert_int_equal(array_len(text), 2);
	assert_string_equal(json_object_get_string(array_at(text, 1)), "");
	enc_clear(&e);
	cx_response_free(resp);
}

static void
test_image(void **state)
{
	struct cx_response	*resp = cx_response_new();
	struct rich		*r = rich_new();
	struct enc		 e;
	json_object		*rc, *it;

	rich_image(r, "https://example.com/map.png", "Map of the store");
	rich_image(r, "https://example.com/b.png", NULL);
	cx_resp_rich(resp, r);
	encode(resp, &e);
	rc = rich_content(&e);
	assert_int_equal(array_len(array_at(rc, 0)), 2);

	it = item(rc, 0, 0);
	assert_keys(it, "type", "rawUrl", "accessibilityText", NULL);
	assert_str_member(it, "type", "image");
	assert_str_member(it, "rawUrl", "https://example.com/map.png");
	assert_str_member(it, "accessibilityText", "Map of the store");

	it = item(rc, 0, 1);
	assert_keys(it, "type", "rawUrl", NULL);
	assert_str_member(it, "rawUrl", "https://example.com/b.png");
	enc_clear(&e);
	cx_response_free(resp);
}

static void
assert_icon(json_object *it)
{
	json_object	*icon = member(it, "icon");

	assert_keys(icon, "type", "color", NULL);
	assert_str_member(icon, "type", "chevron_right");
	assert_str_member(icon, "color", "#FF9800");
}

static void
test_button(void **state)
{
	struct cx_response	*resp = cx_response_new();
	struct rich		*r = rich_new();
	struct enc		 e;
	json_object		*rc, *it;

	rich_button(r, "Track", "https://example.com/t", "track-order");
	rich_button(r, "Website", "https://example.com", NULL);
	rich_button(r, "Cancel", NULL, "cancel-order");
	rich_button(r, "Plain", NULL, NULL);
	cx_resp_rich(resp, r);
	encode(resp, &e);
	rc = rich_content(&e);
	assert_int_equal(array_len(array_at(rc, 0)), 4);

	it = item(rc, 0, 0);
	assert_keys(it, "type", "icon", "text", "anchor", "event", NULL);
	assert_str_member(it, "type", "button");
	assert_icon(it);
	assert_str_member(it, "text", "Track");
	assert_keys(member(it, "anchor"), "href", NULL);
	assert_str_member(member(it, "anchor"), "href",
	    "https://example.com/t");
	assert_keys(member(it, "event"), "event", NULL);
	assert_str_member(member(it, "event"), "event", "track-order");

	it = item(rc, 0, 1);
	assert_keys(it, "type", "icon", "text", "anchor", NULL);
	assert_icon(it);

	it = item(rc, 0, 2);
	assert_keys(it, "type", "icon", "text", "event", NULL);
	assert_str_member(member(it, "event"), "event", "cancel-order");

	it = item(rc, 0, 3);
	assert_keys(it, "type", "icon", "text", NULL);
	assert_icon(it);
	assert_str_member(it, "text", "Plain");
	enc_clear(&e);
	cx_response_free(resp);
}

static void
test_list(void **state)
{
	struct cx_response	*resp = cx_response_new();
	struct rich		*r = rich_new();
	struct enc		 e;
	json_object		*rc, *it;

	rich_list(r, "Checking", "EUR 1,250.75", "pick-checking");
	rich_list(r, "Savings", NULL, NULL);
	rich_list(r, "", "sub only", NULL);
	cx_resp_rich(resp, r);
	encode(resp, &e);
	rc = rich_content(&e);
	assert_int_equal(array_len(array_at(rc, 0)), 3);

	it = item(rc, 0, 0);
	assert_keys(it, "type", "title", "subtitle", "event", NULL);
	assert_str_member(it, "type", "list");
	assert_str_member(it, "title", "Checking");
	assert_str_member(it, "subtitle", "EUR 1,250.75");
	assert_keys(member(it, "event"), "event", NULL);
	assert_str_member(member(it, "event"), "event", "pick-checking");

	it = item(rc, 0, 1);
	assert_keys(it, "type", "title", NULL);
	assert_str_member(it, "title", "Savings");

	it = item(rc, 0, 2);
	assert_keys(it, "type", "title", "subtitle", NULL);
	assert_str_member(it, "title", "");
	enc_clear(&e);
	cx_response_free(resp);
}

static void
test_chips(void **state)
{
	static const char *const opts[] = {
		"Zulu", "Alpha", "Mike", "", "Bravo",
	};
	static const char *const holes[] = { NULL, "only", NULL };
	struct cx_response	*resp = cx_response_new();
	struct rich		*r = rich_new();
	struct enc		 e;
	json_object		*rc, *it, *list, *opt;
	size_t			 i;

	rich_chips(r, opts, NITEMS(opts));
	rich_chips(r, holes, NITEMS(holes));
	rich_chips(r, NULL, 3);
	cx_resp_rich(resp, r);
	encode(resp, &e);
	rc = rich_content(&e);
	assert_int_equal(array_len(array_at(rc, 0)), 3);

	it = item(rc, 0, 0);
	assert_keys(it, "type", "options", NULL);
	assert_str_member(it, "type", "chips");
	list = member(it, "options");
	assert_int_equal(array_len(list), NITEMS(opts));
	for (i = 0; i < NITEMS(opts); i++) {
		opt = array_at(list, i);
		assert_keys(opt, "text", NULL);
		assert_str_member(opt, "text", opts[i]);
	}

	list = member(item(rc, 0, 1), "options");
	assert_int_equal(array_len(list), 1);
	assert_str_member(array_at(list, 0), "text", "only");

	assert_int_equal(array_len(member(item(rc, 0, 2), "options")), 0);
	enc_clear(&e);
	cx_response_free(resp);
}

static void
test_accordion_divider(void **state)
{
	struct cx_response	*resp = cx_response_new();
	struct rich		*r = rich_new();
	struct enc		 e;
	json_object		*rc, *it;

	rich_accordion(r, "Fees", "Monthly", "No fee under EUR 500.");
	rich_divider(r);
	rich_accordion(r, "Bare", NULL, NULL);
	cx_resp_rich(resp, r);
	encode(resp, &e);
	rc = rich_content(&e);
	assert_int_equal(array_len(array_at(rc, 0)), 3);

	it = item(rc, 0, 0);
	assert_keys(it, "type", "title", "subtitle", "text", NULL);
	assert_str_member(it, "type", "accordion");
	assert_str_member(it, "title", "Fees");
	assert_str_member(it, "subtitle", "Monthly");
	assert_str_member(it, "text", "No fee under EUR 500.");

	it = item(rc, 0, 1);
	assert_keys(it, "type", NULL);
	assert_str_member(it, "type", "divider");

	it = item(rc, 0, 2);
	assert_keys(it, "type", "title", NULL);
	assert_str_member(it, "title", "Bare");
	enc_clear(&e);
	cx_response_free(resp);
}

static void
test_two_cards(void **state)
{
	struct cx_response	*resp = cx_response_new();
	struct rich		*r = rich_new();
	struct enc		 e;
	json_object		*rc;

	rich_card(r);
	rich_info(r, "Card one", NULL, NULL);
	rich_divider(r);
	rich_card(r);
	rich_image(r, "https://example.com/2.png", "two");
	cx_resp_rich(resp, r);
	encode(resp, &e);
	rc = rich_content(&e);
	assert_int_equal(array_len(rc), 2);
	assert_int_equal(array_len(array_at(rc, 0)), 2);
	assert_int_equal(array_len(array_at(rc, 1)), 1);
	assert_str_member(item(rc, 0, 0), "title", "Card one");
	assert_str_member(item(rc, 0, 1), "type", "divider");
	assert_str_member(item(rc, 1, 0), "type", "image");
	enc_clear(&e);
	cx_response_free(resp);
}

static void
test_items_before_card(void **state)
{
	struct cx_response	*resp = cx_response_new();
	struct rich		*r = rich_new();
	struct enc		 e;
	json_object		*rc;

	/* No rich_card() first: a first card is made on demand. */
	rich_info(r, "a", NULL, NULL);
	rich_info(r, "b", NULL, NULL);
	rich_card(r);
	rich_card(r);		/* an empty card is never sent */
	rich_info(r, "c", NULL, NULL);
	rich_card(r);		/* nor is a trailing one */
	cx_resp_rich(resp, r);
	encode(resp, &e);
	rc = rich_content(&e);
	assert_int_equal(array_len(rc), 2);
	assert_int_equal(array_len(array_at(rc, 0)), 2);
	assert_str_member(item(rc, 0, 0), "title", "a");
	assert_str_member(item(rc, 0, 1), "title", "b");
	assert_int_equal(array_len(array_at(rc, 1)), 1);
	assert_str_member(item(rc, 1, 0), "title", "c");
	enc_clear(&e);
	cx_response_free(resp);
}

static void
test_strings_round_trip(void **state)
{
	static const char *const tricky[] = {
		"say \"hi\" \\ back\\slash",
		"caf\xc3\xa9 \xe2\x82\xac 1,250 \xf0\x9f\x93\xa6 \xe4\xb8\xad",
		"tab\there\nnewline\rcr\x01\x1f ctl",
		"</script> a/b",
		"{\"richContent\": null}",
	};
	struct cx_response	*resp = cx_response_new();
	struct rich		*r = rich_new();
	struct enc		 e;
	json_object		*rc, *it, *opts;
	size_t			 i;

	for (i = 0; i < NITEMS(tricky); i++)
		rich_accordion(r, tricky[i], tricky[(i + 1) % NITEMS(tricky)],
		    tricky[(i + 2) % NITEMS(tricky)]);
	rich_chips(r, tricky, NITEMS(tricky));
	rich_button(r, tricky[0], tricky[3], tricky[1]);
	cx_resp_rich(resp, r);
	encode(resp, &e);
	rc = rich_content(&e);
	assert_int_equal(array_len(array_at(rc, 0)), NITEMS(tricky) + 2);
	for (i = 0; i < NITEMS(tricky); i++) {
		it = item(rc, 0, i);
		assert_str_member(it, "title", tricky[i]);
		assert_str_member(it, "subtitle",
		    tricky[(i + 1) % NITEMS(tricky)]);
		assert_str_member(it, "text", tricky[(i + 2) % NITEMS(tricky)]);
	}
	opts = member(item(rc, 0, NITEMS(tricky)), "options");
	assert_int_equal(array_len(opts), NITEMS(tricky));
	for (i = 0; i < NITEMS(tricky); i++)
		assert_str_member(array_at(opts, i), "text", tricky[i]);
	it = item(rc, 0, NITEMS(tricky) + 1);
	assert_str_member(it, "text", tricky[0]);
	assert_str_member(member(it, "anchor"), "href", tricky[3]);
	assert_str_member(member(it, "event"), "event", tricky[1]);

	/* UTF-8 goes out as is, not as \u escapes. */
	assert_non_null(strstr(e.raw.p, "caf\xc3\xa9 \xe2\x82\xac"));
	enc_clear(&e);
	cx_response_free(resp);
}

static void
test_strings_copied(void **state)
{
	struct cx_response	*resp = cx_response_new();
	struct rich		*r = rich_new();
	struct enc		 e;
	json_object		*rc;
	char			 title[32], line[32], opt[32], *heap;
	const char		*lines[1], *opts[1];

	strcpy(title, "before");
	strcpy(line, "line before");
	strcpy(opt, "opt before");
	heap = strdup("https://example.com/heap");
	assert_non_null(heap);
	lines[0] = line;
	opts[0] = opt;
	rich_info(r, title, NULL, heap);
	rich_description(r, title, lines, 1);
	rich_chips(r, opts, 1);
	/* The caller reuses its buffers before sending. */
	strcpy(title, "AFTER");
	strcpy(line, "LINE AFTER");
	strcpy(opt, "OPT AFTER");
	lines[0] = NULL;
	opts[0] = NULL;
	memset(heap, 'X', strlen(heap));
	free(heap);
	cx_resp_rich(resp, r);
	encode(resp, &e);
	rc = rich_content(&e);
	assert_str_member(item(rc, 0, 0), "title", "before");
	assert_str_member(member(item(rc, 0, 0), "anchor"), "href",
	    "https://example.com/heap");
	assert_str_member(item(rc, 0, 1), "title", "before");
	assert_string_equal(json_object_get_string(
	    array_at(member(item(rc, 0, 1), "text"), 0)), "line before");
	assert_str_member(array_at(member(item(rc, 0, 2), "options"), 0),
	    "text", "opt before");
	enc_clear(&e);
	cx_response_free(resp);
}

static void
test_empty_builder(void **state)
{
	struct cx_response	*resp = cx_response_new();
	struct rich		*r;
	struct enc		 e;
	json_object		*msgs;

	cx_resp_rich(resp, rich_new());
	r = rich_new();
	rich_card(r);
	rich_card(r);
	cx_resp_rich(resp, r);
	cx_resp_rich(resp, NULL);
	assert_int_equal(cx_resp_n_messages(resp), 0);
	encode(resp, &e);
	assert_string_equal(e.raw.p, "{}");
	enc_clear(&e);

	/* Next to a text message, still nothing of its own. */
	cx_resp_say(resp, "Nothing to show.");
	cx_resp_rich(resp, rich_new());
	assert_int_equal(cx_resp_n_messages(resp), 1);
	encode(resp, &e);
	msgs = member(member(e.root, "fulfillmentResponse"), "messages");
	assert_int_equal(array_len(msgs), 1);
	assert_keys(array_at(msgs, 0), "text", NULL);
	enc_clear(&e);
	cx_response_free(resp);
}

static void
test_with_other_messages(void **state)
{
	struct cx_response	*resp = cx_response_new();
	struct rich		*r = rich_new();
	struct enc		 e;
	json_object		*msgs, *rc;

	cx_resp_say(resp, "Here is your order:");
	rich_info(r, "Order 10042", NULL, NULL);
	cx_resp_rich(resp, r);
	cx_resp_say(resp, "Anything else?");
	assert_int_equal(cx_resp_n_messages(resp), 3);
	encode(resp, &e);
	msgs = member(member(e.root, "fulfillmentResponse"), "messages");
	assert_int_equal(array_len(msgs), 3);
	assert_keys(array_at(msgs, 0), "text", NULL);
	assert_keys(array_at(msgs, 1), "payload", NULL);
	assert_keys(array_at(msgs, 2), "text", NULL);
	rc = member(member(array_at(msgs, 1), "payload"), "richContent");
	assert_str_member(array_at(array_at(rc, 0), 0), "title",
	    "Order 10042");
	enc_clear(&e);
	cx_response_free(resp);
}

static void
test_free_unsent(void **state)
{
	static const char *const o[] = { "a", "b" };
	struct cx_response	*resp = cx_response_new();
	struct rich		*r = rich_new();
	struct enc		 e;

	/*
	 * A handler that bails out frees its builder: the response is left
	 * alone, and valgrind and ASan check that nothing leaks.
	 */
	rich_info(r, "t", "s", "https://example.com");
	rich_card(r);
	rich_chips(r, o, NITEMS(o));
	rich_button(r, "b", "https://example.com", "ev");
	rich_free(r);
	rich_free(NULL);
	assert_int_equal(cx_resp_n_messages(resp), 0);
	encode(resp, &e);
	assert_string_equal(e.raw.p, "{}");
	enc_clear(&e);
	cx_response_free(resp);
}

/* The size of the payload of a response holding only that payload. */
static size_t
payload_bytes(const struct enc *e)
{
	assert_true(e->raw.len > sizeof(ENVELOPE) - 1);
	return e->raw.len - (sizeof(ENVELOPE) - 1);
}

static void
test_item_cap(void **state)
{
	struct cx_response	*resp = cx_response_new();
	struct rich		*r = rich_new();
	struct enc		 e;
	json_object		*rc, *it;
	char			 title[16];
	size_t			 i, c, n;

	/* Ten cards of eleven items asked for: only the first 100 go. */
	for (i = 0; i < 110; i++) {
		if (i % 11 == 0)
			rich_card(r);
		snprintf(title, sizeof(title), "item %zu", i);
		rich_list(r, title, NULL, NULL);
	}
	/* Once full, nothing else gets in, whatever its type. */
	rich_card(r);
	rich_divider(r);
	rich_info(r, "late", NULL, NULL);
	cx_resp_rich(resp, r);
	assert_int_equal(cx_resp_n_messages(resp), 1);
	encode(resp, &e);
	rc = rich_content(&e);
	/* 100 = 9 full cards of 11 and one card of 1. */
	assert_int_equal(array_len(rc), 10);
	n = 0;
	for (c = 0; c < array_len(rc); c++) {
		for (i = 0; i < array_len(array_at(rc, c)); i++) {
			it = item(rc, c, i);
			assert_str_member(it, "type", "list");
			snprintf(title, sizeof(title), "item %zu", n);
			assert_str_member(it, "title", title);
			n++;
		}
	}
	assert_int_equal(n, RICH_MAX_ITEMS);
	assert_int_equal(array_len(array_at(rc, 9)), 1);
	assert_null(strstr(e.raw.p, "late"));
	assert_null(strstr(e.raw.p, "divider"));
	enc_clear(&e);
	cx_response_free(resp);
}

static void
test_exactly_cap(void **state)
{
	struct cx_response	*resp = cx_response_new();
	struct rich		*r = rich_new();
	struct enc		 e;
	json_object		*rc;
	size_t			 i;

	for (i = 0; i < RICH_MAX_ITEMS; i++)
		rich_divider(r);
	cx_resp_rich(resp, r);
	encode(resp, &e);
	rc = rich_content(&e);
	assert_int_equal(array_len(rc), 1);
	assert_int_equal(array_len(array_at(rc, 0)), RICH_MAX_ITEMS);
	enc_clear(&e);
	cx_response_free(resp);
}

/*
 * 100 items cannot bound the size on their own: here a few long strings
 * (and control bytes, which json-c sends as six-byte \u00XX escapes)
 * would make well over 64 KiB.  The builder keeps the payload within
 * RICH_MAX_BYTES, and the response stays encodable.
 */
static void
test_byte_budget(void **state)
{
	struct cx_response	*resp = cx_response_new();
	struct rich		*r = rich_new();
	struct enc		 e;
	json_object		*rc, *opts;
	char			*big, *ctl;
	const char		*many[2000];
	size_t			 i, c, n;

	big = malloc(4001);
	ctl = malloc(1001);
	assert_non_null(big);
	assert_non_null(ctl);
	memset(big, 'x', 4000);
	big[4000] = '\0';
	memset(ctl, '\x01', 1000);
	ctl[1000] = '\0';
	for (i = 0; i < 30; i++) {
		rich_card(r);
		rich_accordion(r, "t", ctl, big);
	}
	/* Over budget already: a tiny item after the drop stays out too. */
	rich_divider(r);
	free(big);
	free(ctl);
	cx_resp_rich(resp, r);
	encode(resp, &e);
	assert_true(e.raw.len <= CX_MAX_RESPONSE);
	assert_true(payload_bytes(&e) <= RICH_MAX_BYTES);
	rc = rich_content(&e);
	/* Each item is ~10 KiB of JSON: 5 fit in 56 KiB, the 6th does not. */
	assert_int_equal(array_len(rc), 5);
	for (c = 0; c < array_len(rc); c++) {
		assert_int_equal(array_len(array_at(rc, c)), 1);
		assert_str_member(item(rc, c, 0), "type", "accordion");
	}
	assert_null(strstr(e.raw.p, "divider"));
	enc_clear(&e);
	cx_response_free(resp);

	/* One item alone can be too big: chips of 2000 long options. */
	resp = cx_response_new();
	r = rich_new();
	for (i = 0; i < NITEMS(many); i++)
		many[i] = "a chip label of some length";
	rich_info(r, "kept", NULL, NULL);
	rich_chips(r, many, NITEMS(many));
	rich_info(r, "dropped", NULL, NULL);
	cx_resp_rich(resp, r);
	encode(resp, &e);
	rc = rich_content(&e);
	assert_int_equal(array_len(array_at(rc, 0)), 1);
	assert_str_member(item(rc, 0, 0), "title", "kept");
	assert_null(strstr(e.raw.p, "dropped"));
	enc_clear(&e);
	cx_response_free(resp);

	/* The same chips, cut to what fits, go in. */
	resp = cx_response_new();
	r = rich_new();
	rich_chips(r, many, 1000);
	cx_resp_rich(resp, r);
	encode(resp, &e);
	opts = member(item(rich_content(&e), 0, 0), "options");
	n = array_len(opts);
	assert_int_equal(n, 1000);
	assert_true(payload_bytes(&e) <= RICH_MAX_BYTES);
	enc_clear(&e);
	cx_response_free(resp);
}

/*
 * Fill the budget to the byte, across two cards of two items, so that
 * every bracket and comma is counted: the accounting must match the
 * encoder exactly.
 */
#define DIV	"{\"type\":\"divider\"}"

static void
test_byte_budget_exact(void **state)
{
	struct cx_response	*resp;
	struct rich		*r;
	struct enc		 e;
	json_object		*rc;
	char			*s;
	size_t			 len, base;
	int			 extra;

	base = sizeof("{\"richContent\":[[" DIV "," DIV "],[" DIV ","
	    "{\"type\":\"accordion\",\"text\":\"\"}]]}") - 1;
	for (extra = 0; extra <= 1; extra++) {
		len = RICH_MAX_BYTES - base + (size_t)extra;
		s = malloc(len + 1);
		assert_non_null(s);
		/* '/' goes out unescaped, as cx_encode() writes it. */
		memset(s, '/', len);
		s[len] = '\0';
		resp = cx_response_new();
		r = rich_new();
		rich_divider(r);
		rich_divider(r);
		rich_card(r);
		rich_divider(r);
		rich_accordion(r, NULL, NULL, s);
		free(s);
		cx_resp_rich(resp, r);
		encode(resp, &e);
		rc = rich_content(&e);
		assert_int_equal(array_len(rc), 2);
		assert_int_equal(array_len(array_at(rc, 0)), 2);
		if (extra == 0) {
			/* Exactly RICH_MAX_BYTES: kept. */
			assert_int_equal(array_len(array_at(rc, 1)), 2);
			assert_str_member(item(rc, 1, 1), "type", "accordion");
			assert_int_equal(payload_bytes(&e), RICH_MAX_BYTES);
		} else {
			/* One byte over: the accordion is dropped. */
			assert_int_equal(array_len(array_at(rc, 1)), 1);
			assert_str_member(item(rc, 1, 0), "type", "divider");
		}
		enc_clear(&e);
		cx_response_free(resp);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_info),
		cmocka_unit_test(test_description),
		cmocka_unit_test(test_image),
		cmocka_unit_test(test_button),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_chips),
		cmocka_unit_test(test_accordion_divider),
		cmocka_unit_test(test_two_cards),
		cmocka_unit_test(test_items_before_card),
		cmocka_unit_test(test_strings_round_trip),
		cmocka_unit_test(test_strings_copied),
		cmocka_unit_test(test_empty_builder),
		cmocka_unit_test(test_with_other_messages),
		cmocka_unit_test(test_free_unsent),
		cmocka_unit_test(test_item_cap),
		cmocka_unit_test(test_exactly_cap),
		cmocka_unit_test(test_byte_budget),
		cmocka_unit_test(test_byte_budget_exact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
