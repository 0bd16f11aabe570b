/*
 * Unit tests for [auth] (auth/): strict base64url, JWKS documents and
 * their cache lifetime, Google ID tokens (every forged variant a test can
 * mint, with keys made here), and the decision over all the modes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include "auth/auth.h"
#include "auth/b64url.h"
#include "auth/idtoken.h"
#include "auth/keys.h"
#include "lib/buf.h"
#include "lib/clock.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define AUD		"https://hooks.example.com/webhook"
#define EMAIL		"service-123456789012@gcp-sa-dialogflow.iam.gserviceaccount.com"
#define OTHER_EMAIL	"someone@attacker-project.iam.gserviceaccount.com"

static const char *const audiences[] = { AUD, NULL };
static const char *const emails[] = { EMAIL, NULL };

/* Keys made once for the whole file: RSA-2048 is slow to generate. */
static EVP_PKEY	*key_a, *key_b, *key_ec, *key_small;

/* ---- minting ---- */

static void
b64url_put(struct buf *b, const unsigned char *p, size_t n)
{
	char	*tmp = malloc(n / 3 * 4 + 8);
	int	 len, i;

	len = EVP_EncodeBlock((unsigned char *)tmp, p, (int)n);
	for (i = 0; i < len; i++) {
		if (tmp[i] == '=')
			break;
		buf_putc(b, tmp[i] == '+' ? '-' : tmp[i] == '/' ? '_' :
		    tmp[i]);
	}
	free(tmp);
}

static void
sign_rs256(EVP_PKEY *k, const char *data, size_t len, unsigned char *sig,
    size_t *siglen)
{
	EVP_MD_CTX	*ctx = EVP_MD_CTX_new();

	assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k),
	    1);
	assert_int_equal(EVP_DigestSign(ctx, sig, siglen,
	    (const unsigned char *)data, len), 1);
	EVP_MD_CTX_free(ctx);
}

/* "header.payload.signature" from JSON texts; signed by k with alg. */
static char *
mint_raw(const char *header, const char *payload, EVP_PKEY *k,
    const char *alg)
{
	struct buf	 b;
	unsigned char	 sig[1024];
	size_t		 siglen = sizeof(sig);
	unsigned int	 hlen = 0;
	char		*pem = NULL;
	long		 pemlen;
	BIO		*bio;

	buf_init(&b);
	b64url_put(&b, (const unsigned char *)header, strlen(header));
	buf_putc(&b, '.');
	b64url_put(&b, (const unsigned char *)payload, strlen(payload));
	if (strcmp(alg, "RS256") == 0 || strcmp(alg, "ES256") == 0) {
		sign_rs256(k, b.p, b.len, sig, &siglen);
	} else if (strcmp(alg, "HS256") == 0) {
		/* Key confusion: the RSA public key's PEM as an HMAC key. */
		bio = BIO_new(BIO_s_mem());
		PEM_write_bio_PUBKEY(bio, k);
		pemlen = BIO_get_mem_data(bio, &pem);
		HMAC(EVP_sha256(), pem, (int)pemlen, (unsigned char *)b.p,
		    b.len, sig, &hlen);
		siglen = hlen;
		BIO_free(bio);
	} else
		siglen = 0;	/* "none" */
	buf_putc(&b, '.');
	b64url_put(&b, sig, siglen);
	return b.p;
}

struct claims {
	const char	*alg;
	const char	*kid;
	const char	*iss;
	const char	*aud;		/* JSON text, e.g. "\"...\"" */
	const char	*email;
	const char	*verified;	/* JSON text */
	long long	 iat;		/* relative to now */
	long long	 exp;
	const char	*extra;		/* appended inside the payload */
};

static struct claims
good(void)
{
	struct claims	c = { "RS256", "key-a", "https://accounts.google.com",
	    "\"" AUD "\"", EMAIL, "true", -10, 3590, "" };

	return c;
}

