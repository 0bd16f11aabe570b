/*
 * ID-token keys: the JWKS parser, the shared keyring and a worker's copy
 * (keys.h says how they fit together).
 */
#include <sys/mman.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "auth/b64url.h"
#include "auth/idtoken.h"
#include "auth/keys.h"
#include "cx/cx.h"
#include "cx/json.h"
#include "cx/json_strict.h"
#include "lib/clock.h"
#include "lib/futex.h"
#include "lib/log.h"
#include "lib/xalloc.h"

/* RSA moduli up to 8192 bits; Google's are 2048. */
#define MODULUS_MAX	1024
#define JSON_DEPTH	8

struct auth_keyring {
	/* Written by the fetcher only, under seq (odd while writing). */
	uint32_t	seq;		/* also the futex word workers wait on */
	int64_t		fetched_unix;
	int64_t		expires_unix;
	char		url[AUTH_URL_MAX];	/* where the set came from */
	uint32_t	len;
	char		jwks[AUTH_JWKS_MAX];
	/* Atomics of everyone. */
	uint32_t	want;		/* bumped to ask a refetch; futex word */
	int64_t		asked_ms;	/* CLOCK_MONOTONIC of the last ask */
	uint64_t	fetches;
	uint64_t	failures;
};

struct verified {
	unsigned char	sha256[32];
	int64_t		exp;		/* 0: an empty entry */
};

struct auth_keys {
	struct auth_keyring	*ring;
	uint32_t		 seq;		/* of the set held */
	bool			 loaded;
	int			 n;
	struct auth_key		 keys[AUTH_KEYS_MAX];
	char			*scratch;	/* AUTH_JWKS_MAX + 1 */
	struct verified		 verified[AUTH_TOKEN_CACHE];
	unsigned		 next;		/* the entry replaced next */
};

/* ------------------------------------------------------------------ */
/* JWKS documents */

