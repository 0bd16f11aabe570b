/*
 * Google ID tokens (RS256 JWTs) as Dialogflow CX sends them: the whole
 * check of one token against a key set and the configured audiences and
 * service-agent addresses.  Everything that can be refused without
 * cryptography is refused first: the size, the three parts, strict
 * base64url, strict JSON (no duplicate keys, nothing after the object),
 * alg exactly RS256 and a kid.  Then the RSA PKCS #1 v1.5 SHA-256
 * signature over the bytes received, by OpenSSL; then the claims.
 */
#ifndef CXHOOK_IDTOKEN_H
#define CXHOOK_IDTOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "auth/auth.h"

#define IDTOKEN_MAX		4096	/* bytes of a token */
#define IDTOKEN_SKEW_S		60	/* clock difference allowed */
#define IDTOKEN_LIFETIME_MAX_S	86400	/* exp - iat */

/*
 * AR_OK or why not.  AR_UNKNOWN_KID means the set lacks the token's key:
 * the caller may refetch and ask again.  got receives the refused aud or
 * email (AUTH_GOT_MAX bytes at most), for the log; *exp the token's exp
 * when it is AR_OK.
 */
enum auth_reason idtoken_check(const char *token, struct auth_keys *,
		    const char *const *audiences, const char *const *emails,
		    int64_t now_unix, char got[AUTH_GOT_MAX + 1], int64_t *exp);

#endif