static char *
mint(const struct claims *c, EVP_PKEY *k)
{
	char	header[256], payload[8192];
	time_t	now = time(NULL);

	snprintf(header, sizeof(header),
	    "{\"alg\":\"%s\",\"kid\":\"%s\",\"typ\":\"JWT\"}", c->alg, c->kid);
	snprintf(payload, sizeof(payload),
	    "{\"iss\":\"%s\",\"aud\":%s,\"azp\":\"1234\",\"sub\":\"1234\","
	    "\"email\":\"%s\",\"email_verified\":%s,\"iat\":%lld,"
	    "\"exp\":%lld%s}", c->iss, c->aud, c->email, c->verified,
	    (long long)now + c->iat, (long long)now + c->exp, c->extra);
	return mint_raw(header, payload, k, c->alg);
}

/* ---- keys ---- */

static void
put_bn(struct buf *b, EVP_PKEY *k, const char *name)
{
	BIGNUM		*bn = NULL;
	unsigned char	 bytes[1024];
	int		 n;

	assert_int_equal(EVP_PKEY_get_bn_param(k, name, &bn), 1);
	n = BN_bn2bin(bn, bytes);
	b64url_put(b, bytes, (size_t)n);
	BN_free(bn);
}

/* A JWKS document of the keys (kid i is kids[i]). */
static char *
jwks_of(EVP_PKEY **keys, const char **kids, int n)
{
	struct buf	b;
	int		i;

	buf_init(&b);
	buf_puts(&b, "{\"keys\":[");
	for (i = 0; i < n; i++) {
		buf_printf(&b, "%s{\"kty\":\"RSA\",\"alg\":\"RS256\","
		    "\"use\":\"sig\",\"kid\":\"%s\",\"n\":\"", i ? "," : "",
		    kids[i]);
		put_bn(&b, keys[i], OSSL_PKEY_PARAM_RSA_N);
		buf_puts(&b, "\",\"e\":\"");
		put_bn(&b, keys[i], OSSL_PKEY_PARAM_RSA_E);
		buf_puts(&b, "\"}");
	}
	buf_puts(&b, "]}");
	return b.p;
}

struct ring {
	struct auth_keyring	*kr;
	struct auth_keys	*ak;
};

static void
publish(struct ring *r, EVP_PKEY **keys, const char **kids, int n)
{
	char	*doc = jwks_of(keys, kids, n);

	keyring_publish(r->kr, "http://127.0.0.1/certs", doc, strlen(doc),
	    time(NULL), time(NULL) + 3600);
	free(doc);
}

static int
setup_keys(void **state)
{
	(void)state;
	key_a = EVP_RSA_gen(2048);
	key_b = EVP_RSA_gen(2048);
	key_small = EVP_RSA_gen(1024);
	key_ec = EVP_EC_gen("P-256");
	return key_a && key_b && key_small && key_ec ? 0 : -1;
}

static int
teardown_keys(void **state)
{
	(void)state;
	EVP_PKEY_free(key_a);
	EVP_PKEY_free(key_b);
	EVP_PKEY_free(key_small);
	EVP_PKEY_free(key_ec);
	return 0;
}

/* A ring holding key-a, and a worker's copy of it. */
static struct ring *
ring_a(void)
{
	static struct ring	r;
	static const char	*kids[] = { "key-a" };
	EVP_PKEY		*keys[] = { key_a };

	if (r.kr == NULL)
		r.kr = keyring_create();
	auth_keys_free(r.ak);
	publish(&r, keys, kids, 1);
	r.ak = auth_keys_new(r.kr);
	assert_true(auth_keys_refresh(r.ak));
	return &r;
}

static enum auth_reason
check(const char *tok)
{
	char	got[AUTH_GOT_MAX + 1];
	int64_t	exp;

	return idtoken_check(tok, ring_a()->ak, audiences, emails, time(NULL),
	    got, &exp);
}

/* ---- tests ---- */

static void
test_b64url(void **state)
{
	unsigned char	out[16];

	(void)state;
	assert_int_equal(b64url_decode("aGk", 3, out, sizeof(out)), 2);
	assert_memory_equal(out, "hi", 2);
	assert_int_equal(b64url_decode("", 0, out, sizeof(out)), 0);
	assert_int_equal(b64url_decode("-_-_", 4, out, sizeof(out)), 3);
	/* Padding, standard letters, whitespace, a lone letter. */
	assert_int_equal(b64url_decode("aGk=", 4, out, sizeof(out)), -1);
	assert_int_equal(b64url_decode("+/+/", 4, out, sizeof(out)), -1);
	assert_int_equal(b64url_decode("aG k", 4, out, sizeof(out)), -1);
	assert_int_equal(b64url_decode("aGkxa", 5, out, sizeof(out)), -1);
	/* A second spelling of "hi" (non-zero unused bits). */
	assert_int_equal(b64url_decode("aGl", 3, out, sizeof(out)), -1);
	/* Too long for out. */
	assert_int_equal(b64url_decode("aGVsbG8gd29ybGQ", 15, out, 4), -1);
}

