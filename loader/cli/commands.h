/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * commands.h - the subcommands, each in a file of its own (config_cmd.c,
 * live_cmd.c, decap_cmd.c, stats_cmd.c, explain_cmd.c, hc_tunnel_cmd.c,
 * serve.c); xdplb.c lists them in its command table.
 * Each returns an exit code (0, 1, 3) or -2 for a usage error.
 */
#ifndef XDPLB_COMMANDS_H
#define XDPLB_COMMANDS_H

#include <stdbool.h>

/* The global --json given before the command (xdplb --json stats). */
bool cli_json(void);
/* The interface named (want), or the only one loaded in this network
 * namespace; -ENOENT, said on stderr, when there is none or several. */
int cli_pick_iface(const char *want, char *out);

int do_validate(int argc, char **argv);
int do_simulate(int argc, char **argv);
int do_diff(int argc, char **argv);
int do_load(int argc, char **argv);
int do_status(int argc, char **argv);
int do_unload(int argc, char **argv);
int do_history(int argc, char **argv);
int do_rollback(int argc, char **argv);
int do_audit(int argc, char **argv);
int do_decap(int argc, char **argv);
int do_stats(int argc, char **argv);
int do_explain(int argc, char **argv);
int do_hc_tunnel(int argc, char **argv);

#endif
