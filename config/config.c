/*
 * Configuration loading with inih.  One table names every key, its type,
 * bounds and default; the inih callback only looks rows up and parses.
 * Line numbers come from our own line reader, since Debian's inih is built
 * without INI_HANDLER_LINENO.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ini.h>

#include "config/config.h"
#include "lib/cidr.h"
#include "lib/xalloc.h"
#include "triage/model.h"

enum cf_type {
	CF_STR,
	CF_INT,
	CF_MODE,
	CF_DURATION,
	CF_SIZE,
	CF_DOUBLE,
	CF_LEVEL,
	CF_SECRET_FILE,		/* value is a path; the file's content is kept */
	CF_LISTEN,
	CF_URL,
	CF_PATH,		/* an endpoint: "/" then path characters */
	CF_TZ,			/* an IANA time zone name */
	CF_URL_LIST,		/* comma-separated URLs: char ** */
	CF_EMAIL_LIST,		/* comma-separated addresses: char ** */
	CF_CIDR_LIST,		/* comma-separated address ranges: char ** */
	CF_HEADER,		/* an HTTP header name */
	CF_REQUIRE,		/* off | require: bool */
	CF_STATEMENTS,		/* prepared | unnamed: bool "unnamed" */
	CF_ROUTES,		/* a family: "route." + CATEGORY = PAGE */
};

struct cf_key {
	const char	*section;
	const char	*name;
	enum cf_type	 type;
	size_t		 offset;
	const char	*dflt;		/* NULL: unset */
	int64_t		 min, max;	/* CF_INT, CF_DURATION, CF_SIZE */
	size_t		 flag_offset;	/* CF_DOUBLE: bool "is set", or 0 */
	const char	*credential;	/* CF_SECRET_FILE: LoadCredential name */
};

#define OFF(f)	offsetof(struct config, f)

