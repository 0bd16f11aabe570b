/*
 * Unit tests for the configuration file (config/config.c, docs/contract.md §2):
 * config_load() on files written to mkstemp() names under /tmp (removed
 * again), and parse_duration_ms()/parse_size() on their own.
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

#include "config/config.h"
#include "lib/log.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define MiB		(1024 * 1024)

/*
 * Every temporary file is also listed here, so that the group teardown
 * removes what a failed test (which longjmps out) left behind.
 */
#define MAX_TMP	64
static char	*tmp_paths[MAX_TMP];

/* Writes content to a new file under /tmp; returns its malloc'd path. */
static char *
write_tmp(const char *content)
{
	char	*path;
	int	 fd;
	size_t	 n = strlen(content), i;

	path = strdup("/tmp/cxhook-test-config-XXXXXX");
	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	for (i = 0; i < MAX_TMP && tmp_paths[i] != NULL; i++)
		;
	assert_true(i < MAX_TMP);
	tmp_paths[i] = path;
	assert_int_equal(write(fd, content, n), (ssize_t)n);
	assert_int_equal(close(fd), 0);
	return path;
}

static void
remove_tmp(char *path)
{
	size_t	i;

	if (path == NULL)
		return;
	for (i = 0; i < MAX_TMP; i++)
		if (tmp_paths[i] == path)
			tmp_paths[i] = NULL;
	unlink(path);
	free(path);
}

/* Loads a config from text; returns config_load()'s result. */
static int
load_text(const char *text, struct config *cfg, char *err, size_t errsz,
    char **pathp)
{
	char	*path = write_tmp(text);
	int	 rc;

	memset(err, 0, errsz);
	rc = config_load(path, cfg, err, errsz);
	if (pathp != NULL)
		*pathp = path;
	else
		remove_tmp(path);
	return rc;
}

static int
setup(void **state)
{
	/* $CREDENTIALS_DIRECTORY would change what is loaded. */
	unsetenv("CREDENTIALS_DIRECTORY");
	return 0;
}

static int
teardown(void **state)
{
	size_t	i;

	for (i = 0; i < MAX_TMP; i++)
		remove_tmp(tmp_paths[i]);
	return 0;
}

static void
test_full_file(void **state)
{
	char		*tok = write_tmp("s3cret\n");
	char		*wkey = write_tmp("weather-key-123\r\n\n");
	char		*btok = write_tmp("calendar-token");
	char		 text[4096], err[512], *path;
	struct config	 cfg;

	snprintf(text, sizeof(text),
	    "; cxhook test configuration\n"
	    "[pool]\n"
	    "listen = 127.0.0.1:9000\n"
	    "socket_mode = 0660\n"
	    "workers = 8\n"
	    "deadline = 4500ms\n"
	    "max_body = 1MiB\n"
	    "backlog = 64\n"
	    "max_requests = 1000\n"
	    "\n"
	    "[database]\n"
	    "conninfo = host=/run/postgresql dbname=cxhook\n"
	    "connect_timeout = 3s\n"
	    "\n"
	    "[auth]\n"
	    "bearer_token_file = %s   ; credential: bearer-token\n"
	    "\n"
	    "[weather]\n"
	    "url          = https://api.weatherapi.com/v1/current.json\n"
	    "api_key_file = %s\n"
	    "cache_ttl    = 30m\n"
	    "\n"
	    "[booking]\n"
	    "forward_url        = https://calendar.example.com/api/appointments\n"
	    "forward_token_file = %s\n"
	    "\n"
	    "[handoff]\n"
	    "sentiment_below = -0.6\n"
	    "\n"
	    "[log]\n"
	    "level = debug\n", tok, wkey, btok);
	if (load_text(text, &cfg, err, sizeof(err), &path) != 0)
		fail_msg("refused: %s", err);

	assert_string_equal(cfg.path, path);
	assert_string_equal(cfg.listen, "127.0.0.1:9000");
	assert_int_equal(cfg.socket_mode, 0660);
	assert_int_equal(cfg.workers, 8);
	assert_int_equal(cfg.deadline_ms, 4500);
	assert_int_equal(cfg.max_body, 1048576);
	assert_int_equal(cfg.backlog, 64);
	assert_int_equal(cfg.max_requests, 1000);
	assert_string_equal(cfg.conninfo, "host=/run/postgresql dbname=cxhook");
	assert_int_equal(cfg.connect_timeout_ms, 3000);
	assert_string_equal(cfg.bearer_token, "s3cret");
	assert_string_equal(cfg.weather_url,
	    "https://api.weatherapi.com/v1/current.json");
	assert_string_equal(cfg.weather_api_key, "weather-key-123");
	assert_int_equal(cfg.weather_cache_ttl_ms, 1800000);
	assert_string_equal(cfg.booking_forward_url,
	    "https://calendar.example.com/api/appointments");
	assert_string_equal(cfg.booking_forward_token, "calendar-token");
	assert_true(cfg.has_sentiment_below);
	assert_true(fabs(cfg.sentiment_below - -0.6) < 1e-12);
	assert_int_equal(cfg.log_level, LOG_LVL_DEBUG);

	config_free(&cfg);
	assert_null(cfg.listen);
	remove_tmp(path);
	remove_tmp(tok);
	remove_tmp(wkey);
	remove_tmp(btok);
}

