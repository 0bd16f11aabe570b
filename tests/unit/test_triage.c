/*
 * Unit tests for triage: the features, training on the small CLINC150
 * subset in tests/data/clinc150/ (its README has the attribution), the
 * model file (determinism, round trip, every kind of damage refused),
 * hostile utterances, the triage handler and its [triage] keys.
 *
 * Run from the top of the tree (make does), where the data is.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "config/config.h"
#include "cx/cx.h"
#include "fake_db.h"
#include "handlers/wh.h"
#include "harness.h"
#include "lib/buf.h"
#include "triage/model.h"
#include "triage/train.h"
#include "triage/triage.h"

#define TRAIN_CSV	"tests/data/clinc150/train-small.csv"
#define VAL_CSV		"tests/data/clinc150/validation-small.csv"

/* Trained once for the whole file (group setup). */
static struct buf		 model_bytes;
static struct triage_model	*model;
static struct triage_fit	 fit;

static void
train_into(struct buf *out, struct triage_fit *f)
{
	struct triage_train_opts o;
	struct triage_data	 d;
	char			 err[512];

	assert_int_equal(triage_csv_read(TRAIN_CSV, &d, err, sizeof(err)), 0);
	triage_train_defaults(&o);
	if (triage_train(&d, NULL, &o, out, f, err, sizeof(err)) != 0)
		fail_msg("train: %s", err);
	triage_data_free(&d);
}

static int
setup(void **state)
{
	char	err[512];

	buf_init(&model_bytes);
	train_into(&model_bytes, &fit);
	model = triage_model_parse(model_bytes.p, model_bytes.len, err,
	    sizeof(err));
	if (model == NULL)
		fail_msg("parse: %s", err);
	return 0;
}

static int
teardown(void **state)
{
	triage_model_free(model);
	buf_clear(&model_bytes);
	return 0;
}

/* ---- features ---- */

struct terms {
	char	list[64][TRIAGE_TERM_MAX + 1];
	size_t	n, total;
};

static void
keep_term(void *arg, const char *term, size_t len)
{
	struct terms	*t = arg;

	t->total++;
	if (t->n < 64) {
		memcpy(t->list[t->n], term, len);
		t->list[t->n++][len] = '\0';
	}
}

static bool
has_term(const struct terms *t, const char *want)
{
	size_t	i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->list[i], want) == 0)
			return true;
	return false;
}

static void
test_terms(void **state)
{
	struct terms	t;

	memset(&t, 0, sizeof(t));
	assert_int_equal(triage_terms("Hi, Bob!", 8, keep_term, &t), 0);
	/* Character n-grams of " hi " and " bob ", then the words. */
	assert_true(has_term(&t, "c h"));
	assert_true(has_term(&t, "c hi "));
	assert_true(has_term(&t, "c bob "));
	assert_true(has_term(&t, "whi"));
	assert_true(has_term(&t, "wbob"));
	assert_true(has_term(&t, "whi bob"));
	assert_false(has_term(&t, "w,"));
	/* " hi ": 3 + 2 + 1; " bob ": 4 + 3 + 2 + 1; 2 + 1 words. */
	assert_int_equal(t.total, 6 + 10 + 3);
}

/* Fullwidth, upper case and a ligature give the same terms as plain. */
static void
test_terms_fold(void **state)
{
	struct terms		a, b;
	size_t			i;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	static const char	wide[] = "\xef\xbc\xb7\xef\xbc\xa5\xef\xbc\xa1"
	    "\xef\xbc\xb4\xef\xbc\xa8\xef\xbc\xa5\xef\xbc\xb2 \xef\xac\x81ne";

	/* ＷＥＡＴＨＥＲ ﬁne */
	assert_int_equal(triage_terms(wide, sizeof(wide) - 1, keep_term, &a),
	    0);
	assert_int_equal(triage_terms("weather fine", 12, keep_term, &b), 0);
	assert_int_equal(a.n, b.n);
	for (i = 0; i < a.n; i++)
		assert_string_equal(a.list[i], b.list[i]);
}

/* ---- training and quality ---- */

static void
figures_on(const struct triage_model *m, const char *csv,
    struct triage_figures *f)
{
	struct triage_data	 d;
	struct triage_result	 r;
	struct triage_eval	*ev;
	char			 err[512];
	size_t			 i;

