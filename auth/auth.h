/*
 * Who may call the webhook ([auth], docs/contract.md §8): the decision for
 * one request, from what the web server passed on, transport-free.
 *
 * The credential modes (a static bearer token, HTTP Basic, a constant
 * header, a Google ID token) are alternatives: a request passes when any
 * configured one accepts it.  A client certificate (client_cert = require)
 * is needed in addition to them, never instead, because mutual TLS proves
 * only that the caller is Google, not that it is this agent.
 *
 * Every mode gives a reason (enum auth_reason) whether it accepts or not,
 * so a refusal can be explained to the operator (the log, /metrics) and
 * never to the caller.
 */
#ifndef CXHOOK_AUTH_H
#define CXHOOK_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/buf.h"

struct auth_keyring;
struct auth_keys;

enum auth_mode {
	AUTH_BEARER,
	AUTH_BASIC,
	AUTH_HEADER,
	AUTH_ID_TOKEN,
	AUTH_CLIENT_CERT,
	AUTH_MODES
};

enum auth_reason {
	AR_OK,
	AR_ABSENT,		/* this mode's credential is not there */
	AR_MALFORMED,		/* there, but not of the mode's form */
	AR_BAD_ALG,
	AR_UNKNOWN_KID,
	AR_BAD_SIGNATURE,
	AR_EXPIRED,
	AR_NOT_YET_VALID,
	AR_WRONG_ISSUER,
	AR_WRONG_AUDIENCE,
	AR_WRONG_EMAIL,
	AR_EMAIL_UNVERIFIED,
	AR_NO_KEYS,		/* no key set was ever loaded */
	AR_WRONG_TOKEN,
	AR_BAD_BASIC,		/* wrong user or password: not said which */
	AR_BAD_HEADER,
	AR_NO_CLIENT_CERT,
	AR_BAD_CLIENT_CERT,
	AR_WRONG_CLIENT_DN,
	AUTH_REASONS
};

const char	*auth_mode_name(enum auth_mode);
const char	*auth_reason_name(enum auth_reason);

/* What [auth] configures; a NULL or 0 member turns its mode off. */
struct auth_settings {
	const char		*bearer_token;
	const char		*basic_user;
	const char		*basic_password;
	const char		*header_value;	/* header_name is the worker's */
	const char *const	*audiences;	/* NULL-terminated */
	const char *const	*emails;	/* NULL-terminated */
	bool			 client_cert;
	const char		*client_cert_dn;
};

/* What the web server passed on; any may be NULL. */
struct auth_in {
	const char	*authorization;		/* HTTP_AUTHORIZATION */
	const char	*header;		/* the configured header */
	const char	*client_verify;		/* SSL_CLIENT_VERIFY */
	const char	*client_dn;		/* SSL_CLIENT_S_DN */
	int64_t		 deadline_ms;		/* for a key refetch */
};

#define AUTH_GOT_MAX	96	/* of a refused aud or email, for the log */

struct auth_result {
	int		 status;	/* 0 (pass), 401, 403 or 503 */
	enum auth_mode	 mode;		/* which accepted, when status is 0 */
	enum auth_reason reason[AUTH_MODES];	/* of the configured modes */
	char		 got[AUTH_GOT_MAX + 1];	/* the refused aud or email */
};

bool	auth_configured(const struct auth_settings *);
bool	auth_mode_on(const struct auth_settings *, enum auth_mode);

/*
 * Decides one request.  keys is the worker's copy of the ID-token keys
 * (NULL when ID tokens are off); it is refreshed from the shared keyring
 * when the fetcher published a newer set, and a token naming a key it
 * lacks asks the fetcher for one refetch (see keyring.h).
 */
void	auth_check(const struct auth_settings *, struct auth_keys *,
	    const struct auth_in *, int64_t now_unix, struct auth_result *);

/* "id_token=wrong_audience got=... bearer=absent", for the log. */
void	auth_explain(const struct auth_settings *, const struct auth_result *,
	    struct buf *);
/* The WWW-Authenticate challenge of the configured schemes, or "". */
const char	*auth_challenge(const struct auth_settings *);

#endif
