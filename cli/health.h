/*
 * `cxhook health`: the pool's health endpoint, asked over FastCGI from the
 * pool's own host (a container's health check, a local agent).
 */
#ifndef CXHOOK_HEALTH_H
#define CXHOOK_HEALTH_H

int	health_main(int argc, char **argv);

#endif
