/*
 * libFuzzer target: any bytes as a triage model file (triage/model.c),
 * as they are and once more with a valid SHA-256 written over their last
 * 32 bytes, so that the fuzzer gets past the checksum to the checks of
 * the counts, offsets, strings and numbers behind it.  A model that is
 * accepted must then classify: the input's own first bytes, and a few
 * fixed utterances.  Built by `make fuzz-model`; seeded with a small
 * model trained from tests/corpus/triage/tiny.csv.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "triage/triage.h"

static void
use(const struct triage_model *m, const uint8_t *data, size_t size)
{
	static const char *const texts[] = { "", "set an alarm",
	    "what's the weather", "\xf0\x9f\x98\x80 caf\xc3\xa9" };
	struct triage_result	r;
	size_t			i, n = triage_model_nclass(m);

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		if (triage_classify(m, texts[i], strlen(texts[i]), &r,
		    NULL) != 0 || r.category == NULL ||
		    !(r.confidence >= 0 && r.confidence <= 1))
			abort();
	}
	(void)triage_classify(m, (const char *)data, size < 256 ? size : 256,
	    &r, NULL);
	for (i = 0; i < n; i++)
		if (triage_model_find_label(m, triage_model_label(m, i)) !=
		    (int)i)
			abort();
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct triage_model	*m;
	uint8_t			*copy;
	unsigned int		 n;
	char			 err[256];

	if ((m = triage_model_parse(data, size, err, sizeof(err))) != NULL) {
		use(m, data, size);
		triage_model_free(m);
	}
	if (size < 32)
		return 0;
	if ((copy = malloc(size)) == NULL)
		return 0;
	memcpy(copy, data, size);
	EVP_Digest(copy, size - 32, copy + size - 32, &n, EVP_sha256(), NULL);
	if ((m = triage_model_parse(copy, size, err, sizeof(err))) != NULL) {
		use(m, data, size);
		triage_model_free(m);
	}
	free(copy);
	return 0;
}
