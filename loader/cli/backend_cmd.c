// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * backend_cmd.c - `xdplb backend set|list`: operators' overrides of one
 * backend (kernel/load.c lb_override, core/overrides.h).
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "history.h"
#include "load.h"
#include "log.h"
#include "names.h"
#include "overrides.h"

struct backend_args {
	const char *iface;
	const char *state_dir;
	unsigned long long weight;
	bool has_weight;
	bool force;
};

static void init_backend(void *args)
{
	((struct backend_args *)args)->weight = (unsigned long long)-1;
}

static int parse_state(const char *s)
{
	static const char *const names[] = { "active", "drain", "down", "clear" };
	static const int vals[] = { XDPLB_BE_ACTIVE, XDPLB_BE_DRAIN, XDPLB_BE_DOWN, -1 };

	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i]))
			return vals[i];
	return -2;
}

static int run_set(void *args, int argc, char **argv)
{
	const struct backend_args *a = args;
	int state = parse_state(argv[2]), weight = -1, err;
	char ifname[IF_NAMESIZE];
	struct load_result r;

	if (state == -2) {
		pr_warn("xdplb backend set: %s: active, drain, down or clear\n", argv[2]);
		return -1;
	}
	if (a->weight != (unsigned long long)-1) {
		if (state == -1) {
			pr_warn("xdplb backend set: clear takes no --weight\n");
			return -1;
		}
		weight = (int)a->weight;
	}
	if (cli_pick_iface(a->iface, ifname))
		return EXIT_INVALID;
	err = lb_override(ifname, a->state_dir, argv[0], argv[1], state, weight, a->force, &r);
	if (err < 0)
		return exit_code(err);
	if (err > 0 && cli_json()) {
		cJSON *j = cJSON_CreateObject();

		cJSON_AddStringToObject(j, "interface", ifname);
		cJSON_AddStringToObject(j, "vip", argv[0]);
		cJSON_AddStringToObject(j, "backend", argv[1]);
		cJSON_AddNullToObject(j, "override");
		print_json(j);
	} else if (err > 0) {
		printf("%s: %s/%s has no override: nothing changed\n", ifname, argv[0], argv[1]);
	} else if (cli_json()) {
		cJSON *j = cJSON_CreateObject();

		cJSON_AddStringToObject(j, "interface", ifname);
		cJSON_AddStringToObject(j, "vip", argv[0]);
		cJSON_AddStringToObject(j, "backend", argv[1]);
		cJSON_AddStringToObject(j, "override",
					state >= 0 ? state_str((__u8)state) : "cleared");
		if (weight >= 0)
			cJSON_AddNumberToObject(j, "weight", weight);
		cJSON_AddNumberToObject(j, "generation", r.generation);
		cJSON_AddNumberToObject(j, "history_entry", r.history_seq);
		print_json(j);
	} else {
		printf("%s: %s/%s %s", ifname, argv[0], argv[1],
		       state >= 0 ? state_str((__u8)state) : "override cleared");
		if (weight >= 0)
			printf(" weight %d", weight);
		printf(": generation %u, history entry %u\n", r.generation, r.history_seq);
	}
	return EXIT_OK;
}

static int run_list(void *args, int argc, char **argv)
{
	const struct backend_args *a = args;
	char ifname[IF_NAMESIZE], dir[512];
	struct overrides ov;
	cJSON *arr = NULL;
	int err;

	if (cli_pick_iface(a->iface ? a->iface : argc ? argv[0] : NULL, ifname))
		return EXIT_INVALID;
	state_dir_of(a->state_dir, ifname, dir, sizeof(dir));
	err = history_overrides_read(dir, &ov);
	if (err)
		return exit_code(err);
	if (cli_json())
		arr = cJSON_CreateArray();
	else if (!ov.n)
		printf("%s: no override\n", ifname);
	for (size_t i = 0; i < ov.n; i++) {
		const struct override *e = &ov.v[i];

		if (arr) {
			cJSON *j = cJSON_CreateObject();

			cJSON_AddStringToObject(j, "vip", e->vip);
			cJSON_AddStringToObject(j, "backend", e->backend);
			if (e->state >= 0)
				cJSON_AddStringToObject(j, "state", state_str((__u8)e->state));
			if (e->weight >= 0)
				cJSON_AddNumberToObject(j, "weight", e->weight);
			cJSON_AddItemToArray(arr, j);
			continue;
		}
		printf("%s/%s", e->vip, e->backend);
		if (e->state >= 0)
			printf(" %s", state_str((__u8)e->state));
		if (e->weight >= 0)
			printf(" weight %d", e->weight);
		printf("\n");
	}
	if (arr)
		print_json(arr);
	overrides_free(&ov);
	return EXIT_OK;
}

static const struct cli_opt set_opts[] = {
	OPT_IFACE_READ(struct backend_args, iface),
	OPT("weight", 'w', OPT_UINT, "N", "the backend's weight too (0..65535)",
	    offsetof(struct backend_args, weight), .min = 0, .max = 65535),
	OPT("force", 'f', OPT_FLAG, NULL,
	    "apply despite the guards (each refusal said as a warning)",
	    offsetof(struct backend_args, force)),
	OPT_STATE_DIR(struct backend_args, state_dir),
	OPT_END,
};

static const struct cli_opt list_opts[] = {
	OPT_IFACE_READ(struct backend_args, iface),
	OPT_STATE_DIR(struct backend_args, state_dir),
	OPT_END,
};

static const struct cli_cmd backend_cmds[] = {
	{ .name = "set",
	  .args = "VIP BACKEND active|drain|down|clear",
	  .min_args = 3,
	  .max_args = 3,
	  .summary = "override one backend's configured state (and weight) until cleared",
	  .description =
		  "Changes one backend of the live config (VIP and backend by name) without a new\n"
		  "file: applied like a load (max_backend_share and min_active_backends judge the\n"
		  "result, --force, one atomic commit, a history entry noted \"override ...\"; not\n"
		  "max_flows_moved: moving that backend's flows is the point), kept in the state dir\n"
		  "and across reloads of the config until `clear`. status, stats and audit show it as an override, not as drift;\n"
		  "rollback restores the overrides an entry was applied with.\n",
	  .opts = set_opts,
	  .args_size = sizeof(struct backend_args),
	  .init = init_backend,
	  .run = run_set },
	{ .name = "list",
	  .args = "[IF]",
	  .max_args = 1,
	  .summary = "the overrides kept for the interface",
	  .opts = list_opts,
	  .args_size = sizeof(struct backend_args),
	  .run = run_list },
	{ 0 },
};

const struct cli_cmd cmd_backend = {
	.name = "backend",
	.summary = "an operator's override of one backend",
	.description =
		"For the change that cannot wait for a config file: drain or take down one backend,\n"
		"or change its weight, kept until cleared. Health goes on top of it: docs/health.md,\n"
		"section \"Configured and effective state\".\n",
	.subs = backend_cmds,
};
