/*
 * The booking outbox courier (see courier.c): a process of its own,
 * forked by the master when [booking] forward_url is set.
 */
#ifndef CXHOOK_COURIER_H
#define CXHOOK_COURIER_H

struct config;

void	courier_run(const struct config *, int master_pid)
	    __attribute__((noreturn));

#endif