	assert_int_equal(triage_csv_read(csv, &d, err, sizeof(err)), 0);
	ev = triage_eval_new(m, "oos");
	for (i = 0; i < d.n; i++) {
		assert_int_equal(triage_classify(m, d.text[i], d.len[i], &r,
		    NULL), 0);
		triage_eval_add(ev, d.label[i], &r);
	}
	triage_eval_figures(ev, f);
	triage_eval_free(ev);
	triage_data_free(&d);
}

/*
 * Ten intents and out of scope: chance is under 10 %.  The subset is
 * small, so the bars are well below what the full data gives, and well
 * above chance.
 */
static void
test_quality(void **state)
{
	struct triage_figures	f;

	assert_int_equal(triage_model_nclass(model), 11);
	assert_int_equal(fit.nclass, 11);
	assert_true(triage_model_oos(model) >= 0);
	assert_string_equal(triage_model_label(model,
	    (size_t)triage_model_oos(model)), "oos");
	figures_on(model, VAL_CSV, &f);
	assert_int_equal(f.n, 120);
	assert_int_equal(f.n_in, 100);
	assert_int_equal(f.n_oos, 20);
	if (f.accuracy < 0.85 || f.recall < 0.3 || f.macro_f1 < 0.75)
		fail_msg("accuracy %.3f, recall %.3f, macro-F1 %.3f",
		    f.accuracy, f.recall, f.macro_f1);
}

static void
test_classify_known(void **state)
{
	struct triage_result	r;
	static const struct {
		const char	*text;
		const char	*want;
	} cases[] = {
		{ "set an alarm for 6 am tomorrow", "alarm" },
		{ "what is the weather like in boston today", "weather" },
		{ "how do you say thank you in german", "translate" },
	};
	size_t	i;

	for (i = 0; i < NITEMS(cases); i++) {
		assert_int_equal(triage_classify(model, cases[i].text,
		    strlen(cases[i].text), &r, NULL), 0);
		assert_string_equal(r.category, cases[i].want);
		assert_false(r.out_of_scope);
		assert_true(r.confidence > triage_model_threshold(model));
	}
}

/* The probabilities sum to 1 and the category is the best in scope. */
static void
test_probabilities(void **state)
{
	struct triage_result	r;
	double			p[16], sum = 0;
	size_t			k, n = triage_model_nclass(model);
	int			oos = triage_model_oos(model);

	assert_int_equal(triage_classify(model, "pay my electric bill", 20,
	    &r, p), 0);
	for (k = 0; k < n; k++) {
		assert_true(p[k] >= 0 && p[k] <= 1);
		sum += p[k];
		if ((int)k != oos)
			assert_true(p[k] <= r.confidence);
	}
	assert_true(fabs(sum - 1) < 1e-9);
	assert_string_equal(r.category, "pay_bill");
	assert_true(r.confidence == p[triage_model_find_label(model,
	    "pay_bill")]);
}

/* The same data gives the same model file, byte for byte. */
static void
test_deterministic(void **state)
{
	struct buf		again;
	struct triage_fit	f;

	buf_init(&again);
	train_into(&again, &f);
	assert_int_equal(again.len, model_bytes.len);
	assert_memory_equal(again.p, model_bytes.p, again.len);
	buf_clear(&again);
}

/* ---- the file ---- */

static char *
temp_path(const char *name)
{
	const char	*dir = getenv("TMPDIR");
	char		*p;

	if (asprintf(&p, "%s/cxhook-test-triage-%ld-%s", dir != NULL ? dir :
	    "/tmp", (long)getpid(), name) == -1)
		abort();
	return p;
}

