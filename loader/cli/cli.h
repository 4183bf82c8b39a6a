/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * cli.h - what the subcommands share (cli.c). Exit codes: 0 ok; 1 config
 * invalid, change refused or drift; 2 usage; 3 system error (BPF, netlink,
 * I/O). Data on stdout, diagnostics on stderr.
 */
#ifndef XDPLB_CLI_H
#define XDPLB_CLI_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "commands.h"
#include "validate.h"

enum { EXIT_OK = 0, EXIT_INVALID = 1, EXIT_USAGE = 2, EXIT_SYSTEM = 3 };

/* Common options of the subcommands. */
struct opts {
	const char *iface;
	int mode;
	__u64 flows;
	bool force;
	const char *addrs[16];
	int n_addrs;
	const char *state_dir;
	double verify; /* seconds; 0: no verification */
	unsigned int to; /* rollback --to N */
	const char *vias[2]; /* hc-tunnel --via GATEWAY: one IPv4, one IPv6 */
	int n_vias;
};

void cli_set_json(bool on);
/* -errno -> exit code */
int exit_code(int err);
/* Prints and frees o. */
void print_json(cJSON *o);
/* Parses argv for the options a command accepts (a string of letters);
 * leaves positional arguments in argv[optind..]. */
int parse_opts(int argc, char **argv, const char *accept, struct opts *o);
/* Validates a config file; prints errors on stderr (or in JSON), and guard
 * refusals as warnings when forced. *text keeps the bytes validated. */
int check_text(const char *file, const struct opts *o, struct checked *c, char **text, size_t *len);
int check(const char *file, const struct opts *o, struct checked *c);
/* The interface a read command is about: --iface, a positional one, or the
 * only one loaded in this network namespace. */
int pick_iface(const struct opts *o, int argc, char **argv, char *out);
/* --state-dir, or the interface's default history directory */
void state_dir_of(const struct opts *o, const char *ifname, char *buf, size_t len);

#endif
