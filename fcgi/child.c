/* What every process the master forks does first (see child.h). */
#include <sys/prctl.h>

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "fcgi/child.h"

void
child_signals(void (*handler)(int), int master_pid)
{
	struct sigaction	sa;
	sigset_t		mask;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	/* Without SA_RESTART, so that blocking calls return on a stop. */
	sa.sa_handler = handler != NULL ? handler : SIG_DFL;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&mask);
	if (handler == NULL) {
		sigaddset(&mask, SIGTERM);
		sigaddset(&mask, SIGINT);
		sigaddset(&mask, SIGQUIT);
	}
	sigprocmask(SIG_SETMASK, &mask, NULL);
	/* A child must not outlive its master, even one killed by SIGKILL. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != master_pid)
		_exit(0);
}
