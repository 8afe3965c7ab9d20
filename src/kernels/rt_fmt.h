/*
 * rt_fmt.h - printf-style formatting for the payload runtime without
 * libc's printf (see rt_fmt.c for why and for what it supports).
 */
#ifndef RT_FMT_H
#define RT_FMT_H

#include <stdarg.h>
#include <stddef.h>

/* Like vsnprintf/snprintf: writes at most cap - 1 characters and a NUL
 * (when cap > 0), returns the length the whole text would have. */
int rt_vformat(char *buf, size_t cap, const char *fmt, va_list ap);
int rt_format(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One message to standard error (the task's log), cut at 1 KiB. */
void rt_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
