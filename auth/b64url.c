/* Strict base64url (b64url.h), decoded by OpenSSL's EVP_DecodeBlock. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "auth/b64url.h"
#include "lib/xalloc.h"

/* The letter's value, or -1. */
static int
letter(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

ssize_t
b64url_decode(const char *in, size_t len, unsigned char *out, size_t outsz)
{
	size_t		 i, pad, n;
	char		*std;
	unsigned char	*tmp;
	int		 last, got;

	/* One letter left over carries no whole byte. */
	if (len % 4 == 1)
		return -1;
	for (i = 0; i < len; i++)
		if (letter((unsigned char)in[i]) == -1)
			return -1;
	pad = (4 - len % 4) % 4;
	/* The bits past the last whole byte must be zero (one spelling). */
	if (pad > 0) {
		last = letter((unsigned char)in[len - 1]);
		if ((pad == 1 && (last & 0x03) != 0) ||
		    (pad == 2 && (last & 0x0f) != 0))
			return -1;
	}
	n = (len + pad) / 4 * 3 - pad;
	if (n > outsz)
		return -1;
	if (len == 0)
		return 0;
	/* EVP_DecodeBlock speaks standard base64 with padding, and writes
	 * whole groups of three: decode into a scratch copy first. */
	std = xmalloc(len + pad + 1);
	for (i = 0; i < len; i++)
		std[i] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
	memset(std + len, '=', pad);
	std[len + pad] = '\0';
	tmp = xmalloc((len + pad) / 4 * 3);
	got = EVP_DecodeBlock(tmp, (const unsigned char *)std, (int)(len + pad));
	if (got >= 0 && (size_t)got == n + pad)
		memcpy(out, tmp, n);
	else
		got = -1;
	free(tmp);
	free(std);
	return got == -1 ? -1 : (ssize_t)n;
}
