/*
 * The model file, read and served (see triage.h).
 *
 * Format, version 1; every integer is a little-endian uint32 (int32 for
 * oos), every real an IEEE-754 binary32, little-endian:
 *
 *	 0  magic "CXTRIAGE"
 *	 8  version (1)
 *	12  nclass		number of labels, 2..TRIAGE_CLASS_MAX
 *	16  nterm		number of terms
 *	20  nchar		how many of them are character n-grams
 *	24  oos			index of the out-of-scope label, or -1
 *	28  labels_bytes	the label strings, each with its NUL
 *	32  terms_bytes		the term strings, each with its NUL
 *	36  threshold		the confidence below which an utterance is
 *				out of scope, in [0, 1]
 *	40  bias		the value of the constant feature
 *	44  word_n, char_min, char_max	the n-gram ranges (2, 2, 5)
 *	56  0, 0		reserved
 *	64  labels, strictly ascending (strcmp), padded with NULs to 4
 *	    terms, strictly ascending, the "c" ones first, padded to 4
 *	    idf[nterm]
 *	    w[(nterm + 1) * nclass]	row t holds term t's weight in each
 *				class; the last row is the bias's
 *	    SHA-256 of everything above (32 bytes)
 *
 * The whole file is checked before anything of it is used, and then
 * copied into one anonymous mapping beside the index built for it (the
 * offsets of the strings and a hash table of the terms), which is made
 * read-only: the pool's workers share its pages with the master that
 * loaded it, and none of them can write to it.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "triage/model.h"
#include "triage/triage.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the model's arrays are used in place: a little-endian host is needed"
#endif

struct slot {
	uint32_t	hash;
	uint32_t	id;		/* term index + 1, or 0 */
	uint32_t	off;		/* into terms */
};

struct triage_model {
	size_t		 region_len;	/* the mapping this struct heads */
	size_t		 file_len;
	uint32_t	 nclass, nterm, nchar;
	int		 oos;
	double		 threshold;
	float		 bias;
	uint32_t	 mask;		/* hash slots - 1 */
	/*
	 * Open addressing: a slot holds a term's index + 1 (0: empty) and
	 * its offset, beside its hash, so that a probe reads one cache
	 * line, and a term's bytes only when the hash matches.
	 */
	const struct slot *slots;
	const uint32_t	*term_off;	/* into terms */
	const uint32_t	*label_off;	/* into labels */
	const char	*labels;
	const char	*terms;
	const float	*idf;
	const float	*w;
};

static uint32_t
get_u32(const unsigned char *p)
{
	uint32_t	v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static float
get_f32(const unsigned char *p)
{
	float	v;

	memcpy(&v, p, sizeof(v));
	return v;
}

uint32_t
triage_term_hash(const char *s, size_t len)
{
	uint32_t	h = 2166136261u;	/* FNV-1a */
	size_t		i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

static bool
label_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' ||
	    c == ':';
}

bool
triage_label_valid(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len > TRIAGE_LABEL_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!label_char((unsigned char)s[i]))
			return false;
	return true;
}

/*
 * n NUL-terminated strings filling exactly blob[0..len), strictly
 * ascending; offsets into off when it is not NULL.
 */
static const char *
check_strings(const char *blob, size_t len, uint32_t n, bool labels,
    uint32_t nchar, uint32_t *off)
{
	const char	*prev = NULL, *s, *nul;
	size_t		 at = 0, slen;
	uint32_t	 i;

	for (i = 0; i < n; i++) {
		s = blob + at;
		if ((nul = memchr(s, '\0', len - at)) == NULL)
			return "a string runs past its section";
		slen = (size_t)(nul - s);
		if (labels && !triage_label_valid(s, slen))
			return "a label is empty, too long or has characters "
			    "other than letters, digits and _ - . :";
		if (!labels && (slen < 2 || slen > TRIAGE_TERM_MAX ||
		    s[0] != (i < nchar ? 'c' : 'w')))
			return "a term is malformed";
		if (prev != NULL && strcmp(prev, s) >= 0)
			return "strings out of order or repeated";
		if (off != NULL)
			off[i] = (uint32_t)at;
		prev = s;
		at += slen + 1;
	}
	return at == len ? NULL : "a section holds more than its strings";
}

static size_t
pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

struct layout {
	uint32_t	 nclass, nterm, nchar, labels_bytes, terms_bytes;
	int32_t		 oos;
	float		 threshold, bias;
	size_t		 labels_at, terms_at, idf_at, w_at, nslots;
};