static void
test_jwks(void **state)
{
	struct auth_key	 keys[AUTH_KEYS_MAX];
	EVP_PKEY	*two[] = { key_a, key_b }, *small[] = { key_small };
	const char	*kids[] = { "a", "b" };
	char		 err[128], *doc;
	static const char *const bad[] = {
		"", "[]", "{\"keys\":{}}", "{\"keys\":[]}",
		"{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"x\",\"n\":\"AQAB\","
		    "\"e\":\"AQAB\"}]}",
		"{\"keys\":[],\"keys\":[]}",
	};
	size_t		 i;

	(void)state;
	doc = jwks_of(two, kids, 2);
	assert_int_equal(jwks_parse(doc, strlen(doc), keys, AUTH_KEYS_MAX,
	    err, sizeof(err)), 2);
	assert_string_equal(keys[1].kid, "b");
	assert_int_equal(EVP_PKEY_eq(keys[0].pkey, key_a), 1);
	jwks_free(keys, 2);
	free(doc);
	/* A short key is no key. */
	doc = jwks_of(small, kids, 1);
	assert_int_equal(jwks_parse(doc, strlen(doc), keys, AUTH_KEYS_MAX,
	    err, sizeof(err)), 0);
	free(doc);
	for (i = 0; i < NITEMS(bad); i++)
		assert_int_equal(jwks_parse(bad[i], strlen(bad[i]), keys,
		    AUTH_KEYS_MAX, err, sizeof(err)), 0);
}

static void
test_lifetime(void **state)
{
	static const struct {
		const char	*headers;
		int64_t		 want;
	} t[] = {
		{ "Cache-Control: public, max-age=24873, must-revalidate\r\n"
		    "Age: 5059\r\n", 24873 - 5059 },
		{ "cache-control: max-age=21600\r\n", 21600 },
		{ "Cache-Control: max-age=3600\r\nAge: 600\r\n", 3000 },
		{ "Cache-Control: max-age=10\r\n", 300 },
		{ "Cache-Control: max-age=999999\r\n", 86400 },
		{ "Cache-Control: max-age=3600\r\nAge: 3590\r\n", 300 },
		{ "Cache-Control: no-store\r\n", 300 },
		{ "Cache-Control: s-maxage=7200\r\n", 300 },
		{ "Cache-Control: max-age=-5\r\n", 300 },
		{ "Cache-Control: max-age=3600\r\nAge: junk\r\n", 3600 },
		{ "", 300 },
	};
	size_t	i;

	(void)state;
	for (i = 0; i < NITEMS(t); i++)
		if (jwks_lifetime_s(t[i].headers) != t[i].want)
			fail_msg("\"%s\": %lld, want %lld", t[i].headers,
			    (long long)jwks_lifetime_s(t[i].headers),
			    (long long)t[i].want);
}

static void
test_good_token(void **state)
{
	struct claims	 c = good();
	char		*tok = mint(&c, key_a);

	(void)state;
	assert_int_equal(check(tok), AR_OK);
	free(tok);
	/* The other issuer spelling, an aud list, a float time. */
	c.iss = "accounts.google.com";
	c.aud = "[\"https://elsewhere.example\",\"" AUD "\"]";
	tok = mint(&c, key_a);
	assert_int_equal(check(tok), AR_OK);
	free(tok);
}

