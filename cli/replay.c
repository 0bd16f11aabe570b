/*
 * `cxhook replay DIR` (docs/contract.md §1): golden conversations.  Each
 * request file of DIR is sent to a pool, in the order of the names, and
 * its answer is compared with the expected file beside it:
 *
 *   NAME.json            a WebhookRequest, sent as it is
 *   NAME.expected.json   the answer's body; {"status": N, "body": ...}
 *                        when the status is not 200
 *   replay.volatile      JSON paths, one a line, whose values change from
 *                        one run to the next: compared for presence and
 *                        type, not value (more with --volatile PATH)
 *
 * A difference is printed as the JSON path and both values.  --update
 * writes the expected files from the answers instead, with sorted keys.
 */
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli/jsondiff.h"
#include "cli/replay.h"
#include "cli/send.h"
#include "lib/buf.h"
#include "lib/xalloc.h"
#include "triage/train.h"

#define EX_USAGE	64
#define EX_DATAERR	65
#define EX_NOINPUT	66
#define EX_UNAVAILABLE	69
#define EX_CANTCREAT	73

/* The pool's own default listen (config/config.c). */
#define DEFAULT_TARGET	"unix:/run/cxhook/cxhook.sock"
#define REQUEST_SUFFIX	".json"
#define EXPECTED_SUFFIX	".expected.json"
#define VOLATILE_FILE	"replay.volatile"
#define DIFF_LINES	40	/* printed for one file; the rest counted */
#define JSON_DEPTH	256

struct names {
	char	**v;
	size_t	  n;
};

struct replay {
	const char		*dir;
	const char		*target;
	const char		*token;
	char			 token_buf[4096];	/* --token-file */
	int			 timeout_ms;
	bool			 update;
	struct jpath_set	 vol;
	int			 passed;
	int			 failed;
	int			 fresh;		/* no expected file */
	int			 updated;
};

/* An answer, or what an expected file says it should be. */
struct answer {
	int		 status;
	json_object	*body;
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: cxhook replay DIR [--target URL] [--update] "
	    "[--volatile PATH]...\n"
	    "                     [--token TOKEN | --token-file FILE] "
	    "[--timeout SECONDS]\n"
	    "Sends DIR/NAME.json in name order and compares each answer with "
	    "DIR/NAME.expected.json.\n"
	    "URL is http(s)://..., unix:PATH or tcp:HOST:PORT [%s].\n",
	    DEFAULT_TARGET);
}

