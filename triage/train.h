/*
 * Training and judging a triage model (see triage.h): the labelled CSV
 * files, the trainer and the figures both `cxhook train` and `cxhook
 * classify --file` print.
 */
#ifndef CXHOOK_TRIAGE_TRAIN_H
#define CXHOOK_TRIAGE_TRAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"
#include "triage/triage.h"

/* Rows of a CSV file with the header "text,label" (RFC 4180 quoting). */
struct triage_data {
	char	**text;
	size_t	 *len;		/* text may hold NUL bytes */
	char	**label;	/* NULL when the file has no label column */
	size_t	  n;
};

/*
 * Reads path; a file whose header is just "text" has no labels.  Returns
 * 0, or -1 with err naming the file and line.
 */
int	triage_csv_read(const char *path, struct triage_data *, char *err,
	    size_t errsz);
void	triage_data_free(struct triage_data *);

struct triage_train_opts {
	const char	*oos_label;	/* the out-of-scope label, or NULL */
	int		 solver;	/* liblinear's: 0 (primal) or 7 (dual) */
	double		 C;		/* inverse regularisation strength */
	double		 eps;		/* liblinear's stopping tolerance */
	int		 min_df;	/* a term in fewer documents is dropped */
	int		 folds;		/* the threshold from held-out folds
					 * of the training data, one in folds;
					 * 0: from the validation data */
	int		 rounds;	/* how many folds are held out in turn
					 * (folds: cross-validation) */
	int		 jobs;		/* processes training at once */
	double		 max_loss;	/* in-scope accuracy, in points, the
					 * threshold may cost */
};

void	triage_train_defaults(struct triage_train_opts *);

/* What training decided, beside the model. */
struct triage_fit {
	double		 threshold;
	char		 threshold_from[48];	/* "1 held-out fold of 5" */
	double		 base_accuracy;	/* in-scope, no threshold */
	double		 accuracy;	/* in-scope, at the threshold */
	double		 recall;	/* out of scope, at the threshold */
	size_t		 nterm;
	size_t		 nclass;
};

/*
 * Fits the vectorizer and the classifier on train and picks the
 * threshold (on val when opts->folds is 0); appends the model file's
 * bytes to out.  Deterministic: the same data and options give the same
 * bytes.  Returns 0, or -1 with err set.
 */
int	triage_train(const struct triage_data *train,
	    const struct triage_data *val, const struct triage_train_opts *,
	    struct buf *out, struct triage_fit *, char *err, size_t errsz);

/* Writes a file atomically: a temporary beside it, fsync, rename. */
int	triage_write_file(const char *path, const void *, size_t, char *err,
	    size_t errsz);

/* liblinear, loaded on first use (train.c); 0 or -1 with err set. */
int	triage_liblinear_load(char *err, size_t errsz);

/* Figures of a model on labelled data. */
struct triage_eval;

struct triage_figures {
	size_t	n, n_in, n_oos, n_flagged, n_unknown;
	double	accuracy;	/* in-scope: right category, not flagged */
	double	recall;		/* out of scope, flagged */
	double	precision;	/* flagged, out of scope */
	double	macro_f1;	/* over every label, out of scope as one */
};

struct triage_eval	*triage_eval_new(const struct triage_model *,
			    const char *oos_label);
void			 triage_eval_add(struct triage_eval *,
			    const char *truth, const struct triage_result *);
void			 triage_eval_figures(const struct triage_eval *,
			    struct triage_figures *);
/* The figures and the ten most confused pairs, as text lines. */
void			 triage_eval_print(const struct triage_eval *,
			    struct buf *);
void			 triage_eval_free(struct triage_eval *);

#endif
