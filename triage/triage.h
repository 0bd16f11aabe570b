/*
 * Triage: which of a trained set of categories an utterance belongs to,
 * and whether it belongs to none of them (out of scope).
 *
 * The classifier is L2-regularised logistic regression, one-vs-rest,
 * trained with liblinear (triage/train.c) over TF-IDF features that
 * cxhook computes itself (triage/features.c): word 1-2-grams and
 * character 2-5-grams of ICU word tokens after NFKC case folding, each
 * block L2-normalised.  A model file holds everything prediction needs
 * (the vocabulary, IDF, weights, the confidence threshold, the labels by
 * name) behind a version and a SHA-256; triage/model.c reads, checks and
 * serves it.  The format is described in model.c.
 *
 * A loaded model is one read-only mapping: the pool's master loads it
 * before it forks, and every worker reads the same pages.
 */
#ifndef CXHOOK_TRIAGE_H
#define CXHOOK_TRIAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What counts of an utterance: the first this many bytes. */
#define TRIAGE_TEXT_MAX		1024
/* The longest label (a category name), in bytes. */
#define TRIAGE_LABEL_MAX	64

struct triage_model;

struct triage_result {
	const char	*category;	/* the best in-scope label, always set */
	double		 confidence;	/* its probability, in [0, 1] */
	bool		 out_of_scope;	/* below the threshold, or the
					 * out-of-scope class won */
};

/*
 * Reads and checks a model file: its size, magic, version, every count
 * and offset, the SHA-256 over the whole, sorted unique labels and terms,
 * finite numbers.  Returns the model, or NULL with err set.
 */
struct triage_model	*triage_model_load(const char *path, char *err,
			    size_t errsz);
/* The same from bytes in memory (the fuzzer's way in). */
struct triage_model	*triage_model_parse(const void *, size_t, char *err,
			    size_t errsz);
void			 triage_model_free(struct triage_model *);

/* Bytes mapped for the model (the file and its index). */
size_t		 triage_model_bytes(const struct triage_model *);
double		 triage_model_threshold(const struct triage_model *);
size_t		 triage_model_nclass(const struct triage_model *);
size_t		 triage_model_nterm(const struct triage_model *);
const char	*triage_model_label(const struct triage_model *, size_t);
/* The out-of-scope class's index, or -1 when the model has none. */
int		 triage_model_oos(const struct triage_model *);
/* The index of a label, or -1. */
int		 triage_model_find_label(const struct triage_model *,
		    const char *);

/*
 * Classifies len bytes of UTF-8 (ill-formed sequences count as U+FFFD,
 * control characters and U+0000 as spaces; past TRIAGE_TEXT_MAX bytes
 * the text is cut).  Fills *res and returns 0; -1 only when ICU cannot
 * be loaded.  probs, when not NULL, receives nclass probabilities.
 */
int	triage_classify(const struct triage_model *, const char *text,
	    size_t len, struct triage_result *res, double *probs);

/*
 * The features: calls fn once per term occurrence of the text, a word
 * n-gram ("w" then the tokens, separated by a space) or a character
 * n-gram ("c" then the characters, a word padded with a space on each
 * side).  Terms are at most TRIAGE_TERM_MAX bytes.  Returns 0, or -1 when
 * ICU cannot be loaded.
 */
#define TRIAGE_TERM_MAX		(1 + 2 * TRIAGE_WORD_MAX * 4 + 1)
#define TRIAGE_WORD_MAX		32	/* longer tokens make no word terms */
#define TRIAGE_WORD_N		2	/* word 1- and 2-grams */
#define TRIAGE_CHAR_MIN		2	/* character 2- to 5-grams */
#define TRIAGE_CHAR_MAX		5

typedef void	(*triage_term_fn)(void *arg, const char *term, size_t len);

int	triage_terms(const char *text, size_t len, triage_term_fn fn,
	    void *arg);
/* Loads ICU now (the pool's master does, before it forks); 0 or -1. */
int	triage_icu_load(void);

#endif