static const struct cf_key keys[] = {
	{ "pool", "listen", CF_LISTEN, OFF(listen),
	    "unix:/run/cxhook/cxhook.sock", 0, 0, 0, NULL },
	{ "pool", "socket_mode", CF_MODE, OFF(socket_mode), "0660", 0, 0777,
	    0, NULL },
	{ "pool", "workers", CF_INT, OFF(workers), "4", 1, 512, 0, NULL },
	{ "pool", "deadline", CF_DURATION, OFF(deadline_ms), "4500ms", 100,
	    30000, 0, NULL },
	{ "pool", "max_body", CF_SIZE, OFF(max_body), "1MiB", 1024,
	    64 * 1024 * 1024, 0, NULL },
	{ "pool", "backlog", CF_INT, OFF(backlog), "128", 1, 65535, 0, NULL },
	{ "pool", "max_requests", CF_INT, OFF(max_requests), "0", 0,
	    INT_MAX, 0, NULL },
	{ "pool", "max_requests_jitter", CF_INT, OFF(max_requests_jitter), "0",
	    0, INT_MAX, 0, NULL },
	{ "pool", "idle_timeout", CF_DURATION, OFF(idle_timeout_ms), "2s", 100,
	    60000, 0, NULL },
	{ "pool", "max_worker_memory", CF_SIZE, OFF(max_worker_memory),
	    "256MiB", 32 * 1024 * 1024, (int64_t)64 * 1024 * 1024 * 1024, 0,
	    NULL },
	{ "pool", "webhook_path", CF_PATH, OFF(webhook_path), "/webhook", 0, 0,
	    0, NULL },
	{ "pool", "healthz_path", CF_PATH, OFF(healthz_path), "/healthz", 0, 0,
	    0, NULL },
	{ "pool", "status_path", CF_PATH, OFF(status_path), "/status", 0, 0, 0,
	    NULL },
	{ "pool", "metrics_path", CF_PATH, OFF(metrics_path), "/metrics", 0, 0,
	    0, NULL },
	{ "pool", "allow", CF_CIDR_LIST, OFF(allow), NULL, 0, 0, 0, NULL },
	{ "database", "conninfo", CF_STR, OFF(conninfo),
	    "postgresql:///cxhook?host=/run/postgresql", 0, 0, 0, NULL },
	{ "database", "connect_timeout", CF_DURATION, OFF(connect_timeout_ms),
	    "2s", 1000, 30000, 0, NULL },
	{ "database", "statements", CF_STATEMENTS, OFF(unnamed_statements),
	    "prepared", 0, 0, 0, NULL },
	{ "auth", "bearer_token_file", CF_SECRET_FILE, OFF(bearer_token),
	    NULL, 0, 0, 0, "bearer-token" },
	{ "auth", "basic_user", CF_STR, OFF(basic_user), NULL, 0, 0, 0, NULL },
	{ "auth", "basic_password_file", CF_SECRET_FILE, OFF(basic_password),
	    NULL, 0, 0, 0, "basic-password" },
	{ "auth", "header_name", CF_HEADER, OFF(header_name), NULL, 0, 0, 0,
	    NULL },
	{ "auth", "header_value_file", CF_SECRET_FILE, OFF(header_value),
	    NULL, 0, 0, 0, "header-value" },
	{ "auth", "id_token_audience", CF_URL_LIST, OFF(id_token_audience),
	    NULL, 0, 0, 0, NULL },
	{ "auth", "id_token_email", CF_EMAIL_LIST, OFF(id_token_email), NULL,
	    0, 0, 0, NULL },
	{ "auth", "id_token_jwks_url", CF_URL, OFF(id_token_jwks_url),
	    "https://www.googleapis.com/oauth2/v3/certs", 0, 0, 0, NULL },
	{ "auth", "client_cert", CF_REQUIRE, OFF(client_cert), "off", 0, 0, 0,
	    NULL },
	{ "auth", "client_cert_dn", CF_STR, OFF(client_cert_dn), NULL, 0, 0, 0,
	    NULL },
	{ "weather", "url", CF_URL, OFF(weather_url), NULL, 0, 0, 0, NULL },
	{ "weather", "api_key_file", CF_SECRET_FILE, OFF(weather_api_key),
	    NULL, 0, 0, 0, "weather-api-key" },
	{ "weather", "cache_ttl", CF_DURATION, OFF(weather_cache_ttl_ms),
	    "30m", 0, 86400000, 0, NULL },
	{ "booking", "forward_url", CF_URL, OFF(booking_forward_url), NULL,
	    0, 0, 0, NULL },
	{ "booking", "forward_token_file", CF_SECRET_FILE,
	    OFF(booking_forward_token), NULL, 0, 0, 0, "booking-forward-token" },
	{ "booking", "timezone", CF_TZ, OFF(booking_timezone), "UTC", 0, 0, 0,
	    NULL },
	{ "booking", "forward_retry_base", CF_DURATION,
	    OFF(forward_retry_base_ms), "1s", 10, 3600000, 0, NULL },
	{ "booking", "forward_retry_max", CF_DURATION, OFF(forward_retry_max_ms),
	    "5m", 10, 86400000, 0, NULL },
	{ "booking", "forward_lease", CF_DURATION, OFF(forward_lease_ms),
	    "60s", 2000, 3600000, 0, NULL },
	{ "handoff", "sentiment_below", CF_DOUBLE, OFF(sentiment_below), NULL,
	    -1, 1, OFF(has_sentiment_below), NULL },
	{ "triage", "model", CF_STR, OFF(triage_model), NULL, 0, 0, 0, NULL },
	{ "triage", "text_param", CF_STR, OFF(triage_text_param), NULL, 0, 0,
	    0, NULL },
	/* A family (CF_ROUTES): every key its name begins. */
	{ "triage", "route.", CF_ROUTES, OFF(triage_routes), NULL, 0, 0, 0,
	    NULL },
	{ "log", "level", CF_LEVEL, OFF(log_level), "info", 0, 0, 0, NULL },
};

#define NKEYS	(sizeof(keys) / sizeof(keys[0]))
#define NKEYS_MAX	64

struct load_state {
	struct config	*cfg;
	FILE		*fp;
	int		 line;
	char		*err;
	size_t		 errsz;
	bool		 failed;
	bool		 seen[NKEYS_MAX];
};

struct unit {
	const char	*name;
	int64_t		 scale;
};

/*
 * A plain decimal (no sign, hex, exponent, inf or nan) followed by one of
 * the units, scaled: "250ms", "1.5MiB".
 */
