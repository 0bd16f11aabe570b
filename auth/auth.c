/*
 * The [auth] decision for one request (auth.h).
 *
 * Each configured credential mode looks at what the web server passed on
 * and gives a reason; the request passes when one of them says AR_OK (and
 * the client certificate, when required, does too).  A refused request is
 * answered with the most useful status any mode earned: 503 when an ID
 * token could not be checked for want of keys (the caller did nothing
 * wrong: retry), else 403 when a credential was well formed but wrong,
 * else 401 (none at all, or none that could be read).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth/auth.h"
#include "auth/b64url.h"
#include "auth/idtoken.h"
#include "auth/keys.h"

#define BASIC_MAX	1024	/* bytes of a decoded user:password */

static const char *const mode_names[AUTH_MODES] = {
	"bearer", "basic", "header", "id_token", "client_cert"
};

static const char *const reason_names[AUTH_REASONS] = {
	"ok", "absent", "malformed", "bad_alg", "unknown_kid",
	"bad_signature", "expired", "not_yet_valid", "wrong_issuer",
	"wrong_audience", "wrong_email", "email_unverified", "no_keys",
	"wrong_token", "bad_basic", "bad_header", "no_client_cert",
	"bad_client_cert", "wrong_client_dn"
};

const char *
auth_mode_name(enum auth_mode m)
{
	return m < AUTH_MODES ? mode_names[m] : "?";
}

const char *
auth_reason_name(enum auth_reason r)
{
	return r < AUTH_REASONS ? reason_names[r] : "?";
}

/*
 * SHA-256, fetched from OpenSSL's provider once per process: the
 * EVP_sha256() shorthand looks it up again on every digest, which costs
 * more than hashing a token.
 */
