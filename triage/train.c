/*
 * Training a triage model (see triage.h and train.h).
 *
 *  1. The vectorizer: every training utterance's terms (features.c) are
 *     counted; terms in fewer than min_df utterances are dropped; the
 *     rest, sorted, are the vocabulary.  IDF is scikit-learn's smooth
 *     one, ln((1 + n) / (1 + df)) + 1; an utterance is its raw term
 *     counts times IDF, the character block and the word block each
 *     L2-normalised (as a FeatureUnion of two TfidfVectorizers).
 *  2. The classifier: liblinear's L2-regularised logistic regression,
 *     one-vs-rest, with a bias feature of value 1; solver 7 (the dual,
 *     several times faster here than the primal, solver 0) by default.
 *  3. The threshold: the training data is cut into k folds (each label's
 *     rows dealt out in turn); the first `rounds` folds are each
 *     classified by a model trained on the others, and the threshold is
 *     chosen on these held-out answers (choose_threshold).  By default
 *     one fold of five, a held-out fifth: k-fold cross-validation (rounds
 *     = folds) gives the same threshold within a step or two here but
 *     costs five trainings instead of one.  The validation data, when
 *     given, stays unseen.  The folds train in `jobs` processes beside
 *     the final model (run_jobs).
 *
 * liblinear is loaded with dlopen when training starts: it brings
 * libstdc++ and BLAS, which a pool's workers never need.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dlfcn.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linear.h>
#include <openssl/evp.h>

#include "lib/xalloc.h"
#include "triage/model.h"
#include "triage/train.h"

#define LIBLINEAR_LIB	"liblinear.so.4"

static struct {
	__typeof__(train)			*train;
	__typeof__(check_parameter)		*check_parameter;
	__typeof__(predict_probability)		*predict_probability;
	__typeof__(free_and_destroy_model)	*free_model;
	__typeof__(set_print_string_function)	*set_print;
	bool					 loaded;
} ll;

static void
quiet(const char *s)
{
	(void)s;
}

int
triage_liblinear_load(char *err, size_t errsz)
{
	void	*h;

	if (ll.loaded)
		return 0;
	if ((h = dlopen(LIBLINEAR_LIB, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(err, errsz, "cannot load %s (Debian: liblinear4): %s",
		    LIBLINEAR_LIB, dlerror());
		return -1;
	}
	*(void **)&ll.train = dlsym(h, "train");
	*(void **)&ll.check_parameter = dlsym(h, "check_parameter");
	*(void **)&ll.predict_probability = dlsym(h, "predict_probability");
	*(void **)&ll.free_model = dlsym(h, "free_and_destroy_model");
	*(void **)&ll.set_print = dlsym(h, "set_print_string_function");
	if (ll.train == NULL || ll.check_parameter == NULL ||
	    ll.predict_probability == NULL || ll.free_model == NULL ||
	    ll.set_print == NULL) {
		snprintf(err, errsz, "%s lacks a function it should have",
		    LIBLINEAR_LIB);
		return -1;
	}
	ll.set_print(quiet);
	ll.loaded = true;
	return 0;
}

void
triage_train_defaults(struct triage_train_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->oos_label = "oos";
	o->solver = L2R_LR_DUAL;
	o->C = 30;
	o->eps = 0.1;
	o->min_df = 2;
	o->folds = 5;
	o->rounds = 1;
	o->jobs = 2;
	o->max_loss = 0.5;
}

/* The terms seen so far: strings in one arena, an open hash of ids. */
struct vocab {
	struct buf	 arena;
	size_t		*off;		/* id -> offset in arena */
	uint32_t	*df;
	uint32_t	*slots;		/* id + 1, or 0 */
	size_t		 n, nslots;
};

static const char *
vocab_term(const struct vocab *v, size_t id)
{
	return v->arena.p + v->off[id];
}

