/*
 * Dialogflow Messenger rich content (docs/cx-protocol.md §7) for handlers that
 * must not touch json-c: a struct rich collects cards of items and
 * cx_resp_rich() hands the finished {"richContent": [[...], ...]} to the
 * response as one payload message.
 *
 *	struct rich	*rc = rich_new();
 *	rich_info(rc, "Order 10042", "Shipped", "https://example.com/o/10042");
 *	rich_card(rc);
 *	rich_chips(rc, (const char *const[]){ "Track", "Cancel" }, 2);
 *	cx_resp_rich(resp, rc);		(rc is gone now)
 *
 * Strings: every one is copied, so the caller's buffers may be reused at
 * once.  Like cx_resp_say(), each must be valid UTF-8.  A NULL string is
 * left out of the item (never sent as JSON null); a NULL entry of an array
 * argument is skipped.  An empty string is sent as "".
 *
 * Cards: rich_card() starts a new card, which comes into being with its
 * first item; items added before any rich_card() go into a first card made
 * on demand.  A card with no items is never sent, so repeated or trailing
 * rich_card() calls are harmless.
 *
 * Limits: a payload holds at most RICH_MAX_ITEMS items and at most
 * RICH_MAX_BYTES bytes of encoded JSON.  The first item that would pass
 * either limit, and every item after it, is silently dropped, so what is
 * sent is always a prefix of what was asked for.  The item count alone
 * cannot bound the size (one chips item may carry any number of options,
 * one title any length); the byte budget is what keeps a response holding
 * one rich payload under Dialogflow's 64 KiB (CX_MAX_RESPONSE), with
 * CX_MAX_RESPONSE - RICH_MAX_BYTES left for the envelope and the handler's
 * other messages and parameters.  cx_encode() still refuses a response
 * that ends up too large.
 */
#ifndef CXHOOK_RICH_H
#define CXHOOK_RICH_H

#include <stddef.h>

struct cx_response;
struct rich;

#define RICH_MAX_ITEMS		100
#define RICH_MAX_BYTES		(56 * 1024)

struct rich	*rich_new(void);
void		 rich_free(struct rich *);	/* for a builder never sent */

void	rich_card(struct rich *);

/* "info": title, subtitle, anchor.href (subtitle and link may be NULL). */
void	rich_info(struct rich *, const char *title, const char *subtitle,
	    const char *link);
/* "description": title, text[] (the n strings of lines, in order). */
void	rich_description(struct rich *, const char *title,
	    const char *const *lines, size_t n);
/* "image": rawUrl, accessibilityText. */
void	rich_image(struct rich *, const char *url, const char *alt);
/*
 * "button": icon (chevron_right, #FF9800), text, anchor.href when link is
 * given, event {"event": name} when event is given.
 */
void	rich_button(struct rich *, const char *text, const char *link,
	    const char *event);
/* "list": title, subtitle and event {"event": name} when given. */
void	rich_list(struct rich *, const char *title, const char *subtitle,
	    const char *event);
/* "chips": options[] of {"text": ...}, in the order given. */
void	rich_chips(struct rich *, const char *const *options, size_t n);
/* "accordion": title, subtitle, text. */
void	rich_accordion(struct rich *, const char *title, const char *subtitle,
	    const char *text);
/* "divider": no fields. */
void	rich_divider(struct rich *);

/*
 * Adds the payload to resp as one payload message and
 * frees r.  A builder with no items adds nothing.  r may be NULL.
 */
void	cx_resp_rich(struct cx_response *, struct rich *);

#endif
