/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * commands.h - subcommands that live in files of their own, each with its
 * own option parsing; xdplb.c lists them in its command table.
 * Each returns an exit code (0, 1, 3) or -2 for a usage error.
 */
#ifndef XDPLB_COMMANDS_H
#define XDPLB_COMMANDS_H

#include <stdbool.h>

/* The global --json given before the command (xdplb --json stats). */
bool cli_json(void);

int do_stats(int argc, char **argv);
int do_explain(int argc, char **argv);

#endif
