/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* log.h - diagnostics on stderr; data goes to stdout. */
#ifndef XDPLB_LOG_H
#define XDPLB_LOG_H

#include <stdbool.h>

/* LOG_ERR: what made the command fail (a refused config, a usage error, an
 * LB it cannot use); LOG_WARN: anything else that needs a human. Both are
 * always printed, -q or not. */
enum log_level { LOG_ERR = -1, LOG_WARN = 0, LOG_INFO = 1, LOG_DEBUG = 2 };

extern enum log_level log_level;
/* -q: warnings and errors only, whatever a command would log at info. */
extern bool log_quiet;

void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Route libbpf's messages through log_msg (warnings always, debug with -v -v). */
void log_setup_libbpf(void);
/* Called with every error and warning as printed (the CLI keeps them for --json). */
void log_set_hook(void (*hook)(const char *msg));

struct diags;
/* Each diagnostic of a refused config as an error: "FILE: PATH: MESSAGE"
 * (FILE:LINE:COL: MESSAGE for JSON syntax). */
void log_diags(const struct diags *d, const char *file);

#define pr_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define pr_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define pr_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