static void
test_defaults(void **state)
{
	static const char *const texts[] = {
		"",
		"; only comments\n# and these\n\n",
		"[pool]\n[database]\n[log]\n",
	};
	struct config	cfg;
	char		err[512];
	size_t		i;

	for (i = 0; i < NITEMS(texts); i++) {
		if (load_text(texts[i], &cfg, err, sizeof(err), NULL) != 0)
			fail_msg("refused: %s", err);
		assert_string_equal(cfg.listen, "unix:/run/cxhook/cxhook.sock");
		assert_int_equal(cfg.socket_mode, 0660);
		assert_int_equal(cfg.workers, 4);
		assert_int_equal(cfg.deadline_ms, 4500);
		assert_int_equal(cfg.max_body, MiB);
		assert_int_equal(cfg.backlog, 128);
		assert_int_equal(cfg.max_requests, 0);
		assert_string_equal(cfg.conninfo,
		    "postgresql:///cxhook?host=/run/postgresql");
		assert_int_equal(cfg.connect_timeout_ms, 2000);
		assert_null(cfg.bearer_token);
		assert_null(cfg.weather_url);
		assert_null(cfg.weather_api_key);
		assert_int_equal(cfg.weather_cache_ttl_ms, 1800000);
		assert_null(cfg.booking_forward_url);
		assert_null(cfg.booking_forward_token);
		assert_false(cfg.has_sentiment_below);
		assert_int_equal(cfg.log_level, LOG_LVL_INFO);
		config_free(&cfg);
	}
}

static void
test_listen_forms(void **state)
{
	static const char *const ok[] = {
		"unix:/run/cxhook/cxhook.sock", "127.0.0.1:9000", "[::1]:9000",
		"localhost:65535", "systemd", "stdin",
	};
	struct config	cfg;
	char		text[256], err[512];
	size_t		i;

	for (i = 0; i < NITEMS(ok); i++) {
		snprintf(text, sizeof(text), "[pool]\nlisten = %s\n", ok[i]);
		if (load_text(text, &cfg, err, sizeof(err), NULL) != 0)
			fail_msg("listen %s refused: %s", ok[i], err);
		assert_string_equal(cfg.listen, ok[i]);
		config_free(&cfg);
	}
}

/* An error names FILE:LINE: [section] key. */
static void
assert_err(const char *err, const char *path, int line, const char *what)
{
	char	want[64];

	if (strstr(err, path) == NULL)
		fail_msg("\"%s\" does not name the file %s", err, path);
	snprintf(want, sizeof(want), ":%d:", line);
	if (strstr(err, want) == NULL)
		fail_msg("\"%s\" does not name line %d", err, line);
	if (what != NULL && strstr(err, what) == NULL)
		fail_msg("\"%s\" does not name %s", err, what);
}

