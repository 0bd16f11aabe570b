/*
 * base64url without padding (RFC 7515 §2), strictly: only the 64 letters,
 * no '=', no whitespace, and the unused low bits of the last letter zero,
 * so one byte string has exactly one spelling (a flipped bit anywhere in
 * a token is a different token).  OpenSSL does the decoding.
 */
#ifndef CXHOOK_B64URL_H
#define CXHOOK_B64URL_H

#include <stddef.h>
#include <sys/types.h>

/* Bytes len letters decode into (an upper bound when len is invalid). */
#define B64URL_DECODED_MAX(len)	((len) / 4 * 3 + 3)

/* Decodes in[0..len) into out; the byte count, or -1 if not base64url. */
ssize_t	b64url_decode(const char *in, size_t len, unsigned char *out,
	    size_t outsz);

#endif
