/*
 * The ID-token key fetcher (see fetcher.c): a process of its own, forked
 * by the master when [auth] id_token_audience is set.
 */
#ifndef CXHOOK_FETCHER_H
#define CXHOOK_FETCHER_H

struct auth_keyring;
struct config;

void	keys_run(const struct config *, struct auth_keyring *, int master_pid)
	    __attribute__((noreturn));

#endif