/* One bit of the token's text changed at offset, re-encoded properly. */
static char *
flip(const char *tok, int part)
{
	const char	*start = tok, *end;
	unsigned char	 raw[4096];
	struct buf	 b;
	ssize_t		 n;
	int		 i;

	for (i = 0; i < part; i++)
		start = strchr(start, '.') + 1;
	end = start + strcspn(start, ".");
	n = b64url_decode(start, (size_t)(end - start), raw, sizeof(raw));
	assert_true(n > 0);
	raw[n / 2] ^= 0x01;
	buf_init(&b);
	buf_append(&b, tok, (size_t)(start - tok));
	b64url_put(&b, raw, (size_t)n);
	buf_puts(&b, end);
	return b.p;
}

static void
test_forged_tokens(void **state)
{
	struct claims	 c;
	char		*tok, *f;
	enum auth_reason r;
	int		 part;

	(void)state;
#define EXPECT(expr, reason) do {					\
	c = good(); expr;						\
	tok = mint(&c, key_a);						\
	if (check(tok) != (reason))					\
		fail_msg("%s: %s, want %s", #expr,			\
		    auth_reason_name(check(tok)), auth_reason_name(reason)); \
	free(tok);							\
} while (0)
	EXPECT(c.alg = "none", AR_BAD_ALG);
	EXPECT(c.alg = "HS256", AR_BAD_ALG);
	EXPECT(c.alg = "RS512", AR_BAD_ALG);
	EXPECT(c.kid = "key-z", AR_UNKNOWN_KID);
	EXPECT(c.exp = -3600, AR_EXPIRED);
	EXPECT((c.iat = -90000, c.exp = 3600), AR_EXPIRED);
	EXPECT(c.iat = 3600, AR_NOT_YET_VALID);
	EXPECT(c.iss = "https://evil.example.com", AR_WRONG_ISSUER);
	EXPECT(c.aud = "\"https://other.example/webhook\"", AR_WRONG_AUDIENCE);
	EXPECT(c.aud = "[]", AR_WRONG_AUDIENCE);
	EXPECT(c.aud = "42", AR_MALFORMED);
	EXPECT(c.email = OTHER_EMAIL, AR_WRONG_EMAIL);
	EXPECT(c.verified = "false", AR_EMAIL_UNVERIFIED);
	EXPECT(c.verified = "\"true\"", AR_EMAIL_UNVERIFIED);
	/* Times no arithmetic can overflow on, and no other types. */
	EXPECT(c.exp = 200000000000LL, AR_MALFORMED);
	EXPECT(c.exp = -2000000000LL, AR_MALFORMED);
	/* Within the skew both ways. */
	EXPECT(c.exp = -30, AR_OK);
	EXPECT(c.iat = 30, AR_OK);
#undef EXPECT
	/* ES256 by a P-256 key, with RS256's kid. */
	c = good();
	c.alg = "ES256";
	tok = mint(&c, key_ec);
	assert_int_equal(check(tok), AR_BAD_ALG);
	free(tok);
	/* Signed by another RSA key under key-a's kid. */
	c = good();
	tok = mint(&c, key_b);
	assert_int_equal(check(tok), AR_BAD_SIGNATURE);
	free(tok);
	/*
	 * One bit flipped in the header, the payload, the signature.  A flip
	 * in the JSON may also break its syntax (a quote becomes '#'), so
	 * there either reason will do; never acceptance.
	 */
	c = good();
	tok = mint(&c, key_a);
	for (part = 0; part < 3; part++) {
		f = flip(tok, part);
		r = check(f);
		if (r != AR_BAD_SIGNATURE && (part == 2 || r != AR_MALFORMED))
			fail_msg("bit flipped in part %d: %s", part,
			    auth_reason_name(r));
		free(f);
	}
	free(tok);
}

