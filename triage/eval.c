/*
 * Figures of a model on labelled utterances: in-scope accuracy (the right
 * category and not flagged), out-of-scope recall and precision, macro-F1
 * over every label (the out-of-scope one counting as one class), and the
 * pairs most often confused.
 *
 * Classes are the model's labels, then "out of scope" when the model has
 * no such label, then one for truths the model does not know.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "triage/train.h"

struct triage_eval {
	const struct triage_model	*m;
	char				*oos_label;
	size_t				 k;	/* classes */
	size_t				 oos, unknown;
	unsigned			*conf;	/* k * k: truth row, guess column */
};

struct triage_eval *
triage_eval_new(const struct triage_model *m, const char *oos_label)
{
	struct triage_eval	*ev = xcalloc(1, sizeof(*ev));
	int			 o = triage_model_find_label(m, oos_label);

	ev->m = m;
	ev->oos_label = xstrdup(oos_label);
	ev->k = triage_model_nclass(m);
	ev->oos = o >= 0 ? (size_t)o : ev->k++;
	ev->unknown = ev->k++;
	ev->conf = xcalloc(ev->k * ev->k, sizeof(*ev->conf));
	return ev;
}

void
triage_eval_free(struct triage_eval *ev)
{
	if (ev == NULL)
		return;
	free(ev->oos_label);
	free(ev->conf);
	free(ev);
}

static size_t
class_of(const struct triage_eval *ev, const char *label)
{
	int	i;

	if (strcmp(label, ev->oos_label) == 0)
		return ev->oos;
	i = triage_model_find_label(ev->m, label);
	return i >= 0 ? (size_t)i : ev->unknown;
}

void
triage_eval_add(struct triage_eval *ev, const char *truth,
    const struct triage_result *r)
{
	size_t	t = class_of(ev, truth);
	size_t	g = r->out_of_scope ? ev->oos : class_of(ev, r->category);

	ev->conf[t * ev->k + g]++;
}

static const char *
class_name(const struct triage_eval *ev, size_t c)
{
	if (c == ev->oos)
		return ev->oos_label;
	if (c == ev->unknown)
		return "(a label the model lacks)";
	return triage_model_label(ev->m, c);
}

static double
ratio(size_t a, size_t b)
{
	return b > 0 ? (double)a / (double)b : 0;
}

void
triage_eval_figures(const struct triage_eval *ev, struct triage_figures *f)
{
	size_t	t, g, right_in = 0, tp = 0, n_classes = 0;
	size_t	row, col;
	double	f1 = 0;

	memset(f, 0, sizeof(*f));
	for (t = 0; t < ev->k; t++) {
		row = col = 0;
		for (g = 0; g < ev->k; g++) {
			row += ev->conf[t * ev->k + g];
			col += ev->conf[g * ev->k + t];
		}
		f->n += row;
		if (t == ev->oos) {
			f->n_oos = row;
			f->n_flagged = col;
			tp = ev->conf[t * ev->k + t];
		} else {
			f->n_in += row;
			right_in += ev->conf[t * ev->k + t];
		}
		if (t == ev->unknown)
			f->n_unknown = row;
		if (row + col > 0) {
			n_classes++;
			f1 += 2.0 * ev->conf[t * ev->k + t] / (double)(row + col);
		}
	}
	f->accuracy = ratio(right_in, f->n_in);
	f->recall = ratio(tp, f->n_oos);
	f->precision = ratio(tp, f->n_flagged);
	f->macro_f1 = n_classes > 0 ? f1 / (double)n_classes : 0;
}

void
triage_eval_print(const struct triage_eval *ev, struct buf *out)
{
	struct triage_figures	 f;
	size_t			 t, g, best[10][2], n = 0, i, j;
	unsigned		 c;

	triage_eval_figures(ev, &f);
	buf_printf(out, "utterances: %zu (%zu in scope, %zu out of scope",
	    f.n, f.n_in, f.n_oos);
	if (f.n_unknown > 0)
		buf_printf(out, ", %zu with labels the model lacks",
		    f.n_unknown);
	buf_printf(out, ")\n");
	buf_printf(out, "in-scope accuracy:      %6.2f %%\n", 100 * f.accuracy);
	buf_printf(out, "out-of-scope recall:    %6.2f %%\n", 100 * f.recall);
	buf_printf(out, "out-of-scope precision: %6.2f %% (%zu flagged)\n",
	    100 * f.precision, f.n_flagged);
	buf_printf(out, "macro-F1:               %6.2f %%\n", 100 * f.macro_f1);

	/* The ten largest off-diagonal cells, largest first, ties by name. */
	for (t = 0; t < ev->k; t++) {
		for (g = 0; g < ev->k; g++) {
			c = ev->conf[t * ev->k + g];
			if (t == g || c == 0)
				continue;
			for (i = n; i > 0; i--) {
				unsigned	o = ev->conf[best[i - 1][0] *
				    ev->k + best[i - 1][1]];

				if (o >= c)
					break;
			}
			if (i >= 10)
				continue;
			if (n < 10)
				n++;
			for (j = n - 1; j > i; j--) {
				best[j][0] = best[j - 1][0];
				best[j][1] = best[j - 1][1];
			}
			best[i][0] = t;
			best[i][1] = g;
		}
	}
	buf_printf(out, "most confused (truth -> guess):\n");
	if (n == 0)
		buf_printf(out, "  none\n");
	for (i = 0; i < n; i++)
		buf_printf(out, "  %4u  %s -> %s\n",
		    ev->conf[best[i][0] * ev->k + best[i][1]],
		    class_name(ev, best[i][0]), class_name(ev, best[i][1]));
}
