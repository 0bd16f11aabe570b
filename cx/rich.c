/*
 * The richContent builder of rich.h.  Each item is written as JSON text
 * the moment it is added (with cx/'s own string writer, the one
 * cx_encode() uses), so the builder needs no item structs and no json-c,
 * and cx_resp_rich() only wraps the cards and hands the text over.
 *
 * The byte budget is counted exactly rather than estimated: the item's
 * text is what will be sent, and the brackets and commas around it are
 * added by hand.  JSON escaping can grow a string six times (a control
 * byte becomes \u00XX), so summing input lengths would not bound the
 * output.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cx/cx.h"
#include "cx/json.h"
#include "cx/rich.h"
#include "lib/buf.h"
#include "lib/xalloc.h"

/* The bytes of an empty payload: {"richContent":[]} */
#define RICH_FRAME	(sizeof("{\"richContent\":[]}") - 1)

/*
 * A response holding only this payload adds
 * {"fulfillmentResponse":{"messages":[{"payload": ... }]}}, 51 bytes.
 */
_Static_assert(RICH_MAX_BYTES + 51 <= CX_MAX_RESPONSE,
    "a full rich payload must fit a response on its own");

struct rich {
	struct buf	 cards;		/* "[...],[...]": the closed cards */
	struct buf	 card;		/* "item,item": the open card's items */
	struct buf	 item;		/* the item being written */
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
	buf_init(&r->cards);
	buf_init(&r->card);
	buf_init(&r->item);
	r->bytes = RICH_FRAME;
	return r;
}

void
rich_free(struct rich *r)
{
	if (r == NULL)
		return;
	buf_clear(&r->cards);
	buf_clear(&r->card);
	buf_clear(&r->item);
	free(r);
}

void
rich_card(struct rich *r)
{
	/* Opened lazily, so that an empty card is never sent. */
	r->new_card = true;
}

/* Starts an item of the given type in r->item; false once the builder is full. */
static bool
new_item(struct rich *r, const char *type)
{
	if (r->n_items >= RICH_MAX_ITEMS)
		r->full = true;
	if (r->full)
		return false;
	buf_reset(&r->item);
	buf_puts(&r->item, "{\"type\":");
	cx_json_put_str(&r->item, type);
	return true;
}

/* ,"key":"s", or nothing when s is NULL. */
static void
put_str(struct rich *r, const char *key, const char *s)
{
	if (s == NULL)
		return;
	buf_putc(&r->item, ',');
	cx_json_put_str(&r->item, key);
	buf_putc(&r->item, ':');
	cx_json_put_str(&r->item, s);
}

/* ,"key":{"member":"s"}, or nothing when s is NULL. */
static void
put_wrapped(struct rich *r, const char *key, const char *member,
    const char *s)
{
	if (s == NULL)
		return;
	buf_putc(&r->item, ',');
	cx_json_put_str(&r->item, key);
	buf_puts(&r->item, ":{");
	cx_json_put_str(&r->item, member);
	buf_putc(&r->item, ':');
	cx_json_put_str(&r->item, s);
	buf_putc(&r->item, '}');
}

/* The open card, as "[items]", joins the closed ones. */
static void
close_card(struct rich *r)
{
	if (r->card.len == 0)
		return;
	if (r->cards.len > 0)
		buf_putc(&r->cards, ',');
	buf_putc(&r->cards, '[');
	buf_append(&r->cards, r->card.p, r->card.len);
	buf_putc(&r->cards, ']');
	buf_reset(&r->card);
}

/*
 * Closes the item in r->item and appends it to the current card, opening
 * one if needed, or drops it and marks the builder full when it would
 * pass RICH_MAX_BYTES.
 */
