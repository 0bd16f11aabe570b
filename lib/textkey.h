/*
 * Cache keys from what people type: "São Paulo", "SAO PAULO " and
 * "ＳＡＯ　ＰＡＵＬＯ" should find the same entry when they mean the same
 * place, and the key must not depend on which Unicode form the client
 * happened to send.
 */
#ifndef CXHOOK_TEXTKEY_H
#define CXHOOK_TEXTKEY_H

#include <stddef.h>

#define TEXTKEY_IN_MAX	256	/* longest input, in bytes */

/*
 * Normalises the UTF-8 text in[0..inlen) into a NUL-terminated key in out:
 *   - Unicode NFKC_Casefold (ICU's, locale-independent): compatibility
 *     forms such as fullwidth letters and ligatures are unfolded, case is
 *     folded ("Straße" -> "strasse"), NFC and NFD input give the same key,
 *     and default-ignorable characters (soft hyphen, zero-width space,
 *     ...) are dropped.  There is no Turkish special case: "İstanbul"
 *     becomes "i\u0307stanbul", not "istanbul";
 *   - every run of Unicode White_Space (space, U+00A0, U+3000, the U+2000
 *     block, and tab, newline, CR, VT, FF and U+0085 too: a pasted line
 *     break means a space) becomes one U+0020, and none is left at either
 *     end.  Text that is all space gives the empty key, and 0.
 *
 * Returns 0, or -1, with out set to "" when outsz > 0, if inlen exceeds
 * TEXTKEY_IN_MAX, if the input is not well-formed UTF-8 (overlong forms and
 * encoded surrogates included), if it holds U+0000 or any other control
 * character that is not white space, or if the key and its NUL do not fit
 * in outsz bytes.  in need not be NUL-terminated.  Uses only the stack.
 */
int	textkey_normalize(const char *in, size_t inlen, char *out,
	    size_t outsz);

/*
 * Loads ICU now (textkey_normalize loads it on first use otherwise); 0,
 * or -1 when it cannot be (then every key fails, said once in the log).
 */
int	textkey_load(void);

#endif
