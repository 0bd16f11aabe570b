/*
 * The model file's constants and the pieces of triage/model.c that the
 * trainer (triage/train.c) shares, so that what it writes is what the
 * loader reads.
 */
#ifndef CXHOOK_TRIAGE_MODEL_H
#define CXHOOK_TRIAGE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "triage/triage.h"

#define TRIAGE_MAGIC		"CXTRIAGE"
#define TRIAGE_VERSION		1
#define TRIAGE_HEADER		64
#define TRIAGE_FILE_MAX		((int64_t)1 << 30)
#define TRIAGE_CLASS_MAX	1024
#define TRIAGE_TERMS_MAX	(1u << 24)
#define TRIAGE_IDF_MAX		100	/* ln(n + 1) + 1 is 23 for n = 2^32 */
#define TRIAGE_WEIGHT_MAX	1e6f

/* FNV-1a of a term's bytes: the model's hash table. */
uint32_t	triage_term_hash(const char *, size_t);
/* 1 to TRIAGE_LABEL_MAX letters, digits, '_', '-', '.' or ':'. */
bool		triage_label_valid(const char *, size_t);
/* A term's id in the model, or -1. */
int		triage_model_term(const struct triage_model *, const char *,
		    size_t);

#endif
