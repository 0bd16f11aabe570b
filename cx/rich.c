/*
 * The richContent builder of rich.h.  Each item becomes its json-c object
 * the moment it is added, so the builder needs no item structs of its own
 * and cx_resp_rich() only wraps the outer array and hands it over.
 *
 * The byte budget is counted exactly rather than estimated: each item is
 * serialized once with the flags cx_encode() uses, and the brackets and
 * commas around it are added by hand.  JSON escaping can grow a string six
 * times (a control byte becomes \u00XX), so summing input lengths would
 * not bound the output.
 */
#include <stdbool.h>
#include <stdlib.h>


#include "cx/cx.h"
#include "cx/json.h"
#include "cx/rich.h"
#include "lib/xalloc.h"

/* Must match cx_encode(), or the budget counts different bytes. */
#define RICH_JSON_FLAGS	(JSON_C_TO_STRING_PLAIN | \
			    JSON_C_TO_STRING_NOSLASHESCAPE)

/* The bytes of an empty payload: {"richContent":[]} */
#define RICH_FRAME	(sizeof("{\"richContent\":[]}") - 1)

/*
 * A response holding only this payload adds
 * {"fulfillmentResponse":{"messages":[{"payload": ... }]}}, 51 bytes.
 */
_Static_assert(RICH_MAX_BYTES + 51 <= CX_MAX_RESPONSE,
    "a full rich payload must fit a response on its own");

struct rich {
	json_object	*cards;		/* the outer array, owned */
	json_object	*card;		/* the last card, borrowed from cards */
	bool		 new_card;	/* the next item opens a card */
	bool		 full;		/* a limit was hit: drop the rest */
	size_t		 n_items;
	size_t		 bytes;		/* encoded size of the payload so far */
};

struct rich *
rich_new(void)
{
	struct rich	*r;

	r = xcalloc(1, sizeof(*r));
	r->cards = json_object_new_array();
	r->bytes = RICH_FRAME;
	return r;
}

void
rich_free(struct rich *r)
{
	if (r == NULL)
		return;
	json_object_put(r->cards);
	free(r);
}

void
rich_card(struct rich *r)
{
	/* Opened lazily, so that an empty card is never sent. */
	r->new_card = true;
}

/* A new item of the given type, or NULL once the builder is full. */
static json_object *
new_item(struct rich *r, const char *type)
{
	json_object	*item;

	if (r->n_items >= RICH_MAX_ITEMS)
		r->full = true;
	if (r->full)
		return NULL;
	item = json_object_new_object();
	json_object_object_add(item, "type", json_object_new_string(type));
	return item;
}

static void
put_str(json_object *o, const char *key, const char *s)
{
	if (s != NULL)
		json_object_object_add(o, key, json_object_new_string(s));
}

/* obj.key = {"member": s}, or nothing when s is NULL. */
static void
put_wrapped(json_object *o, const char *key, const char *member,
    const char *s)
{
	json_object	*w;

	if (s == NULL)
		return;
	w = json_object_new_object();
	put_str(w, member, s);
	json_object_object_add(o, key, w);
}

/*
 * Appends item to the current card, opening one if needed, or drops it
 * and marks the builder full when it would pass RICH_MAX_BYTES.  Takes
 * ownership of item either way.
 */
static void
add_item(struct rich *r, json_object *item)
{
	const char	*s;
	size_t		 len, cost;
	bool		 open;

	s = json_object_to_json_string_length(item, RICH_JSON_FLAGS, &len);
	open = r->card == NULL || r->new_card;
	/* "[item]" plus a comma after the previous card, or ",item". */
	if (open)
		cost = len + 2 + (r->card != NULL ? 1 : 0);
	else
		cost = len + 1;
	if (s == NULL || cost > RICH_MAX_BYTES - r->bytes) {
		r->full = true;
		json_object_put(item);
		return;
	}
	if (open) {
		r->card = json_object_new_array();
		json_object_array_add(r->cards, r->card);
		r->new_card = false;
	}
	json_object_array_add(r->card, item);
	r->n_items++;
	r->bytes += cost;
}

void
rich_info(struct rich *r, const char *title, const char *subtitle,
    const char *link)
{
	json_object	*item;

	if ((item = new_item(r, "info")) == NULL)
		return;
	put_str(item, "title", title);
	put_str(item, "subtitle", subtitle);
	put_wrapped(item, "anchor", "href", link);
	add_item(r, item);
}

void
rich_description(struct rich *r, const char *title,
    const char *const *lines, size_t n)
{
	json_object	*item, *text;
	size_t		 i;

	if ((item = new_item(r, "description")) == NULL)
		return;
	put_str(item, "title", title);
	text = json_object_new_array();
	for (i = 0; lines != NULL && i < n; i++)
		if (lines[i] != NULL)
			json_object_array_add(text,
			    json_object_new_string(lines[i]));
	json_object_object_add(item, "text", text);
	add_item(r, item);
}

void
rich_image(struct rich *r, const char *url, const char *alt)
{
	json_object	*item;

	if ((item = new_item(r, "image")) == NULL)
		return;
	put_str(item, "rawUrl", url);
	put_str(item, "accessibilityText", alt);
	add_item(r, item);
}

void
rich_button(struct rich *r, const char *text, const char *link,
    const char *event)
{
	json_object	*item, *icon;

	if ((item = new_item(r, "button")) == NULL)
		return;
	icon = json_object_new_object();
	put_str(icon, "type", "chevron_right");
	put_str(icon, "color", "#FF9800");
	json_object_object_add(item, "icon", icon);
	put_str(item, "text", text);
	put_wrapped(item, "anchor", "href", link);
	put_wrapped(item, "event", "event", event);
	add_item(r, item);
}

void
rich_list(struct rich *r, const char *title, const char *subtitle,
    const char *event)
{
	json_object	*item;

	if ((item = new_item(r, "list")) == NULL)
		return;
	put_str(item, "title", title);
	put_str(item, "subtitle", subtitle);
	put_wrapped(item, "event", "event", event);
	add_item(r, item);
}

void
rich_chips(struct rich *r, const char *const *options, size_t n)
{
	json_object	*item, *list, *opt;
	size_t		 i;

	if ((item = new_item(r, "chips")) == NULL)
		return;
	list = json_object_new_array();
	for (i = 0; options != NULL && i < n; i++) {
		if (options[i] == NULL)
			continue;
		opt = json_object_new_object();
		put_str(opt, "text", options[i]);
		json_object_array_add(list, opt);
	}
	json_object_object_add(item, "options", list);
	add_item(r, item);
}

void
rich_accordion(struct rich *r, const char *title, const char *subtitle,
    const char *text)
{
	json_object	*item;

	if ((item = new_item(r, "accordion")) == NULL)
		return;
	put_str(item, "title", title);
	put_str(item, "subtitle", subtitle);
	put_str(item, "text", text);
	add_item(r, item);
}

void
rich_divider(struct rich *r)
{
	json_object	*item;

	if ((item = new_item(r, "divider")) == NULL)
		return;
	add_item(r, item);
}

void
cx_resp_rich(struct cx_response *resp, struct rich *r)
{
	json_object	*payload;

	if (r == NULL)
		return;
	if (r->n_items > 0) {
		payload = json_object_new_object();
		json_object_object_add(payload, "richContent", r->cards);
		r->cards = NULL;
		cx_resp_payload(resp, payload);
	}
	rich_free(r);
}
