/*
 * How long triage takes in a worker: classifying one utterance
 * (triage_classify), and the whole triage turn a worker runs (decode the
 * WebhookRequest, the handler, encode the answer), over every utterance
 * of a CSV file, several rounds.  `make bench-triage` runs it.
 *
 *   triage_bench MODEL FILE.csv [ROUNDS]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cx/cx.h"
#include "handlers/wh.h"
#include "lib/buf.h"
#include "triage/train.h"
#include "triage/triage.h"

static int64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* CPU time of this process: what a busy machine does not inflate. */
static int64_t
cpu_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void
report(const char *what, int64_t *ns, size_t n, int64_t cpu)
{
	int64_t	sum = 0;
	size_t	i;

	for (i = 0; i < n; i++)
		sum += ns[i];
	qsort(ns, n, sizeof(*ns), cmp_i64);
	printf("%-24s %6.1f µs CPU each; wall: %6.1f µs mean, %6.1f p50, "
	    "%6.1f p99 (%zu calls)\n", what, (double)cpu / (double)n / 1000,
	    (double)sum / (double)n / 1000, (double)ns[n / 2] / 1000,
	    (double)ns[n * 99 / 100] / 1000, n);
}

/* One triage request as a worker gets it, built around text. */
static void
request_for(struct buf *b, const char *text)
{
	const char	*p;

	buf_reset(b);
	buf_puts(b, "{\"fulfillmentInfo\":{\"tag\":\"triage\"},\"text\":\"");
	for (p = text; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			buf_putc(b, '\\');
		buf_putc(b, *p);
	}
	buf_puts(b, "\"}");
}

int
main(int argc, char **argv)
{
	struct triage_model	*m;
	struct triage_data	 d;
	struct triage_result	 r;
	struct wh_settings	 s;
	struct wh_ctx		 ctx;
	struct cx_request	 req;
	struct cx_err		 cerr;
	struct buf		 body, out;
	int64_t			*ns, t, cpu;
	size_t			 i, k, n = 0, rounds;
	char			 err[512];

	if (argc < 3) {
		fprintf(stderr, "usage: triage_bench MODEL FILE.csv [ROUNDS]\n");
		return 64;
	}
	rounds = argc > 3 ? (size_t)atoi(argv[3]) : 10;
	if ((m = triage_model_load(argv[1], err, sizeof(err))) == NULL ||
	    triage_csv_read(argv[2], &d, err, sizeof(err)) == -1) {
		fprintf(stderr, "triage_bench: %s\n", err);
		return 1;
	}
	ns = calloc(d.n * rounds, sizeof(*ns));
	/* A first pass warms the caches and opens the word iterator. */
	for (i = 0; i < d.n; i++)
		(void)triage_classify(m, d.text[i], d.len[i], &r, NULL);
	cpu = cpu_ns();
	for (k = 0; k < rounds; k++) {
		for (i = 0; i < d.n; i++) {
			t = now_ns();
			(void)triage_classify(m, d.text[i], d.len[i], &r, NULL);
			ns[n++] = now_ns() - t;
		}
	}
	report("classify", ns, n, cpu_ns() - cpu);

	memset(&s, 0, sizeof(s));
	s.time_zone = "UTC";
	buf_init(&body);
	buf_init(&out);
	n = 0;
	cpu = cpu_ns();
	for (k = 0; k < rounds; k++) {
		for (i = 0; i < d.n; i++) {
			request_for(&body, d.text[i]);
			t = now_ns();
			if (cx_decode(body.p, body.len, &req, &cerr) == -1) {
				fprintf(stderr, "triage_bench: %s\n", cerr.msg);
				return 1;
			}
			memset(&ctx, 0, sizeof(ctx));
			ctx.req = &req;
			ctx.resp = cx_response_new();
			ctx.settings = &s;
			ctx.triage = m;
			dispatch(&ctx, route_find(&req));
			buf_reset(&out);
			(void)cx_encode(ctx.resp, &out, &cerr);
			cx_response_free(ctx.resp);
			cx_request_free(&req);
			ns[n++] = now_ns() - t;
		}
	}
	report("decode, triage, encode", ns, n, cpu_ns() - cpu);
	printf("model: %zu categories, %zu terms, %zu bytes mapped\n",
	    triage_model_nclass(m), triage_model_nterm(m),
	    triage_model_bytes(m));
	buf_clear(&body);
	buf_clear(&out);
	free(ns);
	triage_data_free(&d);
	triage_model_free(m);
	return 0;
}