static int
parse_with_unit(const char *s, const struct unit *units, size_t n,
    int64_t *out)
{
	char	*end;
	double	 v;
	size_t	 i;

	if (!(s[0] >= '0' && s[0] <= '9'))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno != 0 || !(v >= 0) ||
	    (size_t)(end - s) != strspn(s, "0123456789."))
		return -1;
	for (i = 0; i < n; i++) {
		if (strcmp(end, units[i].name) == 0) {
			v *= (double)units[i].scale;
			if (v > 1e15)
				return -1;
			*out = (int64_t)v;
			return 0;
		}
	}
	return -1;
}

int
parse_duration_ms(const char *s, int64_t *out)
{
	static const struct unit units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
	};

	return parse_with_unit(s, units, sizeof(units) / sizeof(units[0]),
	    out);
}

int
parse_size(const char *s, int64_t *out)
{
	static const struct unit units[] = {
		{ "B", 1 }, { "KiB", 1024 }, { "MiB", 1024 * 1024 },
		{ "GiB", 1024 * 1024 * 1024 },
	};

	return parse_with_unit(s, units, sizeof(units) / sizeof(units[0]),
	    out);
}

static int
parse_int(const char *s, int base, int64_t *out)
{
	char	*end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, base);
	if (end == s || *end != '\0' || errno != 0)
		return -1;
	*out = v;
	return 0;
}

/* unix:PATH, HOST:PORT, [V6]:PORT, systemd or stdin. */
static const char *
check_listen(const char *v)
{
	const char	*colon;
	int64_t		 port;

	if (strcmp(v, "systemd") == 0 || strcmp(v, "stdin") == 0)
		return NULL;
	if (strncmp(v, "unix:", 5) == 0)
		return v[5] == '/' ? NULL : "a unix socket path must be absolute";
	if ((colon = strrchr(v, ':')) == NULL)
		return "expected unix:PATH, HOST:PORT, [V6]:PORT, systemd "
		    "or stdin";
	if (parse_int(colon + 1, 10, &port) == -1 || port < 1 || port > 65535)
		return "bad port";
	if (v[0] == '[' && colon[-1] != ']')
		return "an IPv6 address goes in brackets: [::1]:9000";
	return NULL;
}

/*
 * An endpoint path as a web server sends it in REQUEST_URI: "/" and then
 * plain segments.  No percent-encoding, ';', '?', '#', empty, "." or ".."
 * segment and no trailing slash, so that the one spelling configured is
 * the only one that can match (docs/contract.md §3).
 */