static void
test_malformed_tokens(void **state)
{
	struct claims	 c = good();
	char		*tok = mint(&c, key_a), *t2, big[5000];
	const char	*dot2 = strrchr(tok, '.');
	struct buf	 b;

	(void)state;
	/* Two parts, four parts, bad letters, padding, empty signature. */
	t2 = strndup(tok, (size_t)(dot2 - tok));
	assert_int_equal(check(t2), AR_MALFORMED);
	free(t2);
	buf_init(&b);
	buf_printf(&b, "%s.AAAA", tok);
	assert_int_equal(check(b.p), AR_MALFORMED);
	buf_reset(&b);
	buf_printf(&b, "%s=", tok);
	assert_int_equal(check(b.p), AR_MALFORMED);
	buf_reset(&b);
	buf_printf(&b, "%.*s*%s", (int)(dot2 - tok - 1), tok, dot2);
	assert_int_equal(check(b.p), AR_MALFORMED);
	buf_reset(&b);
	buf_printf(&b, "%.*s.", (int)(dot2 - tok), tok);
	assert_int_equal(check(b.p), AR_MALFORMED);
	buf_clear(&b);
	free(tok);
	/* Duplicate keys, trailing garbage, not an object: refused before
	 * any signature is looked at, so signing them is not needed. */
	tok = mint_raw("{\"alg\":\"RS256\",\"kid\":\"key-a\"}",
	    "{\"email\":\"" OTHER_EMAIL "\",\"email\":\"" EMAIL "\"}", key_a,
	    "RS256");
	assert_int_equal(check(tok), AR_MALFORMED);
	free(tok);
	tok = mint_raw("{\"alg\":\"RS256\",\"kid\":\"key-a\"}x", "{}", key_a,
	    "RS256");
	assert_int_equal(check(tok), AR_MALFORMED);
	free(tok);
	tok = mint_raw("[\"RS256\"]", "{}", key_a, "RS256");
	assert_int_equal(check(tok), AR_MALFORMED);
	free(tok);
	tok = mint_raw("{\"alg\":\"RS256\",\"kid\":\"key-a\",\"crit\":[\"b64\"]}",
	    "{}", key_a, "RS256");
	assert_int_equal(check(tok), AR_MALFORMED);
	free(tok);
	/* Over 4 KiB. */
	c = good();
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, ",\"pad\":\"", 8);
	strcpy(big + sizeof(big) - 3, "\"");
	c.extra = big;
	tok = mint(&c, key_a);
	assert_true(strlen(tok) > IDTOKEN_MAX);
	assert_int_equal(check(tok), AR_MALFORMED);
	free(tok);
}

static void
test_rotation_and_rationing(void **state)
{
	struct ring	*r = ring_a();
	struct claims	 c = good();
	EVP_PKEY	*both[] = { key_a, key_b };
	const char	*kids[] = { "key-a", "key-b" };
	char		 got[AUTH_GOT_MAX + 1], *tok;
	uint32_t	 want;
	int64_t		 exp;

	(void)state;
	c.kid = "key-b";
	tok = mint(&c, key_b);
	want = keyring_wants(r->kr);
	/* Unknown: one ask, then none for a minute, whoever asks. */
	assert_int_equal(idtoken_check(tok, r->ak, audiences, emails,
	    time(NULL), got, &exp), AR_UNKNOWN_KID);
	assert_false(auth_keys_refetch(r->ak, now_ms() + 50));
	assert_int_equal(keyring_wants(r->kr), want + 1);
	assert_false(auth_keys_refetch(r->ak, now_ms()));
	assert_false(auth_keys_refetch(r->ak, now_ms()));
	assert_int_equal(keyring_wants(r->kr), want + 1);
	/* The fetcher publishes the rotated set: the worker takes it up. */
	publish(r, both, kids, 2);
	assert_true(auth_keys_refresh(r->ak));
	assert_int_equal(idtoken_check(tok, r->ak, audiences, emails,
	    time(NULL), got, &exp), AR_OK);
	free(tok);
}

/* ---- the decision ---- */

static char *
basic(const char *userpass)
{
	struct buf	b;
	char		enc[256];

	EVP_EncodeBlock((unsigned char *)enc, (const unsigned char *)userpass,
	    (int)strlen(userpass));
	buf_init(&b);
	buf_printf(&b, "Basic %s", enc);
	return b.p;
}

static int
decide(const struct auth_settings *s, const char *authz, const char *hdr,
    const char *verify, const char *dn, struct auth_result *res)
{
	struct auth_in	in = { authz, hdr, verify, dn, now_ms() + 100 };

	auth_check(s, ring_a()->ak, &in, time(NULL), res);
	return res->status;
}

