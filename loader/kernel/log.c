// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdarg.h>
#include <stdio.h>
#include <bpf/libbpf.h>

#include "log.h"

enum log_level log_level = LOG_WARN;
static void (*warn_hook)(const char *msg);

void log_set_hook(void (*hook)(const char *msg))
{
	warn_hook = hook;
}

static void emit(enum log_level lvl, const char *prefix, const char *fmt, va_list ap)
{
	char buf[2048];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	fprintf(stderr, "%s%s", prefix, buf);
	if (lvl == LOG_WARN && warn_hook)
		warn_hook(buf);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if (lvl > log_level)
		return;
	va_start(ap, fmt);
	emit(lvl, "", fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	enum log_level l = lvl == LIBBPF_WARN ? LOG_WARN : LOG_DEBUG;

	if (l > log_level)
		return 0;
	emit(l, "libbpf: ", fmt, ap);
	return 0;
}

void log_setup_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
