/*
 * The terms of an utterance (see triage.h): the same function runs when
 * a model is trained and when it classifies, so the two never disagree.
 *
 * UTF-8 -> UTF-16 (ill-formed bytes as U+FFFD) -> controls to spaces ->
 * NFKC_Casefold -> ICU word boundaries -> the tokens that are words,
 * numbers or ideographs -> word 1-2-grams and character 2-5-grams of
 * each token padded with spaces (scikit-learn's "char_wb").
 *
 * ICU is loaded as lib/textkey.c loads it (with dlopen, when first
 * needed, and by the master before it forks when a model is
 * configured), for the same reason: a pool that does not classify
 * should not pay for it.  dlopen of the same library twice maps it once.
 */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>
#include <unicode/uversion.h>

#include "lib/log.h"
#include "triage/triage.h"

#define ICU_LIB		"libicuuc.so." ICU_STR(U_ICU_VERSION_MAJOR_NUM)
#define ICU_STR(x)	ICU_STR2(x)
#define ICU_STR2(x)	#x

static struct {
	__typeof__(u_strFromUTF8WithSub)		*from_utf8;
	__typeof__(unorm2_getNFKCCasefoldInstance)	*nfkc_cf;
	__typeof__(unorm2_normalize)			*normalize;
	__typeof__(ubrk_open)				*brk_open;
	__typeof__(ubrk_setText)			*brk_text;
	__typeof__(ubrk_first)				*brk_first;
	__typeof__(ubrk_next)				*brk_next;
	__typeof__(ubrk_getRuleStatus)			*brk_status;
	int						 state;	/* 0 untried, 1 loaded, -1 failed */
	/*
	 * Opened by each process on first use, never shared: ubrk_setText
	 * writes to it.
	 */
	UBreakIterator					*words;
	int						 words_pid;
} icu;

