/*
 * A minimal FastCGI client (responder role, one request per connection),
 * so that `cxhook send unix:PATH` can talk to a pool with no web server
 * in between.  Record layout: FastCGI 1.0 specification, section 3.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli/send.h"
#include "lib/buf.h"
#include "lib/errf.h"

enum {
	FCGI_BEGIN_REQUEST = 1,
	FCGI_END_REQUEST = 3,
	FCGI_PARAMS = 4,
	FCGI_STDIN = 5,
	FCGI_STDOUT = 6,
	FCGI_STDERR = 7,
	FCGI_RESPONDER = 1,
	FCGI_MAX_CONTENT = 65535,
};

static void
put_record(struct buf *b, int type, const void *data, size_t len)
{
	unsigned char	h[8];

	h[0] = 1;
	h[1] = (unsigned char)type;
	h[2] = 0;
	h[3] = 1;		/* request id 1 */
	h[4] = (unsigned char)(len >> 8);
	h[5] = (unsigned char)len;
	h[6] = 0;
	h[7] = 0;
	buf_append(b, h, sizeof(h));
	buf_append(b, data, len);
}

static void
put_len(struct buf *b, size_t n)
{
	unsigned char	l[4];

	if (n < 128) {
		l[0] = (unsigned char)n;
		buf_append(b, l, 1);
		return;
	}
	l[0] = (unsigned char)((n >> 24) | 0x80);
	l[1] = (unsigned char)(n >> 16);
	l[2] = (unsigned char)(n >> 8);
	l[3] = (unsigned char)n;
	buf_append(b, l, 4);
}

static void
put_param(struct buf *p, const char *name, const char *value)
{
	put_len(p, strlen(name));
	put_len(p, strlen(value));
	buf_puts(p, name);
	buf_puts(p, value);
}

static void
put_stream(struct buf *out, int type, const char *data, size_t len)
{
	size_t	n;

	while (len > 0) {
		n = len > FCGI_MAX_CONTENT ? FCGI_MAX_CONTENT : len;
		put_record(out, type, data, n);
		data += n;
		len -= n;
	}
	put_record(out, type, NULL, 0);
}

static void
build_request(const struct send_call *c, struct buf *out)
{
	static const unsigned char begin[8] = { 0, FCGI_RESPONDER, 0 };
	struct buf	params;
	char		len[32];

	buf_init(&params);
	snprintf(len, sizeof(len), "%zu", c->body_len);
	put_param(&params, "GATEWAY_INTERFACE", "CGI/1.1");
	put_param(&params, "SERVER_PROTOCOL", "HTTP/1.1");
	put_param(&params, "REQUEST_METHOD", c->method);
	put_param(&params, "REQUEST_URI", c->path);
	put_param(&params, "SCRIPT_NAME", c->path);
	put_param(&params, "CONTENT_TYPE", c->content_type);
	put_param(&params, "CONTENT_LENGTH", len);
	if (c->token != NULL) {
		char	auth[4096];

		snprintf(auth, sizeof(auth), "Bearer %s", c->token);
		put_param(&params, "HTTP_AUTHORIZATION", auth);
	}
	put_record(out, FCGI_BEGIN_REQUEST, begin, sizeof(begin));
	put_stream(out, FCGI_PARAMS, params.p, params.len);
	put_stream(out, FCGI_STDIN, c->body, c->body_len);
	buf_clear(&params);
}

