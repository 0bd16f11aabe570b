/*
 * The keys that sign Google ID tokens, fetched by one process and shared
 * with every worker.
 *
 * The keyring is one MAP_SHARED|MAP_ANONYMOUS mapping made by the master
 * before it forks (keyring_create()).  The key fetcher (keys/fetcher.c) is
 * its only writer: it publishes the JWKS document it fetched, as text,
 * under a sequence counter (a seqlock: odd while being written).  A worker
 * keeps its own parsed copy (struct auth_keys) and re-reads the text only
 * when the counter moved, so the hot path costs one atomic load.  A writer
 * killed mid-write leaves the counter odd: readers keep the set they had
 * until the next publish, which finishes the count.
 *
 * A worker that meets a kid it lacks asks for a refetch (keyring.want, a
 * futex word the fetcher sleeps on) and waits a little for the counter to
 * move.  Asking is rationed to one a minute for the whole pool
 * (REFETCH_EVERY_MS, kept in the mapping), so no caller can make cxhook
 * fetch more often than that, whatever kids it invents.
 */
#ifndef CXHOOK_AUTH_KEYS_H
#define CXHOOK_AUTH_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define AUTH_JWKS_MAX		(64 * 1024)	/* bytes of one JWKS document */
#define AUTH_KEYS_MAX		16		/* keys of one set */
#define AUTH_KID_MAX		128
#define AUTH_REFETCH_EVERY_MS	60000
#define AUTH_REFETCH_WAIT_MS	2000
#define AUTH_URL_MAX		512
/* How long a fetched set is kept, whatever the provider says. */
#define AUTH_KEYS_LIFE_MIN_S	300
#define AUTH_KEYS_LIFE_MAX_S	86400

struct auth_keyring;

struct auth_key {
	char		 kid[AUTH_KID_MAX];
	EVP_PKEY	*pkey;
};

/*
 * Parses a JWKS document: its RSA keys of at least 2048 bits meant for
 * RS256 signatures.  Returns how many (0 is an error, with err set).
 * Free the keys with jwks_free().
 */
int	jwks_parse(const char *json, size_t len, struct auth_key *keys,
	    int max, char *err, size_t errsz);
void	jwks_free(struct auth_key *keys, int n);
/*
 * How long a set fetched with these response header lines may be kept:
 * Cache-Control max-age minus Age (a missing Age counts as 0, a missing
 * max-age as the minimum), clamped to [AUTH_KEYS_LIFE_MIN_S,
 * AUTH_KEYS_LIFE_MAX_S].
 */
int64_t	jwks_lifetime_s(const char *headers);

/* The master, before it forks. */
struct auth_keyring	*keyring_create(void);

/* The fetcher. */
void		keyring_publish(struct auth_keyring *, const char *url,
		    const char *jwks, size_t len, int64_t fetched_unix,
		    int64_t expires_unix);
/* Whether the set held was fetched from url. */
bool		keyring_from(struct auth_keyring *, const char *url);
void		keyring_failed(struct auth_keyring *);
uint32_t	keyring_wants(struct auth_keyring *);
void		keyring_sleep(struct auth_keyring *, uint32_t seen,
		    int64_t until_ms);

struct keyring_info {
	bool		loaded;
	int64_t		fetched_unix;
	int64_t		expires_unix;
	uint64_t	fetches;
	uint64_t	failures;
};
void	keyring_info(struct auth_keyring *, struct keyring_info *);

/* A worker's copy. */
struct auth_keys;

struct auth_keys	*auth_keys_new(struct auth_keyring *);
void			 auth_keys_free(struct auth_keys *);
/* Takes up a newer published set, if any; whether a set is loaded. */
bool			 auth_keys_refresh(struct auth_keys *);
/* The key named kid, or NULL. */
EVP_PKEY		*auth_keys_find(const struct auth_keys *, const char *kid);
/*
 * Tokens this worker verified with the set it holds, by SHA-256 of their
 * text: Dialogflow sends one ID token for many calls (it lives an hour),
 * and a token that verified once verifies again until it expires, so the
 * RSA check runs once per token, not once per call.  Forgotten when a new
 * set is taken up.  cached() is true for a remembered token not expired
 * at now (unix seconds, with IDTOKEN_SKEW_S).
 */
#define AUTH_TOKEN_CACHE	8
bool	auth_keys_cached(const struct auth_keys *, const unsigned char *sha256,
	    int64_t now);
void	auth_keys_remember(struct auth_keys *, const unsigned char *sha256,
	    int64_t exp);

/*
 * kid was not found: asks for a refetch (if none was asked for in the last
 * minute) and, when one was asked for recently, waits until until_ms at
 * the latest for a newer set.  True if a newer set was taken up.
 */
bool			 auth_keys_refetch(struct auth_keys *, int64_t until_ms);

#endif