static void
test_unknown_key(void **state)
{
	struct config	 cfg;
	char		 err[512], *path;

	assert_int_equal(load_text(
	    "; line 1\n"
	    "[pool]\n"
	    "workers = 4\n"
	    "\n"
	    "; wrong key next\n"
	    "wrokers = 5\n"
	    "deadline = 4500ms\n", &cfg, err, sizeof(err), &path), -1);
	assert_err(err, path, 6, "wrokers");
	assert_non_null(strstr(err, "[pool]"));
	assert_non_null(strstr(err, "unknown key"));
	config_free(&cfg);
	remove_tmp(path);

	/* A key of another section is unknown here. */
	assert_int_equal(load_text("[database]\nworkers = 4\n", &cfg, err,
	    sizeof(err), &path), -1);
	assert_err(err, path, 2, "workers");
	config_free(&cfg);
	remove_tmp(path);

	/* CRLF line ends count lines the same way. */
	assert_int_equal(load_text("[pool]\r\nworkers = 4\r\nbogus = 1\r\n",
	    &cfg, err, sizeof(err), &path), -1);
	assert_err(err, path, 3, "bogus");
	config_free(&cfg);
	remove_tmp(path);
}

static void
test_unknown_section(void **state)
{
	struct config	 cfg;
	char		 err[512], *path;

	assert_int_equal(load_text(
	    "[pool]\n"
	    "workers = 4\n"
	    "[databse]\n"
	    "conninfo = postgresql:///cxhook\n", &cfg, err, sizeof(err),
	    &path), -1);
	/* Named at its header (line 3) or at its first key (line 4). */
	if (strstr(err, ":3:") != NULL)
		assert_err(err, path, 3, "databse");
	else
		assert_err(err, path, 4, "databse");
	assert_non_null(strstr(err, "unknown section"));
	config_free(&cfg);
	remove_tmp(path);

	/* A key before any section header. */
	assert_int_equal(load_text("workers = 4\n[pool]\n", &cfg, err,
	    sizeof(err), &path), -1);
	assert_err(err, path, 1, "workers");
	config_free(&cfg);
	remove_tmp(path);
}

/*
 * An unknown section is refused even when no key follows it (contract
 * §2).  inih reports sections only through their keys, so this case needs
 * its own check; it was missing when these tests were written.
 */
static void
test_unknown_empty_section(void **state)
{
	struct config	 cfg;
	char		 err[512], *path;
	int		 rc;

	rc = load_text("[pool]\nworkers = 4\n[bogus]\n; nothing here\n",
	    &cfg, err, sizeof(err), &path);
	config_free(&cfg);
	if (rc != -1) {
		remove_tmp(path);
		fail_msg("an empty unknown section [bogus] was accepted");
	}
	assert_err(err, path, 3, "bogus");
	remove_tmp(path);
}