static const char *
check_path(const char *v)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/";
	const char	*seg;
	size_t		 n;

	if (v[0] != '/' || strlen(v) > 255)
		return "expected an absolute path such as /webhook";
	if (v[strspn(v, ok)] != '\0')
		return "only letters, digits and - . _ ~ / may appear in a path";
	if (strcmp(v, "/") == 0)
		return NULL;
	for (seg = v + 1;; seg += n + 1) {
		n = strcspn(seg, "/");
		if (n == 0 || (n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return "empty, . and .. segments and a trailing / are "
			    "not allowed";
		if (seg[n] == '\0')
			return NULL;
	}
}

/*
 * A time zone PostgreSQL will take in AT TIME ZONE, known by its exact
 * IANA name ("Europe/London", "UTC"): the system's time zone database is
 * asked (Debian's PostgreSQL uses the same one; tzdata is a required
 * package), so a typo is refused here rather than failing every booking.
 */
#define ZONEINFO	"/usr/share/zoneinfo"

static const char *
check_tz(const char *v)
{
	char	path[256], magic[4];
	FILE	*fp;
	bool	ok;

	if (v[0] == '\0' || v[0] == '/' || strlen(v) > 128 ||
	    strstr(v, "..") != NULL || strstr(v, "//") != NULL ||
	    v[strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789/_+-")] != '\0')
		return "not a time zone name";
	snprintf(path, sizeof(path), "%s/%s", ZONEINFO, v);
	if ((fp = fopen(path, "r")) == NULL)
		return "unknown time zone (expected an IANA name such as "
		    "Europe/London)";
	ok = fread(magic, 1, sizeof(magic), fp) == sizeof(magic) &&
	    memcmp(magic, "TZif", 4) == 0;
	fclose(fp);
	return ok ? NULL : "unknown time zone (expected an IANA name such as "
	    "Europe/London)";
}

/* Reads a secret: the whole file, trailing newlines removed. */
static const char *
read_secret(const char *path, char **out)
{
	static char	 why[128];
	FILE		*fp;
	char		 buf[8192];
	size_t		 n;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(why, sizeof(why), "cannot read %s: %s", path,
		    strerror(errno));
		return why;
	}
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	if (n == 0 || strlen(buf) != n) {
		snprintf(why, sizeof(why), "%s is empty or not text", path);
		return why;
	}
	*out = xstrdup(buf);
	return NULL;
}

/*
 * A relative secret path is looked up in $CREDENTIALS_DIRECTORY, where
 * systemd's LoadCredential= puts secrets.
 */
static const char *
load_secret(const char *value, char **out)
{
	const char	*dir = getenv("CREDENTIALS_DIRECTORY");
	char		 path[4096];

	if (value[0] != '/' && dir != NULL) {
		snprintf(path, sizeof(path), "%s/%s", dir, value);
		return read_secret(path, out);
	}
	return read_secret(value, out);
}

static void
free_routes(struct config *cfg)
{
	size_t	i;

	for (i = 0; i < cfg->n_triage_routes; i++) {
		free(cfg->triage_routes[i].category);
		free(cfg->triage_routes[i].page);
	}
	free(cfg->triage_routes);
}

static bool
is_url(const char *v)
{
	return strncmp(v, "http://", 7) == 0 || strncmp(v, "https://", 8) == 0;
}

static void
free_list(char **list)
{
	char	**p;

	for (p = list; p != NULL && *p != NULL; p++)
		free(*p);
	free(list);
}

/*
 * "a, b,c" into a NULL-terminated array, each item checked: items are
 * URLs (CF_URL_LIST) or addresses (CF_EMAIL_LIST), compared later exactly
 * as written here.
 */
static const char *
parse_list(const char *v, enum cf_type type, char ***out)
{
	char		**list = NULL, *item;
	struct cidr	  range;
	size_t		  n = 0, len;

	for (;;) {
		v += strspn(v, " \t");
		len = strcspn(v, ",");
		while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
			len--;
		item = xstrndup(v, len);
		list = xreallocarray(list, n + 2, sizeof(*list));
		list[n++] = item;
		list[n] = NULL;
		if (len == 0 || strpbrk(item, " \t") != NULL) {
			free_list(list);
			return "expected a comma-separated list without empty "
			    "items";
		}
		if (type == CF_URL_LIST && !is_url(item)) {
			free_list(list);
			return "expected http:// or https:// URLs";
		}
		if (type == CF_CIDR_LIST && cidr_parse(item, &range) == -1) {
			free_list(list);
			return "expected addresses or ranges such as 127.0.0.1, "
			    "10.0.0.0/8, ::1";
		}
		if (type == CF_EMAIL_LIST && (strchr(item, '@') == NULL ||
		    strchr(item, '@') != strrchr(item, '@'))) {
			free_list(list);
			return "expected addresses such as "
			    "service-123@gcp-sa-dialogflow.iam.gserviceaccount.com";
		}
		v += strcspn(v, ",");
		if (*v++ == '\0')
			break;
	}
	free_list(*out);
	*out = list;
	return NULL;
}

/* A header name (RFC 9110 token letters) other than Authorization. */
static const char *
check_header(const char *v)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-";

	if (v[0] == '\0' || strlen(v) > 64 || v[strspn(v, ok)] != '\0')
		return "expected a header name such as X-Webhook-Secret";
	if (strcasecmp(v, "Authorization") == 0)
		return "Authorization is for the bearer, basic and ID-token "
		    "modes";
	return NULL;
}

/*
 * [triage] route.CATEGORY = PAGE.  The category is a label as a model
 * names them; the page a CX resource name, checked for its shape only
 * (.../pages/ID): which pages exist only the agent knows.
 */
static const char *
add_route(struct config *cfg, const char *category, const char *page)
{
	size_t	i;

	if (!triage_label_valid(category, strlen(category)))
		return "expected route.CATEGORY, the category in letters, "
		    "digits and _ - . :";
	for (i = 0; i < cfg->n_triage_routes; i++)
		if (strcmp(cfg->triage_routes[i].category, category) == 0)
			return "set twice";
	if (strstr(page, "/pages/") == NULL || strlen(page) > 1024 ||
	    strpbrk(page, " \t\"\\") != NULL)
		return "expected a page resource name, "
		    "projects/P/locations/L/agents/A/flows/F/pages/ID";
	cfg->triage_routes = xreallocarray(cfg->triage_routes,
	    cfg->n_triage_routes + 1, sizeof(*cfg->triage_routes));
	cfg->triage_routes[cfg->n_triage_routes].category = xstrdup(category);
	cfg->triage_routes[cfg->n_triage_routes++].page = xstrdup(page);
	return NULL;
}

static const char *
set_value(struct config *cfg, const struct cf_key *k, const char *v)
{
	char		*base = (char *)cfg + k->offset;
	int64_t		 n;
	double		 d;
	char		*end;
	const char	*why;

	switch (k->type) {
	case CF_STR:
	case CF_URL:
	case CF_LISTEN:
	case CF_PATH:
	case CF_TZ:
	case CF_HEADER:
		if (k->type == CF_HEADER && (why = check_header(v)) != NULL)
			return why;
		if (k->type == CF_LISTEN && (why = check_listen(v)) != NULL)
			return why;
		if (k->type == CF_PATH && (why = check_path(v)) != NULL)
			return why;
		if (k->type == CF_TZ && (why = check_tz(v)) != NULL)
			return why;
		if (k->type == CF_URL && !is_url(v))
			return "expected an http:// or https:// URL";
		free(*(char **)(void *)base);
		*(char **)(void *)base = xstrdup(v);
		return NULL;
	case CF_SECRET_FILE:
		free(*(char **)(void *)base);
		*(char **)(void *)base = NULL;
		return load_secret(v, (char **)(void *)base);
	case CF_INT:
	case CF_MODE:
		if (parse_int(v, k->type == CF_MODE ? 8 : 10, &n) == -1)
			return k->type == CF_MODE ? "expected an octal mode "
			    "such as 0660" : "expected a whole number";
		if (n < k->min || n > k->max)
			return "out of range";
		*(int *)(void *)base = (int)n;
		return NULL;
	case CF_DURATION:
		if (parse_duration_ms(v, &n) == -1)
			return "expected a duration with a unit "
			    "(250ms, 5s, 30m, 1h)";
		if (n < k->min || n > k->max)
			return "out of range";
		*(int64_t *)(void *)base = n;
		return NULL;
	case CF_SIZE:
		if (parse_size(v, &n) == -1)
			return "expected a size with a unit (512KiB, 1MiB)";
		if (n < k->min || n > k->max)
			return "out of range";
		*(int64_t *)(void *)base = n;
		return NULL;
	case CF_DOUBLE:
		errno = 0;
		d = strtod(v, &end);
		if (end == v || *end != '\0' || errno != 0 || !isfinite(d))
			return "expected a number";
		if (!(d >= (double)k->min && d <= (double)k->max))
			return "out of range";
		*(double *)(void *)base = d;
		if (k->flag_offset != 0)
			*(bool *)(void *)((char *)cfg + k->flag_offset) = true;
		return NULL;
	case CF_LEVEL:
		if (log_parse_level(v, (enum log_level *)(void *)base) == -1)
			return "expected error, warn, info or debug";
		return NULL;
	case CF_URL_LIST:
	case CF_EMAIL_LIST:
	case CF_CIDR_LIST:
		return parse_list(v, k->type, (char ***)(void *)base);
	case CF_REQUIRE:
		if (strcmp(v, "off") != 0 && strcmp(v, "require") != 0)
			return "expected off or require";
		*(bool *)(void *)base = strcmp(v, "require") == 0;
		return NULL;
	case CF_STATEMENTS:
		if (strcmp(v, "prepared") != 0 && strcmp(v, "unnamed") != 0)
			return "expected prepared or unnamed";
		*(bool *)(void *)base = strcmp(v, "unnamed") == 0;
		return NULL;
	case CF_ROUTES:
		break;	/* on_key, which knows the key's name */
	}
	return "unknown type";
}

static const struct cf_key *
find_key(const char *section, const char *name, bool *section_known)
{
	size_t	i;

	*section_known = false;
	for (i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].section, section) != 0)
			continue;
		*section_known = true;
		if (strcmp(keys[i].name, name) == 0 ||
		    (keys[i].type == CF_ROUTES && strncmp(keys[i].name, name,
		    strlen(keys[i].name)) == 0))
			return &keys[i];
	}
	return NULL;
}

