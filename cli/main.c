/*
 * cxhook: a Dialogflow CX webhook server.  Commands (docs/contract.md §1):
 *
 *   cxhook serve [-c FILE]              run the pool in the foreground
 *   cxhook migrate [-c FILE] [--status] apply the schema migrations
 *   cxhook send URL [...]               send a WebhookRequest
 *   cxhook replay DIR [...]             replay golden conversations
 *   cxhook check-config -c FILE         validate a configuration file
 *   cxhook health [-c FILE] [TARGET]    ask the pool's health endpoint
 *   cxhook train --data F --model OUT   train a triage model
 *   cxhook classify --model M [TEXT...] classify utterances
 *
 * Exit codes follow sysexits(3): 64 usage, 69 unavailable, 78 configuration.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/health.h"
#include "cli/migrate.h"
#include "cli/replay.h"
#include "cli/send.h"
#include "cli/triage.h"
#include "config/config.h"
#include "fcgi/pool.h"
#include "lib/log.h"
#include "triage/triage.h"

#define EX_USAGE	64
#define EX_CONFIG	78

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: cxhook serve [-c FILE]\n"
	    "       cxhook migrate [-c FILE] [--status]\n"
	    "       cxhook send URL [--tag T] [--intent NAME] "
	    "[--param NAME=VALUE]... [--session ID]\n"
	    "                       [--file REQUEST.json] "
	    "[--token TOKEN | --token-file FILE]\n"
	    "       cxhook replay DIR [--target URL] [--update] "
	    "[--volatile PATH]...\n"
	    "                         [--token TOKEN | --token-file FILE]\n"
	    "       cxhook check-config -c FILE\n"
	    "       cxhook health [-c FILE] [--timeout SECONDS] [TARGET]\n"
	    "       cxhook train --data TRAIN.csv [--validate VAL.csv] "
	    "--model OUT\n"
	    "                    [--out-of-scope-label oos]\n"
	    "       cxhook classify --model M [TEXT...] [--file FILE.csv]\n"
	    "       cxhook --help | --version\n"
	    "FILE defaults to %s.\n", CONFIG_DEFAULT_PATH);
}

struct common_opts {
	const char	*config;
	bool		 status;
};

/* -c FILE (and --status for migrate); returns 0 or EX_USAGE. */
static int
parse_common(int argc, char **argv, bool allow_status, struct common_opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "status", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int	ch;

	o->config = CONFIG_DEFAULT_PATH;
	o->status = false;
	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->config = optarg;
			break;
		case 's':
			if (!allow_status)
				goto bad;
			o->status = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("cxhook %s\n", CXHOOK_VERSION);
			exit(0);
		default:
			goto bad;
		}
	}
	if (optind == argc)
		return 0;
bad:
	usage(stderr);
	return EX_USAGE;
}

static int
load(const char *path, struct config *cfg)
{
	char	err[1024];

	if (config_load(path, cfg, err, sizeof(err)) == -1 ||
	    pool_config_check(cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "cxhook: %s\n", err);
		config_free(cfg);
		return EX_CONFIG;
	}
	log_set_level(cfg->log_level);
	return 0;
}

/* check-config also reads the [triage] model, as the pool would. */
static int
check_triage(const struct config *cfg, const char *path)
{
	struct triage_model	*m;
	char			 err[1024];

	if (pool_triage_load(cfg, &m, err, sizeof(err)) == -1) {
		fprintf(stderr, "cxhook: %s\n", err);
		return EX_CONFIG;
	}
	triage_model_free(m);
	printf("%s: configuration OK\n", path);
	return 0;
}

static int
cmd_with_config(int argc, char **argv, const char *cmd)
{
	struct common_opts	o;
	struct config		cfg;
	int			rc;
	bool			is_migrate = strcmp(cmd, "migrate") == 0;

	if ((rc = parse_common(argc, argv, is_migrate, &o)) != 0)
		return rc;
	if ((rc = load(o.config, &cfg)) != 0)
		return rc;
	if (strcmp(cmd, "serve") == 0)
		rc = pool_run(&cfg);
	else if (is_migrate)
		rc = migrate_run(&cfg, o.status);
	else
		rc = check_triage(&cfg, o.config);
	config_free(&cfg);
	return rc;
}

int
main(int argc, char **argv)
{
	const char	*cmd;

	if (argc < 2) {
		usage(stderr);
		return EX_USAGE;
	}
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
	    strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("cxhook %s\n", CXHOOK_VERSION);
		return 0;
	}
	if (strcmp(cmd, "health") == 0)
		return health_main(argc - 1, argv + 1);
	if (strcmp(cmd, "send") == 0)
		return send_main(argc - 1, argv + 1);
	if (strcmp(cmd, "replay") == 0)
		return replay_main(argc - 1, argv + 1);
	if (strcmp(cmd, "train") == 0)
		return train_main(argc - 1, argv + 1);
	if (strcmp(cmd, "classify") == 0)
		return classify_main(argc - 1, argv + 1);
	if (strcmp(cmd, "serve") == 0 || strcmp(cmd, "migrate") == 0 ||
	    strcmp(cmd, "check-config") == 0)
		return cmd_with_config(argc - 1, argv + 1, cmd);
	fprintf(stderr, "cxhook: unknown command %s\n", cmd);
	usage(stderr);
	return EX_USAGE;
}