static void
vocab_grow(struct vocab *v)
{
	size_t		i, h, nslots = v->nslots == 0 ? 1024 : v->nslots * 2;
	uint32_t	*slots = xcalloc(nslots, sizeof(*slots));
	const char	*t;

	for (i = 0; i < v->n; i++) {
		t = vocab_term(v, i);
		h = triage_term_hash(t, strlen(t)) & (nslots - 1);
		while (slots[h] != 0)
			h = (h + 1) & (nslots - 1);
		slots[h] = (uint32_t)i + 1;
	}
	free(v->slots);
	v->slots = slots;
	v->nslots = nslots;
}

static uint32_t
vocab_id(struct vocab *v, const char *term, size_t len)
{
	size_t		h;
	uint32_t	i;
	const char	*t;

	if (2 * (v->n + 1) > v->nslots)
		vocab_grow(v);
	h = triage_term_hash(term, len) & (v->nslots - 1);
	while ((i = v->slots[h]) != 0) {
		t = vocab_term(v, i - 1);
		if (strncmp(t, term, len) == 0 && t[len] == '\0')
			return i - 1;
		h = (h + 1) & (v->nslots - 1);
	}
	v->off = xreallocarray(v->off, v->n + 1, sizeof(*v->off));
	v->df = xreallocarray(v->df, v->n + 1, sizeof(*v->df));
	v->off[v->n] = v->arena.len;
	v->df[v->n] = 0;
	buf_append(&v->arena, term, len);
	buf_putc(&v->arena, '\0');
	v->slots[h] = (uint32_t)++v->n;
	return (uint32_t)(v->n - 1);
}

static void
vocab_free(struct vocab *v)
{
	buf_clear(&v->arena);
	free(v->off);
	free(v->df);
	free(v->slots);
}

/* One utterance's distinct terms and their counts. */
struct doc {
	uint32_t	*id;
	uint32_t	*count;
	size_t		 n;
};

struct collect {
	struct vocab	*v;
	uint32_t	*id;
	size_t		 n, cap;
};