static int
on_key(void *user, const char *section, const char *name, const char *value)
{
	struct load_state	*st = user;
	const struct cf_key	*k;
	const char		*why;
	bool			 known;

	if ((k = find_key(section, name, &known)) == NULL)
		why = known ? "unknown key" : "unknown section";
	else if (k->type == CF_ROUTES)
		why = add_route(st->cfg, name + strlen(k->name), value);
	else if (st->seen[k - keys])
		why = "set twice";
	else {
		st->seen[k - keys] = true;
		why = set_value(st->cfg, k, value);
	}
	if (why == NULL)
		return 1;
	snprintf(st->err, st->errsz, "%s:%d: [%s] %s: %s", st->cfg->path,
	    st->line, section, name, why);
	st->failed = true;
	return 0;
}

static bool
section_known(const char *name, size_t len)
{
	size_t	i;

	for (i = 0; i < NKEYS; i++)
		if (strlen(keys[i].section) == len &&
		    strncmp(keys[i].section, name, len) == 0)
			return true;
	return false;
}

/*
 * inih reports sections only through their keys, so an empty unknown
 * section would pass unseen: section headers are checked here, as lines
 * are read.  Returning NULL ends the parse.
 */
static char *
read_line(char *str, int num, void *stream)
{
	struct load_state	*st = stream;
	const char		*p, *end;

	if (st->failed || fgets(str, num, st->fp) == NULL)
		return NULL;
	st->line++;
	p = str + strspn(str, " \t");
	if (*p != '[' || (end = strchr(p, ']')) == NULL)
		return str;
	p++;
	if (!section_known(p, (size_t)(end - p))) {
		snprintf(st->err, st->errsz, "%s:%d: [%.*s]: unknown section",
		    st->cfg->path, st->line, (int)(end - p), p);
		st->failed = true;
		return NULL;
	}
	return str;
}

