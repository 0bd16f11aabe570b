/*
 * Cache-key normalisation with ICU (see textkey.h).
 *
 * ICU works in UTF-16, so the text goes UTF-8 -> UTF-16 -> NFKC_Casefold
 * -> spaces collapsed -> UTF-8, through fixed buffers on the stack: the
 * input is short (a place name) and bounded, and a key function that can
 * fail to allocate would need an error path no one tests.
 */
#include <stdbool.h>
#include <stdint.h>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#include "lib/textkey.h"

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
	if (inlen > TEXTKEY_IN_MAX)
		return -1;

	/* u_strFromUTF8 is the strict one: ill-formed input is an error. */
	u_strFromUTF8(src, TEXTKEY_IN_MAX, &srclen, in, (int32_t)inlen, &err);
	if (U_FAILURE(err))
		return -1;
	for (i = 0; i < srclen;) {
		U16_NEXT(src, i, srclen, ch);
		if (u_charType(ch) == U_CONTROL_CHAR && !u_isUWhiteSpace(ch))
			return -1;
	}

	nfkc_cf = unorm2_getNFKCCasefoldInstance(&err);
	if (U_FAILURE(err))
		return -1;
	normlen = unorm2_normalize(nfkc_cf, src, srclen, norm, NORM_MAX, &err);
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
		if (u_isUWhiteSpace(ch)) {
			space = keylen > 0;
			continue;
		}
		if (space) {
			key[keylen++] = 0x20;
			space = false;
		}
		U16_APPEND_UNSAFE(key, keylen, ch);
	}

	u_strToUTF8(out, outsz > INT32_MAX ? INT32_MAX : (int32_t)outsz,
	    &outlen, key, keylen, &err);
	if (U_FAILURE(err) || err == U_STRING_NOT_TERMINATED_WARNING) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}
