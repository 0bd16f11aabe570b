/* Error text into a caller's buffer (see errf.h). */
#include <stdarg.h>
#include <stdio.h>

#include "lib/errf.h"

int
errf(char *err, size_t errsz, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
	return -1;
}
