/* cxhook replay (cli/replay.c): golden conversations against a pool. */
#ifndef CXHOOK_CLI_REPLAY_H
#define CXHOOK_CLI_REPLAY_H

/* Takes the command's own argv (argv[0] is the command); an exit code. */
int	replay_main(int argc, char **argv);

#endif