static void
test_bad_values(void **state)
{
	static const struct {
		const char	*section, *key, *value;
	} t[] = {
		{ "pool", "workers", "0" },
		{ "pool", "workers", "abc" },
		{ "pool", "workers", "-1" },
		{ "pool", "workers", "513" },
		{ "pool", "workers", "4.5" },
		{ "pool", "workers", "4 workers" },
		{ "pool", "workers", "99999999999999999999" },
		{ "pool", "deadline", "5" },
		{ "pool", "deadline", "5 s" },
		{ "pool", "deadline", "5sec" },
		{ "pool", "deadline", "50ms" },
		{ "pool", "deadline", "31s" },
		{ "pool", "deadline", "-5s" },
		{ "pool", "max_body", "1MB" },
		{ "pool", "max_body", "1048576" },
		{ "pool", "max_body", "1mib" },
		{ "pool", "max_body", "100B" },
		{ "pool", "max_body", "65MiB" },
		{ "pool", "listen", "nowhere" },
		{ "pool", "listen", "unix:run/cxhook.sock" },
		{ "pool", "listen", "127.0.0.1:0" },
		{ "pool", "listen", "127.0.0.1:70000" },
		{ "pool", "listen", "127.0.0.1:http" },
		{ "pool", "listen", "[::1:9000" },
		{ "pool", "socket_mode", "0999" },
		{ "pool", "socket_mode", "01777" },
		{ "pool", "socket_mode", "rw-rw----" },
		{ "pool", "backlog", "0" },
		{ "pool", "max_requests", "-1" },
		{ "database", "connect_timeout", "500ms" },
		{ "database", "connect_timeout", "2" },
		{ "weather", "url", "ftp://example.com/weather" },
		{ "weather", "url", "api.weatherapi.com" },
		{ "weather", "cache_ttl", "2d" },
		{ "booking", "forward_url", "calendar.example.com" },
		{ "handoff", "sentiment_below", "abc" },
		{ "handoff", "sentiment_below", "-2" },
		{ "handoff", "sentiment_below", "1.5" },
		{ "handoff", "sentiment_below", "-0.6x" },
		{ "handoff", "sentiment_below", "nan" },
		{ "handoff", "sentiment_below", "NaN" },
		{ "handoff", "sentiment_below", "-inf" },
		{ "handoff", "sentiment_below", "infinity" },
		{ "booking", "timezone", "Europe/Londn" },
		{ "booking", "timezone", "europe/london" },
		{ "booking", "timezone", "UTC+3" },
		{ "booking", "timezone", "../../etc/passwd" },
		{ "booking", "timezone", "" },
		{ "pool", "webhook_path", "webhook" },
		{ "pool", "webhook_path", "/webhook/" },
		{ "pool", "webhook_path", "//webhook" },
		{ "pool", "webhook_path", "/a/./b" },
		{ "pool", "webhook_path", "/a/../b" },
		{ "pool", "webhook_path", "/%77ebhook" },
		{ "pool", "webhook_path", "/webhook;x" },
		{ "pool", "webhook_path", "/webhook?x=1" },
		{ "pool", "status_path", "" },
		{ "pool", "idle_timeout", "50ms" },
		{ "pool", "idle_timeout", "2m" },
		{ "pool", "max_worker_memory", "1MiB" },
		{ "pool", "max_worker_memory", "256MB" },
		{ "log", "level", "loud" },
		{ "log", "level", "" },
		{ "database", "statements", "named" },
		{ "database", "statements", "" },
		{ "pool", "allow", "10.1.2.3/8" },
		{ "pool", "allow", "127.0.0.1,,10.0.0.0/8" },
		{ "pool", "allow", "web1.example.com" },
		{ "auth", "header_name", "Authorization" },
		{ "auth", "header_name", "authorization" },
		{ "auth", "header_name", "X Secret" },
		{ "auth", "header_name", "X_Secret:" },
		{ "auth", "id_token_audience", "hooks.example.com/webhook" },
		{ "auth", "id_token_audience", "https://a.example/x,,https://b/" },
		{ "auth", "id_token_audience", "https://a.example/x," },
		{ "auth", "id_token_email", "service-1" },
		{ "auth", "id_token_email", "a@b@c" },
		{ "auth", "id_token_email", "a@b.c, ,d@e.f" },
		{ "auth", "id_token_jwks_url", "www.googleapis.com/oauth2/v3/certs" },
		{ "auth", "client_cert", "yes" },
		{ "auth", "client_cert", "required" },
	};
	struct config	 cfg;
	char		 text[512], err[512], *path;
	size_t		 i;

	for (i = 0; i < NITEMS(t); i++) {
		snprintf(text, sizeof(text), "; bad value on line 3\n[%s]\n"
		    "%s = %s\n", t[i].section, t[i].key, t[i].value);
		if (load_text(text, &cfg, err, sizeof(err), &path) != -1)
			fail_msg("[%s] %s = %s: accepted", t[i].section,
			    t[i].key, t[i].value);
		assert_err(err, path, 3, t[i].key);
		config_free(&cfg);
		remove_tmp(path);
	}
}

