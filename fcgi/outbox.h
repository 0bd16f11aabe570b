/*
 * The booking outbox courier (see outbox.c): a process of its own,
 * forked by the master when [booking] forward_url is set.
 */
#ifndef CXHOOK_OUTBOX_H
#define CXHOOK_OUTBOX_H

struct config;

void	outbox_run(const struct config *, int master_pid)
	    __attribute__((noreturn));

#endif