static void
set_defaults(struct config *cfg)
{
	size_t	i;

	for (i = 0; i < NKEYS; i++) {
		if (keys[i].dflt == NULL)
			continue;
		/* The defaults are known good; a failure is a bug here. */
		if (set_value(cfg, &keys[i], keys[i].dflt) != NULL)
			abort();
	}
}

/*
 * A secret whose *_file key is absent is taken from
 * $CREDENTIALS_DIRECTORY/<credential> when systemd put one there.
 */
static int
load_credentials(struct config *cfg, char *err, size_t errsz)
{
	const char	*dir = getenv("CREDENTIALS_DIRECTORY");
	const char	*why;
	char		 path[4096];
	char		**slot;
	size_t		 i;

	if (dir == NULL)
		return 0;
	for (i = 0; i < NKEYS; i++) {
		if (keys[i].type != CF_SECRET_FILE)
			continue;
		slot = (char **)(void *)((char *)cfg + keys[i].offset);
		snprintf(path, sizeof(path), "%s/%s", dir, keys[i].credential);
		if (*slot != NULL || access(path, F_OK) != 0)
			continue;
		if ((why = read_secret(path, slot)) != NULL) {
			snprintf(err, errsz, "credential %s: %s",
			    keys[i].credential, why);
			return -1;
		}
	}
	return 0;
}

/* A host of a URL that is this machine. */
static bool
loopback_url(const char *url)
{
	static const char *const hosts[] = {
		"http://127.0.0.1", "http://[::1]", "http://localhost"
	};
	size_t	i, n;

	for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		n = strlen(hosts[i]);
		if (strncmp(url, hosts[i], n) == 0 &&
		    (url[n] == ':' || url[n] == '/' || url[n] == '\0'))
			return true;
	}
	return false;
}