/* Everything but the index: returns NULL or why the file is refused. */
static const char *
check_file(const unsigned char *p, size_t len, struct layout *l)
{
	unsigned char	 md[32];
	unsigned int	 mdlen = 0;
	uint64_t	 want, nw, i;
	const char	*why;
	float		 f;

	if (len < TRIAGE_HEADER + 32)
		return "too short for a model file";
	if (len > TRIAGE_FILE_MAX)
		return "too large for a model file";
	if (memcmp(p, TRIAGE_MAGIC, 8) != 0)
		return "not a cxhook triage model";
	if (get_u32(p + 8) != TRIAGE_VERSION)
		return "a model format version this cxhook does not read";
	if (EVP_Digest(p, len - 32, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32 || memcmp(md, p + len - 32, 32) != 0)
		return "checksum mismatch (truncated or corrupted)";
	l->nclass = get_u32(p + 12);
	l->nterm = get_u32(p + 16);
	l->nchar = get_u32(p + 20);
	l->oos = (int32_t)get_u32(p + 24);
	l->labels_bytes = get_u32(p + 28);
	l->terms_bytes = get_u32(p + 32);
	l->threshold = get_f32(p + 36);
	l->bias = get_f32(p + 40);
	if (l->nclass < 2 || l->nclass > TRIAGE_CLASS_MAX ||
	    l->nterm > TRIAGE_TERMS_MAX || l->nchar > l->nterm ||
	    l->oos < -1 || l->oos >= (int32_t)l->nclass ||
	    l->labels_bytes > TRIAGE_CLASS_MAX * (TRIAGE_LABEL_MAX + 1) ||
	    l->terms_bytes > (uint64_t)TRIAGE_TERMS_MAX * 16)
		return "counts out of range";
	if (!(l->threshold >= 0 && l->threshold <= 1) ||
	    !(l->bias >= 0 && l->bias <= 1))
		return "threshold or bias out of range";
	if (get_u32(p + 44) != TRIAGE_WORD_N ||
	    get_u32(p + 48) != TRIAGE_CHAR_MIN ||
	    get_u32(p + 52) != TRIAGE_CHAR_MAX ||
	    get_u32(p + 56) != 0 || get_u32(p + 60) != 0)
		return "features this cxhook does not compute";
	nw = ((uint64_t)l->nterm + 1) * l->nclass;
	want = TRIAGE_HEADER + pad4(l->labels_bytes) + pad4(l->terms_bytes) +
	    4 * (uint64_t)l->nterm + 4 * nw + 32;
	if (want != len)
		return "size does not match its counts";
	l->labels_at = TRIAGE_HEADER;
	l->terms_at = l->labels_at + pad4(l->labels_bytes);
	l->idf_at = l->terms_at + pad4(l->terms_bytes);
	l->w_at = l->idf_at + 4 * (size_t)l->nterm;
	for (i = l->labels_at + l->labels_bytes; i < l->terms_at; i++)
		if (p[i] != 0)
			return "padding is not zero";
	for (i = l->terms_at + l->terms_bytes; i < l->idf_at; i++)
		if (p[i] != 0)
			return "padding is not zero";
	if ((why = check_strings((const char *)p + l->labels_at,
	    l->labels_bytes, l->nclass, true, 0, NULL)) != NULL ||
	    (why = check_strings((const char *)p + l->terms_at,
	    l->terms_bytes, l->nterm, false, l->nchar, NULL)) != NULL)
		return why;
	/*
	 * Read with memcpy: the bytes need not be aligned here.  The bounds
	 * keep every score finite (|score| < 1e10, see triage_classify).
	 */
	for (i = 0; i < l->nterm; i++)
		if (!((f = get_f32(p + l->idf_at + 4 * i)) > 0 &&
		    f <= TRIAGE_IDF_MAX))
			return "an IDF weight is not a number in (0, 100]";
	for (i = 0; i < nw; i++)
		if (!(fabsf(get_f32(p + l->w_at + 4 * i)) <= TRIAGE_WEIGHT_MAX))
			return "a weight is not a finite number of at most 1e6";
	for (l->nslots = 16; l->nslots < 2 * (size_t)l->nterm; l->nslots *= 2)
		;
	return NULL;
}

static void
build_index(struct triage_model *m, struct slot *slots)
{
	uint32_t	i, h, at;
	const char	*t;

	for (i = 0; i < m->nterm; i++) {
		t = m->terms + m->term_off[i];
		h = triage_term_hash(t, strlen(t));
		for (at = h & m->mask; slots[at].id != 0; at = (at + 1) & m->mask)
			;
		slots[at].hash = h;
		slots[at].id = i + 1;
		slots[at].off = m->term_off[i];
	}
}

struct triage_model *
triage_model_parse(const void *buf, size_t len, char *err, size_t errsz)
{
	const unsigned char	*p = buf;
	struct triage_model	*m;
	struct layout		 l;
	const char		*why;
	size_t			 head, size;
	char			*region, *file;
	uint32_t		*term_off, *label_off;
	struct slot		*slots;

	if ((why = check_file(p, len, &l)) != NULL) {
		snprintf(err, errsz, "%s", why);
		return NULL;
	}
	head = (sizeof(*m) + 63) & ~(size_t)63;
	size = head + sizeof(*slots) * l.nslots +
	    4 * ((size_t)l.nterm + l.nclass) + pad4(len);
	region = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED) {
		snprintf(err, errsz, "cannot map %zu bytes: %s", size,
		    strerror(errno));
		return NULL;
	}
	m = (struct triage_model *)(void *)region;
	slots = (struct slot *)(void *)(region + head);
	term_off = (uint32_t *)(slots + l.nslots);
	label_off = term_off + l.nterm;
	file = (char *)(label_off + l.nclass);
	memcpy(file, p, len);

	m->region_len = size;
	m->file_len = len;
	m->nclass = l.nclass;
	m->nterm = l.nterm;
	m->nchar = l.nchar;
	m->oos = l.oos;
	m->threshold = l.threshold;
	m->bias = l.bias;
	m->mask = (uint32_t)(l.nslots - 1);
	m->labels = file + l.labels_at;
	m->terms = file + l.terms_at;
	m->idf = (const float *)(const void *)(file + l.idf_at);
	m->w = (const float *)(const void *)(file + l.w_at);
	(void)check_strings(m->labels, l.labels_bytes, l.nclass, true, 0,
	    label_off);
	(void)check_strings(m->terms, l.terms_bytes, l.nterm, false, l.nchar,
	    term_off);
	m->term_off = term_off;
	m->label_off = label_off;
	m->slots = slots;
	build_index(m, slots);
	if (mprotect(region, size, PROT_READ) == -1) {
		snprintf(err, errsz, "mprotect: %s", strerror(errno));
		munmap(region, size);
		return NULL;
	}
	return m;
}