static const char *
str_member(json_object *o, const char *name)
{
	json_object	*v;

	if (!json_object_object_get_ex(o, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static BIGNUM *
b64url_bn(const char *s)
{
	unsigned char	bytes[MODULUS_MAX];
	ssize_t		n;

	if (s == NULL ||
	    (n = b64url_decode(s, strlen(s), bytes, sizeof(bytes))) <= 0)
		return NULL;
	return BN_bin2bn(bytes, (int)n, NULL);
}

/* An RSA public key from its modulus and exponent, or NULL. */
static EVP_PKEY *
rsa_key(const char *n64, const char *e64)
{
	BIGNUM		*n = b64url_bn(n64), *e = b64url_bn(e64);
	OSSL_PARAM_BLD	*bld = NULL;
	OSSL_PARAM	*params = NULL;
	EVP_PKEY_CTX	*ctx = NULL;
	EVP_PKEY	*pkey = NULL;

	if (n == NULL || e == NULL)
		goto out;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		goto out;
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	/* Short keys are forgeable: Google's are 2048 bits. */
	if (pkey != NULL && EVP_PKEY_get_bits(pkey) < 2048) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return pkey;
}

/* Whether a JWK is an RS256 signing key; absent use/alg are allowed. */
static bool
usable(json_object *k)
{
	const char	*kty = str_member(k, "kty"), *use = str_member(k, "use");
	const char	*alg = str_member(k, "alg");

	return kty != NULL && strcmp(kty, "RSA") == 0 &&
	    (use == NULL || strcmp(use, "sig") == 0) &&
	    (alg == NULL || strcmp(alg, "RS256") == 0);
}

int
jwks_parse(const char *json, size_t len, struct auth_key *keys, int max,
    char *err, size_t errsz)
{
	struct cx_err	 jerr;
	json_object	*doc = NULL, *list;
	char		*copy;
	const char	*kid;
	size_t		 i;
	int		 n = 0;

	copy = xmalloc(len + 1);
	memcpy(copy, json, len);
	copy[len] = '\0';
	if (json_strict_check(copy, len, JSON_DEPTH, &jerr) == -1) {
		snprintf(err, errsz, "not JSON: %s", jerr.msg);
		goto out;
	}
	if ((doc = cx_json_parse(copy, len)) == NULL ||
	    !json_object_object_get_ex(doc, "keys", &list) ||
	    !json_object_is_type(list, json_type_array)) {
		snprintf(err, errsz, "no \"keys\" array");
		goto out;
	}
	for (i = 0; i < json_object_array_length(list) && n < max; i++) {
		json_object	*k = json_object_array_get_idx(list, i);

		if (!json_object_is_type(k, json_type_object) || !usable(k) ||
		    (kid = str_member(k, "kid")) == NULL || *kid == '\0' ||
		    strlen(kid) >= AUTH_KID_MAX)
			continue;
		if ((keys[n].pkey = rsa_key(str_member(k, "n"),
		    str_member(k, "e"))) == NULL)
			continue;
		strcpy(keys[n].kid, kid);
		n++;
	}
	if (n == 0)
		snprintf(err, errsz, "no RSA signing key of 2048 bits or more");
out:
	json_object_put(doc);
	free(copy);
	return n;
}

void
jwks_free(struct auth_key *keys, int n)
{
	int	i;

	for (i = 0; i < n; i++) {
		EVP_PKEY_free(keys[i].pkey);
		keys[i].pkey = NULL;
	}
}

/*
 * The value of header name in "Name: value\r\n" lines, into out (size
 * outsz); false if absent.
 */
static bool
header_value(const char *headers, const char *name, char *out, size_t outsz)
{
	const char	*line, *end, *v;
	size_t		 n = strlen(name), vlen;

	for (line = headers; *line != '\0'; line = end + (*end != '\0')) {
		end = line + strcspn(line, "\n");
		if (strncasecmp(line, name, n) != 0 || line[n] != ':')
			continue;
		v = line + n + 1;
		v += strspn(v, " \t");
		vlen = (size_t)(end - v);
		while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == ' '))
			vlen--;
		snprintf(out, outsz, "%.*s", (int)vlen, v);
		return true;
	}
	return false;
}

/* A delta-seconds value (RFC 9111 §1.2.2): digits only; -1 if not. */
static int64_t
delta_seconds(const char *s)
{
	int64_t	v = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++)
		if ((v = v * 10 + (*s - '0')) > 100000000)
			v = 100000000;	/* saturate: it is clamped anyway */
	return v;
}

int64_t
jwks_lifetime_s(const char *headers)
{
	char		 cc[512], age[64];
	const char	*p;
	int64_t		 max_age = -1, a = 0, life;

	if (header_value(headers, "Cache-Control", cc, sizeof(cc))) {
		for (p = cc; (p = strcasestr(p, "max-age")) != NULL; p += 7) {
			/* Not s-maxage's tail, and followed by '='. */
			if ((p == cc || p[-1] == ' ' || p[-1] == ',') &&
			    p[7] == '=') {
				max_age = delta_seconds(p + 8);
				break;
			}
		}
	}
	if (header_value(headers, "Age", age, sizeof(age)) &&
	    (a = delta_seconds(age)) < 0)
		a = 0;
	life = max_age < 0 ? AUTH_KEYS_LIFE_MIN_S : max_age - a;
	if (life < AUTH_KEYS_LIFE_MIN_S)
		life = AUTH_KEYS_LIFE_MIN_S;
	if (life > AUTH_KEYS_LIFE_MAX_S)
		life = AUTH_KEYS_LIFE_MAX_S;
	return life;
}

/* ------------------------------------------------------------------ */
/* The shared keyring */

