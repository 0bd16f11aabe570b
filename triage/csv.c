/*
 * Labelled utterances as CSV (RFC 4180): a header "text,label" (or just
 * "text"), then one row per utterance; a field may be quoted, with ""
 * for a quote, and then hold commas and line breaks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "triage/train.h"

/* Reads one field; returns its terminator: ',', '\n', EOF, or -2 (bad). */
static int
read_field(FILE *fp, struct buf *f, int *line)
{
	int	c;

	buf_reset(f);
	if ((c = getc(fp)) == '"') {
		for (;;) {
			if ((c = getc(fp)) == EOF)
				return -2;
			if (c == '\n')
				(*line)++;
			if (c == '"' && (c = getc(fp)) != '"')
				break;
			buf_putc(f, (char)c);
		}
	} else {
		while (c != ',' && c != '\n' && c != EOF) {
			buf_putc(f, (char)c);
			c = getc(fp);
		}
	}
	if (c == '\r' && (c = getc(fp)) != '\n')
		return -2;
	if (c != ',' && c != '\n' && c != EOF)
		return -2;
	if (f->len > 0 && f->p[f->len - 1] == '\r' && c != EOF)
		f->len--;
	return c;
}

static void
add_row(struct triage_data *d, struct buf *text, struct buf *label,
    bool labelled)
{
	d->text = xreallocarray(d->text, d->n + 1, sizeof(*d->text));
	d->len = xreallocarray(d->len, d->n + 1, sizeof(*d->len));
	d->text[d->n] = xmalloc(text->len + 1);
	memcpy(d->text[d->n], text->p == NULL ? "" : text->p, text->len);
	d->text[d->n][text->len] = '\0';
	d->len[d->n] = text->len;
	if (labelled) {
		d->label = xreallocarray(d->label, d->n + 1,
		    sizeof(*d->label));
		d->label[d->n] = xstrndup(label->p == NULL ? "" : label->p,
		    label->len);
	}
	d->n++;
}

int
triage_csv_read(const char *path, struct triage_data *d, char *err,
    size_t errsz)
{
	struct buf	 text, label;
	FILE		*fp;
	int		 line = 1, row, c;
	bool		 labelled;

	memset(d, 0, sizeof(*d));
	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf_init(&text);
	buf_init(&label);
	c = read_field(fp, &text, &line);
	if (c == ',')
		c = read_field(fp, &label, &line);
	labelled = label.len > 0;
	if (text.len != 4 || memcmp(text.p, "text", 4) != 0 ||
	    (labelled && (label.len != 5 || memcmp(label.p, "label", 5) != 0))
	    || c != '\n') {
		snprintf(err, errsz, "%s:1: expected the header text,label",
		    path);
		goto fail;
	}
	for (;;) {
		row = ++line;
		c = read_field(fp, &text, &line);
		if (c == EOF && text.len == 0)
			break;
		if (labelled && c == ',')
			c = read_field(fp, &label, &line);
		else if (labelled)
			c = -2;
		if (c != '\n' && c != EOF) {
			snprintf(err, errsz, "%s:%d: expected %s", path, row,
			    labelled ? "two fields, text and label" :
			    "one field, text");
			goto fail;
		}
		if (labelled && label.len == 0) {
			snprintf(err, errsz, "%s:%d: empty label", path, row);
			goto fail;
		}
		add_row(d, &text, &label, labelled);
		if (c == EOF)
			break;
	}
	if (ferror(fp)) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		goto fail;
	}
	fclose(fp);
	buf_clear(&text);
	buf_clear(&label);
	return 0;
fail:
	fclose(fp);
	buf_clear(&text);
	buf_clear(&label);
	triage_data_free(d);
	return -1;
}

void
triage_data_free(struct triage_data *d)
{
	size_t	i;

	for (i = 0; i < d->n; i++) {
		free(d->text[i]);
		if (d->label != NULL)
			free(d->label[i]);
	}
	free(d->text);
	free(d->len);
	free(d->label);
	memset(d, 0, sizeof(*d));
}
