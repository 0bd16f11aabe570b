/*
 * `cxhook send` (docs/contract.md §1): builds a WebhookRequest from flags, or
 * sends a file as it is, prints the status and the pretty-printed answer,
 * and exits 0 on 200 and 1 otherwise (69 when nothing answered at all).
 *
 * A --param value is taken as JSON when it parses as JSON (10042, true,
 * {"year":2026,"month":9,"day":14}) and as a string otherwise; quote it
 * ('"10042"') to force a string.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "cli/send.h"
#include "lib/buf.h"

#define EX_USAGE	64
#define EX_NOINPUT	66
#define EX_UNAVAILABLE	69

struct send_opts {
	const char	*url;
	const char	*tag;
	const char	*intent;
	const char	*session;
	const char	*file;
	const char	*token;
	const char	*text;
	json_object	*params;
	int		 timeout_ms;
	char		 token_buf[4096];
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: cxhook send URL [--tag T] [--intent NAME] "
	    "[--param NAME=VALUE]...\n"
	    "                   [--session ID] [--text TEXT] "
	    "[--file REQUEST.json]\n"
	    "                   [--token TOKEN | --token-file FILE] "
	    "[--timeout SECONDS]\n"
	    "URL is http(s)://..., or unix:PATH or tcp:HOST:PORT to speak "
	    "FastCGI to a pool.\n"
	    "A VALUE that parses as JSON is sent as JSON, anything else as "
	    "a string.\n");
}

static json_object *
param_value(const char *v)
{
	json_object	*j;

	j = json_tokener_parse(v);
	return j != NULL ? j : json_object_new_string(v);
}

static void
random_uuid(char *out, size_t outsz)
{
	unsigned char	b[16];
	FILE		*fp;
	size_t		 i;

	if ((fp = fopen("/dev/urandom", "r")) == NULL ||
	    fread(b, 1, sizeof(b), fp) != sizeof(b)) {
		for (i = 0; i < sizeof(b); i++)
			b[i] = (unsigned char)(rand() ^ time(NULL));
	}
	if (fp != NULL)
		fclose(fp);
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, outsz, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
	    b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static void
build_body(const struct send_opts *o, struct buf *out)
{
	json_object	*root, *si, *fi, *ii;
	char		 id[40], session[256];

	root = json_object_new_object();
	random_uuid(id, sizeof(id));
	json_object_object_add(root, "detectIntentResponseId",
	    json_object_new_string(id));
	if (o->intent != NULL) {
		ii = json_object_new_object();
		json_object_object_add(ii, "displayName",
		    json_object_new_string(o->intent));
		json_object_object_add(root, "intentInfo", ii);
	}
	si = json_object_new_object();
	if (o->session != NULL)
		snprintf(session, sizeof(session), "projects/cxhook/locations/"
		    "global/agents/cxhook/sessions/%s", o->session);
	else {
		random_uuid(id, sizeof(id));
		snprintf(session, sizeof(session), "projects/cxhook/locations/"
		    "global/agents/cxhook/sessions/%s", id);
	}
	json_object_object_add(si, "session", json_object_new_string(session));
	json_object_object_add(si, "parameters", json_object_get(o->params));
	json_object_object_add(root, "sessionInfo", si);
	fi = json_object_new_object();
	if (o->tag != NULL)
		json_object_object_add(fi, "tag", json_object_new_string(o->tag));
	json_object_object_add(root, "fulfillmentInfo", fi);
	if (o->text != NULL)
		json_object_object_add(root, "text",
		    json_object_new_string(o->text));
	json_object_object_add(root, "languageCode",
	    json_object_new_string("en"));
	buf_puts(out, json_object_to_json_string_ext(root,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

int
send_read_token(const char *path, char *token, size_t tokensz, char *err,
    size_t errsz)
{
	FILE	*fp;
	size_t	 n;

	if ((fp = fopen(path, "re")) == NULL) {
		snprintf(err, errsz, "--token-file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fgets(token, (int)tokensz, fp) == NULL)
		token[0] = '\0';
	fclose(fp);
	n = strcspn(token, "\r\n");
	if (token[n] == '\0' && n == tokensz - 1) {
		snprintf(err, errsz, "--token-file %s: the token is over %zu "
		    "bytes", path, tokensz - 2);
		return -1;
	}
	token[n] = '\0';
	if (n == 0) {
		snprintf(err, errsz, "--token-file %s: no token on its first "
		    "line", path);
		return -1;
	}
	return 0;
}

int
send_read_file(const char *path, struct buf *out)
{
	FILE	*fp;
	char	 chunk[65536];
	size_t	 n;

	if (strcmp(path, "-") == 0)
		fp = stdin;
	else if ((fp = fopen(path, "rb")) == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_append(out, chunk, n);
	if (fp != stdin)
		fclose(fp);
	return 0;
}

static size_t
collect(char *p, size_t size, size_t n, void *arg)
{
	buf_append(arg, p, size * n);
	return size * n;
}

static int
send_http(const char *url, const struct send_call *c, struct send_result *res,
    char *err, size_t errsz)
{
	struct curl_slist	*hdrs = NULL;
	CURL			*h;
	CURLcode		 rc;
	long			 status = 0;
	char			 auth[4096];

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if ((h = curl_easy_init()) == NULL) {
		snprintf(err, errsz, "curl_easy_init failed");
		return -1;
	}
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	if (c->token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
		    c->token);
		hdrs = curl_slist_append(hdrs, auth);
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)c->body_len);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &res->body);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &res->headers);
	rc = curl_easy_perform(h);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	else
		snprintf(err, errsz, "%s: %s", url, curl_easy_strerror(rc));
	res->status = (int)status;
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	curl_global_cleanup();
	return rc == CURLE_OK ? 0 : -1;
}

void
send_result_init(struct send_result *res)
{
	res->status = 0;
	buf_init(&res->headers);
	buf_init(&res->body);
}

void
send_result_clear(struct send_result *res)
{
	buf_clear(&res->headers);
	buf_clear(&res->body);
}

int
send_post(const char *target, const char *body, size_t len,
    const char *token, int timeout_ms, struct send_result *res, char *err,
    size_t errsz)
{
	struct send_call	c;

	memset(&c, 0, sizeof(c));
	c.method = "POST";
	c.path = "/webhook";
	c.content_type = "application/json";
	c.body = body;
	c.body_len = len;
	c.token = token;
	c.timeout_ms = timeout_ms;
	if (strncmp(target, "unix:", 5) == 0 || strncmp(target, "tcp:", 4) == 0)
		return send_fcgi(target, &c, res, err, errsz);
	return send_http(target, &c, res, err, errsz);
}

static void
print_result(const struct send_result *res)
{
	json_object	*j;
	struct json_tokener *tok;

	printf("HTTP %d\n", res->status);
	tok = json_tokener_new();
	j = json_tokener_parse_ex(tok, res->body.p != NULL ? res->body.p : "",
	    (int)res->body.len);
	json_tokener_free(tok);
	if (j != NULL) {
		printf("%s\n", json_object_to_json_string_ext(j,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
	} else if (res->body.len > 0) {
		fwrite(res->body.p, 1, res->body.len, stdout);
		putchar('\n');
	}
}

static int
parse_opts(int argc, char **argv, struct send_opts *o)
{
	static const struct option longopts[] = {
		{ "tag", required_argument, NULL, 't' },
		{ "intent", required_argument, NULL, 'i' },
		{ "param", required_argument, NULL, 'p' },
		{ "session", required_argument, NULL, 's' },
		{ "file", required_argument, NULL, 'f' },
		{ "token", required_argument, NULL, 'k' },
		{ "token-file", required_argument, NULL, 'K' },
		{ "text", required_argument, NULL, 'x' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char	*eq, err[512];
	int	 ch;

	while ((ch = getopt_long(argc, argv, "t:i:p:s:f:k:x:T:h", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 't': o->tag = optarg; break;
		case 'i': o->intent = optarg; break;
		case 's': o->session = optarg; break;
		case 'f': o->file = optarg; break;
		case 'k': o->token = optarg; break;
		case 'K':
			if (send_read_token(optarg, o->token_buf,
			    sizeof(o->token_buf), err, sizeof(err)) == -1) {
				fprintf(stderr, "cxhook send: %s\n", err);
				return EX_NOINPUT;
			}
			o->token = o->token_buf;
			break;
		case 'x': o->text = optarg; break;
		case 'T': o->timeout_ms = atoi(optarg) * 1000; break;
		case 'p':
			if ((eq = strchr(optarg, '=')) == NULL || eq == optarg) {
				fprintf(stderr, "cxhook send: --param wants "
				    "NAME=VALUE, got %s\n", optarg);
				return EX_USAGE;
			}
			*eq = '\0';
			json_object_object_add(o->params, optarg,
			    param_value(eq + 1));
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("cxhook %s\n", CXHOOK_VERSION);
			exit(0);
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return EX_USAGE;
	}
	o->url = argv[optind];
	if (o->timeout_ms <= 0)
		o->timeout_ms = 10000;
	return 0;
}

int
send_main(int argc, char **argv)
{
	struct send_opts	o;
	struct send_result	res;
	struct buf		body;
	char			err[512];
	int			rc;

	signal(SIGPIPE, SIG_IGN);
	memset(&o, 0, sizeof(o));
	o.params = json_object_new_object();
	buf_init(&body);
	if ((rc = parse_opts(argc, argv, &o)) != 0)
		goto out;
	if (o.file != NULL) {
		if (send_read_file(o.file, &body) == -1) {
			fprintf(stderr, "cxhook send: %s: %s\n", o.file,
			    strerror(errno));
			rc = EX_NOINPUT;
			goto out;
		}
	} else
		build_body(&o, &body);

	send_result_init(&res);
	if (send_post(o.url, body.p != NULL ? body.p : "", body.len, o.token,
	    o.timeout_ms, &res, err, sizeof(err)) == -1) {
		fprintf(stderr, "cxhook send: %s\n", err);
		rc = EX_UNAVAILABLE;
	} else {
		print_result(&res);
		rc = res.status == 200 ? 0 : 1;
	}
	send_result_clear(&res);
out:
	buf_clear(&body);
	json_object_put(o.params);
	return rc;
}