static int
dial(const char *target, int timeout_ms, char *err, size_t errsz)
{
	struct sockaddr_un	 sun;
	struct addrinfo		 hints, *res;
	struct timeval		 tv;
	char			 host[256];
	const char		*colon;
	int			 fd = -1, rc;

	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	if (strncmp(target, "unix:", 5) == 0) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(target + 5) >= sizeof(sun.sun_path))
			return errf(err, errsz, "socket path too long");
		strcpy(sun.sun_path, target + 5);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd == -1 || connect(fd, (struct sockaddr *)&sun,
		    sizeof(sun)) == -1)
			goto fail;
	} else {
		target += 4;	/* "tcp:" */
		colon = strrchr(target, ':');
		if (colon == NULL || (size_t)(colon - target) >= sizeof(host))
			return errf(err, errsz, "expected tcp:HOST:PORT");
		memcpy(host, target, (size_t)(colon - target));
		host[colon - target] = '\0';
		if (host[0] == '[') {
			memmove(host, host + 1, strlen(host));
			host[strcspn(host, "]")] = '\0';
		}
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		if ((rc = getaddrinfo(host, colon + 1, &hints, &res)) != 0)
			return errf(err, errsz, "%s: %s", host,
			    gai_strerror(rc));
		fd = socket(res->ai_family, SOCK_STREAM, 0);
		rc = fd == -1 ? -1 : connect(fd, res->ai_addr,
		    res->ai_addrlen);
		freeaddrinfo(res);
		if (rc == -1)
			goto fail;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
fail:
	errf(err, errsz, "%s: %s", target, strerror(errno));
	if (fd != -1)
		close(fd);
	return -1;
}

static int
read_full(int fd, void *p, size_t n)
{
	size_t	got = 0;
	ssize_t	r;

	while (got < n) {
		r = read(fd, (char *)p + got, n - got);
		if (r == 0) {
			errno = 0;	/* the peer closed, no error */
			return -1;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)r;
	}
	return 0;
}

/*
 * A read that failed: a peer that went silent past the socket's timeout
 * is told apart from one that closed or broke the connection.
 */
static int
read_failed(char *err, size_t errsz, const char *what)
{
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return errf(err, errsz, "no answer within the timeout");
	if (errno != 0)
		return errf(err, errsz, "%s: %s", what, strerror(errno));
	return errf(err, errsz, "%s", what);
}

/* Reads STDOUT records into out until END_REQUEST. */
static int
read_response(int fd, struct buf *out, char *err, size_t errsz)
{
	unsigned char	h[8];
	char		content[FCGI_MAX_CONTENT + 256];
	size_t		clen, plen;

	for (;;) {
		if (read_full(fd, h, sizeof(h)) == -1)
			return read_failed(err, errsz, "connection closed "
			    "before the end of the response");
		clen = (size_t)h[4] << 8 | h[5];
		plen = h[6];
		if (read_full(fd, content, clen + plen) == -1)
			return read_failed(err, errsz, "truncated record");
		if (h[1] == FCGI_STDOUT)
			buf_append(out, content, clen);
		else if (h[1] == FCGI_STDERR)
			fwrite(content, 1, clen, stderr);
		else if (h[1] == FCGI_END_REQUEST)
			return 0;
	}
}

/* Splits a CGI response into status, headers and body. */
static int
parse_cgi(struct buf *raw, struct send_result *res, char *err, size_t errsz)
{
	char	*sep, *line, *next;
	size_t	 hlen;

	if ((sep = strstr(raw->p, "\r\n\r\n")) == NULL)
		return errf(err, errsz, "response has no header end");
	hlen = (size_t)(sep - raw->p);
	res->status = 200;
	buf_append(&res->headers, raw->p, hlen);
	buf_append(&res->body, sep + 4, raw->len - hlen - 4);
	for (line = res->headers.p; line != NULL && *line != '\0';
	    line = next) {
		next = strstr(line, "\r\n");
		if (next != NULL)
			next += 2;
		if (strncasecmp(line, "Status:", 7) == 0)
			res->status = atoi(line + 7);
	}
	return 0;
}

int
send_fcgi(const char *target, const struct send_call *c,
    struct send_result *res, char *err, size_t errsz)
{
	struct buf	req, raw;
	ssize_t		w;
	size_t		off = 0;
	int		fd, rc = -1;

	if ((fd = dial(target, c->timeout_ms, err, errsz)) == -1)
		return -1;
	buf_init(&req);
	buf_init(&raw);
	build_request(c, &req);
	while (off < req.len) {
		w = write(fd, req.p + off, req.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		/* The pool may answer (413) before taking the whole body. */
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	if (read_response(fd, &raw, err, errsz) == -1)
		goto out;
	buf_putc(&raw, '\0');
	raw.len--;
	rc = parse_cgi(&raw, res, err, errsz);
out:
	close(fd);
	buf_clear(&req);
	buf_clear(&raw);
	return rc;
}