static void
on_term(void *arg, const char *term, size_t len)
{
	struct collect	*c = arg;

	if (c->n == c->cap) {
		c->cap = c->cap == 0 ? 256 : 2 * c->cap;
		c->id = xreallocarray(c->id, c->cap, sizeof(*c->id));
	}
	c->id[c->n++] = vocab_id(c->v, term, len);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Vocabulary ids by their terms' bytes. */
static int
cmp_vocab(const void *a, const void *b, void *arg)
{
	const struct vocab	*v = arg;

	return strcmp(vocab_term(v, *(const uint32_t *)a),
	    vocab_term(v, *(const uint32_t *)b));
}

static int
cmp_node(const void *a, const void *b)
{
	int	x = ((const struct feature_node *)a)->index;
	int	y = ((const struct feature_node *)b)->index;

	return (x > y) - (x < y);
}

/* Sorted ids with repeats -> distinct ids and counts. */
static void
doc_from(struct doc *d, uint32_t *id, size_t n)
{
	size_t	i, k;

	qsort(id, n, sizeof(*id), cmp_u32);
	d->id = xreallocarray(NULL, n + 1, sizeof(*d->id));
	d->count = xreallocarray(NULL, n + 1, sizeof(*d->count));
	d->n = 0;
	for (i = 0; i < n; i = k) {
		for (k = i + 1; k < n && id[k] == id[i]; k++)
			;
		d->id[d->n] = id[i];
		d->count[d->n++] = (uint32_t)(k - i);
	}
}

static void
docs_free(struct doc *docs, size_t n)
{
	size_t	i;

	for (i = 0; docs != NULL && i < n; i++) {
		free(docs[i].id);
		free(docs[i].count);
	}
	free(docs);
}

/* Everything the folds share, read-only once built. */
struct fitdata {
	size_t			  n, nclass, nterm;
	int			  oos;		/* class index, or -1 */
	char			**labels;	/* sorted */
	double			 *y;		/* class index per row */
	int			 *fold;
	struct feature_node	**x;		/* per row, bias appended */
	struct feature_node	 *nodes;
	char			**terms;	/* sorted vocabulary */
	uint32_t		  nchar;
	float			 *idf;
	struct parameter	  param;
	int			  folds, rounds;
	/* out-of-fold answers, per row, in memory shared with the folds */
	int			 *best;
	double			 *pbest, *poos;
	size_t			  shared_len;
	struct model		 *final;
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
find_str(char **sorted, size_t n, const char *s)
{
	char	**p = bsearch(&s, sorted, n, sizeof(*sorted), cmp_str);

	return p == NULL ? -1 : (int)(p - sorted);
}

/* The distinct labels, sorted; every one must be a valid label. */
static int
fit_labels(struct fitdata *fd, const struct triage_data *d,
    const char *oos_label, char *err, size_t errsz)
{
	size_t	i, k;

	fd->labels = xreallocarray(NULL, d->n + 1, sizeof(*fd->labels));
	for (i = 0; i < d->n; i++) {
		if (!triage_label_valid(d->label[i], strlen(d->label[i]))) {
			snprintf(err, errsz, "row %zu: a label must be 1 to %d "
			    "letters, digits, _ - . or :", i + 2,
			    TRIAGE_LABEL_MAX);
			return -1;
		}
		fd->labels[i] = d->label[i];
	}
	qsort(fd->labels, d->n, sizeof(*fd->labels), cmp_str);
	for (i = k = 0; i < d->n; i++)
		if (k == 0 || strcmp(fd->labels[k - 1], fd->labels[i]) != 0)
			fd->labels[k++] = fd->labels[i];
	fd->nclass = k;
	if (k < 2 || k > TRIAGE_CLASS_MAX) {
		snprintf(err, errsz, "the training data has %zu labels: "
		    "2 to %d are needed", k, TRIAGE_CLASS_MAX);
		return -1;
	}
	fd->oos = oos_label == NULL ? -1 :
	    find_str(fd->labels, fd->nclass, oos_label);
	fd->y = xcalloc(d->n, sizeof(*fd->y));
	for (i = 0; i < d->n; i++)
		fd->y[i] = find_str(fd->labels, fd->nclass, d->label[i]);
	return 0;
}

/* Each label's rows dealt out over the folds in turn. */
static void
fit_folds(struct fitdata *fd, int folds)
{
	size_t	*seen = xcalloc(fd->nclass, sizeof(*seen));
	size_t	 i, c;

	fd->fold = xcalloc(fd->n, sizeof(*fd->fold));
	for (i = 0; i < fd->n; i++) {
		c = (size_t)fd->y[i];
		fd->fold[i] = folds > 0 ? (int)(seen[c]++ % (size_t)folds) : -1;
	}
	free(seen);
}

/* The vocabulary, IDF and every row's feature vector. */
static int
fit_features(struct fitdata *fd, const struct triage_data *d, int min_df,
    char *err, size_t errsz)
{
	struct vocab	 v;
	struct collect	 c;
	struct doc	*docs;
	uint32_t	*kept;
	int32_t		*map;
	size_t		 i, j, nnz = 0, at = 0;
	double		 norm[2], val;

	memset(&v, 0, sizeof(v));
	memset(&c, 0, sizeof(c));
	buf_init(&v.arena);
	c.v = &v;
	docs = xcalloc(d->n, sizeof(*docs));
	for (i = 0; i < d->n; i++) {
		c.n = 0;
		if (triage_terms(d->text[i], d->len[i], on_term, &c) == -1) {
			snprintf(err, errsz, "ICU cannot be loaded");
			free(c.id);
			docs_free(docs, d->n);
			vocab_free(&v);
			return -1;
		}
		doc_from(&docs[i], c.id, c.n);
		for (j = 0; j < docs[i].n; j++)
			v.df[docs[i].id[j]]++;
	}
	free(c.id);

	/* The kept terms, sorted: their rank is their id (map). */
	kept = xreallocarray(NULL, v.n + 1, sizeof(*kept));
	for (i = 0; i < v.n; i++)
		if (v.df[i] >= (uint32_t)min_df)
			kept[fd->nterm++] = (uint32_t)i;
	qsort_r(kept, fd->nterm, sizeof(*kept), cmp_vocab, &v);
	map = xreallocarray(NULL, v.n + 1, sizeof(*map));
	for (i = 0; i < v.n; i++)
		map[i] = -1;
	fd->terms = xreallocarray(NULL, fd->nterm + 1, sizeof(*fd->terms));
	fd->idf = xcalloc(fd->nterm + 1, sizeof(*fd->idf));
	for (i = 0; i < fd->nterm; i++) {
		map[kept[i]] = (int32_t)i;
		fd->terms[i] = xstrdup(vocab_term(&v, kept[i]));
		fd->idf[i] = (float)(log((1.0 + (double)d->n) /
		    (1.0 + v.df[kept[i]])) + 1);
		if (fd->terms[i][0] == 'c')
			fd->nchar++;
	}
	free(kept);

	/* Rows: remapped, sorted by id, TF-IDF, block norms, the bias. */
	for (i = 0; i < d->n; i++)
		nnz += docs[i].n + 2;
	fd->nodes = xreallocarray(NULL, nnz, sizeof(*fd->nodes));
	fd->x = xreallocarray(NULL, d->n + 1, sizeof(*fd->x));
	for (i = 0; i < d->n; i++) {
		struct feature_node	*row = fd->nodes + at;
		size_t			 n = 0;

		for (j = 0; j < docs[i].n; j++) {
			if (map[docs[i].id[j]] < 0)
				continue;
			row[n].index = map[docs[i].id[j]] + 1;
			row[n].value = docs[i].count[j];
			n++;
		}
		qsort(row, n, sizeof(*row), cmp_node);
		norm[0] = norm[1] = 0;
		for (j = 0; j < n; j++) {
			/* IDF through float, as the model file keeps it. */
			val = row[j].value * (double)fd->idf[row[j].index - 1];
			row[j].value = val;
			norm[(uint32_t)(row[j].index - 1) >= fd->nchar] +=
			    val * val;
		}
		for (j = 0; j < n; j++) {
			double	s = norm[(uint32_t)(row[j].index - 1) >=
				    fd->nchar];

			row[j].value /= sqrt(s);
		}
		row[n].index = (int)fd->nterm + 1;
		row[n].value = 1;
		row[n + 1].index = -1;
		row[n + 1].value = 0;
		fd->x[i] = row;
		at += n + 2;
	}
	free(map);
	docs_free(docs, d->n);
	vocab_free(&v);
	return 0;
}

/* Trains on every row whose fold is not `skip` (-1: all of them). */
static struct model *
fit_model(const struct fitdata *fd, int skip)
{
	struct problem	 prob;
	struct model	*m;
	size_t		 i;

	memset(&prob, 0, sizeof(prob));
	prob.y = xreallocarray(NULL, fd->n + 1, sizeof(*prob.y));
	prob.x = xreallocarray(NULL, fd->n + 1, sizeof(*prob.x));
	for (i = 0; i < fd->n; i++) {
		if (skip >= 0 && fd->fold[i] == skip)
			continue;
		prob.y[prob.l] = fd->y[i];
		prob.x[prob.l++] = fd->x[i];
	}
	prob.n = (int)fd->nterm + 1;
	prob.bias = 1;
	srand(1);
	m = ll.train(&prob, &fd->param);
	/* The model keeps no pointer into the problem. */
	free(prob.y);
	free(prob.x);
	return m;
}

/* The rows of fold f, classified by a model that did not see them. */
static void
answer_fold(struct fitdata *fd, const struct model *m, int f)
{
	double	*prob = xcalloc((size_t)m->nr_class, sizeof(*prob));
	double	*p = xcalloc(fd->nclass, sizeof(*p));
	size_t	 i, c;
	int	 j;

	for (i = 0; i < fd->n; i++) {
		if (fd->fold[i] != f)
			continue;
		ll.predict_probability(m, fd->x[i], prob);
		memset(p, 0, fd->nclass * sizeof(*p));
		for (j = 0; j < m->nr_class; j++)
			p[m->label[j]] = prob[j];
		fd->best[i] = fd->oos == 0 ? 1 : 0;
		for (c = 0; c < fd->nclass; c++)
			if ((int)c != fd->oos && p[c] > p[fd->best[i]])
				fd->best[i] = (int)c;
		fd->pbest[i] = p[fd->best[i]];
		fd->poos[i] = fd->oos >= 0 ? p[fd->oos] : 0;
	}
	free(prob);
	free(p);
}

/*
 * The folds train in child processes, and the final model meanwhile in
 * this one.  Processes, not threads: liblinear's dual solver draws from
 * rand(), one state that threads would share in whatever order they ran;
 * each process seeds it before each training (fit_model), so the model
 * does not depend on the scheduling.  The children write their rows'
 * answers into memory shared with this process.
 */
static int
run_jobs(struct fitdata *fd, int jobs, char *err, size_t errsz)
{
	struct model	*m;
	pid_t		 pid[16];
	size_t		 size;
	char		*shared;
	int		 n, i, f, status, failed = 0;

	n = jobs < 1 ? 1 : jobs > 16 ? 16 : jobs;
	if (n > fd->rounds)
		n = fd->rounds;
	size = fd->n * (sizeof(*fd->pbest) + sizeof(*fd->poos) +
	    sizeof(*fd->best)) + 1;
	shared = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) {
		snprintf(err, errsz, "mmap: %s", strerror(errno));
		return -1;
	}
	fd->pbest = (double *)(void *)shared;
	fd->poos = fd->pbest + fd->n;
	fd->best = (int *)(void *)(fd->poos + fd->n);
	fd->shared_len = size;
	fflush(NULL);
	for (i = 0; i < n; i++) {
		if ((pid[i] = fork()) == -1) {
			snprintf(err, errsz, "fork: %s", strerror(errno));
			failed = 1;
			break;
		}
		if (pid[i] != 0)
			continue;
		for (f = i; f < fd->rounds; f += n) {
			if ((m = fit_model(fd, f)) == NULL)
				_exit(1);
			answer_fold(fd, m, f);
			ll.free_model(&m);
		}
		_exit(0);
	}
	n = i;
	if (!failed && (fd->final = fit_model(fd, -1)) == NULL) {
		snprintf(err, errsz, "liblinear could not train");
		failed = 1;
	}
	for (i = 0; i < n; i++) {
		while (waitpid(pid[i], &status, 0) == -1 && errno == EINTR)
			;
		if (!failed && (!WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)) {
			snprintf(err, errsz, "a cross-validation fold failed");
			failed = 1;
		}
	}
	return failed ? -1 : 0;
}

/*
 * In-scope accuracy and out-of-scope recall of answers at threshold t:
 * flagged when the best in-scope class's probability is below t or the
 * out-of-scope class's is above it (as triage_classify decides).  A
 * truth of TRUTH_OOS is out of scope, -1 a label the model lacks.
 */
#define TRUTH_OOS	(-2)

static void
score_at(const int *truth, const int *best, const double *pbest,
    const double *poos, size_t n, int oos, double t, double *acc,
    double *recall)
{
	size_t	i, n_in = 0, right = 0, n_oos = 0, caught = 0;
	bool	flagged;

	for (i = 0; i < n; i++) {
		flagged = pbest[i] < t || (oos >= 0 && poos[i] > pbest[i]);
		if (truth[i] == TRUTH_OOS) {
			n_oos++;
			caught += flagged;
		} else if (truth[i] >= 0) {
			n_in++;
			right += !flagged && best[i] == truth[i];
		}
	}
	*acc = n_in > 0 ? (double)right / (double)n_in : 0;
	*recall = n_oos > 0 ? (double)caught / (double)n_oos : 0;
}

/*
 * The objective: the most out-of-scope recall whose in-scope accuracy
 * is at most max_loss points below the accuracy with no threshold; the
 * lowest such threshold.  Thresholds are tried in steps of 0.005.
 */
static void
choose_threshold(const int *truth, const int *best, const double *pbest,
    const double *poos, size_t n, int oos, double max_loss,
    struct triage_fit *fit)
{
	double	acc, rec, base, base_rec, t;
	int	i;

	score_at(truth, best, pbest, poos, n, oos, 0, &base, &base_rec);
	fit->base_accuracy = base;
	fit->threshold = 0;
	fit->accuracy = base;
	fit->recall = base_rec;
	for (i = 1; i < 200; i++) {
		t = i * 0.005;
		score_at(truth, best, pbest, poos, n, oos, t, &acc, &rec);
		if (acc < base - max_loss / 100)
			continue;
		if (rec > fit->recall) {
			fit->threshold = t;
			fit->accuracy = acc;
			fit->recall = rec;
		}
	}
}

static void
put_u32(struct buf *b, uint32_t v)
{
	v = htole32(v);
	buf_append(b, &v, 4);
}

/* Fills in a count written before its section was. */
static void
set_u32(struct buf *b, size_t at, uint32_t v)
{
	v = htole32(v);
	memcpy(b->p + at, &v, 4);
}

static void
put_f32(struct buf *b, float v)
{
	buf_append(b, &v, 4);
}

static void
put_pad(struct buf *b)
{
	while (b->len % 4 != 0)
		buf_putc(b, '\0');
}

/* The model file (format in model.c). */
static int
encode(const struct fitdata *fd, double threshold, struct buf *out,
    char *err, size_t errsz)
{
	const struct model	*m = fd->final;
	size_t			 start = out->len, i, t, lab_at, term_at;
	int			 j, nr_w = m->nr_class == 2 ? 1 : m->nr_class;
	float			*w;
	unsigned char		 md[32];
	unsigned int		 mdlen = 0;

	if ((size_t)m->nr_class != fd->nclass) {
		snprintf(err, errsz, "liblinear returned %d classes of %zu",
		    m->nr_class, fd->nclass);
		return -1;
	}
	buf_append(out, TRIAGE_MAGIC, 8);
	put_u32(out, TRIAGE_VERSION);
	put_u32(out, (uint32_t)fd->nclass);
	put_u32(out, (uint32_t)fd->nterm);
	put_u32(out, fd->nchar);
	put_u32(out, (uint32_t)fd->oos);
	lab_at = out->len;
	put_u32(out, 0);
	term_at = out->len;
	put_u32(out, 0);
	put_f32(out, (float)threshold);
	put_f32(out, (float)1);
	put_u32(out, TRIAGE_WORD_N);
	put_u32(out, TRIAGE_CHAR_MIN);
	put_u32(out, TRIAGE_CHAR_MAX);
	put_u32(out, 0);
	put_u32(out, 0);

	i = out->len;
	for (t = 0; t < fd->nclass; t++)
		buf_append(out, fd->labels[t], strlen(fd->labels[t]) + 1);
	set_u32(out, lab_at, (uint32_t)(out->len - i));
	put_pad(out);
	i = out->len;
	for (t = 0; t < fd->nterm; t++)
		buf_append(out, fd->terms[t], strlen(fd->terms[t]) + 1);
	set_u32(out, term_at, (uint32_t)(out->len - i));
	put_pad(out);
	for (t = 0; t < fd->nterm; t++)
		put_f32(out, fd->idf[t]);

	/*
	 * liblinear's w is feature-major, one column per class in the order
	 * of m->label; two classes share one column (the second is its
	 * negation, which gives the same probabilities once normalised).
	 */
	w = xcalloc(fd->nclass, sizeof(*w));
	for (t = 0; t <= fd->nterm; t++) {
		for (j = 0; j < m->nr_class; j++) {
			double	v = nr_w == 1 ? (j == 0 ? 1 : -1) *
				    m->w[t] : m->w[t * (size_t)nr_w + (size_t)j];

			if (!(fabs(v) <= TRIAGE_WEIGHT_MAX)) {
				snprintf(err, errsz, "a weight of %g: lower C",
				    v);
				free(w);
				return -1;
			}
			w[m->label[j]] = (float)v;
		}
		for (i = 0; i < fd->nclass; i++)
			put_f32(out, w[i]);
	}
	free(w);
	if (EVP_Digest(out->p + start, out->len - start, md, &mdlen,
	    EVP_sha256(), NULL) != 1 || mdlen != 32) {
		snprintf(err, errsz, "SHA-256 failed");
		return -1;
	}
	buf_append(out, md, 32);
	return 0;
}

static void
fit_free(struct fitdata *fd)
{
	size_t	i;

	free(fd->labels);
	free(fd->y);
	free(fd->fold);
	free(fd->x);
	free(fd->nodes);
	for (i = 0; i < fd->nterm; i++)
		free(fd->terms[i]);
	free(fd->terms);
	free(fd->idf);
	if (fd->pbest != NULL)
		munmap(fd->pbest, fd->shared_len);
	if (fd->final != NULL)
		ll.free_model(&fd->final);
}

/* The threshold on the validation data, with the final model. */
static int
threshold_from_val(struct fitdata *fd, const struct triage_data *val,
    const struct triage_train_opts *o, struct buf *out, size_t start,
    struct triage_fit *fit, char *err, size_t errsz)
{
	struct triage_model	*m;
	struct triage_result	 r;
	double			*p;
	int			*truth, *best, oos;
	double			*pbest, *poos;
	size_t			 i;

	if ((m = triage_model_parse(out->p + start, out->len - start, err,
	    errsz)) == NULL)
		return -1;
	p = xcalloc(fd->nclass, sizeof(*p));
	truth = xcalloc(val->n + 1, sizeof(*truth));
	best = xcalloc(val->n + 1, sizeof(*best));
	pbest = xcalloc(val->n + 1, sizeof(*pbest));
	poos = xcalloc(val->n + 1, sizeof(*poos));
	oos = triage_model_oos(m);
	for (i = 0; i < val->n; i++) {
		(void)triage_classify(m, val->text[i], val->len[i], &r, p);
		truth[i] = o->oos_label != NULL &&
		    strcmp(val->label[i], o->oos_label) == 0 ? TRUTH_OOS :
		    triage_model_find_label(m, val->label[i]);
		best[i] = triage_model_find_label(m, r.category);
		pbest[i] = r.confidence;
		poos[i] = oos >= 0 ? p[oos] : 0;
	}
	choose_threshold(truth, best, pbest, poos, val->n, oos, o->max_loss,
	    fit);
	free(p);
	free(truth);
	free(best);
	free(pbest);
	free(poos);
	triage_model_free(m);
	return 0;
}

int
triage_train(const struct triage_data *train_data,
    const struct triage_data *val, const struct triage_train_opts *o,
    struct buf *out, struct triage_fit *fit, char *err, size_t errsz)
{
	struct fitdata	 fd;
	struct problem	 probe;
	const char	*why;
	size_t		 start = out->len, i;
	int		*truth, rc = -1;

	memset(&fd, 0, sizeof(fd));
	memset(fit, 0, sizeof(*fit));
	if (triage_liblinear_load(err, errsz) == -1)
		return -1;
	if (train_data->label == NULL || train_data->n == 0) {
		snprintf(err, errsz, "the training data has no labelled rows");
		return -1;
	}
	if (o->folds == 0 && (val == NULL || val->label == NULL)) {
		snprintf(err, errsz, "a threshold without cross-validation "
		    "needs labelled validation data");
		return -1;
	}
	fd.n = train_data->n;
	if (fit_labels(&fd, train_data, o->oos_label, err, errsz) == -1 ||
	    fit_features(&fd, train_data, o->min_df, err, errsz) == -1)
		goto done;
	fit_folds(&fd, o->folds);
	fd.folds = o->folds;
	fd.rounds = o->rounds < o->folds ? o->rounds : o->folds;
	fd.param.solver_type = o->solver;
	fd.param.C = o->C;
	fd.param.eps = o->eps;
	probe.l = (int)fd.n;
	probe.n = (int)fd.nterm + 1;
	probe.y = fd.y;
	probe.x = fd.x;
	probe.bias = 1;
	if ((why = ll.check_parameter(&probe, &fd.param)) != NULL) {
		snprintf(err, errsz, "liblinear: %s", why);
		goto done;
	}
	if (run_jobs(&fd, o->jobs, err, errsz) == -1)
		goto done;
	fit->nterm = fd.nterm;
	fit->nclass = fd.nclass;
	if (o->folds > 0) {
		/* Only the rows of the held-out folds have answers. */
		truth = xcalloc(fd.n, sizeof(*truth));
		for (i = 0; i < fd.n; i++)
			truth[i] = fd.fold[i] >= fd.rounds ? -1 :
			    (int)fd.y[i] == fd.oos ? TRUTH_OOS : (int)fd.y[i];
		choose_threshold(truth, fd.best, fd.pbest, fd.poos, fd.n,
		    fd.oos, o->max_loss, fit);
		free(truth);
		if (fd.rounds == fd.folds)
			snprintf(fit->threshold_from,
			    sizeof(fit->threshold_from),
			    "%d-fold cross-validation", fd.folds);
		else
			snprintf(fit->threshold_from,
			    sizeof(fit->threshold_from),
			    "%d held-out fold%s of %d", fd.rounds,
			    fd.rounds > 1 ? "s" : "", fd.folds);
		if (encode(&fd, fit->threshold, out, err, errsz) == -1)
			goto done;
	} else {
		/* A first encoding with no threshold, to classify with. */
		if (encode(&fd, 0, out, err, errsz) == -1 ||
		    threshold_from_val(&fd, val, o, out, start, fit, err,
		    errsz) == -1)
			goto done;
		out->len = start;
		if (encode(&fd, fit->threshold, out, err, errsz) == -1)
			goto done;
		snprintf(fit->threshold_from, sizeof(fit->threshold_from),
		    "the validation data");
	}
	rc = 0;
done:
	fit_free(&fd);
	if (rc == -1)
		out->len = start;
	return rc;
}

int
triage_write_file(const char *path, const void *p, size_t len, char *err,
    size_t errsz)
{
	char		*tmp, *dir, *copy;
	const char	*at = p;
	ssize_t		 n;
	int		 fd, dfd;

	if (asprintf(&tmp, "%s.XXXXXX", path) == -1) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		snprintf(err, errsz, "%s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	while (len > 0) {
		if ((n = write(fd, at, len)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		at += n;
		len -= (size_t)n;
	}
	if (fchmod(fd, 0644) == -1 || fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	/* The rename itself is made durable by syncing the directory. */
	copy = xstrdup(path);
	dir = dirname(copy);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	free(copy);
	free(tmp);
	return 0;
fail:
	snprintf(err, errsz, "%s: %s", path, strerror(errno));
	if (fd != -1)
		close(fd);
	unlink(tmp);
	free(tmp);
	return -1;
}
