/*
 * The ID-token key fetcher: the one process that fetches Google's signing
 * keys (the JWKS at [auth] id_token_jwks_url), so that a pool of any size
 * makes the same few requests for them, and publishes each good set in the
 * shared keyring for the workers (auth/keys.h).
 *
 * A set is kept as long as its Cache-Control says (jwks_lifetime_s()),
 * then fetched again.  A worker that meets an unknown kid asks for an
 * early fetch, at most once a minute for the whole pool.  A fetch that
 * fails, or brings a document with no usable key, keeps the last good set
 * and is retried after a doubling back-off (RETRY_FIRST_S to RETRY_MAX_S),
 * so an outage of Google's key endpoint costs nothing until the keys
 * actually rotate.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth/keys.h"
#include "config/config.h"
#include "fcgi/child.h"
#include "keys/fetcher.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "upstream/upstream.h"

#define FETCH_TIMEOUT_MS	10000
#define RETRY_FIRST_S		5
#define RETRY_MAX_S		300
/* How often the loop looks at its signals while nothing is due. */
#define TICK_MS			1000

static volatile sig_atomic_t	stop_requested;

static void
on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* One fetch; the next one's due time (unix seconds). */
static int64_t
fetch(const struct config *cfg, struct auth_keyring *kr, struct upstream *u,
    int *failures)
{
	struct auth_key	 keys[AUTH_KEYS_MAX];
	struct buf	 body, headers;
	const char	*why = NULL;
	char		 err[128];
	int64_t		 now = (int64_t)time(NULL), life, retry;
	long		 status;
	int		 n = 0, i;

	buf_init(&body);
	buf_init(&headers);
	if (upstream_get_with_headers(u, cfg->id_token_jwks_url,
	    now_ms() + FETCH_TIMEOUT_MS, &status, &body, &headers) != WH_OK)
		why = "no answer";
	else if (status != 200) {
		snprintf(err, sizeof(err), "HTTP status %ld", status);
		why = err;
	} else if (body.len > AUTH_JWKS_MAX)
		why = "a document over 64 KiB";
	else if ((n = jwks_parse(body.p, body.len, keys, AUTH_KEYS_MAX, err,
	    sizeof(err))) == 0)
		why = err;
	if (why == NULL) {
		jwks_free(keys, n);
		life = jwks_lifetime_s(headers.p != NULL ? headers.p : "");
		keyring_publish(kr, cfg->id_token_jwks_url, body.p, body.len,
		    now, now + life);
		log_info("auth: %d ID-token key%s fetched, kept for %lld s", n,
		    n == 1 ? "" : "s", (long long)life);
		*failures = 0;
	} else {
		keyring_failed(kr);
		for (retry = RETRY_FIRST_S, i = 0; i < *failures &&
		    retry < RETRY_MAX_S; i++)
			retry *= 2;
		if (retry > RETRY_MAX_S)
			retry = RETRY_MAX_S;
		(*failures)++;
		log_warnx("auth: cannot fetch the ID-token keys: %s; %s; next "
		    "try in %lld s", why, keyring_from(kr,
		    cfg->id_token_jwks_url) ? "keeping the last good set" :
		    "ID tokens are answered 503 until a set is loaded",
		    (long long)retry);
		life = retry;
	}
	buf_clear(&body);
	buf_clear(&headers);
	return now + life;
}

void
keys_run(const struct config *cfg, struct auth_keyring *kr, int master_pid)
{
	struct keyring_info	 info;
	struct upstream		*u;
	int64_t			 due = 0, now, wait_ms;
	uint32_t		 seen;
	int			 failures = 0;

	child_signals(on_stop, master_pid);
	u = upstream_new();
	/* A set fetched from this URL by an earlier fetcher is kept. */
	keyring_info(kr, &info);
	if (keyring_from(kr, cfg->id_token_jwks_url))
		due = info.expires_unix;
	seen = keyring_wants(kr);
	while (!stop_requested && getppid() == master_pid) {
		now = (int64_t)time(NULL);
		if (keyring_wants(kr) != seen || now >= due) {
			seen = keyring_wants(kr);
			due = fetch(cfg, kr, u, &failures);
			log_flush();
			continue;
		}
		wait_ms = (due - now) * 1000;
		keyring_sleep(kr, seen, now_ms() + (wait_ms < TICK_MS ?
		    wait_ms : TICK_MS));
		log_flush();
	}
	upstream_free(u);
	_exit(0);
}