static const EVP_MD *
sha256(void)
{
	static EVP_MD	*md;

	if (md == NULL && (md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		return EVP_sha256();
	return md;
}

bool
auth_mode_on(const struct auth_settings *s, enum auth_mode m)
{
	switch (m) {
	case AUTH_BEARER:	return s->bearer_token != NULL;
	case AUTH_BASIC:	return s->basic_user != NULL;
	case AUTH_HEADER:	return s->header_value != NULL;
	case AUTH_ID_TOKEN:	return s->audiences != NULL;
	case AUTH_CLIENT_CERT:	return s->client_cert;
	default:		return false;
	}
}

bool
auth_configured(const struct auth_settings *s)
{
	int	m;

	for (m = 0; m < AUTH_MODES; m++)
		if (auth_mode_on(s, m))
			return true;
	return false;
}

/*
 * Whether a (alen bytes) equals the NUL-terminated secret b, in time that
 * depends on neither's content (CRYPTO_memcmp), so that a secret cannot
 * be guessed byte by byte.  Both are hashed first so that the lengths
 * need not match for the comparison to run.
 */
static bool
secret_eq(const char *a, size_t alen, const char *b)
{
	unsigned char	ha[EVP_MAX_MD_SIZE], hb[EVP_MAX_MD_SIZE];
	unsigned int	na = 0, nb = 0;

	if (!EVP_Digest(a, alen, ha, &na, sha256(), NULL) ||
	    !EVP_Digest(b, strlen(b), hb, &nb, sha256(), NULL) ||
	    na != nb)
		return false;
	return CRYPTO_memcmp(ha, hb, na) == 0;
}

/* The credentials after "Scheme ", or NULL if auth is of another scheme. */
static const char *
scheme(const char *auth, const char *name)
{
	size_t	n = strlen(name);

	if (auth == NULL || strncasecmp(auth, name, n) != 0 || auth[n] != ' ')
		return NULL;
	auth += n;
	while (*auth == ' ')
		auth++;
	return auth;
}

static enum auth_reason
check_bearer(const struct auth_settings *s, const char *auth)
{
	const char	*tok = scheme(auth, "Bearer");

	if (tok == NULL)
		return AR_ABSENT;
	return secret_eq(tok, strlen(tok), s->bearer_token) ? AR_OK :
	    AR_WRONG_TOKEN;
}

static enum auth_reason
check_basic(const struct auth_settings *s, const char *auth)
{
	unsigned char	 raw[BASIC_MAX + 1];
	const char	*cred = scheme(auth, "Basic"), *colon;
	char		*std;
	size_t		 len, i, ulen;
	ssize_t		 n;
	bool		 user_ok, pass_ok;

	if (cred == NULL)
		return AR_ABSENT;
	/* Standard base64 with padding (RFC 7617): map it to base64url. */
	len = strlen(cred);
	while (len > 0 && cred[len - 1] == '=')
		len--;
	if (len > BASIC_MAX / 3 * 4 + 4 || strcspn(cred, "-_") < len)
		return AR_MALFORMED;
	if ((std = strndup(cred, len)) == NULL)
		return AR_MALFORMED;
	for (i = 0; i < len; i++)
		std[i] = std[i] == '+' ? '-' : std[i] == '/' ? '_' : std[i];
	n = b64url_decode(std, len, raw, BASIC_MAX);
	free(std);
	if (n <= 0 || memchr(raw, '\0', (size_t)n) != NULL ||
	    (colon = memchr(raw, ':', (size_t)n)) == NULL)
		return AR_MALFORMED;
	ulen = (size_t)(colon - (const char *)raw);
	/* Both compared, whatever the first says: no timing of which. */
	user_ok = secret_eq((const char *)raw, ulen, s->basic_user);
	pass_ok = secret_eq(colon + 1, (size_t)n - ulen - 1, s->basic_password);
	OPENSSL_cleanse(raw, sizeof(raw));
	return user_ok && pass_ok ? AR_OK : AR_BAD_BASIC;
}

static enum auth_reason
check_header(const struct auth_settings *s, const char *value)
{
	if (value == NULL || *value == '\0')
		return AR_ABSENT;
	return secret_eq(value, strlen(value), s->header_value) ? AR_OK :
	    AR_BAD_HEADER;
}

static enum auth_reason
check_id_token(const struct auth_settings *s, struct auth_keys *keys,
    const struct auth_in *in, int64_t now, struct auth_result *res)
{
	const char	*tok = scheme(in->authorization, "Bearer");
	unsigned char	 sha[EVP_MAX_MD_SIZE];
	enum auth_reason r;
	int64_t		 exp = 0;
	size_t		 len;

	if (tok == NULL)
		return AR_ABSENT;
	if (!auth_keys_refresh(keys))
		return AR_NO_KEYS;
	/* Over the size a token may have, it is refused unhashed. */
	len = strnlen(tok, IDTOKEN_MAX + 1);
	if (len <= IDTOKEN_MAX &&
	    EVP_Digest(tok, len, sha, NULL, sha256(), NULL) &&
	    auth_keys_cached(keys, sha, now))
		return AR_OK;
	r = idtoken_check(tok, keys, s->audiences, s->emails, now, res->got,
	    &exp);
	/* A key the set lacks may be a rotation we have not seen yet. */
	if (r == AR_UNKNOWN_KID && auth_keys_refetch(keys, in->deadline_ms))
		r = idtoken_check(tok, keys, s->audiences, s->emails, now,
		    res->got, &exp);
	if (r == AR_OK && len <= IDTOKEN_MAX)
		auth_keys_remember(keys, sha, exp);
	return r;
}

static enum auth_reason
check_client_cert(const struct auth_settings *s, const struct auth_in *in)
{
	const char	*v = in->client_verify;

	if (v == NULL || *v == '\0' || strcmp(v, "NONE") == 0)
		return AR_NO_CLIENT_CERT;
	if (strcmp(v, "SUCCESS") != 0)
		return AR_BAD_CLIENT_CERT;
	if (s->client_cert_dn != NULL && (in->client_dn == NULL ||
	    strcmp(in->client_dn, s->client_cert_dn) != 0))
		return AR_WRONG_CLIENT_DN;
	return AR_OK;
}

/* What a refusal for reason r answers. */
static int
status_of(enum auth_reason r)
{
	switch (r) {
	case AR_OK:
		return 0;
	case AR_ABSENT:
	case AR_MALFORMED:
		return 401;
	case AR_NO_KEYS:
		return 503;
	default:
		return 403;
	}
}

static int
worse(int a, int b)
{
	/* 503 > 403 > 401: the most useful thing to tell the caller. */
	return a > b ? a : b;
}

void
auth_check(const struct auth_settings *s, struct auth_keys *keys,
    const struct auth_in *in, int64_t now, struct auth_result *res)
{
	enum auth_reason *r = res->reason;
	bool		  any = false;
	int		  m, status = 0;

	memset(res, 0, sizeof(*res));
	for (m = 0; m < AUTH_MODES; m++)
		r[m] = AR_ABSENT;
	if (auth_mode_on(s, AUTH_BEARER))
		r[AUTH_BEARER] = check_bearer(s, in->authorization);
	if (auth_mode_on(s, AUTH_BASIC))
		r[AUTH_BASIC] = check_basic(s, in->authorization);
	if (auth_mode_on(s, AUTH_HEADER))
		r[AUTH_HEADER] = check_header(s, in->header);
	if (auth_mode_on(s, AUTH_ID_TOKEN) &&
	    r[AUTH_BEARER] != AR_OK)
		r[AUTH_ID_TOKEN] = check_id_token(s, keys, in, now, res);
	for (m = 0; m < AUTH_CLIENT_CERT; m++) {
		if (!auth_mode_on(s, m))
			continue;
		any = true;
		if (r[m] == AR_OK) {
			res->mode = m;
			break;
		}
	}
	/* A credential mode accepted (or none is configured)? */
	if (!any || m < AUTH_CLIENT_CERT) {
		if (auth_mode_on(s, AUTH_CLIENT_CERT) &&
		    (r[AUTH_CLIENT_CERT] = check_client_cert(s, in)) != AR_OK)
			res->status = 403;
		else if (!any && auth_mode_on(s, AUTH_CLIENT_CERT))
			res->mode = AUTH_CLIENT_CERT;
		return;
	}
	/*
	 * Refused: the certificate is judged too, and its refusal (always
	 * 403) counts like any mode's, so that a caller with neither
	 * certificate nor credential hears 403, not an invitation to send a
	 * token that could not help.
	 */
	if (auth_mode_on(s, AUTH_CLIENT_CERT) &&
	    (r[AUTH_CLIENT_CERT] = check_client_cert(s, in)) != AR_OK)
		status = 403;
	for (m = 0; m < AUTH_CLIENT_CERT; m++)
		if (auth_mode_on(s, m))
			status = worse(status, status_of(r[m]));
	res->status = status;
}

void
auth_explain(const struct auth_settings *s, const struct auth_result *res,
    struct buf *b)
{
	int	m;

	for (m = 0; m < AUTH_MODES; m++) {
		if (!auth_mode_on(s, m))
			continue;
		buf_printf(b, "%s%s=%s", b->len > 0 ? " " : "",
		    mode_names[m], reason_names[res->reason[m]]);
		if ((res->reason[m] == AR_WRONG_AUDIENCE ||
		    res->reason[m] == AR_WRONG_EMAIL) && res->got[0] != '\0')
			buf_printf(b, " got=%s", res->got);
	}
}

const char *
auth_challenge(const struct auth_settings *s)
{
	bool	bearer = auth_mode_on(s, AUTH_BEARER) ||
		    auth_mode_on(s, AUTH_ID_TOKEN);
	bool	basic = auth_mode_on(s, AUTH_BASIC);

	if (bearer && basic)
		return "Bearer realm=\"cxhook\", Basic realm=\"cxhook\", "
		    "charset=\"UTF-8\"";
	if (basic)
		return "Basic realm=\"cxhook\", charset=\"UTF-8\"";
	if (bearer)
		return "Bearer realm=\"cxhook\"";
	/* A header secret has no standard scheme; name it anyway. */
	return "Header realm=\"cxhook\"";
}