static const char *
check_auth(const struct config *cfg)
{
	if ((cfg->basic_user == NULL) != (cfg->basic_password == NULL))
		return "[auth] basic_user and basic_password_file (or the "
		    "credential basic-password) go together";
	if ((cfg->header_name == NULL) != (cfg->header_value == NULL))
		return "[auth] header_name and header_value_file (or the "
		    "credential header-value) go together";
	if ((cfg->id_token_audience == NULL) != (cfg->id_token_email == NULL))
		return "[auth] id_token_audience and id_token_email go "
		    "together: the audience alone would accept any Google "
		    "service account's token";
	/* Keys fetched in the clear could be anyone's. */
	if (strncmp(cfg->id_token_jwks_url, "https://", 8) != 0 &&
	    !loopback_url(cfg->id_token_jwks_url))
		return "[auth] id_token_jwks_url must be https (http only to "
		    "127.0.0.1, [::1] or localhost)";
	if (cfg->client_cert_dn != NULL && !cfg->client_cert)
		return "[auth] client_cert_dn needs client_cert = require";
	return NULL;
}

/*
 * What no single key can say: keys that must agree with each other.  The
 * file is named, not a line: the fault is in a pair of lines.
 */
static const char *
check_whole(const struct config *cfg)
{
	const char *const paths[] = { cfg->webhook_path, cfg->healthz_path,
	    cfg->status_path, cfg->metrics_path };
	size_t	i, j;

	for (i = 0; i < 4; i++)
		for (j = i + 1; j < 4; j++)
			if (strcmp(paths[i], paths[j]) == 0)
				return "[pool] webhook_path, healthz_path, "
				    "status_path and metrics_path must differ";
	if (cfg->max_body > cfg->max_worker_memory / 4)
		return "[pool] max_body must be at most a quarter of "
		    "max_worker_memory (a body is parsed into several times "
		    "its size)";
	if (cfg->allow != NULL && strncmp(cfg->listen, "unix:", 5) == 0)
		return "[pool] allow is for a TCP listen address (a unix "
		    "socket is guarded by its file mode)";
	if (cfg->forward_retry_base_ms > cfg->forward_retry_max_ms)
		return "[booking] forward_retry_base must not exceed "
		    "forward_retry_max";
	if ((cfg->triage_text_param != NULL || cfg->n_triage_routes > 0) &&
	    cfg->triage_model == NULL)
		return "[triage] text_param and route.* need [triage] model";
	if ((cfg->triage_model != NULL && cfg->triage_model[0] == '\0') ||
	    (cfg->triage_text_param != NULL &&
	    cfg->triage_text_param[0] == '\0'))
		return "[triage] model and text_param must not be empty";
	return check_auth(cfg);
}

int
config_load(const char *path, struct config *cfg, char *err, size_t errsz)
{
	struct load_state	st;
	const char		*why;
	int			rc;

	_Static_assert(NKEYS <= NKEYS_MAX, "raise NKEYS_MAX");
	memset(cfg, 0, sizeof(*cfg));
	cfg->path = xstrdup(path);
	set_defaults(cfg);
	memset(&st, 0, sizeof(st));
	st.cfg = cfg;
	st.err = err;
	st.errsz = errsz;
	if ((st.fp = fopen(path, "r")) == NULL) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	ini_stop_on_first_error = 1;
	ini_max_line = 4096;
	rc = ini_parse_stream(read_line, &st, on_key, &st);
	fclose(st.fp);
	if (st.failed)
		return -1;
	if (rc != 0) {
		snprintf(err, errsz, "%s:%d: syntax error", path, rc);
		return -1;
	}
	if (load_credentials(cfg, err, errsz) == -1)
		return -1;
	if ((why = check_whole(cfg)) != NULL) {
		snprintf(err, errsz, "%s: %s", path, why);
		return -1;
	}
	return 0;
}

void
config_free(struct config *cfg)
{
	size_t	i;

	for (i = 0; i < NKEYS; i++) {
		switch (keys[i].type) {
		case CF_STR:
		case CF_URL:
		case CF_LISTEN:
		case CF_PATH:
		case CF_TZ:
		case CF_HEADER:
		case CF_SECRET_FILE:
			free(*(char **)(void *)((char *)cfg + keys[i].offset));
			break;
		case CF_URL_LIST:
		case CF_EMAIL_LIST:
		case CF_CIDR_LIST:
			free_list(*(char ***)(void *)((char *)cfg +
			    keys[i].offset));
			break;
		case CF_ROUTES:
			free_routes(cfg);
			break;
		default:
			break;
		}
	}
	free(cfg->path);
	memset(cfg, 0, sizeof(*cfg));
}