static void
test_decision(void **state)
{
	struct auth_settings	 s = { 0 };
	struct auth_result	 res;
	struct claims		 c = good();
	char			*tok = mint(&c, key_a), *bearer, *b;
	struct buf		 why;

	(void)state;
	if (asprintf(&bearer, "Bearer %s", tok) == -1)
		fail();
	s.bearer_token = "static-token";
	s.basic_user = "agent";
	s.basic_password = "pa:ss word";
	s.header_value = "hdr-secret";
	s.audiences = audiences;
	s.emails = emails;
	assert_true(auth_configured(&s));
	/* Each mode alone lets a request in. */
	assert_int_equal(decide(&s, bearer, NULL, NULL, NULL, &res), 0);
	assert_int_equal(res.mode, AUTH_ID_TOKEN);
	assert_int_equal(decide(&s, "Bearer static-token", NULL, NULL, NULL,
	    &res), 0);
	assert_int_equal(res.mode, AUTH_BEARER);
	b = basic("agent:pa:ss word");
	assert_int_equal(decide(&s, b, NULL, NULL, NULL, &res), 0);
	assert_int_equal(res.mode, AUTH_BASIC);
	free(b);
	assert_int_equal(decide(&s, NULL, "hdr-secret", NULL, NULL, &res), 0);
	assert_int_equal(res.mode, AUTH_HEADER);
	/* Nothing: 401; wrong: 403, with each mode's reason. */
	assert_int_equal(decide(&s, NULL, NULL, NULL, NULL, &res), 401);
	b = basic("agent:wrong");
	assert_int_equal(decide(&s, b, NULL, NULL, NULL, &res), 403);
	assert_int_equal(res.reason[AUTH_BASIC], AR_BAD_BASIC);
	free(b);
	b = basic("other:pa:ss word");
	assert_int_equal(decide(&s, b, NULL, NULL, NULL, &res), 403);
	free(b);
	assert_int_equal(decide(&s, "Basic !!!", NULL, NULL, NULL, &res), 401);
	assert_int_equal(res.reason[AUTH_BASIC], AR_MALFORMED);
	b = basic("no-colon");
	assert_int_equal(decide(&s, b, NULL, NULL, NULL, &res), 401);
	free(b);
	assert_int_equal(decide(&s, NULL, "hdr-secreT", NULL, NULL, &res),
	    403);
	assert_int_equal(res.reason[AUTH_HEADER], AR_BAD_HEADER);
	assert_int_equal(decide(&s, "Bearer nope", NULL, NULL, NULL, &res),
	    403);
	assert_int_equal(res.reason[AUTH_BEARER], AR_WRONG_TOKEN);
	assert_int_equal(res.reason[AUTH_ID_TOKEN], AR_MALFORMED);
	/* The log line names reasons, never a secret. */
	buf_init(&why);
	auth_explain(&s, &res, &why);
	assert_string_equal(why.p, "bearer=wrong_token basic=absent "
	    "header=absent id_token=malformed");
	buf_clear(&why);
	assert_string_equal(auth_challenge(&s), "Bearer realm=\"cxhook\", "
	    "Basic realm=\"cxhook\", charset=\"UTF-8\"");

	/* The client certificate is needed in addition. */
	s.client_cert = true;
	s.client_cert_dn = "CN=agent,O=test";
	assert_int_equal(decide(&s, bearer, NULL, "SUCCESS",
	    "CN=agent,O=test", &res), 0);
	assert_int_equal(decide(&s, bearer, NULL, NULL, NULL, &res), 403);
	assert_int_equal(res.reason[AUTH_CLIENT_CERT], AR_NO_CLIENT_CERT);
	assert_int_equal(decide(&s, bearer, NULL, "NONE", NULL, &res), 403);
	assert_int_equal(decide(&s, bearer, NULL, "FAILED:unable to verify",
	    "CN=agent,O=test", &res), 403);
	assert_int_equal(res.reason[AUTH_CLIENT_CERT], AR_BAD_CLIENT_CERT);
	assert_int_equal(decide(&s, bearer, NULL, "SUCCESS", "CN=other,O=test",
	    &res), 403);
	assert_int_equal(res.reason[AUTH_CLIENT_CERT], AR_WRONG_CLIENT_DN);
	/* A good certificate does not replace the credential. */
	assert_int_equal(decide(&s, NULL, NULL, "SUCCESS", "CN=agent,O=test",
	    &res), 401);
	/* Neither: the certificate's refusal is the answer. */
	assert_int_equal(decide(&s, NULL, NULL, NULL, NULL, &res), 403);
	assert_int_equal(res.reason[AUTH_CLIENT_CERT], AR_NO_CLIENT_CERT);
	/* Alone, it is enough. */
	memset(&s, 0, sizeof(s));
	s.client_cert = true;
	assert_int_equal(decide(&s, NULL, NULL, "SUCCESS", "CN=x", &res), 0);
	assert_int_equal(res.mode, AUTH_CLIENT_CERT);
	assert_int_equal(decide(&s, NULL, NULL, "NONE", NULL, &res), 403);
	free(bearer);
	free(tok);
}

