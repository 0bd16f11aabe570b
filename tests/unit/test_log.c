/*
 * Unit tests for lib/log.c: one line per event, the request id on every
 * line of a request, and repeats counted rather than printed.  stderr is
 * pointed at a temporary file and read back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"

struct capture {
	FILE	*fp;
	int	 saved;
	char	 text[65536];
};

static int
setup(void **state)
{
	struct capture	*c = calloc(1, sizeof(*c));

	if (c == NULL || (c->fp = tmpfile()) == NULL)
		return -1;
	fflush(stderr);
	c->saved = dup(2);
	dup2(fileno(c->fp), 2);
	log_set_level(LOG_LVL_INFO);
	log_request_end();
	log_set_repeat(LOG_REPEAT_MS, LOG_REPEAT_BURST);
	*state = c;
	return 0;
}

static int
teardown(void **state)
{
	struct capture	*c = *state;

	fflush(stderr);
	dup2(c->saved, 2);
	close(c->saved);
	fclose(c->fp);
	free(c);
	return 0;
}

/* What was logged so far (and no more is kept). */
static const char *
logged(struct capture *c)
{
	size_t	n;

	fflush(stderr);
	rewind(c->fp);
	n = fread(c->text, 1, sizeof(c->text) - 1, c->fp);
	c->text[n] = '\0';
	rewind(c->fp);
	if (ftruncate(fileno(c->fp), 0) != 0)
		fail_msg("ftruncate");
	return c->text;
}

static int
count_lines(const char *s)
{
	int	n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/* libpq's errors come in several lines; the log gets one. */
static void
test_one_line(void **state)
{
	struct capture	*c = *state;
	const char	*out;

	log_warnx("database: cannot connect: %s", "connection to server on "
	    "socket \"/tmp/.s.PGSQL.5432\" failed: No such file or directory\n"
	    "\tIs the server running locally and accepting connections on "
	    "that socket?\n");
	out = logged(c);
	assert_int_equal(count_lines(out), 1);
	assert_non_null(strstr(out, "failed: No such file or directory Is "
	    "the server running"));
	assert_null(strchr(out, '\t'));
	assert_non_null(strstr(out, "that socket?\n"));
	log_info("a\r\nb\x1b[31mc%c", 0x7f);
	out = logged(c);
	assert_int_equal(count_lines(out), 1);
	assert_non_null(strstr(out, ": a b [31mc\n"));
}

/* From accept to the end of a request, every line names it. */
static void
test_request_context(void **state)
{
	struct capture	*c = *state;
	const char	*out;
	static const char id[] = "3f2a-b7\n<script> x_9";
	static const char session[] =
	    "projects/p/locations/global/agents/a/sessions/+4915112345678";

	log_request_begin();
	log_warnx("before decoding");
	assert_non_null(strstr(logged(c), "warn: before decoding\n"));
	log_request_ids(id, sizeof(id) - 1, session, sizeof(session) - 1);
	assert_string_equal(log_request(), "3f2a-b7scriptx_9");
	log_request_tag("booking.create");
	log_warnx("first");
	log_info("second");
	out = logged(c);
	assert_int_equal(count_lines(out), 2);
	assert_non_null(strstr(out, "warn: [req 3f2a-b7scriptx_9 sess "));
	assert_non_null(strstr(out, " tag booking.create] first\n"));
	assert_non_null(strstr(out, " tag booking.create] second\n"));
	/* The session only as a hash: never the session, nor its digits. */
	assert_null(strstr(out, "4915112345678"));
	assert_null(strstr(out, "sessions/"));
	log_request_end();
	log_warnx("between requests");
	out = logged(c);
	assert_null(strstr(out, "[req"));
	assert_string_equal(log_request(), "");

	/* Only what is known is shown: a route but no ids (a /healthz). */
	log_request_begin();
	log_request_tag("healthz");
	log_warnx("database down");
	assert_non_null(strstr(logged(c), "warn: [tag healthz] database down\n"));
	log_request_end();
}

/* The same session always hashes the same: one conversation, one name. */
static void
test_session_hash_stable(void **state)
{
	struct capture	*c = *state;
	char		 first[256], *p;
	const char	*out;

	log_request_begin();
	log_request_ids("a", 1, "projects/x/sessions/s1", 22);
	log_warnx("one");
	out = logged(c);
	p = strstr(out, "sess ");
	assert_non_null(p);
	snprintf(first, sizeof(first), "%.13s", p);
	log_request_end();
	log_request_begin();
	log_request_ids("b", 1, "projects/x/sessions/s1", 22);
	log_warnx("two");
	assert_non_null(strstr(logged(c), first));
	log_request_ids("b", 1, "projects/x/sessions/s2", 22);
	log_warnx("three");
	assert_null(strstr(logged(c), first));
	log_request_end();
}

static void
one_site(int i)
{
	log_warnx("database: cannot connect: attempt %d", i);
}

/* A flood from one call site: a burst, then a count of the rest. */
static void
test_repeats_counted(void **state)
{
	struct capture	*c = *state;
	const char	*out;
	int		 i;

	log_set_repeat(200, 3);
	for (i = 0; i < 140; i++)
		one_site(i);
	log_warnx("another call site");
	out = logged(c);
	assert_int_equal(count_lines(out), 4);
	assert_non_null(strstr(out, "attempt 2\n"));
	assert_null(strstr(out, "attempt 3\n"));
	assert_non_null(strstr(out, "another call site\n"));
	log_flush();	/* the window is still open: nothing yet */
	assert_int_equal(count_lines(logged(c)), 0);
	usleep(250 * 1000);
	log_flush();
	out = logged(c);
	assert_int_equal(count_lines(out), 1);
	assert_non_null(strstr(out, "attempt 139 [repeated 137 times in "));
	/* A new window starts with the next line. */
	one_site(500);
	assert_non_null(strstr(logged(c), "attempt 500\n"));
}

/* Debug output is asked for: every line of it. */
static void
test_debug_not_counted(void **state)
{
	struct capture	*c = *state;
	int		 i;

	log_set_level(LOG_LVL_DEBUG);
	log_set_repeat(10000, 1);
	for (i = 0; i < 20; i++)
		log_debug("request %d", i);
	assert_int_equal(count_lines(logged(c)), 20);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_context, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_session_hash_stable, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_repeats_counted, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_debug_not_counted, setup,
		    teardown),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
