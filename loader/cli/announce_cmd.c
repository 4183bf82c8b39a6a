// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * announce_cmd.c - `xdplb announce off|on|status`: draining a whole LB
 * from the routers (docs/fleet.md, Draining an LB). The flag lives in the
 * state dir, so a restarted service keeps it; the service's decisions are
 * in its state file (kernel/svc_announce.c), the routes in the kernel.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "announce.h"
#include "bpffs.h"
#include "cli.h"
#include "config_fleet.h"
#include "history.h"
#include "log.h"
#include "render.h"

struct announce_args {
	const char *iface;
	const char *state_dir;
};

/* The service's state file, or NULL. */
static cJSON *read_state(const char *dir)
{
	char path[600], *text = NULL;
	size_t len;
	cJSON *o;

	snprintf(path, sizeof(path), "%s/%s", dir, ANNOUNCE_STATE_FILE);
	if (config_read_file(path, &text, &len))
		return NULL;
	o = cJSON_ParseWithLength(text, len);
	free(text);
	return o;
}

/* The table the service announces in (its state file), else 0: any. */
static __u32 state_table(const cJSON *st)
{
	const cJSON *t = st ? cJSON_GetObjectItem(st, "table") : NULL;

	return cJSON_IsNumber(t) ? (__u32)t->valuedouble : 0;
}

static int setup(const struct announce_args *a, char *ifname, char *dir, size_t len)
{
	/* the interface need not be loaded: draining a host before its
	 * first load is fine, so the name is taken as given */
	if (a->iface)
		snprintf(ifname, IF_NAMESIZE, "%s", a->iface);
	else if (cli_pick_iface(NULL, ifname))
		return EXIT_INVALID;
	state_dir_of(a->state_dir, ifname, dir, len);
	return 0;
}

static int run_off(void *args, int argc, char **argv)
{
	char ifname[IF_NAMESIZE], dir[512], user[64], text[256];
	cJSON *st;
	int err, n;

	(void)argc, (void)argv;
	err = setup(args, ifname, dir, sizeof(dir));
	if (err)
		return err;
	err = mkdir_p(dir);
	snprintf(text, sizeof(text), "{\"since\": %lld, \"user\": \"%s\"}\n", (long long)time(NULL),
		 history_user(user, sizeof(user)));
	if (!err)
		err = history_write_file(dir, ANNOUNCE_OFF_FILE, text, strlen(text));
	if (err) {
		pr_warn("%s: writing %s/%s: %s\n", ifname, dir, ANNOUNCE_OFF_FILE, strerror(-err));
		return exit_code(err);
	}
	/* at once, whether the service runs or not */
	st = read_state(dir);
	n = announce_flush(state_table(st));
	cJSON_Delete(st);
	if (n < 0) {
		pr_warn("%s: withdrawing the routes: %s (the service withdraws them at its next round)\n",
			ifname, strerror(-n));
		return exit_code(n);
	}
	if (cli_json()) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "interface", ifname);
		cJSON_AddBoolToObject(o, "drained", true);
		cJSON_AddNumberToObject(o, "withdrawn", n);
		print_json(o);
	} else {
		printf("%s: announcement off: %d route%s withdrawn; kept off across restarts until `xdplb announce on`\n",
		       ifname, n, n == 1 ? "" : "s");
	}
	return EXIT_OK;
}

static int run_on(void *args, int argc, char **argv)
{
	char ifname[IF_NAMESIZE], dir[512], path[600];
	bool was;
	int err;

	(void)argc, (void)argv;
	err = setup(args, ifname, dir, sizeof(dir));
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/%s", dir, ANNOUNCE_OFF_FILE);
	was = !unlink(path);
	if (!was && errno != ENOENT) {
		pr_warn("%s: removing %s: %s\n", ifname, path, strerror(errno));
		return EXIT_SYSTEM;
	}
	if (cli_json()) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "interface", ifname);
		cJSON_AddBoolToObject(o, "drained", false);
		cJSON_AddBoolToObject(o, "was_drained", was);
		print_json(o);
	} else {
		printf("%s: announcement on%s: the service announces what it can serve at its next round\n",
		       ifname, was ? "" : " (it was not off)");
	}
	return EXIT_OK;
}

/* What status shows: the flag, the service's decisions, the kernel's routes. */
static cJSON *status_data(const char *ifname, const char *dir)
{
	cJSON *o = cJSON_CreateObject(), *st = read_state(dir), *routes = cJSON_CreateArray();
	char path[600], s[64];
	struct ann_route *r = NULL;
	__u32 table = state_table(st);
	int n;

	cJSON_AddStringToObject(o, "interface", ifname);
	snprintf(path, sizeof(path), "%s/%s", dir, ANNOUNCE_OFF_FILE);
	cJSON_AddBoolToObject(o, "drained", !access(path, F_OK));
	n = announce_list(table, &r);
	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(routes,
				     cJSON_CreateString(addr_str(&r[i].addr, r[i].family, s)));
	free(r);
	cJSON_AddItemToObject(o, "routes", routes);
	if (n < 0)
		cJSON_AddStringToObject(o, "routes_error", strerror(-n));
	if (st)
		cJSON_AddItemToObject(o, "service", st);
	else
		cJSON_AddNullToObject(o, "service");
	return o;
}

static int run_status(void *args, int argc, char **argv)
{
	char ifname[IF_NAMESIZE], dir[512];
	cJSON *o;
	int err;

	(void)argc, (void)argv;
	err = setup(args, ifname, dir, sizeof(dir));
	if (err)
		return err;
	o = status_data(ifname, dir);
	if (cli_json()) {
		print_json(o);
	} else {
		announce_print(stdout, o);
		cJSON_Delete(o);
	}
	return EXIT_OK;
}

static const struct cli_opt opts[] = {
	OPT_IFACE_READ(struct announce_args, iface),
	OPT_STATE_DIR(struct announce_args, state_dir),
	OPT_END,
};

static const struct cli_cmd announce_cmds[] = {
	{ .name = "off",
	  .summary = "withdraw every VIP of this LB from the routers, until `on`",
	  .description =
		  "Drains the whole LB: its VIPs' routes leave the announce table now (BGP withdraws\n"
		  "them), and a flag in the state dir keeps them out, across restarts of the service,\n"
		  "until `xdplb announce on`. Forwarding goes on: flows the routers still send here\n"
		  "are balanced as before, so established connections end on their own.\n",
	  .opts = opts,
	  .args_size = sizeof(struct announce_args),
	  .run = run_off },
	{ .name = "on",
	  .summary = "end a drain: the service announces what it can serve again",
	  .opts = opts,
	  .args_size = sizeof(struct announce_args),
	  .run = run_on },
	{ .name = "status",
	  .summary = "each VIP address: announced or withdrawn, and why",
	  .description =
		  "The drain flag, the service's decision per VIP address with its reason (from its\n"
		  "state file, with its age), and the routes the kernel's announce table holds.\n",
	  .opts = opts,
	  .args_size = sizeof(struct announce_args),
	  .run = run_status },
	{ 0 },
};

const struct cli_cmd cmd_announce = {
	.name = "announce",
	.summary = "the LB's announcement of its VIPs (BGP through a route table): drain, status",
	.description =
		"With \"announce\" in the config, the service keeps one route per servable VIP address\n"
		"in the announce table, which a BGP daemon exports (docs/fleet.md).\n",
	.subs = announce_cmds,
};
