/*
 * `cxhook send`: a developer's client for a webhook, over HTTP (libcurl)
 * or straight to a pool over FastCGI (unix:PATH, tcp:HOST:PORT).
 */
#ifndef CXHOOK_SEND_H
#define CXHOOK_SEND_H

#include <stddef.h>

#include "lib/buf.h"

struct send_call {
	const char	*method;
	const char	*path;		/* REQUEST_URI for FastCGI targets */
	const char	*content_type;
	const char	*body;
	size_t		 body_len;
	const char	*token;		/* bearer token, or NULL */
	int		 timeout_ms;
};

struct send_result {
	int		 status;
	struct buf	 headers;
	struct buf	 body;
};

int	send_main(int argc, char **argv);

void	send_result_init(struct send_result *);
void	send_result_clear(struct send_result *);
/*
 * POSTs a JSON body to the webhook at target: http(s)://... (libcurl), or
 * unix:PATH or tcp:HOST:PORT (FastCGI, REQUEST_URI /webhook).  0 once an
 * answer came (whatever its status), or -1 with err set when none did.
 * The token goes in an Authorization: Bearer header and nowhere else.
 */
int	send_post(const char *target, const char *body, size_t len,
	    const char *token, int timeout_ms, struct send_result *,
	    char *err, size_t errsz);
/*
 * --token-file: the token is the file's first line, so that it never shows
 * in a process listing as --token's argument does.  0, or -1 with err set.
 */
int	send_read_token(const char *path, char *token, size_t tokensz,
	    char *err, size_t errsz);
/* A whole file ("-": standard input) appended to out; 0, or -1 (errno). */
int	send_read_file(const char *path, struct buf *out);
/* One request to a pool over FastCGI; 0, or -1 with err set. */
int	send_fcgi(const char *target, const struct send_call *,
	    struct send_result *, char *err, size_t errsz);

#endif
