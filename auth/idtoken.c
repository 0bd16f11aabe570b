/* Google ID-token verification (idtoken.h). */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "auth/b64url.h"
#include "auth/idtoken.h"
#include "auth/keys.h"
#include "cx/cx.h"
#include "cx/json.h"
#include "cx/json_strict.h"

#define JSON_DEPTH	8

static const char *const issuers[] = {
	"https://accounts.google.com", "accounts.google.com", NULL
};

/* The token's parts, decoded; freed by jwt_clear(). */
struct jwt {
	json_object	*header;
	json_object	*claims;
	unsigned char	*sig;
	size_t		 siglen;
	size_t		 signed_len;	/* of "header.payload" as received */
};

static void
jwt_clear(struct jwt *t)
{
	json_object_put(t->header);
	json_object_put(t->claims);
	free(t->sig);
}

/* A part that must be one strict JSON object; NULL if it is not. */
static json_object *
json_part(const char *p, size_t len)
{
	unsigned char	*raw;
	json_object	*o = NULL;
	struct cx_err	 err;
	ssize_t		 n;

	raw = malloc(B64URL_DECODED_MAX(len) + 1);
	if (raw == NULL)
		return NULL;
	if ((n = b64url_decode(p, len, raw, B64URL_DECODED_MAX(len))) > 0) {
		raw[n] = '\0';
		if (json_strict_check((char *)raw, (size_t)n, JSON_DEPTH,
		    &err) == 0)
			o = cx_json_parse((char *)raw, (size_t)n);
	}
	free(raw);
	return o;
}

/* Splits and decodes; AR_OK or AR_MALFORMED. */
static enum auth_reason
jwt_split(const char *tok, struct jwt *t)
{
	const char	*dot1, *dot2;
	size_t		 len = strnlen(tok, IDTOKEN_MAX + 1), slen;
	ssize_t		 n;

	if (len > IDTOKEN_MAX || (dot1 = memchr(tok, '.', len)) == NULL ||
	    (dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - tok))) ==
	    NULL || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - tok)) !=
	    NULL)
		return AR_MALFORMED;
	t->signed_len = (size_t)(dot2 - tok);
	slen = len - t->signed_len - 1;
	if ((t->header = json_part(tok, (size_t)(dot1 - tok))) == NULL ||
	    (t->claims = json_part(dot1 + 1, (size_t)(dot2 - dot1 - 1))) ==
	    NULL)
		return AR_MALFORMED;
	/* An empty signature ("alg": "none") is told apart by the caller. */
	t->sig = malloc(B64URL_DECODED_MAX(slen));
	if (t->sig == NULL || (n = b64url_decode(dot2 + 1, slen, t->sig,
	    B64URL_DECODED_MAX(slen))) < 0)
		return AR_MALFORMED;
	t->siglen = (size_t)n;
	return AR_OK;
}