static void
test_good_values(void **state)
{
	static const struct {
		const char	*text;
		size_t		 off;
		int64_t		 want;
		int		 size;	/* of the field: 4 or 8 */
	} t[] = {
		{ "[pool]\nworkers = 1\n", offsetof(struct config, workers), 1,
		    4 },
		{ "[pool]\nworkers = 512\n", offsetof(struct config, workers),
		    512, 4 },
		{ "[pool]\nsocket_mode = 0666\n",
		    offsetof(struct config, socket_mode), 0666, 4 },
		{ "[pool]\nsocket_mode = 600\n",
		    offsetof(struct config, socket_mode), 0600, 4 },
		{ "[pool]\ndeadline = 100ms\n",
		    offsetof(struct config, deadline_ms), 100, 8 },
		{ "[pool]\ndeadline = 30s\n",
		    offsetof(struct config, deadline_ms), 30000, 8 },
		{ "[pool]\ndeadline = 2.5s\n",
		    offsetof(struct config, deadline_ms), 2500, 8 },
		{ "[pool]\nmax_body = 512KiB\n",
		    offsetof(struct config, max_body), 524288, 8 },
		{ "[pool]\nmax_body = 64MiB\n",
		    offsetof(struct config, max_body), 64 * MiB, 8 },
		{ "[pool]\nmax_body = 1024B\n",
		    offsetof(struct config, max_body), 1024, 8 },
		{ "[weather]\ncache_ttl = 0s\n",
		    offsetof(struct config, weather_cache_ttl_ms), 0, 8 },
		{ "[weather]\ncache_ttl = 1h\n",
		    offsetof(struct config, weather_cache_ttl_ms), 3600000, 8 },
		{ "[pool]\nidle_timeout = 500ms\n",
		    offsetof(struct config, idle_timeout_ms), 500, 8 },
		{ "[pool]\nmax_worker_memory = 1GiB\n",
		    offsetof(struct config, max_worker_memory), 1024 * MiB, 8 },
		{ "[log]\nlevel = warning\n",
		    offsetof(struct config, log_level), LOG_LVL_WARN, 4 },
		{ "[log]\nlevel = ERROR\n",
		    offsetof(struct config, log_level), LOG_LVL_ERROR, 4 },
	};
	struct config	cfg;
	char		err[512];
	int64_t		got;
	int		i32;
	size_t		i;

	for (i = 0; i < NITEMS(t); i++) {
		if (load_text(t[i].text, &cfg, err, sizeof(err), NULL) != 0)
			fail_msg("%s refused: %s", t[i].text, err);
		if (t[i].size == 4) {
			memcpy(&i32, (char *)&cfg + t[i].off, sizeof(i32));
			got = i32;
		} else
			memcpy(&got, (char *)&cfg + t[i].off, sizeof(got));
		if (got != t[i].want)
			fail_msg("%s: got %lld, want %lld", t[i].text,
			    (long long)got, (long long)t[i].want);
		config_free(&cfg);
	}
}

static void
test_good_strings(void **state)
{
	struct config	cfg;
	char		err[512];

	if (load_text("[pool]\nwebhook_path = /cx/v1/hook\n"
	    "healthz_path = /\n[booking]\ntimezone = America/New_York\n",
	    &cfg, err, sizeof(err), NULL) != 0)
		fail_msg("refused: %s", err);
	assert_string_equal(cfg.webhook_path, "/cx/v1/hook");
	assert_string_equal(cfg.healthz_path, "/");
	assert_string_equal(cfg.status_path, "/status");
	assert_string_equal(cfg.booking_timezone, "America/New_York");
	config_free(&cfg);
}