struct triage_model *
triage_model_load(const char *path, char *err, size_t errsz)
{
	struct triage_model	*m;
	struct stat		 st;
	unsigned char		*buf;
	size_t			 got = 0;
	ssize_t			 n;
	int			 fd;
	char			 why[256];

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > TRIAGE_FILE_MAX) {
		snprintf(err, errsz, "%s: not a regular file of at most "
		    "1 GiB", path);
		close(fd);
		return NULL;
	}
	buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
	if (buf == NULL) {
		snprintf(err, errsz, "%s: out of memory", path);
		close(fd);
		return NULL;
	}
	while (got < (size_t)st.st_size &&
	    ((n = read(fd, buf + got, (size_t)st.st_size - got)) > 0 ||
	    (n == -1 && errno == EINTR)))
		if (n > 0)
			got += (size_t)n;
	close(fd);
	m = triage_model_parse(buf, got, why, sizeof(why));
	free(buf);
	if (m == NULL)
		snprintf(err, errsz, "%s: %s", path, why);
	return m;
}

void
triage_model_free(struct triage_model *m)
{
	if (m != NULL)
		munmap(m, m->region_len);
}

size_t
triage_model_bytes(const struct triage_model *m)
{
	return m->region_len;
}

double
triage_model_threshold(const struct triage_model *m)
{
	return m->threshold;
}

size_t
triage_model_nclass(const struct triage_model *m)
{
	return m->nclass;
}

size_t
triage_model_nterm(const struct triage_model *m)
{
	return m->nterm;
}

const char *
triage_model_label(const struct triage_model *m, size_t i)
{
	return i < m->nclass ? m->labels + m->label_off[i] : NULL;
}

int
triage_model_oos(const struct triage_model *m)
{
	return m->oos;
}

