/*
 * Cache-key normalisation with ICU (see textkey.h).
 *
 * ICU works in UTF-16, so the text goes UTF-8 -> UTF-16 -> NFKC_Casefold
 * -> spaces collapsed -> UTF-8, through fixed buffers on the stack: the
 * input is short (a place name) and bounded, and a key function that can
 * fail to allocate would need an error path no one tests.
 */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/uversion.h>
#include <unicode/utf16.h>

#include "lib/log.h"
#include "lib/textkey.h"

/*
 * ICU is loaded when first needed, not linked: relocating libicuuc and
 * the libstdc++ it brings costs every process that maps them about
 * 800 KB, and most pools never key a place.  The master loads it before
 * it forks when the weather is configured (textkey_load), so that its
 * workers share those pages rather than each making its own.  The
 * symbols carry ICU's version suffix (u_strFromUTF8_72): the headers'
 * own renaming macros spell them.
 */
#define ICU_LIB		"libicuuc.so." ICU_STR(U_ICU_VERSION_MAJOR_NUM)
#define ICU_STR(x)	ICU_STR2(x)
#define ICU_STR2(x)	#x

static struct {
	__typeof__(u_strFromUTF8)			*from_utf8;
	__typeof__(u_strToUTF8)				*to_utf8;
	__typeof__(u_charType)				*char_type;
	__typeof__(u_isUWhiteSpace)			*is_space;
	__typeof__(unorm2_getNFKCCasefoldInstance)	*nfkc_cf;
	__typeof__(unorm2_normalize)			*normalize;
	int						 state;	/* 0 untried, 1 loaded, -1 failed */
} icu;

int
textkey_load(void)
{
	void	*h;

	if (icu.state != 0)
		return icu.state == 1 ? 0 : -1;
	icu.state = -1;
	if ((h = dlopen(ICU_LIB, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		log_warnx("textkey: cannot load %s: %s", ICU_LIB, dlerror());
		return -1;
	}
	/* dlsym's void * to a function pointer: POSIX makes it work. */
	*(void **)&icu.from_utf8 = dlsym(h, ICU_STR(u_strFromUTF8));
	*(void **)&icu.to_utf8 = dlsym(h, ICU_STR(u_strToUTF8));
	*(void **)&icu.char_type = dlsym(h, ICU_STR(u_charType));
	*(void **)&icu.is_space = dlsym(h, ICU_STR(u_isUWhiteSpace));
	*(void **)&icu.nfkc_cf = dlsym(h, ICU_STR(unorm2_getNFKCCasefoldInstance));
	*(void **)&icu.normalize = dlsym(h, ICU_STR(unorm2_normalize));
	if (icu.from_utf8 == NULL || icu.to_utf8 == NULL ||
	    icu.char_type == NULL || icu.is_space == NULL ||
	    icu.nfkc_cf == NULL || icu.normalize == NULL) {
		log_warnx("textkey: %s lacks a function it should have",
		    ICU_LIB);
		return -1;
	}
	icu.state = 1;
	return 0;
}

/*
 * NFKC_Casefold grows text by at most 18 code units per character
 * (U+FDFA, 3 bytes of UTF-8): 6 units per input byte.  8 leaves room; a
 * larger result would be an overflow error, not a silent truncation.
 */
#define NORM_MAX	(TEXTKEY_IN_MAX * 8)

int
textkey_normalize(const char *in, size_t inlen, char *out, size_t outsz)
{
	UChar			 src[TEXTKEY_IN_MAX], norm[NORM_MAX];
	UChar			 key[NORM_MAX];
	const UNormalizer2	*nfkc_cf;
	UErrorCode		 err = U_ZERO_ERROR;
	UChar32			 ch;
	int32_t			 srclen, normlen, keylen, outlen, i;
	bool			 space;

	if (outsz == 0)
		return -1;
	out[0] = '\0';
	if (textkey_load() == -1)
		return -1;
	if (inlen > TEXTKEY_IN_MAX)
		return -1;

	/* u_strFromUTF8 is the strict one: ill-formed input is an error. */
	icu.from_utf8(src, TEXTKEY_IN_MAX, &srclen, in, (int32_t)inlen, &err);
	if (U_FAILURE(err))
		return -1;
	for (i = 0; i < srclen;) {
		U16_NEXT(src, i, srclen, ch);
		if (icu.char_type(ch) == U_CONTROL_CHAR && !icu.is_space(ch))
			return -1;
	}

	nfkc_cf = icu.nfkc_cf(&err);
	if (U_FAILURE(err))
		return -1;
	normlen = icu.normalize(nfkc_cf, src, srclen, norm, NORM_MAX, &err);
	if (U_FAILURE(err))
		return -1;

	/*
	 * NFKC already maps most spaces to U+0020; White_Space also catches
	 * the ones it keeps (tab, newline, U+1680, U+2028, ...).  A space is
	 * written only in front of a character that follows one, which
	 * drops them at both ends.
	 */
	keylen = 0;
	space = false;
	for (i = 0; i < normlen;) {
		U16_NEXT(norm, i, normlen, ch);
		if (icu.is_space(ch)) {
			space = keylen > 0;
			continue;
		}
		if (space) {
			key[keylen++] = 0x20;
			space = false;
		}
		U16_APPEND_UNSAFE(key, keylen, ch);
	}

	icu.to_utf8(out, outsz > INT32_MAX ? INT32_MAX : (int32_t)outsz,
	    &outlen, key, keylen, &err);
	if (U_FAILURE(err) || err == U_STRING_NOT_TERMINATED_WARNING) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}