/* Keys that are each good but do not fit together: the file is named. */
static void
test_whole_file(void **state)
{
	static const struct {
		const char	*text;
		const char	*names;		/* in the message */
	} t[] = {
		{ "[pool]\nstatus_path = /healthz\n", "status_path" },
		{ "[pool]\nmetrics_path = /webhook\n", "metrics_path" },
		{ "[pool]\nmax_body = 64MiB\nmax_worker_memory = 128MiB\n",
		    "max_body" },
		{ "[booking]\nforward_retry_base = 10m\n", "forward_retry_base" },
		{ "[pool]\nlisten = unix:/run/x.sock\nallow = 127.0.0.1\n", "allow" },
		{ "[auth]\nbasic_user = agent\n", "basic_password_file" },
		{ "[auth]\nheader_name = X-Webhook-Secret\n", "header_value_file" },
		{ "[auth]\nid_token_audience = https://h.example/webhook\n",
		    "id_token_email" },
		{ "[auth]\nid_token_email = a@b.example\n", "id_token_audience" },
		{ "[auth]\nid_token_audience = https://h.example/webhook\n"
		    "id_token_email = a@b.example\n"
		    "id_token_jwks_url = http://keys.example.com/certs\n",
		    "id_token_jwks_url" },
		{ "[auth]\nclient_cert_dn = CN=agent\n", "client_cert" },
	};
	struct config	 cfg;
	char		 err[512], *path;
	size_t		 i;

	for (i = 0; i < NITEMS(t); i++) {
		if (load_text(t[i].text, &cfg, err, sizeof(err), &path) != -1)
			fail_msg("%s: accepted", t[i].text);
		if (strncmp(err, path, strlen(path)) != 0 ||
		    strstr(err, t[i].names) == NULL)
			fail_msg("%s: %s", t[i].text, err);
		config_free(&cfg);
		remove_tmp(path);
	}
}

static void
test_secret_files(void **state)
{
	struct config	 cfg;
	char		 text[512], err[512], missing[128], *path, *empty;

	snprintf(missing, sizeof(missing), "/tmp/cxhook-test-no-such-token-%ld",
	    (long)getpid());
	unlink(missing);
	snprintf(text, sizeof(text), "[auth]\nbearer_token_file = %s\n",
	    missing);
	assert_int_equal(load_text(text, &cfg, err, sizeof(err), &path), -1);
	assert_err(err, path, 2, missing);
	assert_non_null(strstr(err, "bearer_token_file"));
	assert_null(cfg.bearer_token);
	config_free(&cfg);
	remove_tmp(path);

	/* An empty secret is no secret. */
	empty = write_tmp("\n");
	snprintf(text, sizeof(text), "[weather]\n\napi_key_file = %s\n",
	    empty);
	assert_int_equal(load_text(text, &cfg, err, sizeof(err), &path), -1);
	assert_err(err, path, 3, empty);
	config_free(&cfg);
	remove_tmp(path);
	remove_tmp(empty);

	/* A directory is not a readable secret either. */
	snprintf(text, sizeof(text), "[booking]\nforward_token_file = /tmp\n");
	assert_int_equal(load_text(text, &cfg, err, sizeof(err), &path), -1);
	assert_err(err, path, 2, "forward_token_file");
	config_free(&cfg);
	remove_tmp(path);
}

static void
test_auth_keys(void **state)
{
	struct config	 cfg;
	char		 text[1024], err[512], *pw, *hv;

	pw = write_tmp("pa:ss word\n");
	hv = write_tmp("hdr-secret\n");
	snprintf(text, sizeof(text), "[auth]\nbasic_user = agent\n"
	    "basic_password_file = %s\nheader_name = X-Webhook-Secret\n"
	    "header_value_file = %s\n"
	    "id_token_audience = https://a.example/webhook, "
	    "https://b.example/webhook\n"
	    "id_token_email = s-1@gcp-sa-dialogflow.iam.gserviceaccount.com\n"
	    "id_token_jwks_url = http://127.0.0.1:8999/certs\n"
	    "client_cert = require\nclient_cert_dn = CN=agent,O=Example\n",
	    pw, hv);
	if (load_text(text, &cfg, err, sizeof(err), NULL) != 0)
		fail_msg("%s", err);
	assert_string_equal(cfg.basic_user, "agent");
	assert_string_equal(cfg.basic_password, "pa:ss word");
	assert_string_equal(cfg.header_name, "X-Webhook-Secret");
	assert_string_equal(cfg.header_value, "hdr-secret");
	assert_string_equal(cfg.id_token_audience[0], "https://a.example/webhook");
	assert_string_equal(cfg.id_token_audience[1], "https://b.example/webhook");
	assert_null(cfg.id_token_audience[2]);
	assert_string_equal(cfg.id_token_email[0],
	    "s-1@gcp-sa-dialogflow.iam.gserviceaccount.com");
	assert_null(cfg.id_token_email[1]);
	assert_string_equal(cfg.id_token_jwks_url, "http://127.0.0.1:8999/certs");
	assert_true(cfg.client_cert);
	assert_string_equal(cfg.client_cert_dn, "CN=agent,O=Example");
	config_free(&cfg);
	/* Defaults: Google's keys, no certificate. */
	if (load_text("[auth]\n", &cfg, err, sizeof(err), NULL) != 0)
		fail_msg("%s", err);
	assert_string_equal(cfg.id_token_jwks_url,
	    "https://www.googleapis.com/oauth2/v3/certs");
	assert_false(cfg.client_cert);
	assert_null(cfg.id_token_audience);
	config_free(&cfg);
	remove_tmp(pw);
	remove_tmp(hv);
}

