/*
 * cxhook train and cxhook classify (docs/contract.md §8, README "Triage").
 */
#include <sys/resource.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/triage.h"
#include "lib/buf.h"
#include "triage/train.h"
#include "triage/triage.h"

#define EX_USAGE	64
#define EX_DATAERR	65
#define EX_NOINPUT	66
#define EX_SOFTWARE	70
#define EX_CANTCREAT	73

static void
train_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: cxhook train --data TRAIN.csv [--validate VAL.csv] "
	    "--model OUT\n"
	    "                    [--out-of-scope-label oos] [--folds 5] "
	    "[--rounds 1] [--c 30]\n"
	    "                    [--min-df 2] [--jobs 2] [--solver 7] "
	    "[--eps 0.1]\n"
	    "                    [--max-accuracy-loss 0.5]\n");
}

static void
classify_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: cxhook classify --model M [--file FILE.csv] "
	    "[--out-of-scope-label oos] [TEXT...]\n");
}

static double
seconds(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of this process and its waited-for children. */
static double
cpu_seconds(void)
{
	struct rusage	self, kids;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	return (double)(self.ru_utime.tv_sec + self.ru_stime.tv_sec +
	    kids.ru_utime.tv_sec + kids.ru_stime.tv_sec) +
	    (double)(self.ru_utime.tv_usec + self.ru_stime.tv_usec +
	    kids.ru_utime.tv_usec + kids.ru_stime.tv_usec) / 1e6;
}

static int
number(const char *s, double lo, double hi, double *out)
{
	char	*end;
	double	 v = strtod(s, &end);

	if (end == s || *end != '\0' || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

/* Prints the figures of model m on the labelled data d. */
static void
summary(const struct triage_model *m, const struct triage_data *d,
    const char *oos_label)
{
	struct triage_eval	*ev = triage_eval_new(m, oos_label);
	struct triage_result	 r;
	struct buf		 out;
	size_t			 i;

	for (i = 0; i < d->n; i++) {
		(void)triage_classify(m, d->text[i], d->len[i], &r, NULL);
		triage_eval_add(ev, d->label[i], &r);
	}
	buf_init(&out);
	triage_eval_print(ev, &out);
	fwrite(out.p, 1, out.len, stdout);
	buf_clear(&out);
	triage_eval_free(ev);
}

int
train_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "validate", required_argument, NULL, 'v' },
		{ "model", required_argument, NULL, 'm' },
		{ "out-of-scope-label", required_argument, NULL, 'o' },
		{ "folds", required_argument, NULL, 'f' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "c", required_argument, NULL, 'C' },
		{ "solver", required_argument, NULL, 's' },
		{ "eps", required_argument, NULL, 'e' },
		{ "min-df", required_argument, NULL, 'n' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "max-accuracy-loss", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct triage_train_opts o;
	struct triage_data	 data, val;
	struct triage_fit	 fit;
	struct triage_model	*m;
	struct buf		 bytes;
	const char		*data_path = NULL, *val_path = NULL;
	const char		*model_path = NULL;
	char			 err[512];
	double			 t0, c0, v;
	int			 ch, rc = EX_DATAERR;

	triage_train_defaults(&o);
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			data_path = optarg;
			break;
		case 'v':
			val_path = optarg;
			break;
		case 'm':
			model_path = optarg;
			break;
		case 'o':
			o.oos_label = optarg[0] != '\0' ? optarg : NULL;
			break;
		case 'f':
			if (number(optarg, 0, 20, &v) == -1 || v == 1)
				goto usage;
			o.folds = (int)v;
			break;
		case 'r':
			if (number(optarg, 1, 20, &v) == -1)
				goto usage;
			o.rounds = (int)v;
			break;
		case 'C':
			if (number(optarg, 1e-6, 1e6, &o.C) == -1)
				goto usage;
			break;
		case 's':
			if (number(optarg, 0, 7, &v) == -1 || (v != 0 && v != 7))
				goto usage;
			o.solver = (int)v;
			break;
		case 'e':
			if (number(optarg, 1e-6, 1, &o.eps) == -1)
				goto usage;
			break;
		case 'n':
			if (number(optarg, 1, 1000, &v) == -1)
				goto usage;
			o.min_df = (int)v;
			break;
		case 'j':
			if (number(optarg, 1, 16, &v) == -1)
				goto usage;
			o.jobs = (int)v;
			break;
		case 'l':
			if (number(optarg, 0, 100, &o.max_loss) == -1)
				goto usage;
			break;
		case 'h':
			train_usage(stdout);
			return 0;
		default:
			goto usage;
		}
	}
	if (optind != argc || data_path == NULL || model_path == NULL)
		goto usage;
	if (o.folds == 0 && val_path == NULL) {
		fprintf(stderr, "cxhook: --folds 0 picks the threshold on "
		    "--validate, which is missing\n");
		goto usage;
	}

	memset(&val, 0, sizeof(val));
	if (triage_csv_read(data_path, &data, err, sizeof(err)) == -1) {
		fprintf(stderr, "cxhook: %s\n", err);
		return EX_NOINPUT;
	}
	if (val_path != NULL &&
	    triage_csv_read(val_path, &val, err, sizeof(err)) == -1) {
		fprintf(stderr, "cxhook: %s\n", err);
		triage_data_free(&data);
		return EX_NOINPUT;
	}
	if (data.label == NULL || (val_path != NULL && val.label == NULL)) {
		fprintf(stderr, "cxhook: training and validation files need "
		    "the header text,label\n");
		goto done;
	}

	buf_init(&bytes);
	t0 = seconds();
	c0 = cpu_seconds();
	if (triage_train(&data, val_path != NULL ? &val : NULL, &o, &bytes,
	    &fit, err, sizeof(err)) == -1) {
		fprintf(stderr, "cxhook: train: %s\n", err);
		buf_clear(&bytes);
		rc = EX_DATAERR;
		goto done;
	}
	printf("trained on %zu utterances: %zu labels, %zu terms, C = %g, "
	    "in %.1f s (%.1f s of CPU)\n", data.n, fit.nclass, fit.nterm,
	    o.C, seconds() - t0, cpu_seconds() - c0);
	printf("threshold %.3f, chosen on %s (%s):\n"
	    "  in-scope accuracy %.2f %% -> %.2f %%, out-of-scope recall "
	    "%.2f %%\n", fit.threshold, fit.threshold_from, o.folds > 0 ?
	    "answers of a model that did not see them" :
	    "seen data: optimistic", 100 * fit.base_accuracy,
	    100 * fit.accuracy, 100 * fit.recall);
	if (triage_write_file(model_path, bytes.p, bytes.len, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "cxhook: %s\n", err);
		buf_clear(&bytes);
		rc = EX_CANTCREAT;
		goto done;
	}
	printf("model %s: %zu bytes\n", model_path, bytes.len);
	/* The figures come from the file as written, read back. */
	if ((m = triage_model_parse(bytes.p, bytes.len, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "cxhook: the model written does not read "
		    "back: %s\n", err);
		buf_clear(&bytes);
		rc = EX_SOFTWARE;
		goto done;
	}
	buf_clear(&bytes);
	if (val_path != NULL) {
		printf("on %s (%s):\n", val_path, o.folds > 0 ? "unseen" :
		    "the threshold was chosen on it");
		summary(m, &val, o.oos_label != NULL ? o.oos_label : "oos");
	} else {
		printf("on %s (seen in training: optimistic):\n", data_path);
		summary(m, &data, o.oos_label != NULL ? o.oos_label : "oos");
	}
	triage_model_free(m);
	rc = 0;
done:
	triage_data_free(&data);
	triage_data_free(&val);
	return rc;
usage:
	train_usage(stderr);
	return EX_USAGE;
}

/*
 * A JSON string from bytes that may hold NUL or ill-formed UTF-8: the
 * former escaped, the latter replaced by U+FFFD, so the line is JSON
 * whatever came in.
 */
static void
put_json_text(struct buf *b, const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, n, k;
	unsigned		 c, min;

	buf_putc(b, '"');
	while (i < len) {
		c = p[i];
		if (c < 0x80) {
			if (c == '"' || c == '\\')
				buf_printf(b, "\\%c", c);
			else if (c < 0x20)
				buf_printf(b, "\\u%04x", c);
			else
				buf_putc(b, (char)c);
			i++;
			continue;
		}
		n = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 &&
		    c < 0xe0 ? 2 : 0;
		if (c >= 0xf5)
			n = 0;
		min = n == 4 ? 0x10000 : n == 3 ? 0x800 : 0x80;
		c &= n == 4 ? 0x07 : n == 3 ? 0x0f : 0x1f;
		for (k = 1; n > 0 && k < n; k++) {
			if (i + k >= len || (p[i + k] & 0xc0) != 0x80) {
				n = 0;
				break;
			}
			c = (c << 6) | (p[i + k] & 0x3f);
		}
		if (n == 0 || c < min || c > 0x10ffff ||
		    (c >= 0xd800 && c <= 0xdfff)) {
			buf_puts(b, "\xef\xbf\xbd");
			i++;
			continue;
		}
		buf_append(b, p + i, n);
		i += n;
	}
	buf_putc(b, '"');
}

static void
print_answer(const struct triage_model *m, const char *text, size_t len,
    struct triage_result *r)
{
	struct buf	out;

	(void)triage_classify(m, text, len, r, NULL);
	buf_init(&out);
	buf_puts(&out, "{\"text\":");
	put_json_text(&out, text, len);
	buf_puts(&out, ",\"category\":");
	put_json_text(&out, r->category, strlen(r->category));
	buf_printf(&out, ",\"confidence\":%.4f,\"out_of_scope\":%s}\n",
	    r->confidence, r->out_of_scope ? "true" : "false");
	fwrite(out.p, 1, out.len, stdout);
	buf_clear(&out);
}

int
classify_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "file", required_argument, NULL, 'f' },
		{ "out-of-scope-label", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct triage_model	*m;
	struct triage_data	 d;
	struct triage_result	 r;
	struct triage_eval	*ev;
	struct buf		 out;
	const char		*model_path = NULL, *file = NULL;
	const char		*oos_label = "oos";
	char			 err[512];
	size_t			 i;
	int			 ch;

	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			model_path = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		case 'o':
			oos_label = optarg;
			break;
		case 'h':
			classify_usage(stdout);
			return 0;
		default:
			classify_usage(stderr);
			return EX_USAGE;
		}
	}
	if (model_path == NULL || (file == NULL && optind == argc)) {
		classify_usage(stderr);
		return EX_USAGE;
	}
	if ((m = triage_model_load(model_path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "cxhook: model %s\n", err);
		return 78;	/* EX_CONFIG: the file is refused */
	}
	for (i = (size_t)optind; i < (size_t)argc; i++)
		print_answer(m, argv[i], strlen(argv[i]), &r);
	if (file != NULL) {
		if (triage_csv_read(file, &d, err, sizeof(err)) == -1) {
			fprintf(stderr, "cxhook: %s\n", err);
			triage_model_free(m);
			return EX_NOINPUT;
		}
		ev = d.label != NULL ? triage_eval_new(m, oos_label) : NULL;
		for (i = 0; i < d.n; i++) {
			print_answer(m, d.text[i], d.len[i], &r);
			if (ev != NULL)
				triage_eval_add(ev, d.label[i], &r);
		}
		if (ev != NULL) {
			buf_init(&out);
			triage_eval_print(ev, &out);
			fwrite(out.p, 1, out.len, stdout);
			buf_clear(&out);
			triage_eval_free(ev);
		}
		triage_data_free(&d);
	}
	triage_model_free(m);
	return 0;
}