static void
test_round_trip(void **state)
{
	struct triage_model	*back;
	struct triage_result	 a, b;
	double			 pa[16], pb[16];
	char			 err[512], *path = temp_path("model");
	FILE			*fp;
	char			*bytes;
	long			 len;
	static const char *const texts[] = { "book me a flight to rome",
	    "play some jazz", "what's the meaning of life", "" };
	size_t			 i;

	assert_int_equal(triage_write_file(path, model_bytes.p,
	    model_bytes.len, err, sizeof(err)), 0);
	/* The file holds exactly the bytes, and nothing was left beside it. */
	assert_non_null(fp = fopen(path, "rb"));
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	assert_int_equal(len, (long)model_bytes.len);
	bytes = malloc((size_t)len);
	assert_int_equal(fread(bytes, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	assert_memory_equal(bytes, model_bytes.p, (size_t)len);
	free(bytes);

	back = triage_model_load(path, err, sizeof(err));
	if (back == NULL)
		fail_msg("load: %s", err);
	assert_int_equal(triage_model_nterm(back), triage_model_nterm(model));
	assert_true(triage_model_threshold(back) ==
	    triage_model_threshold(model));
	for (i = 0; i < NITEMS(texts); i++) {
		triage_classify(model, texts[i], strlen(texts[i]), &a, pa);
		triage_classify(back, texts[i], strlen(texts[i]), &b, pb);
		assert_string_equal(a.category, b.category);
		assert_memory_equal(pa, pb, sizeof(double) *
		    triage_model_nclass(model));
		assert_int_equal(a.out_of_scope, b.out_of_scope);
	}
	triage_model_free(back);
	unlink(path);
	free(path);
}

static void
refused(const void *p, size_t len, const char *want)
{
	struct triage_model	*m;
	char			 err[512] = "";

	m = triage_model_parse(p, len, err, sizeof(err));
	if (m != NULL)
		fail_msg("accepted a model that should be refused (%s)", want);
	if (strstr(err, want) == NULL)
		fail_msg("refused with \"%s\", want \"%s\"", err, want);
}

/* Rewrites the checksum, so the check past it is what refuses. */
static void
reseal(unsigned char *p, size_t len)
{
	unsigned int	n;

	assert_int_equal(EVP_Digest(p, len - 32, p + len - 32, &n,
	    EVP_sha256(), NULL), 1);
}

static void
test_damage(void **state)
{
	unsigned char	*p = malloc(model_bytes.len);
	size_t		 len = model_bytes.len, i;
	char		 err[512];
	const size_t	 at[] = { 0, 9, 13, 40, 64, 200, len / 2, len - 40,
	    len - 1 };
	uint32_t	 v;

	refused(model_bytes.p, 0, "too short");
	refused(model_bytes.p, 70, "too short");
	refused(model_bytes.p, len - 1, "checksum");
	refused(model_bytes.p, len / 2, "checksum");
	for (i = 0; i < NITEMS(at); i++) {
		memcpy(p, model_bytes.p, len);
		p[at[i]] ^= 0x20;
		refused(p, len, at[i] < 8 ? "not a cxhook" : at[i] < 12 ?
		    "version" : "checksum");
	}
	/* Well sealed but wrong inside. */
	memcpy(p, model_bytes.p, len);
	v = 2;
	memcpy(p + 8, &v, 4);
	reseal(p, len);
	refused(p, len, "version");
	memcpy(p, model_bytes.p, len);
	v = 5000;
	memcpy(p + 12, &v, 4);
	reseal(p, len);
	refused(p, len, "counts");
	memcpy(p, model_bytes.p, len);
	v = 12;
	memcpy(p + 12, &v, 4);
	reseal(p, len);
	refused(p, len, "size does not match");
	memcpy(p, model_bytes.p, len);
	memcpy(p + len - 36, "\x00\x00\xc0\x7f", 4);	/* a NaN weight */
	reseal(p, len);
	refused(p, len, "finite");
	/* Finite, but large enough to make a score infinite. */
	memcpy(p, model_bytes.p, len);
	memcpy(p + len - 36, "\xca\xf2\x49\x71", 4);	/* 1e30 */
	reseal(p, len);
	refused(p, len, "at most 1e6");
	memcpy(p, model_bytes.p, len);
	p[TRIAGE_HEADER] = '!';				/* the first label */
	reseal(p, len);
	refused(p, len, "label");
	free(p);

	assert_null(triage_model_load("/nonexistent/triage.model", err,
	    sizeof(err)));
	assert_non_null(strstr(err, "No such file"));
	assert_null(triage_model_load("/", err, sizeof(err)));
}

/* ---- hostile utterances ---- */

static void
classify_ok(const char *text, size_t len)
{
	struct triage_result	r;
	char			*copy = malloc(len + 1);

	/* Exactly len bytes, nothing after: ASan sees a read past them. */
	memcpy(copy, text, len);
	memset(&r, 0, sizeof(r));
	assert_int_equal(triage_classify(model, copy, len, &r, NULL), 0);
	assert_non_null(r.category);
	assert_true(triage_model_find_label(model, r.category) >= 0);
	assert_int_not_equal(triage_model_find_label(model, r.category),
	    triage_model_oos(model));
	assert_true(r.confidence >= 0 && r.confidence <= 1);
	free(copy);
}

#define HOSTILE(lit)	classify_ok((lit), sizeof(lit) - 1)

static void
test_hostile(void **state)
{
	struct triage_result	r;
	char			*big;
	size_t			 i;

	HOSTILE("");
	HOSTILE("   \t\n  ");
	HOSTILE("\xf0\x9f\x98\x80\xf0\x9f\x98\xa1\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd");
	HOSTILE("\xd8\xa7\xd9\x84\xd8\xb7\xd9\x82\xd8\xb3 \xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d");
	HOSTILE("e\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81 a\xcd\x9c\xcd\x9c");
	HOSTILE("weather\0in\0paris");
	HOSTILE("\0\0\0");
	HOSTILE("\xff\xfe\xc0\xaf\xed\xa0\x80 bad utf-8 \xe2\x82");
	HOSTILE("\xef\xb7\xba\xef\xb7\xba\xef\xb7\xba");	/* U+FDFA grows 18 times */
	HOSTILE("\xe2\x80\xae\xe2\x80\x8b\xc2\xad\xe2\x81\xa6");

	/* 64 KiB: a word, words, and U+FDFA, which NFKC makes 18 times longer. */
	big = malloc(65536);
	memset(big, 'a', 65536);
	classify_ok(big, 65536);
	for (i = 0; i < 65536; i++)
		big[i] = i % 5 == 4 ? ' ' : "abcd"[i % 5];
	classify_ok(big, 65536);
	for (i = 0; i + 3 <= 65536; i += 3)
		memcpy(big + i, "\xef\xb7\xba", 3);
	classify_ok(big, 65535);
	/* Cut inside a character: the cut backs off to its start. */
	classify_ok(big, TRIAGE_TEXT_MAX + 1);
	free(big);

	/* Nothing to go on is out of scope. */
	assert_int_equal(triage_classify(model, "", 0, &r, NULL), 0);
	assert_true(r.out_of_scope);
}

/* ---- the handler ---- */

/* A session parameter that is a JSON boolean. */
static void
assert_bool(const struct result *res, const char *name, bool want)
{
	char		 path[128];
	json_object	*v;

	snprintf(path, sizeof(path), PARAMS ".%s", name);
	v = jget(res->o, path);
	if (v == NULL || !json_object_is_type(v, json_type_boolean) ||
	    json_object_get_boolean(v) != want)
		fail_msg("%s is not %s: %s", name, want ? "true" : "false",
		    res->raw.p);
}

static const struct config_route routes[] = {
	{ "alarm", "projects/p/locations/l/agents/a/flows/f/pages/alarm" },
};

static void
run_triage(const struct triage_model *m, const struct wh_settings *s,
    const char *json, struct result *res)
{
	struct fake_db	f;
	struct wh_ctx	ctx;

	memset(&f, 0, sizeof(f));
	ctx_db(&ctx, &f, s, 55555);
	ctx.triage = m;
	harness_run(&ctx, NULL, json, res);
}

static void
settings(struct wh_settings *s, const char *text_param)
{
	memset(s, 0, sizeof(*s));
	s->time_zone = "UTC";
	s->triage_text_param = text_param;
	s->triage_routes = routes;
	s->n_triage_routes = NITEMS(routes);
}

static json_object *
msg_of(const struct result *res, const char *kind)
{
	char		path[128];
	size_t		i;
	json_object	*o;

	for (i = 0; i < nmsgs(res); i++) {
		snprintf(path, sizeof(path), MSGS "[%zu].%s", i, kind);
		if ((o = jget(res->o, path)) != NULL)
			return o;
	}
	return NULL;
}

static void
test_handler_in_scope(void **state)
{
	struct wh_settings	s;
	struct result		res;
	char			raw[64];

	settings(&s, NULL);
	run_triage(model, &s, "{\"fulfillmentInfo\":{\"tag\":\"triage\"},"
	    "\"text\":\"wake me up with an alarm at 6 am\"}", &res);
	assert_string_equal(res.route->family, "triage");
	assert_string_equal(jstr(res.o, PARAMS ".category"), "alarm");
	assert_bool(&res, "out_of_scope", false);
	raw_param(&res, "category_confidence", raw, sizeof(raw));
	/* A percentage with two decimals. */
	assert_non_null(strchr(raw, '.'));
	assert_int_equal(strlen(strchr(raw, '.')), 3);
	assert_true(atof(raw) > 100 * triage_model_threshold(model) &&
	    atof(raw) <= 100);
	assert_string_equal(jstr(res.o, "targetPage"), routes[0].page);
	assert_string_equal(only_text(&res), "Got it.");
	assert_null(msg_of(&res, "liveAgentHandoff"));
	assert_false(jhas(res.o, PARAMS ".handoff_suggested"));
	result_free(&res);

	/* A category with no route stays on the page. */
	run_triage(model, &s, "{\"fulfillmentInfo\":{\"tag\":\"triage\"},"
	    "\"text\":\"what's the weather in paris this weekend\"}", &res);
	assert_string_equal(jstr(res.o, PARAMS ".category"), "weather");
	assert_false(jhas(res.o, "targetPage"));
	result_free(&res);
}

static void
test_handler_out_of_scope(void **state)
{
	struct wh_settings	s;
	struct result		res;

	settings(&s, NULL);
	/* Symbols make no terms: nothing to go on. */
	run_triage(model, &s, "{\"fulfillmentInfo\":{\"tag\":\"triage\"},"
	    "\"text\":\"?!?! ...\"}", &res);
	assert_bool(&res, "out_of_scope", true);
	assert_bool(&res, "handoff_suggested", true);
	assert_non_null(jstr(res.o, PARAMS ".category"));
	assert_non_null(msg_of(&res, "liveAgentHandoff"));
	assert_string_equal(jstr(msg_of(&res, "liveAgentHandoff"),
	    "metadata.reason"), "out_of_scope");
	assert_non_null(strstr(the_text(&res), "connect you"));
	assert_false(jhas(res.o, "targetPage"));
	result_free(&res);
}

static void
test_handler_text_param(void **state)
{
	struct wh_settings	s;
	struct result		res;

	settings(&s, "utterance");
	run_triage(model, &s, "{\"fulfillmentInfo\":{\"tag\":\"triage\"},"
	    "\"text\":\"set an alarm\",\"sessionInfo\":{\"parameters\":"
	    "{\"utterance\":\"how do i say good night in spanish\"}}}", &res);
	assert_string_equal(jstr(res.o, PARAMS ".category"), "translate");
	result_free(&res);
}

static void
test_handler_no_text(void **state)
{
	struct wh_settings	s;
	struct result		res;
	static const char *const reqs[] = {
		"{\"fulfillmentInfo\":{\"tag\":\"triage\"}}",
		"{\"fulfillmentInfo\":{\"tag\":\"triage\"},\"text\":\"  \"}",
		"{\"fulfillmentInfo\":{\"tag\":\"triage\"},"
		    "\"triggerEvent\":\"welcome\"}",
	};
	size_t	i;

	settings(&s, NULL);
	for (i = 0; i < NITEMS(reqs); i++) {
		run_triage(model, &s, reqs[i], &res);
		assert_non_null(strstr(only_text(&res), "help you with"));
		assert_false(jhas(res.o, PARAMS ".category"));
		result_free(&res);
	}
	/* The text parameter named but absent: asked for too. */
	settings(&s, "utterance");
	run_triage(model, &s, "{\"fulfillmentInfo\":{\"tag\":\"triage\"},"
	    "\"text\":\"set an alarm\"}", &res);
	assert_non_null(strstr(only_text(&res), "help you with"));
	result_free(&res);
}

static void
test_handler_no_model(void **state)
{
	struct wh_settings	s;
	struct result		res;

	settings(&s, NULL);
	run_triage(NULL, &s, "{\"fulfillmentInfo\":{\"tag\":\"triage\"},"
	    "\"text\":\"set an alarm\"}", &res);
	assert_error_code(&res, "triage_unavailable");
	assert_bool(&res, "handoff_suggested", true);
	result_free(&res);
}

/* ---- [triage] keys ---- */

static int
load_conf(const char *text, struct config *cfg, char *err, size_t errsz)
{
	char	*path = temp_path("conf");
	FILE	*fp = fopen(path, "w");
	int	 rc;

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	rc = config_load(path, cfg, err, errsz);
	unlink(path);
	free(path);
	return rc;
}

static void
test_config(void **state)
{
	struct config	cfg;
	char		err[1024];
	static const struct {
		const char	*text;
		const char	*why;
	} bad[] = {
		{ "[triage]\nroute.alarm = projects/p/locations/l/agents/a/"
		    "flows/f/pages/x\n", "need [triage] model" },
		{ "[triage]\nmodel = /m\nroute.alarm = p/pages/x\n"
		    "route.alarm = p/pages/y\n", "set twice" },
		{ "[triage]\nmodel = /m\nroute. = p/pages/x\n", "route.CATEGORY" },
		{ "[triage]\nmodel = /m\nroute.a b = p/pages/x\n",
		    "route.CATEGORY" },
		{ "[triage]\nmodel = /m\nroute.alarm = somewhere\n",
		    "page resource" },
		{ "[triage]\nmodel = /m\nroutes = p/pages/x\n", "unknown key" },
		{ "[triage]\nmodel = /m\ntext_param = \n", "must not be empty" },
	};
	size_t	i;

	assert_int_equal(load_conf("[triage]\nmodel = /var/lib/m\n"
	    "text_param = utterance\n"
	    "route.alarm = projects/p/locations/l/agents/a/flows/f/pages/1\n"
	    "route.book_flight = projects/p/locations/l/agents/a/flows/f/"
	    "pages/2\n", &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.triage_model, "/var/lib/m");
	assert_string_equal(cfg.triage_text_param, "utterance");
	assert_int_equal(cfg.n_triage_routes, 2);
	assert_string_equal(cfg.triage_routes[1].category, "book_flight");
	assert_string_equal(cfg.triage_routes[1].page,
	    "projects/p/locations/l/agents/a/flows/f/pages/2");
	config_free(&cfg);

	for (i = 0; i < NITEMS(bad); i++) {
		if (load_conf(bad[i].text, &cfg, err, sizeof(err)) == 0)
			fail_msg("accepted: %s", bad[i].text);
		if (strstr(err, bad[i].why) == NULL)
			fail_msg("%s: refused with \"%s\", want \"%s\"",
			    bad[i].text, err, bad[i].why);
		config_free(&cfg);
	}
}

/* ---- the CSV reader ---- */

static void
test_csv(void **state)
{
	struct triage_data	d;
	char			err[512], *path = temp_path("csv");
	FILE			*fp = fopen(path, "w");

	assert_non_null(fp);
	fputs("text,label\r\nplain,a\r\n\"with, comma\",b\n"
	    "\"say \"\"hi\"\"\nthere\",c\n", fp);
	fclose(fp);
	assert_int_equal(triage_csv_read(path, &d, err, sizeof(err)), 0);
	assert_int_equal(d.n, 3);
	assert_string_equal(d.text[0], "plain");
	assert_string_equal(d.label[0], "a");
	assert_string_equal(d.text[1], "with, comma");
	assert_string_equal(d.text[2], "say \"hi\"\nthere");
	assert_string_equal(d.label[2], "c");
	triage_data_free(&d);

	fp = fopen(path, "w");
	fputs("text,label\nno label here\n", fp);
	fclose(fp);
	assert_int_equal(triage_csv_read(path, &d, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":2: expected two fields"));
	fp = fopen(path, "w");
	fputs("words,label\n", fp);
	fclose(fp);
	assert_int_equal(triage_csv_read(path, &d, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "header"));
	unlink(path);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_terms),
		cmocka_unit_test(test_terms_fold),
		cmocka_unit_test(test_quality),
		cmocka_unit_test(test_classify_known),
		cmocka_unit_test(test_probabilities),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_damage),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_handler_in_scope),
		cmocka_unit_test(test_handler_out_of_scope),
		cmocka_unit_test(test_handler_text_param),
		cmocka_unit_test(test_handler_no_text),
		cmocka_unit_test(test_handler_no_model),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_csv),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
