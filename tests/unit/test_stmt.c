/*
 * Unit tests for the table of every SQL statement (db/stmt.c), the one
 * object of db/ that is pure data: each row has a name fit for the log
 * and a text, the names are unique, the parameter count is what the text
 * uses ($1 .. $n, none skipped), the handlers' statements are the
 * workers' and prepared, and no row asks PostgreSQL to prepare a command
 * it cannot prepare.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db/stmt.h"

#define ALL_USERS	(DB_WORKER | DB_COURIER | DB_MIGRATE)
#define NAME_MAX_LEN	24

/*
 * The $n of a statement's text, outside quoted literals: sets seen[n]
 * for each, and returns the highest (0 for none, -1 for a $0 or a $
 * followed by no digit).
 */
static int
placeholders(const char *sql, bool *seen, int seensz)
{
	const char	*p;
	bool		 quoted = false;
	long		 n;
	int		 high = 0;
	char		*end;

	for (p = sql; *p != '\0'; p++) {
		if (*p == '\'')
			quoted = !quoted;
		if (quoted || *p != '$')
			continue;
		n = strtol(p + 1, &end, 10);
		if (end == p + 1 || n < 1 || n >= seensz)
			return -1;
		seen[n] = true;
		if (n > high)
			high = (int)n;
		p = end - 1;
	}
	return high;
}

static bool
starts_with_word(const char *sql, const char *word)
{
	size_t	n = strlen(word);

	while (isspace((unsigned char)*sql))
		sql++;
	return strncasecmp(sql, word, n) == 0 &&
	    !isalpha((unsigned char)sql[n]);
}

static void
test_rows_complete(void **state)
{
	const struct db_sql	*q;
	int			 s;

	(void)state;
	for (s = 0; s < DB_ALL_STMTS; s++) {
		q = &db_stmts[s];
		if (q->name == NULL || q->text == NULL)
			fail_msg("statement %d has no row", s);
		if (q->text[0] == '\0')
			fail_msg("%s: no text", q->name);
		if (q->users == 0 || (q->users & ~(unsigned)ALL_USERS) != 0)
			fail_msg("%s: users %#x", q->name, q->users);
		if (q->how != DB_PREPARED && q->how != DB_AS_IS &&
		    q->how != DB_ON_CONNECT)
			fail_msg("%s: how %d", q->name, (int)q->how);
	}
}

/* Names go into "database: NAME: SQLSTATE message": short, plain words. */
static void
test_names(void **state)
{
	const char	*name, *p;
	int		 s, t;

	(void)state;
	for (s = 0; s < DB_ALL_STMTS; s++) {
		name = db_stmts[s].name;
		assert_non_null(name);
		if (name[0] == '\0' || name[0] == ' ' ||
		    name[strlen(name) - 1] == ' ' ||
		    strlen(name) > NAME_MAX_LEN)
			fail_msg("statement %d: name \"%s\"", s, name);
		for (p = name; *p != '\0'; p++)
			if (!(islower((unsigned char)*p) || *p == ' '))
				fail_msg("statement %d: name \"%s\": '%c'", s,
				    name, *p);
		for (t = 0; t < s; t++)
			if (strcmp(db_stmts[t].name, name) == 0)
				fail_msg("statements %d and %d are both "
				    "\"%s\"", t, s, name);
	}
}

static void
test_parameters_match_text(void **state)
{
	const struct db_sql	*q;
	bool			 seen[64];
	int			 s, high, n;

	(void)state;
	for (s = 0; s < DB_ALL_STMTS; s++) {
		q = &db_stmts[s];
		memset(seen, 0, sizeof(seen));
		high = placeholders(q->text, seen, (int)(sizeof(seen) /
		    sizeof(seen[0])));
		if (high == -1)
			fail_msg("%s: a $ that is no $1 .. $n", q->name);
		if (high != q->nparams)
			fail_msg("%s: nparams %d, the text uses $%d", q->name,
			    q->nparams, high);
		for (n = 1; n <= high; n++)
			if (!seen[n])
				fail_msg("%s: $%d unused", q->name, n);
		if (q->how == DB_ON_CONNECT && q->nparams != 0)
			fail_msg("%s: sent on connect, with parameters",
			    q->name);
	}
}

/* And the scanner itself finds what it must. */
static void
test_placeholder_scanner(void **state)
{
	bool	seen[16];

	(void)state;
	memset(seen, 0, sizeof(seen));
	assert_int_equal(placeholders("SELECT $2, $10, '$7'", seen, 16), 10);
	assert_true(seen[2] && seen[10] && !seen[7] && !seen[1]);
	assert_int_equal(placeholders("SELECT $0", seen, 16), -1);
	assert_int_equal(placeholders("SELECT $x", seen, 16), -1);
	assert_int_equal(placeholders("SELECT 1", seen, 16), 0);
}

/*
 * PostgreSQL prepares only SELECT, INSERT, UPDATE, DELETE, MERGE and
 * VALUES (and WITH in front of them); the rest must be sent as is.
 */
static void
test_preparable(void **state)
{
	static const char *const plannable[] = { "SELECT", "INSERT",
	    "UPDATE", "DELETE", "MERGE", "VALUES", "WITH" };
	const struct db_sql	*q;
	size_t			 i;
	int			 s;
	bool			 can;

	(void)state;
	for (s = 0; s < DB_ALL_STMTS; s++) {
		q = &db_stmts[s];
		for (can = false, i = 0; i < sizeof(plannable) /
		    sizeof(plannable[0]); i++)
			can = can || starts_with_word(q->text, plannable[i]);
		if (q->how == DB_PREPARED && !can)
			fail_msg("%s: prepared, but PostgreSQL cannot prepare "
			    "it", q->name);
	}
}

/* What a handler may run (struct db_ops) is a worker's, prepared. */
static void
test_handler_statements(void **state)
{
	int	s;

	(void)state;
	for (s = 0; s < DB_NSTMTS; s++) {
		if (db_stmts[s].users != DB_WORKER)
			fail_msg("%s: a handler's statement, not the workers' "
			    "alone", db_stmts[s].name);
		if (db_stmts[s].how != DB_PREPARED)
			fail_msg("%s: a handler's statement, not prepared",
			    db_stmts[s].name);
	}
	assert_string_equal(db_stmts[DB_BOOK].name, "book");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_complete),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_parameters_match_text),
		cmocka_unit_test(test_placeholder_scanner),
		cmocka_unit_test(test_preparable),
		cmocka_unit_test(test_handler_statements),
	};

	return cmocka_run_group_tests_name("stmt", tests, NULL, NULL);
}
