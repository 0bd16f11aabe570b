/*
 * `cxhook health [-c FILE] [--timeout SECONDS] [TARGET]`: GETs the pool's
 * health endpoint over FastCGI, prints the status and the answer, and exits
 * 0 on 200, 1 on any other status and 69 when nothing answered.
 *
 * It is the probe a container's health check or a load balancer's agent
 * runs beside the pool, where there may be no web server to ask: TARGET is
 * unix:PATH or tcp:HOST:PORT, and without it the pool is found where the
 * configuration file's [pool] listen says, a wildcard address (0.0.0.0,
 * [::]) being asked on loopback.  The path is the file's healthz_path when
 * the file is read (no TARGET, or -c given), /healthz otherwise.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/health.h"
#include "cli/send.h"
#include "config/config.h"
#include "lib/buf.h"

#define EX_USAGE	64
#define EX_UNAVAILABLE	69
#define EX_CONFIG	78

struct health_opts {
	const char	*config;	/* NULL: not given */
	const char	*target;	/* NULL: from the configuration */
	int		 timeout_ms;
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: cxhook health [-c FILE] [--timeout SECONDS] [TARGET]\n"
	    "TARGET is unix:PATH or tcp:HOST:PORT; without it, the pool "
	    "FILE's [pool] listen names\n"
	    "(FILE defaults to %s).\n", CONFIG_DEFAULT_PATH);
}

static int
parse_opts(int argc, char **argv, struct health_opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char	*end;
	long	 secs;
	int	 ch;

	o->timeout_ms = 10000;
	while ((ch = getopt_long(argc, argv, "c:T:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->config = optarg;
			break;
		case 'T':
			secs = strtol(optarg, &end, 10);
			if (end == optarg || *end != '\0' || secs < 1 ||
			    secs > 3600) {
				fprintf(stderr, "cxhook health: --timeout wants "
				    "whole seconds, 1 to 3600\n");
				return EX_USAGE;
			}
			o->timeout_ms = (int)secs * 1000;
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
	if (argc - optind > 1) {
		usage(stderr);
		return EX_USAGE;
	}
	if (optind < argc) {
		o->target = argv[optind];
		if (strncmp(o->target, "unix:", 5) != 0 &&
		    strncmp(o->target, "tcp:", 4) != 0) {
			fprintf(stderr, "cxhook health: TARGET is unix:PATH "
			    "or tcp:HOST:PORT, not %s\n", o->target);
			return EX_USAGE;
		}
	}
	return 0;
}

/*
 * Into out, the FastCGI target a client on this host reaches a pool
 * listening on listen at: unix:PATH as it is, HOST:PORT as tcp:HOST:PORT
 * with the wildcard hosts on loopback.  -1 for systemd and stdin, whose
 * socket has no address in the file.
 */
static int
target_of(const char *listen, struct buf *out)
{
	const char	*colon;
	size_t		 n;

	if (strncmp(listen, "unix:", 5) == 0) {
		buf_puts(out, listen);
		return 0;
	}
	if ((colon = strrchr(listen, ':')) == NULL)
		return -1;
	n = (size_t)(colon - listen);
	if (n == 0 || (n == 7 && strncmp(listen, "0.0.0.0", n) == 0))
		buf_printf(out, "tcp:127.0.0.1%s", colon);
	else if (n == 4 && strncmp(listen, "[::]", n) == 0)
		buf_printf(out, "tcp:[::1]%s", colon);
	else
		buf_printf(out, "tcp:%s", listen);
	return 0;
}

/* One GET of path at target; prints the answer, returns the exit status. */
static int
probe(const char *target, const char *path, int timeout_ms)
{
	struct send_call	c;
	struct send_result	res;
	char			err[512];
	int			rc;

	/* A GET as nginx's fastcgi_params sends it: the type empty. */
	memset(&c, 0, sizeof(c));
	c.method = "GET";
	c.path = path;
	c.content_type = "";
	c.body = "";
	c.timeout_ms = timeout_ms;
	memset(&res, 0, sizeof(res));
	buf_init(&res.headers);
	buf_init(&res.body);
	if (send_fcgi(target, &c, &res, err, sizeof(err)) == -1) {
		fprintf(stderr, "cxhook health: %s\n", err);
		rc = EX_UNAVAILABLE;
	} else {
		printf("HTTP %d\n", res.status);
		if (res.body.len > 0) {
			fwrite(res.body.p, 1, res.body.len, stdout);
			if (res.body.p[res.body.len - 1] != '\n')
				putchar('\n');
		}
		rc = res.status == 200 ? 0 : 1;
	}
	buf_clear(&res.headers);
	buf_clear(&res.body);
	return rc;
}

int
health_main(int argc, char **argv)
{
	struct health_opts	o;
	struct config		cfg;
	struct buf		target;
	char			err[1024];
	int			rc;

	signal(SIGPIPE, SIG_IGN);
	memset(&o, 0, sizeof(o));
	if ((rc = parse_opts(argc, argv, &o)) != 0)
		return rc;
	if (o.config == NULL && o.target != NULL)
		return probe(o.target, "/healthz", o.timeout_ms);

	if (config_load(o.config != NULL ? o.config : CONFIG_DEFAULT_PATH,
	    &cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "cxhook health: %s\n", err);
		config_free(&cfg);
		return EX_CONFIG;
	}
	buf_init(&target);
	if (o.target != NULL)
		buf_puts(&target, o.target);
	else if (target_of(cfg.listen, &target) == -1) {
		fprintf(stderr, "cxhook health: [pool] listen = %s has no "
		    "address to ask; give TARGET\n", cfg.listen);
		rc = EX_USAGE;
	}
	if (rc == 0)
		rc = probe(target.p, cfg.healthz_path, o.timeout_ms);
	buf_clear(&target);
	config_free(&cfg);
	return rc;
}
