/* CLOCK_MONOTONIC, the clock of every deadline and duration. */
#ifndef CXHOOK_CLOCK_H
#define CXHOOK_CLOCK_H

#include <stdint.h>

int64_t	now_ms(void);
int64_t	now_us(void);

#endif
