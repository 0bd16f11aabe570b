/*
 * The start of every process the master forks: workers and the booking
 * courier alike.
 */
#ifndef CXHOOK_CHILD_H
#define CXHOOK_CHILD_H

/*
 * Signal set-up for a process forked by the master: on_stop handles
 * SIGTERM, SIGINT and SIGQUIT (without SA_RESTART, so blocking calls
 * return), or, when on_stop is NULL, those three stay blocked for the
 * caller to find with sigpending(); SIGPIPE and SIGHUP are ignored, and
 * the child dies with the master (PR_SET_PDEATHSIG sends SIGTERM).  Exits
 * at once if the master is already gone.
 */
void	child_signals(void (*on_stop)(int), int master_pid);

#endif
