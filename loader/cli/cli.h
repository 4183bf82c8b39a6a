/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * cli.h - what the commands share (cli.c). Exit codes: 0 ok; 1 config
 * invalid, change refused or drift; 2 usage; 3 system error (BPF, netlink,
 * I/O). Data on stdout, diagnostics on stderr; under --json an error is a
 * JSON object on stdout too ({"error": ...}), with the same exit code.
 */
#ifndef XDPLB_CLI_H
#define XDPLB_CLI_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stddef.h>
#include <linux/types.h>
#include <net/if.h>

#include "opts.h"
#include "validate.h"

enum { EXIT_OK = 0, EXIT_INVALID = 1, EXIT_USAGE = 2, EXIT_SYSTEM = 3 };

/* --json, before or after the command. */
bool cli_json(void);
void cli_set_json(bool on);
/* Prints o (and frees it): the command's JSON result. */
void print_json(cJSON *o);
/* The same on one line (a stream of JSON lines: stats --watch). */
void print_json_line(cJSON *o);
/* Whether a command printed its JSON result already: an error then needs
 * no {"error": ...} of its own. */
bool cli_json_printed(void);
/* Under --json: collects every warning and error said on stderr, for the
 * {"error": ...} of a failed command. */
void cli_errors_collect(void);
/* The {"error": ...} object of a command that failed with exit code ret,
 * unless it printed its own JSON. */
void cli_errors_json(int ret);

/* -errno -> exit code */
int exit_code(int err);

/* The options every config-reading command takes. */
struct cfg_args {
	const char *iface; /* --iface: overrides (or supplies) "interface" */
	int mode; /* --mode: -1 keeps the config's */
	bool force; /* --force: guard refusals become warnings */
	const char *host; /* --host: this LB's host file (docs/fleet.md) */
	bool shared; /* --shared: CONFIG is a fleet's shared file, without host keys */
};

/* The bytes of a config and of its host file (NULL: none), as validated. */
struct cfg_text {
	char *text;
	size_t len;
	char *host;
	size_t host_len;
};

void cfg_text_free(struct cfg_text *t);

/* Validates a config file (and its host file); prints errors on stderr (or
 * in JSON), and guard refusals as warnings when forced. t keeps the bytes
 * validated. */
int check_text(const char *file, const struct cfg_args *a, struct checked *c, struct cfg_text *t);
int check(const char *file, const struct cfg_args *a, struct checked *c);

/* The interface a read command is about: the one named, or the only one
 * loaded in this network namespace; -ENOENT (said) when there is none or
 * there are several. */
int cli_pick_iface(const char *want, char *out);
/* --state-dir, or the interface's default history directory */
void state_dir_of(const char *state_dir, const char *ifname, char *buf, size_t len);

/* The commands, each with its table (opts.h), in one file per family. */
extern const struct cli_cmd cmd_validate, cmd_simulate, cmd_diff; /* config_cmd.c */
extern const struct cli_cmd cmd_load, cmd_status, cmd_unload, cmd_history, cmd_rollback,
	cmd_audit; /* live_cmd.c */
extern const struct cli_cmd cmd_stats; /* stats_cmd.c */
extern const struct cli_cmd cmd_explain; /* explain_cmd.c */
extern const struct cli_cmd cmd_decap; /* decap_cmd.c */
extern const struct cli_cmd cmd_hc_tunnel; /* hc_tunnel_cmd.c */
extern const struct cli_cmd cmd_serve; /* serve_cmd.c */
extern const struct cli_cmd cmd_run; /* run_cmd.c */
extern const struct cli_cmd cmd_backend; /* backend_cmd.c */
extern const struct cli_cmd cmd_announce; /* announce_cmd.c */

/* Options several commands take, the same everywhere. */
#define OPT_IFACE_READ(type, f)                                                           \
	OPT("iface", 'i', OPT_STR, "IF",                                                  \
	    "the interface (default: the only one with xdplb in this network namespace)", \
	    offsetof(type, f))
#define OPT_IFACE_CFG(type, f)                                                                   \
	OPT("iface", 'i', OPT_STR, "IF", "the interface, instead of the config's \"interface\"", \
	    offsetof(type, f))
#define OPT_MODE(type, f)                                                                     \
	OPT("mode", 'm', OPT_ENUM, NULL,                                                      \
	    "XDP mode instead of the config's \"mode\" (native never falls back to generic)", \
	    offsetof(type, f), .values = mode_names)
#define OPT_STATE_DIR(type, f)                                                                                          \
	OPT("state-dir", 's', OPT_STR, "DIR",                                                                           \
	    "where the history is kept (default /var/lib/xdplb/IF; IF@NAME in a named network namespace: docs/cli.md)", \
	    offsetof(type, f))
#define OPT_HOST(type, f)                                                                       \
	OPT("host", 'H', OPT_STR, "HOSTFILE",                                                   \
	    "this LB's own settings (interface, mode, next_hop_mac, sources, mtu, ...) from a " \
	    "host file, beside a fleet's shared config (docs/fleet.md)",                        \
	    offsetof(type, f))
#define OPT_SHARED(type, f)                                                               \
	OPT("shared", 'S', OPT_FLAG, NULL,                                                \
	    "CONFIG is a fleet's shared file: a host setting in it is an error; without " \
	    "--host, the host settings it needs are not asked for",                       \
	    offsetof(type, f))
extern const char *const mode_names[]; /* "native", "generic" (enum xdplb_mode) */

#endif