int
triage_icu_load(void)
{
	void	*h;

	if (icu.state != 0)
		return icu.state == 1 ? 0 : -1;
	icu.state = -1;
	if ((h = dlopen(ICU_LIB, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		log_warnx("triage: cannot load %s: %s", ICU_LIB, dlerror());
		return -1;
	}
	*(void **)&icu.from_utf8 = dlsym(h, ICU_STR(u_strFromUTF8WithSub));
	*(void **)&icu.nfkc_cf = dlsym(h, ICU_STR(unorm2_getNFKCCasefoldInstance));
	*(void **)&icu.normalize = dlsym(h, ICU_STR(unorm2_normalize));
	*(void **)&icu.brk_open = dlsym(h, ICU_STR(ubrk_open));
	*(void **)&icu.brk_text = dlsym(h, ICU_STR(ubrk_setText));
	*(void **)&icu.brk_first = dlsym(h, ICU_STR(ubrk_first));
	*(void **)&icu.brk_next = dlsym(h, ICU_STR(ubrk_next));
	*(void **)&icu.brk_status = dlsym(h, ICU_STR(ubrk_getRuleStatus));
	if (icu.from_utf8 == NULL || icu.nfkc_cf == NULL ||
	    icu.normalize == NULL || icu.brk_open == NULL ||
	    icu.brk_text == NULL || icu.brk_first == NULL ||
	    icu.brk_next == NULL || icu.brk_status == NULL) {
		log_warnx("triage: %s lacks a function it should have",
		    ICU_LIB);
		return -1;
	}
	icu.state = 1;
	return 0;
}

/*
 * The word iterator of this process.  A forked child must not reuse its
 * parent's: it would be the same memory until written, then a copy,
 * which is fine, but opening it late keeps the master's pages clean.
 */
static UBreakIterator *
word_iterator(void)
{
	UErrorCode	err = U_ZERO_ERROR;
	int		pid = (int)getpid();

	if (icu.words != NULL && icu.words_pid == pid)
		return icu.words;
	/* "" is ICU's root locale: the same words whatever LANG says. */
	icu.words = icu.brk_open(UBRK_WORD, "", NULL, 0, &err);
	if (U_FAILURE(err)) {
		icu.words = NULL;
		return NULL;
	}
	icu.words_pid = pid;
	return icu.words;
}

/*
 * NFKC_Casefold grows text by at most 18 units per unit (U+FDFA); 8 is
 * plenty for real text, and a text that does not fit is cut in half
 * until it does (only pathological input ever is).
 */
#define SRC_MAX		TRIAGE_TEXT_MAX
#define NORM_MAX	(TRIAGE_TEXT_MAX * 8)

struct tokens {
	UChar32		cp[NORM_MAX];	/* code points of the tokens */
	int32_t		start[NORM_MAX];	/* token i: cp[start[i]..end[i]) */
	int32_t		end[NORM_MAX];
	int32_t		n;
	int32_t		ncp;
};

/* Cuts len back to the start of a UTF-8 sequence. */
static size_t
utf8_cut(const char *text, size_t len, size_t max)
{
	if (len <= max)
		return len;
	len = max;
	while (len > 0 && ((unsigned char)text[len] & 0xc0) == 0x80)
		len--;
	return len;
}

static int
normalize(const char *text, size_t len, UChar *norm, int32_t *normlen)
{
	UChar			 src[SRC_MAX];
	const UNormalizer2	*nfkc_cf;
	UErrorCode		 err = U_ZERO_ERROR;
	int32_t			 srclen, i;

	len = utf8_cut(text, len, SRC_MAX);
	icu.from_utf8(src, SRC_MAX, &srclen, text, (int32_t)len, 0xfffd,
	    NULL, &err);
	if (U_FAILURE(err))
		return -1;
	/* C0 and C1 controls, U+0000 among them, are spaces. */
	for (i = 0; i < srclen; i++)
		if (src[i] < 0x20 || (src[i] >= 0x7f && src[i] <= 0x9f))
			src[i] = 0x20;
	if ((nfkc_cf = icu.nfkc_cf(&err)) == NULL || U_FAILURE(err))
		return -1;
	for (;;) {
		err = U_ZERO_ERROR;
		*normlen = icu.normalize(nfkc_cf, src, srclen, norm, NORM_MAX,
		    &err);
		if (err != U_BUFFER_OVERFLOW_ERROR)
			break;
		srclen /= 2;
		if (srclen > 0 && U16_IS_LEAD(src[srclen - 1]))
			srclen--;
	}
	/* A result of exactly NORM_MAX units is not terminated: fine. */
	return U_FAILURE(err) ? -1 : 0;
}

/* The word, number, kana and ideograph segments, as code points. */
static int
tokenize(const UChar *norm, int32_t normlen, struct tokens *t)
{
	UBreakIterator	*bi;
	UErrorCode	 err = U_ZERO_ERROR;
	int32_t		 from, to, i;
	UChar32		 ch;

	t->n = t->ncp = 0;
	if ((bi = word_iterator()) == NULL)
		return -1;
	icu.brk_text(bi, norm, normlen, &err);
	if (U_FAILURE(err))
		return -1;
	for (from = icu.brk_first(bi); (to = icu.brk_next(bi)) != UBRK_DONE;
	    from = to) {
		if (icu.brk_status(bi) < UBRK_WORD_NONE_LIMIT)
			continue;
		t->start[t->n] = t->ncp;
		for (i = from; i < to;) {
			U16_NEXT(norm, i, to, ch);
			t->cp[t->ncp++] = ch;
		}
		t->end[t->n++] = t->ncp;
	}
	return 0;
}

/* Appends code points as UTF-8; the caller has made room. */
static size_t
put_utf8(char *out, size_t at, const UChar32 *cp, int32_t n)
{
	int32_t	i;

	for (i = 0; i < n; i++)
		U8_APPEND_UNSAFE(out, at, cp[i]);
	return at;
}

static void
word_terms(const struct tokens *t, triage_term_fn fn, void *arg)
{
	char	term[TRIAGE_TERM_MAX];
	size_t	len;
	int32_t	i, n0, n1;

	for (i = 0; i < t->n; i++) {
		n0 = t->end[i] - t->start[i];
		if (n0 > TRIAGE_WORD_MAX)
			continue;
		term[0] = 'w';
		len = put_utf8(term, 1, t->cp + t->start[i], n0);
		fn(arg, term, len);
		if (i + 1 == t->n)
			break;
		n1 = t->end[i + 1] - t->start[i + 1];
		if (n1 > TRIAGE_WORD_MAX)
			continue;
		term[len++] = ' ';
		len = put_utf8(term, len, t->cp + t->start[i + 1], n1);
		fn(arg, term, len);
	}
}

static void
char_terms(const struct tokens *t, triage_term_fn fn, void *arg)
{
	UChar32	padded[TRIAGE_CHAR_MAX + 1];
	char	term[1 + TRIAGE_CHAR_MAX * 4];
	int32_t	i, n, k, at, len;

	for (i = 0; i < t->n; i++) {
		len = t->end[i] - t->start[i] + 2;
		for (n = TRIAGE_CHAR_MIN; n <= TRIAGE_CHAR_MAX && n <= len;
		    n++) {
			for (at = 0; at + n <= len; at++) {
				/* The token with a space on each side. */
				for (k = 0; k < n; k++)
					padded[k] = at + k == 0 ||
					    at + k == len - 1 ? 0x20 :
					    t->cp[t->start[i] + at + k - 1];
				term[0] = 'c';
				fn(arg, term, put_utf8(term, 1, padded, n));
			}
		}
	}
}

int
triage_terms(const char *text, size_t len, triage_term_fn fn, void *arg)
{
	static struct tokens	 t;	/* 96 KiB: off the stack */
	UChar			 norm[NORM_MAX];
	int32_t			 normlen;

	if (triage_icu_load() == -1)
		return -1;
	if (normalize(text, len, norm, &normlen) == -1)
		return -1;
	if (tokenize(norm, normlen, &t) == -1)
		return -1;
	char_terms(&t, fn, arg);
	word_terms(&t, fn, arg);
	return 0;
}