static const char *
str_claim(json_object *o, const char *name)
{
	json_object	*v;

	if (!json_object_object_get_ex(o, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/*
 * A NumericDate claim; false if absent, not a number, or outside 1970 to
 * about 5000 (so that the arithmetic on it cannot overflow).
 */
#define TIME_MAX	100000000000LL

static bool
time_claim(json_object *o, const char *name, int64_t *out)
{
	json_object	*v;
	double		 d;

	if (!json_object_object_get_ex(o, name, &v))
		return false;
	if (json_object_is_type(v, json_type_int))
		*out = json_object_get_int64(v);
	else if (json_object_is_type(v, json_type_double)) {
		d = json_object_get_double(v);
		if (!isfinite(d) || d < 0 || d > (double)TIME_MAX)
			return false;
		*out = (int64_t)floor(d);
	} else
		return false;
	return *out >= 0 && *out <= TIME_MAX;
}

static bool
listed(const char *s, const char *const *list)
{
	for (; s != NULL && list != NULL && *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

static void
keep_got(char got[AUTH_GOT_MAX + 1], const char *s)
{
	snprintf(got, AUTH_GOT_MAX + 1, "%s", s != NULL ? s : "(none)");
}

/* aud is a string, or an array of strings one of which must match. */
static enum auth_reason
check_audience(json_object *claims, const char *const *audiences,
    char got[AUTH_GOT_MAX + 1])
{
	json_object	*v, *e;
	size_t		 i, n;

	if (!json_object_object_get_ex(claims, "aud", &v)) {
		keep_got(got, NULL);
		return AR_WRONG_AUDIENCE;
	}
	if (json_object_is_type(v, json_type_string)) {
		if (listed(json_object_get_string(v), audiences))
			return AR_OK;
		keep_got(got, json_object_get_string(v));
		return AR_WRONG_AUDIENCE;
	}
	if (!json_object_is_type(v, json_type_array))
		return AR_MALFORMED;
	n = json_object_array_length(v);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(v, i);
		if (json_object_is_type(e, json_type_string) &&
		    listed(json_object_get_string(e), audiences))
			return AR_OK;
	}
	e = n > 0 ? json_object_array_get_idx(v, 0) : NULL;
	keep_got(got, json_object_is_type(e, json_type_string) ?
	    json_object_get_string(e) : NULL);
	return AR_WRONG_AUDIENCE;
}

static enum auth_reason
check_claims(json_object *c, const char *const *audiences,
    const char *const *emails, int64_t now, char got[AUTH_GOT_MAX + 1],
    int64_t *exp_out)
{
	json_object	*v;
	enum auth_reason r;
	int64_t		 exp, iat;

	if (!time_claim(c, "exp", &exp) || !time_claim(c, "iat", &iat))
		return AR_MALFORMED;
	*exp_out = exp;
	if (now > exp + IDTOKEN_SKEW_S || exp - iat > IDTOKEN_LIFETIME_MAX_S)
		return AR_EXPIRED;
	if (iat > now + IDTOKEN_SKEW_S)
		return AR_NOT_YET_VALID;
	if (!listed(str_claim(c, "iss"), issuers))
		return AR_WRONG_ISSUER;
	if ((r = check_audience(c, audiences, got)) != AR_OK)
		return r;
	if (!listed(str_claim(c, "email"), emails)) {
		keep_got(got, str_claim(c, "email"));
		return AR_WRONG_EMAIL;
	}
	if (!json_object_object_get_ex(c, "email_verified", &v) ||
	    !json_object_is_type(v, json_type_boolean) ||
	    !json_object_get_boolean(v))
		return AR_EMAIL_UNVERIFIED;
	return AR_OK;
}

static bool
signature_ok(EVP_PKEY *key, const char *tok, const struct jwt *t)
{
	EVP_MD_CTX	*ctx;
	bool		 ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return false;
	ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestVerify(ctx, t->sig, t->siglen,
	    (const unsigned char *)tok, t->signed_len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

enum auth_reason
idtoken_check(const char *tok, struct auth_keys *keys,
    const char *const *audiences, const char *const *emails, int64_t now,
    char got[AUTH_GOT_MAX + 1], int64_t *exp)
{
	struct jwt	 t = { 0 };
	enum auth_reason r;
	const char	*alg, *kid;
	EVP_PKEY	*key;

	got[0] = '\0';
	if ((r = jwt_split(tok, &t)) != AR_OK)
		goto out;
	/* Exactly RS256: never none, HS* (key confusion) or another curve. */
	alg = str_claim(t.header, "alg");
	if (alg == NULL || strcmp(alg, "RS256") != 0) {
		r = AR_BAD_ALG;
		goto out;
	}
	/* Extensions a verifier must understand are not understood here. */
	if (t.siglen == 0 ||
	    json_object_object_get_ex(t.header, "crit", NULL) ||
	    (kid = str_claim(t.header, "kid")) == NULL) {
		r = AR_MALFORMED;
		goto out;
	}
	if ((key = auth_keys_find(keys, kid)) == NULL) {
		r = AR_UNKNOWN_KID;
		goto out;
	}
	if (!signature_ok(key, tok, &t)) {
		r = AR_BAD_SIGNATURE;
		goto out;
	}
	r = check_claims(t.claims, audiences, emails, now, got, exp);
out:
	jwt_clear(&t);
	return r;
}