static void
test_no_keys_is_503(void **state)
{
	struct auth_settings	 s = { 0 };
	struct auth_result	 res;
	struct auth_keyring	*kr = keyring_create();
	struct auth_keys	*ak = auth_keys_new(kr);
	struct claims		 c = good();
	char			*tok = mint(&c, key_a), *bearer;
	struct auth_in		 in = { 0 };

	(void)state;
	if (asprintf(&bearer, "Bearer %s", tok) == -1)
		fail();
	s.audiences = audiences;
	s.emails = emails;
	in.authorization = bearer;
	in.deadline_ms = now_ms() + 100;
	auth_check(&s, ak, &in, time(NULL), &res);
	assert_int_equal(res.status, 503);
	assert_int_equal(res.reason[AUTH_ID_TOKEN], AR_NO_KEYS);
	/* But a caller with no token at all is told to bring one. */
	in.authorization = NULL;
	auth_check(&s, ak, &in, time(NULL), &res);
	assert_int_equal(res.status, 401);
	auth_keys_free(ak);
	free(bearer);
	free(tok);
}

static void
test_verified_tokens_cached(void **state)
{
	struct ring		*r = ring_a();
	struct auth_settings	 s = { 0 };
	struct auth_result	 res;
	struct auth_in		 in = { 0 };
	struct claims		 c = good();
	EVP_PKEY		*only_b[] = { key_b };
	const char		*kid_b[] = { "key-b" };
	unsigned char		 sha[32];
	char			*tok = mint(&c, key_a), *bearer;
	int64_t			 now = time(NULL);

	(void)state;
	if (asprintf(&bearer, "Bearer %s", tok) == -1)
		fail();
	SHA256((const unsigned char *)tok, strlen(tok), sha);
	s.audiences = audiences;
	s.emails = emails;
	in.authorization = bearer;
	in.deadline_ms = now_ms() + 100;
	assert_false(auth_keys_cached(r->ak, sha, now));
	auth_check(&s, r->ak, &in, now, &res);
	assert_int_equal(res.status, 0);
	/* Verified once: the next call costs a hash, until it expires. */
	assert_true(auth_keys_cached(r->ak, sha, now));
	assert_false(auth_keys_cached(r->ak, sha, now + 3590 + 61));
	auth_check(&s, r->ak, &in, now + 3590 + 61, &res);
	assert_int_equal(res.status, 403);
	assert_int_equal(res.reason[AUTH_ID_TOKEN], AR_EXPIRED);
	/* A new key set forgets it: key-a is gone, and so is the token. */
	auth_check(&s, r->ak, &in, now, &res);
	assert_int_equal(res.status, 0);
	publish(r, only_b, kid_b, 1);
	auth_check(&s, r->ak, &in, now, &res);
	assert_int_equal(res.status, 403);
	assert_int_equal(res.reason[AUTH_ID_TOKEN], AR_UNKNOWN_KID);
	assert_false(auth_keys_cached(r->ak, sha, now));
	free(bearer);
	free(tok);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64url),
		cmocka_unit_test(test_jwks),
		cmocka_unit_test(test_lifetime),
		cmocka_unit_test(test_good_token),
		cmocka_unit_test(test_forged_tokens),
		cmocka_unit_test(test_malformed_tokens),
		cmocka_unit_test(test_rotation_and_rationing),
		cmocka_unit_test(test_decision),
		cmocka_unit_test(test_no_keys_is_503),
		cmocka_unit_test(test_verified_tokens_cached),
	};

	return cmocka_run_group_tests(tests, setup_keys, teardown_keys);
}