static char *
join(const char *dir, const char *name)
{
	size_t	 n = strlen(dir) + strlen(name) + 2;
	char	*p = xmalloc(n);

	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static bool
has_suffix(const char *s, const char *suffix)
{
	size_t	n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

/* NAME.json -> NAME.expected.json, and back. */
static char *
swap_suffix(const char *name, const char *from, const char *to)
{
	size_t	 stem = strlen(name) - strlen(from);
	size_t	 n = stem + strlen(to) + 1;
	char	*p = xmalloc(n);

	snprintf(p, n, "%.*s%s", (int)stem, name, to);
	return p;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

static void
names_add(struct names *ns, const char *name)
{
	ns->v = xreallocarray(ns->v, ns->n + 1, sizeof(*ns->v));
	ns->v[ns->n++] = xstrdup(name);
}

static void
names_free(struct names *ns)
{
	size_t	i;

	for (i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
}

/* The request and expected files of dir, each sorted by name; 0 or -1. */
static int
list_dir(const char *dir, struct names *req, struct names *exp)
{
	struct dirent	*e;
	DIR		*d;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (has_suffix(e->d_name, EXPECTED_SUFFIX))
			names_add(exp, e->d_name);
		else if (has_suffix(e->d_name, REQUEST_SUFFIX))
			names_add(req, e->d_name);
	}
	closedir(d);
	/* strcmp, not the locale's collation: one order everywhere. */
	if (req->n > 1)
		qsort(req->v, req->n, sizeof(*req->v), by_name);
	if (exp->n > 1)
		qsort(exp->v, exp->n, sizeof(*exp->v), by_name);
	return 0;
}

/* One whole JSON text (RFC 8259, nothing after it); 0, or -1. */
static int
parse_json(const struct buf *b, json_object **out)
{
	struct json_tokener	*tok;
	enum json_tokener_error	 e;

	*out = NULL;
	if (b->len == 0 || b->len > INT32_MAX - 1)
		return -1;
	tok = json_tokener_new_ex(JSON_DEPTH);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	/* With the buffer's NUL: a number at the very end is complete. */
	*out = json_tokener_parse_ex(tok, b->p, (int)b->len + 1);
	e = json_tokener_get_error(tok);
	if (e != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != b->len) {
		json_object_put(*out);
		*out = NULL;
		json_tokener_free(tok);
		return -1;
	}
	json_tokener_free(tok);
	return 0;
}

/* {"status": N, "body": B} and nothing else. */
static bool
is_wrapped(json_object *doc, json_object **status, json_object **body)
{
	return json_object_is_type(doc, json_type_object) &&
	    json_object_object_length(doc) == 2 &&
	    json_object_object_get_ex(doc, "status", status) &&
	    json_object_is_type(*status, json_type_int) &&
	    json_object_object_get_ex(doc, "body", body);
}

/* A body that is not JSON is held as a string of its text. */
static void
answer_of(const struct send_result *res, struct answer *a)
{
	a->status = res->status;
	if (parse_json(&res->body, &a->body) == -1)
		a->body = json_object_new_string_len(
		    res->body.p != NULL ? res->body.p : "", (int)res->body.len);
}

/*
 * An expected file, its text into text; 0, 1 when there is none, -1 when
 * it holds no answer (err set).
 */
static int
read_expected(const char *path, struct answer *a, struct buf *text,
    char *err, size_t errsz)
{
	json_object	*doc, *status, *body;

	if (send_read_file(path, text) == -1) {
		if (errno == ENOENT)
			return 1;
		snprintf(err, errsz, "%s", strerror(errno));
		return -1;
	}
	if (parse_json(text, &doc) == -1) {
		snprintf(err, errsz, "not JSON");
		return -1;
	}
	if (is_wrapped(doc, &status, &body)) {
		a->status = json_object_get_int(status);
		a->body = json_object_get(body);
		json_object_put(doc);
	} else {
		a->status = 200;
		a->body = doc;
	}
	return 0;
}

/*
 * Writes got as the expected file, pretty and with sorted keys, keeping
 * old's values at volatile paths; a file that would not change is left
 * alone.  0, or -1 with err set.
 */
static int
write_expected(const struct replay *r, const char *path,
    const struct answer *got, const struct answer *old,
    const struct buf *old_text, char *err, size_t errsz)
{
	json_object	*body, *doc, *s, *b;
	struct buf	 out;
	int		 rc = 0;

	body = jcanon(&r->vol, got->body, old != NULL ? old->body : NULL,
	    old != NULL);
	if (got->status == 200 && !is_wrapped(body, &s, &b))
		doc = body;
	else {
		doc = json_object_new_object();
		json_object_object_add(doc, "status",
		    json_object_new_int(got->status));
		json_object_object_add(doc, "body", body);
	}
	buf_init(&out);
	buf_puts(&out, json_object_to_json_string_ext(doc,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	buf_putc(&out, '\n');
	if (old_text->len != out.len ||
	    memcmp(old_text->p, out.p, out.len) != 0)
		rc = triage_write_file(path, out.p, out.len, err, errsz);
	buf_clear(&out);
	json_object_put(doc);
	return rc;
}

/* The differences of got from want, printed into text; how many. */
static size_t
differences(const struct replay *r, const struct answer *want,
    const struct answer *got, char **text)
{
	size_t	 n = 0, len;
	FILE	*fp;

	if ((fp = open_memstream(text, &len)) == NULL) {
		fprintf(stderr, "cxhook replay: out of memory\n");
		abort();
	}
	if (want->status != got->status) {
		fprintf(fp, "  status: expected %d, got %d\n", want->status,
		    got->status);
		n++;
	}
	n += jdiff(fp, &r->vol, want->body, got->body, DIFF_LINES);
	fclose(fp);
	return n;
}

/* Compares (or, with --update, writes) one answer; 0 or an exit code. */
static int
judge(struct replay *r, const char *name, const struct answer *got)
{
	struct answer	 want = { 0, NULL };
	struct buf	 old_text;
	char		*exp_name, *path, *text = NULL, err[512];
	int		 has, rc = 0;

	exp_name = swap_suffix(name, REQUEST_SUFFIX, EXPECTED_SUFFIX);
	path = join(r->dir, exp_name);
	buf_init(&old_text);
	has = read_expected(path, &want, &old_text, err, sizeof(err));
	if (has == 1) {
		r->fresh++;
		printf("new     %s: %s %s\n", name,
		    r->update ? "wrote" : "no", exp_name);
	} else if (has == -1 && !r->update) {
		r->failed++;
		printf("FAIL    %s: %s: %s\n", name, exp_name, err);
	} else if (has == -1) {
		r->updated++;
		printf("updated %s: %s was %s\n", name, exp_name, err);
	} else if (differences(r, &want, got, &text) == 0) {
		r->passed++;
		printf("ok      %s\n", name);
	} else {
		if (r->update)
			r->updated++;
		else
			r->failed++;
		printf("%s %s\n%s", r->update ? "updated" : "FAIL   ", name,
		    text);
	}
	if (r->update && write_expected(r, path, got, has == 0 ? &want : NULL,
	    &old_text, err, sizeof(err)) == -1) {
		fprintf(stderr, "cxhook replay: %s\n", err);
		rc = EX_CANTCREAT;
	}
	free(text);
	json_object_put(want.body);
	buf_clear(&old_text);
	free(path);
	free(exp_name);
	return rc;
}

/* Sends one request and judges its answer; 0 or an exit code. */
static int
replay_one(struct replay *r, const char *name)
{
	struct send_result	 res;
	struct answer		 got = { 0, NULL };
	struct buf		 req;
	char			*path, err[512];
	int			 rc;

	path = join(r->dir, name);
	buf_init(&req);
	send_result_init(&res);
	if (send_read_file(path, &req) == -1) {
		fprintf(stderr, "cxhook replay: %s: %s\n", path,
		    strerror(errno));
		rc = EX_NOINPUT;
	} else if (send_post(r->target, req.p != NULL ? req.p : "", req.len,
	    r->token, r->timeout_ms, &res, err, sizeof(err)) == -1) {
		fprintf(stderr, "cxhook replay: %s: no answer: %s\n", name,
		    err);
		rc = EX_UNAVAILABLE;
	} else {
		answer_of(&res, &got);
		rc = judge(r, name, &got);
		json_object_put(got.body);
	}
	send_result_clear(&res);
	buf_clear(&req);
	free(path);
	return rc;
}

/* An expected file whose request is gone is a golden answer nobody checks. */
static void
orphans(struct replay *r, const struct names *req, const struct names *exp)
{
	size_t	 i;
	char	*name;

	for (i = 0; i < exp->n; i++) {
		name = swap_suffix(exp->v[i], EXPECTED_SUFFIX, REQUEST_SUFFIX);
		if (bsearch(&name, req->v, req->n, sizeof(*req->v),
		    by_name) == NULL) {
			r->failed++;
			printf("FAIL    %s: no request %s\n", exp->v[i], name);
		}
		free(name);
	}
}

/* DIR/replay.volatile: a path a line; blank lines and # comments. */
static int
load_volatile(struct replay *r)
{
	FILE	*fp;
	char	*path, *line = NULL, *s, err[512];
	size_t	 cap = 0, n;
	int	 lineno = 0, rc = 0;

	path = join(r->dir, VOLATILE_FILE);
	if ((fp = fopen(path, "r")) == NULL) {
		if (errno != ENOENT) {
			fprintf(stderr, "cxhook replay: %s: %s\n", path,
			    strerror(errno));
			rc = EX_NOINPUT;
		}
		free(path);
		return rc;
	}
	while (rc == 0 && getline(&line, &cap, fp) != -1) {
		lineno++;
		s = line + strspn(line, " \t");
		n = strlen(s);
		while (n > 0 && strchr(" \t\r\n", s[n - 1]) != NULL)
			s[--n] = '\0';
		if (n == 0 || *s == '#')
			continue;
		if (jpath_set_add(&r->vol, s, err, sizeof(err)) == -1) {
			fprintf(stderr, "cxhook replay: %s:%d: %s\n", path,
			    lineno, err);
			rc = EX_DATAERR;
		}
	}
	free(line);
	fclose(fp);
	free(path);
	return rc;
}

static int
parse_opts(int argc, char **argv, struct replay *r)
{
	static const struct option longopts[] = {
		{ "target", required_argument, NULL, 't' },
		{ "update", no_argument, NULL, 'u' },
		{ "volatile", required_argument, NULL, 'v' },
		{ "token", required_argument, NULL, 'k' },
		{ "token-file", required_argument, NULL, 'K' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char	err[512];
	int	ch;

	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 't':
			r->target = optarg;
			break;
		case 'u':
			r->update = true;
			break;
		case 'v':
			if (jpath_set_add(&r->vol, optarg, err,
			    sizeof(err)) == -1) {
				fprintf(stderr, "cxhook replay: --volatile: "
				    "%s\n", err);
				return EX_USAGE;
			}
			break;
		case 'k':
			r->token = optarg;
			break;
		case 'K':
			if (send_read_token(optarg, r->token_buf,
			    sizeof(r->token_buf), err, sizeof(err)) == -1) {
				fprintf(stderr, "cxhook replay: %s\n", err);
				return EX_NOINPUT;
			}
			r->token = r->token_buf;
			break;
		case 'T':
			r->timeout_ms = atoi(optarg) * 1000;
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
	r->dir = argv[optind];
	if (r->timeout_ms <= 0)
		r->timeout_ms = 10000;
	return 0;
}

static int
run(struct replay *r)
{
	struct names	req = { NULL, 0 }, exp = { NULL, 0 };
	size_t		i;
	int		rc = 0;

	if (list_dir(r->dir, &req, &exp) == -1) {
		fprintf(stderr, "cxhook replay: %s: %s\n", r->dir,
		    strerror(errno));
		return EX_NOINPUT;
	}
	if (req.n == 0) {
		fprintf(stderr, "cxhook replay: %s: no request (NAME%s)\n",
		    r->dir, REQUEST_SUFFIX);
		rc = EX_NOINPUT;
		goto out;
	}
	/* A conversation stops where the pool stopped answering. */
	for (i = 0; i < req.n && rc == 0; i++)
		rc = replay_one(r, req.v[i]);
	if (rc == 0)
		orphans(r, &req, &exp);
	printf("replay: %d passed, %d failed, %d new", r->passed, r->failed,
	    r->fresh);
	if (r->update)
		printf(", %d updated", r->updated);
	putchar('\n');
	if (rc == 0 && (r->failed > 0 || (r->fresh > 0 && !r->update)))
		rc = 1;
out:
	names_free(&req);
	names_free(&exp);
	return rc;
}

int
replay_main(int argc, char **argv)
{
	struct replay	r;
	int		rc;

	signal(SIGPIPE, SIG_IGN);
	memset(&r, 0, sizeof(r));
	r.target = DEFAULT_TARGET;
	if ((rc = parse_opts(argc, argv, &r)) == 0 &&
	    (rc = load_volatile(&r)) == 0)
		rc = run(&r);
	jpath_set_free(&r.vol);
	return rc;
}