/* systemd LoadCredential=: relative names and absent keys. */
static void
test_credentials_directory(void **state)
{
	char		 dir[] = "/tmp/cxhook-test-creds-XXXXXX";
	char		 p1[256], p2[256], err[512];
	char		*bearer, *wkey;
	struct config	 cfg;
	FILE		*fp;
	bool		 booking;
	int		 rc;

	assert_non_null(mkdtemp(dir));
	snprintf(p1, sizeof(p1), "%s/bearer-token", dir);
	snprintf(p2, sizeof(p2), "%s/mykey", dir);
	fp = fopen(p1, "w");
	assert_non_null(fp);
	fputs("from-credential\n", fp);
	fclose(fp);
	fp = fopen(p2, "w");
	assert_non_null(fp);
	fputs("relative-key", fp);
	fclose(fp);
	setenv("CREDENTIALS_DIRECTORY", dir, 1);

	rc = load_text("[weather]\napi_key_file = mykey\n", &cfg, err,
	    sizeof(err), NULL);
	bearer = cfg.bearer_token != NULL ? strdup(cfg.bearer_token) : NULL;
	wkey = cfg.weather_api_key != NULL ? strdup(cfg.weather_api_key) :
	    NULL;
	booking = cfg.booking_forward_token != NULL;
	config_free(&cfg);
	/* Cleaned up before any assertion can jump out. */
	unsetenv("CREDENTIALS_DIRECTORY");
	unlink(p1);
	unlink(p2);
	rmdir(dir);

	if (rc != 0)
		fail_msg("refused: %s", err);
	/* The absent bearer_token_file falls back to the credential. */
	assert_non_null(bearer);
	assert_string_equal(bearer, "from-credential");
	/* A relative *_file name is looked up in the directory. */
	assert_non_null(wkey);
	assert_string_equal(wkey, "relative-key");
	assert_false(booking);
	free(bearer);
	free(wkey);
}

static void
test_missing_file_and_syntax(void **state)
{
	struct config	 cfg;
	char		 err[512], missing[128], *path;

	snprintf(missing, sizeof(missing),
	    "/tmp/cxhook-test-no-such-config-%ld", (long)getpid());
	unlink(missing);
	memset(err, 0, sizeof(err));
	assert_int_equal(config_load(missing, &cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, missing));
	config_free(&cfg);

	/* A line that is neither a section, a key nor a comment. */
	assert_int_equal(load_text("[pool]\nworkers = 4\njust words\n", &cfg,
	    err, sizeof(err), &path), -1);
	assert_err(err, path, 3, NULL);
	config_free(&cfg);
	remove_tmp(path);
}

/* ---- parse_duration_ms, parse_size ---- */

