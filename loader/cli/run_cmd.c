// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * run_cmd.c - `xdplb run`: the service's options (kernel/service.c).
 */
#include <string.h>
#include <stddef.h>

#include "cli.h"
#include "log.h"
#include "service.h"

struct run_args {
	const char *iface;
	int mode;
	const char *host;
	const char *state_dir;
	const char *listen;
	double round;
};

static void init_run(void *args)
{
	struct run_args *a = args;

	a->mode = -1;
	a->round = 0.1;
}

static int run_run(void *args, int argc, char **argv)
{
	const struct run_args *a = args;
	struct service_opts o = { .config = argv[0],
				  .host = a->host,
				  .iface = a->iface,
				  .mode = a->mode,
				  .state_dir = a->state_dir,
				  .listen = a->listen,
				  .round = a->round };

	if (!strcmp(argv[0], "-")) {
		pr_warn("run: CONFIG must be a file, not -: the service reads it again on SIGHUP and when it changes\n");
		return EXIT_USAGE;
	}
	return service_run(&o);
}

static const struct cli_opt run_opts[] = {
	OPT_IFACE_CFG(struct run_args, iface),
	OPT_MODE(struct run_args, mode),
	OPT_HOST(struct run_args, host),
	OPT_STATE_DIR(struct run_args, state_dir),
	OPT("listen", 'l', OPT_STR, "ADDR:PORT",
	    "serve /metrics there (the exporter's families and the service's); default: none",
	    offsetof(struct run_args, listen)),
	OPT("round", 'r', OPT_NUM, "SEC",
	    "seconds between health rounds: how soon a verdict is applied (default 0.1)",
	    offsetof(struct run_args, round), .min = 0.01, .max = 10),
	OPT_END,
};

const struct cli_cmd cmd_run = {
	.name = "run",
	.args = "CONFIG",
	.min_args = 1,
	.max_args = 1,
	.summary = "xdplb as a service: load, reload on change, health checks",
	.description =
		"Loads CONFIG through the same validated, guarded, atomic path as load (or, when\n"
		"it is what is live already, adopts it: a restart changes nothing), then runs\n"
		"until SIGTERM: reloads on SIGHUP and when the file changes (a refused config is\n"
		"logged and the running one stays), runs the config's health checks and applies\n"
		"what they decide (each round's changes in one commit, never refused by the\n"
		"guards, never in the history), serves /metrics with --listen, and tells systemd\n"
		"it is ready and alive (Type=notify, WatchdogSec). Stopping it leaves the data\n"
		"path running. contrib/systemd/xdplb@.service runs it; docs/service.md.\n"
		"Exit 0 stopped, 1 the config refused at start with nothing live, 3 system error.\n",
	.opts = run_opts,
	.args_size = sizeof(struct run_args),
	.init = init_run,
	.run = run_run,
};
