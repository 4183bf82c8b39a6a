// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>

#include "diag.h"
#include "log.h"

enum log_level log_level = LOG_WARN;
bool log_quiet;
static void (*warn_hook)(const char *msg);

/*
 * Under systemd, stderr is a stream into journald when JOURNAL_STREAM names
 * its device and inode (systemd.exec(5)); then each line starts with its
 * syslog priority, "<3>" (err), "<4>" (warning), "<6>" (info), "<7>"
 * (debug), which journald strips and keeps (sd-daemon(3)), so
 * `journalctl -p err` shows what failed and `-p warning` what needs a
 * human. Anywhere else the lines are plain.
 */
static bool stderr_is_journal(void)
{
	static int is = -1;
	const char *js;
	unsigned long long dev, ino;
	struct stat st;

	if (is >= 0)
		return is;
	js = getenv("JOURNAL_STREAM");
	is = js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && !fstat(fileno(stderr), &st) &&
	     st.st_dev == dev && st.st_ino == ino;
	return is;
}

static void put_lines(enum log_level lvl, const char *prefix, const char *buf)
{
	static const char *const prio[] = { "<3>", "<4>", "<6>", "<7>" }; /* LOG_ERR.. */
	static bool mid_line; /* the last message ended without a newline */
	const char *p = buf, *nl;

	if (!stderr_is_journal()) {
		fprintf(stderr, "%s%s", prefix, buf);
		return;
	}
	for (; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		fprintf(stderr, "%s%s%.*s", mid_line ? "" : prio[lvl - LOG_ERR],
			p == buf ? prefix : "", nl ? (int)(nl - p + 1) : (int)strlen(p), p);
		mid_line = !nl;
		if (!nl)
			break;
	}
}

void log_set_hook(void (*hook)(const char *msg))
{
	warn_hook = hook;
}

static void emit(enum log_level lvl, const char *prefix, const char *fmt, va_list ap)
{
	char buf[2048];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	put_lines(lvl, prefix, buf);
	if (lvl <= LOG_WARN && warn_hook)
		warn_hook(buf);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if (lvl > log_level || (log_quiet && lvl > LOG_WARN))
		return;
	va_start(ap, fmt);
	emit(lvl, "", fmt, ap);
	va_end(ap);
}

void log_diags(const struct diags *d, const char *file)
{
	for (size_t i = 0; i < d->n; i++) {
		const char *f = diag_file(&d->v[i], file);

		if (!strcmp(d->v[i].path, "(syntax)"))
			pr_err("%s:%s\n", f, d->v[i].msg);
		else
			pr_err("%s: %s: %s\n", f, d->v[i].path, d->v[i].msg);
	}
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