struct auth_keyring *
keyring_create(void)
{
	void	*p;

	p = mmap(NULL, sizeof(struct auth_keyring), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		fatal("keyring: mmap");
	return p;	/* zero-filled: nothing loaded, nothing asked */
}

bool
keyring_from(struct auth_keyring *kr, const char *url)
{
	return kr->fetched_unix != 0 && strncmp(kr->url, url,
	    sizeof(kr->url)) == 0;
}

void
keyring_publish(struct auth_keyring *kr, const char *url, const char *jwks,
    size_t len, int64_t fetched_unix, int64_t expires_unix)
{
	uint32_t	s = __atomic_load_n(&kr->seq, __ATOMIC_RELAXED);

	if (len > AUTH_JWKS_MAX)
		len = AUTH_JWKS_MAX;	/* the fetcher caps what it reads */
	/* Odd while writing; a writer killed here left it odd already. */
	if ((s & 1) == 0)
		__atomic_store_n(&kr->seq, s + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	kr->fetched_unix = fetched_unix;
	kr->expires_unix = expires_unix;
	snprintf(kr->url, sizeof(kr->url), "%s", url);
	kr->len = (uint32_t)len;
	memcpy(kr->jwks, jwks, len);
	__atomic_add_fetch(&kr->fetches, 1, __ATOMIC_RELAXED);
	futex_bump(&kr->seq);	/* even again, and wake the waiters */
}

void
keyring_failed(struct auth_keyring *kr)
{
	__atomic_add_fetch(&kr->failures, 1, __ATOMIC_RELAXED);
}

uint32_t
keyring_wants(struct auth_keyring *kr)
{
	return __atomic_load_n(&kr->want, __ATOMIC_ACQUIRE);
}

void
keyring_sleep(struct auth_keyring *kr, uint32_t seen, int64_t until_ms)
{
	futex_sleep(&kr->want, seen, until_ms);
}

/*
 * A consistent copy of the published document into buf (AUTH_JWKS_MAX
 * bytes), or false if the writer is mid-write (or died there).
 */
static bool
read_published(struct auth_keyring *kr, uint32_t *seq, char *buf,
    size_t *len, int64_t *fetched, int64_t *expires)
{
	uint32_t	s1, s2;
	int		tries;

	for (tries = 0; tries < 100; tries++) {
		s1 = __atomic_load_n(&kr->seq, __ATOMIC_ACQUIRE);
		if (s1 & 1)
			continue;
		*len = kr->len <= AUTH_JWKS_MAX ? kr->len : AUTH_JWKS_MAX;
		memcpy(buf, kr->jwks, *len);
		*fetched = kr->fetched_unix;
		*expires = kr->expires_unix;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(&kr->seq, __ATOMIC_RELAXED);
		if (s1 == s2) {
			*seq = s1;
			return true;
		}
	}
	return false;
}

void
keyring_info(struct auth_keyring *kr, struct keyring_info *info)
{
	uint32_t	s1, s2;
	int		tries;

	memset(info, 0, sizeof(*info));
	for (tries = 0; tries < 100; tries++) {
		s1 = __atomic_load_n(&kr->seq, __ATOMIC_ACQUIRE);
		info->fetched_unix = kr->fetched_unix;
		info->expires_unix = kr->expires_unix;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(&kr->seq, __ATOMIC_RELAXED);
		if (s1 == s2 && (s1 & 1) == 0)
			break;
	}
	info->loaded = info->fetched_unix != 0;
	info->fetches = __atomic_load_n(&kr->fetches, __ATOMIC_RELAXED);
	info->failures = __atomic_load_n(&kr->failures, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------------ */
/* A worker's copy */

struct auth_keys *
auth_keys_new(struct auth_keyring *kr)
{
	struct auth_keys	*ak = xcalloc(1, sizeof(*ak));

	ak->ring = kr;
	ak->scratch = xmalloc(AUTH_JWKS_MAX + 1);
	return ak;
}

void
auth_keys_free(struct auth_keys *ak)
{
	if (ak == NULL)
		return;
	jwks_free(ak->keys, ak->n);
	free(ak->scratch);
	free(ak);
}

bool
auth_keys_refresh(struct auth_keys *ak)
{
	struct auth_key	 keys[AUTH_KEYS_MAX];
	char		 err[128];
	size_t		 len;
	int64_t		 fetched, expires;
	uint32_t	 seq;
	int		 n;

	if (__atomic_load_n(&ak->ring->seq, __ATOMIC_ACQUIRE) == ak->seq)
		return ak->loaded;
	if (!read_published(ak->ring, &seq, ak->scratch, &len, &fetched,
	    &expires))
		return ak->loaded;	/* mid-write: keep what we have */
	ak->seq = seq;
	if (fetched == 0)
		return ak->loaded;
	/* The fetcher published only a document that parsed. */
	if ((n = jwks_parse(ak->scratch, len, keys, AUTH_KEYS_MAX, err,
	    sizeof(err))) == 0) {
		log_warnx("auth: the published key set does not parse: %s",
		    err);
		return ak->loaded;
	}
	jwks_free(ak->keys, ak->n);
	memcpy(ak->keys, keys, sizeof(keys[0]) * (size_t)n);
	ak->n = n;
	ak->loaded = true;
	/* What was verified with the old set is verified again. */
	memset(ak->verified, 0, sizeof(ak->verified));
	return true;
}

bool
auth_keys_cached(const struct auth_keys *ak, const unsigned char *sha256,
    int64_t now)
{
	int	i;

	for (i = 0; i < AUTH_TOKEN_CACHE; i++)
		if (ak->verified[i].exp != 0 &&
		    memcmp(ak->verified[i].sha256, sha256, 32) == 0)
			return now <= ak->verified[i].exp + IDTOKEN_SKEW_S;
	return false;
}

void
auth_keys_remember(struct auth_keys *ak, const unsigned char *sha256,
    int64_t exp)
{
	struct verified	*v = &ak->verified[ak->next++ % AUTH_TOKEN_CACHE];

	memcpy(v->sha256, sha256, 32);
	v->exp = exp;
}

EVP_PKEY *
auth_keys_find(const struct auth_keys *ak, const char *kid)
{
	int	i;

	for (i = 0; i < ak->n; i++)
		if (strcmp(ak->keys[i].kid, kid) == 0)
			return ak->keys[i].pkey;
	return NULL;
}

/*
 * Whether this worker may ask for a refetch now: one ask a minute for the
 * whole pool, claimed with a compare-and-swap so that two workers meeting
 * the same new kid at once ask once.
 */
static bool
claim_ask(struct auth_keyring *kr, int64_t now)
{
	int64_t	last = __atomic_load_n(&kr->asked_ms, __ATOMIC_ACQUIRE);

	if (last != 0 && now - last < AUTH_REFETCH_EVERY_MS)
		return false;
	return __atomic_compare_exchange_n(&kr->asked_ms, &last, now, false,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

bool
auth_keys_refetch(struct auth_keys *ak, int64_t until_ms)
{
	struct auth_keyring	*kr = ak->ring;
	int64_t			 now = now_ms(), asked;
	uint32_t		 seen = ak->seq;

	if (claim_ask(kr, now))
		futex_bump(&kr->want);
	/* Wait only for a fetch asked for lately, ours or another's. */
	asked = __atomic_load_n(&kr->asked_ms, __ATOMIC_ACQUIRE);
	if (now - asked > AUTH_REFETCH_WAIT_MS)
		return false;
	if (until_ms > asked + AUTH_REFETCH_WAIT_MS)
		until_ms = asked + AUTH_REFETCH_WAIT_MS;
	while (__atomic_load_n(&kr->seq, __ATOMIC_ACQUIRE) == seen &&
	    now_ms() < until_ms)
		futex_sleep(&kr->seq, seen, until_ms);
	if (__atomic_load_n(&kr->seq, __ATOMIC_ACQUIRE) == seen)
		return false;
	/* A publish may still be mid-write: give it a moment. */
	auth_keys_refresh(ak);
	return ak->seq != seen;
}