static void
add_item(struct rich *r)
{
	size_t	cost;
	bool	open;

	buf_putc(&r->item, '}');
	open = r->card.len == 0 || r->new_card;
	/* "[item]" plus a comma after the previous card, or ",item". */
	if (open)
		cost = r->item.len + 2 + (r->cards.len > 0 ||
		    r->card.len > 0 ? 1 : 0);
	else
		cost = r->item.len + 1;
	if (cost > RICH_MAX_BYTES - r->bytes) {
		r->full = true;
		return;
	}
	if (open) {
		close_card(r);
		r->new_card = false;
	} else
		buf_putc(&r->card, ',');
	buf_append(&r->card, r->item.p, r->item.len);
	r->n_items++;
	r->bytes += cost;
}

void
rich_info(struct rich *r, const char *title, const char *subtitle,
    const char *link)
{
	if (!new_item(r, "info"))
		return;
	put_str(r, "title", title);
	put_str(r, "subtitle", subtitle);
	put_wrapped(r, "anchor", "href", link);
	add_item(r);
}

void
rich_description(struct rich *r, const char *title,
    const char *const *lines, size_t n)
{
	size_t	i;
	bool	first = true;

	if (!new_item(r, "description"))
		return;
	put_str(r, "title", title);
	buf_puts(&r->item, ",\"text\":[");
	for (i = 0; lines != NULL && i < n; i++) {
		if (lines[i] == NULL)
			continue;
		if (!first)
			buf_putc(&r->item, ',');
		cx_json_put_str(&r->item, lines[i]);
		first = false;
	}
	buf_putc(&r->item, ']');
	add_item(r);
}

void
rich_image(struct rich *r, const char *url, const char *alt)
{
	if (!new_item(r, "image"))
		return;
	put_str(r, "rawUrl", url);
	put_str(r, "accessibilityText", alt);
	add_item(r);
}

void
rich_button(struct rich *r, const char *text, const char *link,
    const char *event)
{
	if (!new_item(r, "button"))
		return;
	buf_puts(&r->item,
	    ",\"icon\":{\"type\":\"chevron_right\",\"color\":\"#FF9800\"}");
	put_str(r, "text", text);
	put_wrapped(r, "anchor", "href", link);
	put_wrapped(r, "event", "event", event);
	add_item(r);
}

void
rich_list(struct rich *r, const char *title, const char *subtitle,
    const char *event)
{
	if (!new_item(r, "list"))
		return;
	put_str(r, "title", title);
	put_str(r, "subtitle", subtitle);
	put_wrapped(r, "event", "event", event);
	add_item(r);
}

void
rich_chips(struct rich *r, const char *const *options, size_t n)
{
	size_t	i;
	bool	first = true;

	if (!new_item(r, "chips"))
		return;
	buf_puts(&r->item, ",\"options\":[");
	for (i = 0; options != NULL && i < n; i++) {
		if (options[i] == NULL)
			continue;
		buf_puts(&r->item, first ? "{\"text\":" : ",{\"text\":");
		cx_json_put_str(&r->item, options[i]);
		buf_putc(&r->item, '}');
		first = false;
	}
	buf_putc(&r->item, ']');
	add_item(r);
}

void
rich_accordion(struct rich *r, const char *title, const char *subtitle,
    const char *text)
{
	if (!new_item(r, "accordion"))
		return;
	put_str(r, "title", title);
	put_str(r, "subtitle", subtitle);
	put_str(r, "text", text);
	add_item(r);
}

void
rich_divider(struct rich *r)
{
	if (!new_item(r, "divider"))
		return;
	add_item(r);
}

void
cx_resp_rich(struct cx_response *resp, struct rich *r)
{
	struct buf	text;

	if (r == NULL)
		return;
	if (r->n_items > 0) {
		close_card(r);
		buf_init(&text);
		buf_reserve(&text, r->cards.len + RICH_FRAME + 1);
		buf_puts(&text, "{\"richContent\":[");
		buf_append(&text, r->cards.p, r->cards.len);
		buf_puts(&text, "]}");
		/* The buffer's memory becomes the message's. */
		cx_resp_payload_text(resp, text.p);
	}
	rich_free(r);
}