int
triage_model_find_label(const struct triage_model *m, const char *label)
{
	size_t	lo = 0, hi = m->nclass, mid;
	int	c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = strcmp(label, m->labels + m->label_off[mid]);
		if (c == 0)
			return (int)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

int
triage_model_term(const struct triage_model *m, const char *term,
    size_t len)
{
	const struct slot	*sl;
	const char		*t;
	uint32_t		 h = triage_term_hash(term, len), at;

	for (at = h & m->mask; (sl = &m->slots[at])->id != 0;
	    at = (at + 1) & m->mask) {
		if (sl->hash != h)
			continue;
		t = m->terms + sl->off;
		if (strncmp(t, term, len) == 0 && t[len] == '\0')
			return (int)(sl->id - 1);
	}
	return -1;
}

/*
 * The term occurrences of one text, as ids.  A text that makes more than
 * OCC_MAX of them (only pathological ones do) is judged on the first.
 */
#define OCC_MAX		8192

struct occ {
	const struct triage_model	*m;
	uint32_t			 id[OCC_MAX];
	size_t				 n;
};

static void
on_term(void *arg, const char *term, size_t len)
{
	struct occ	*o = arg;
	int		 id;

	if (o->n < OCC_MAX && (id = triage_model_term(o->m, term, len)) >= 0)
		o->id[o->n++] = (uint32_t)id;
}

/* Heapsort: no comparison through a pointer, no allocation. */
static void
sort_ids(uint32_t *a, size_t n)
{
	size_t		i, root, child, end;
	uint32_t	t;

	if (n < 2)
		return;
	for (i = n / 2; i-- > 0;) {
		for (root = i; (child = 2 * root + 1) < n; root = child) {
			if (child + 1 < n && a[child] < a[child + 1])
				child++;
			if (a[root] >= a[child])
				break;
			t = a[root], a[root] = a[child], a[child] = t;
		}
	}
	for (end = n - 1; end > 0; end--) {
		t = a[0], a[0] = a[end], a[end] = t;
		for (root = 0; (child = 2 * root + 1) < end; root = child) {
			if (child + 1 < end && a[child] < a[child + 1])
				child++;
			if (a[root] >= a[child])
				break;
			t = a[root], a[root] = a[child], a[child] = t;
		}
	}
}

/*
 * s += v * row, the whole of prediction's cost: written four lanes at a
 * time, with restrict, so that -O2's vectorizer makes it SIMD.
 */
static void
axpy(float *restrict s, const float *restrict row, float v, size_t n)
{
	size_t	k;

	for (k = 0; k + 4 <= n; k += 4) {
		s[k] += v * row[k];
		s[k + 1] += v * row[k + 1];
		s[k + 2] += v * row[k + 2];
		s[k + 3] += v * row[k + 3];
	}
	for (; k < n; k++)
		s[k] += v * row[k];
}

/* log(1 / (1 + e^-s)), for any finite s. */
static double
log_sigmoid(double s)
{
	return s >= 0 ? -log1p(exp(-s)) : s - log1p(exp(s));
}

/*
 * liblinear's predict_probability: a sigmoid per class (one-vs-rest),
 * normalised to sum 1.  When every sigmoid underflows (only scores below
 * -700 make them), the same ratios come from their logarithms.
 */
static void
probabilities(const float *score, double *p, size_t n)
{
	double	sum = 0, max = -INFINITY;
	size_t	k;

	for (k = 0; k < n; k++)
		sum += p[k] = 1 / (1 + exp(-(double)score[k]));
	if (!(sum >= 1e-300)) {
		for (k = 0; k < n; k++)
			if ((p[k] = log_sigmoid(score[k])) > max)
				max = p[k];
		for (sum = 0, k = 0; k < n; k++)
			sum += p[k] = exp(p[k] - max);
	}
	for (k = 0; k < n; k++)
		p[k] /= sum;
}

int
triage_classify(const struct triage_model *m, const char *text, size_t len,
    struct triage_result *res, double *probs)
{
	static struct occ	 o;
	float			 score[TRIAGE_CLASS_MAX], x[OCC_MAX];
	double			 p[TRIAGE_CLASS_MAX], norm[2];
	uint32_t		 uid[OCC_MAX];
	const float		*row;
	size_t			 i, n, k, best;
	int			 rc;

	o.m = m;
	o.n = 0;
	rc = triage_terms(text, len, on_term, &o);
	sort_ids(o.id, o.n);

	/* TF-IDF, each block (characters, words) L2-normalised. */
	norm[0] = norm[1] = 0;
	for (i = n = 0; i < o.n; i = k) {
		for (k = i + 1; k < o.n && o.id[k] == o.id[i]; k++)
			;
		uid[n] = o.id[i];
		x[n] = (float)(k - i) * m->idf[o.id[i]];
		norm[o.id[i] >= m->nchar] += (double)x[n] * x[n];
		n++;
	}
	norm[0] = norm[0] > 0 ? 1 / sqrt(norm[0]) : 0;
	norm[1] = norm[1] > 0 ? 1 / sqrt(norm[1]) : 0;

	row = m->w + (size_t)m->nterm * m->nclass;
	for (k = 0; k < m->nclass; k++)
		score[k] = row[k] * m->bias;
	for (i = 0; i < n; i++)
		axpy(score, m->w + (size_t)uid[i] * m->nclass,
		    x[i] * (float)norm[uid[i] >= m->nchar], m->nclass);

	probabilities(score, p, m->nclass);
	best = m->oos == 0 ? 1 : 0;
	for (k = best + 1; k < m->nclass; k++)
		if ((int)k != m->oos && p[k] > p[best])
			best = k;
	if (probs != NULL)
		memcpy(probs, p, m->nclass * sizeof(*p));
	res->category = m->labels + m->label_off[best];
	res->confidence = p[best];
	res->out_of_scope = p[best] < m->threshold ||
	    (m->oos >= 0 && p[m->oos] > p[best]);
	return rc;
}
