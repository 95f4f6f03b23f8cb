/*
 * lib/printf.h - a small vsnprintf for freestanding code.
 * Supports %d %i %u %x %X %o %c %s %p %%, the flags '-', '0', '+', ' ', '#',
 * field width and precision (also '*'), and the length modifiers hh h l ll z j t.
 */
#ifndef LIB_PRINTF_H
#define LIB_PRINTF_H

#include <stdarg.h>
#include "lib/types.h"

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

#endif