static void
test_parse_duration(void **state)
{
	static const struct {
		const char	*s;
		int		 rc;
		int64_t		 ms;
	} t[] = {
		{ "4500ms", 0, 4500 },
		{ "250ms", 0, 250 },
		{ "5s", 0, 5000 },
		{ "30m", 0, 1800000 },
		{ "2h", 0, 7200000 },
		{ "0ms", 0, 0 },
		{ "0s", 0, 0 },
		{ "1.5s", 0, 1500 },
		{ "", -1, 0 },
		{ "5", -1, 0 },
		{ "ms", -1, 0 },
		{ "s", -1, 0 },
		{ "5 s", -1, 0 },
		{ "5S", -1, 0 },
		{ "5sec", -1, 0 },
		{ "5d", -1, 0 },
		{ "5ms ", -1, 0 },
		{ "5mss", -1, 0 },
		{ "-1s", -1, 0 },
		{ "abc", -1, 0 },
		{ "1e300h", -1, 0 },
		{ "inf", -1, 0 },
		{ "infs", -1, 0 },
	};
	size_t	i;
	int64_t	v;
	int	rc;

	for (i = 0; i < NITEMS(t); i++) {
		v = -4242;
		rc = parse_duration_ms(t[i].s, &v);
		if (rc != t[i].rc)
			fail_msg("\"%s\": rc %d, want %d", t[i].s, rc, t[i].rc);
		if (rc == 0 && v != t[i].ms)
			fail_msg("\"%s\": %lld ms, want %lld", t[i].s,
			    (long long)v, (long long)t[i].ms);
	}
}

static void
test_parse_size(void **state)
{
	static const struct {
		const char	*s;
		int		 rc;
		int64_t		 n;
	} t[] = {
		{ "1MiB", 0, 1048576 },
		{ "512KiB", 0, 524288 },
		{ "64B", 0, 64 },
		{ "0B", 0, 0 },
		{ "1GiB", 0, 1073741824 },
		{ "64MiB", 0, 67108864 },
		{ "", -1, 0 },
		{ "1", -1, 0 },
		{ "1MB", -1, 0 },
		{ "1KB", -1, 0 },
		{ "1mib", -1, 0 },
		{ "1 MiB", -1, 0 },
		{ "1MiB ", -1, 0 },
		{ "MiB", -1, 0 },
		{ "-1KiB", -1, 0 },
		{ "1TiB", -1, 0 },
		{ "1e300GiB", -1, 0 },
		{ "infB", -1, 0 },
	};
	size_t	i;
	int64_t	v;
	int	rc;

	for (i = 0; i < NITEMS(t); i++) {
		v = -4242;
		rc = parse_size(t[i].s, &v);
		if (rc != t[i].rc)
			fail_msg("\"%s\": rc %d, want %d", t[i].s, rc, t[i].rc);
		if (rc == 0 && v != t[i].n)
			fail_msg("\"%s\": %lld, want %lld", t[i].s,
			    (long long)v, (long long)t[i].n);
	}
}

/*
 * NaN is no duration and no size: parse_duration_ms() and parse_size()
 * refuse "nanms" and "nanB" themselves.  strtod() reads "nan", and NaN
 * fails every comparison, so range checks such as "v < 0" and "v > 1e15"
 * let it through to a conversion to int64_t that is undefined behaviour;
 * config_load()'s own minimums would only catch the INT64_MIN that x86-64
 * happens to give.
 */
static void
test_parse_nan(void **state)
{
	static const char *const dur[] = { "nanms", "NaNs", "nan(1)h" };
	static const char *const size[] = { "nanB", "NANMiB" };
	size_t	i;
	int64_t	v;

	for (i = 0; i < NITEMS(dur); i++)
		if (parse_duration_ms(dur[i], &v) != -1)
			fail_msg("parse_duration_ms(\"%s\") accepted, gave "
			    "%lld", dur[i], (long long)v);
	for (i = 0; i < NITEMS(size); i++)
		if (parse_size(size[i], &v) != -1)
			fail_msg("parse_size(\"%s\") accepted, gave %lld",
			    size[i], (long long)v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_listen_forms),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_unknown_section),
		cmocka_unit_test(test_unknown_empty_section),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_good_values),
		cmocka_unit_test(test_good_strings),
		cmocka_unit_test(test_whole_file),
		cmocka_unit_test(test_secret_files),
		cmocka_unit_test(test_auth_keys),
		cmocka_unit_test(test_credentials_directory),
		cmocka_unit_test(test_missing_file_and_syntax),
		cmocka_unit_test(test_parse_duration),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_parse_nan),
	};

	return cmocka_run_group_tests_name("config", tests, setup, teardown);
}
