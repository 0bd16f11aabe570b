/* cxhook train and cxhook classify (cli/triage.c). */
#ifndef CXHOOK_CLI_TRIAGE_H
#define CXHOOK_CLI_TRIAGE_H

/* Each takes the command's own argv (argv[0] is the command); an exit code. */
int	train_main(int argc, char **argv);
int	classify_main(int argc, char **argv);

#endif
