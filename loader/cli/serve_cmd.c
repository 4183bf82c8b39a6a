// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * serve_cmd.c - `xdplb serve`: the exporter's options (kernel/serve.c).
 */
#include <stddef.h>

#include "cli.h"
#include "serve.h"

static void init_serve(void *args)
{
	struct serve_cfg *c = args;

	c->listen = "127.0.0.1:9435";
	c->window = 60;
}

static int run_serve(void *args, int argc, char **argv)
{
	return serve_run(args);
}

static const struct cli_opt serve_opts[] = {
	OPT("listen", 'l', OPT_STR, "ADDR:PORT",
	    "where to listen (default 127.0.0.1:9435; [::1]:9435 for IPv6, :9435 for every address)",
	    offsetof(struct serve_cfg, listen)),
	OPT("iface", 'i', OPT_LIST, "IF",
	    "an interface to export (repeatable; default: every one with xdplb, at each scrape)",
	    offsetof(struct serve_cfg, ifaces), .max_count = SERVE_MAX_IFACES,
	    .off_count = offsetof(struct serve_cfg, n_ifaces)),
	OPT("imbalance-window", 'w', OPT_NUM, "SEC",
	    "the window of xdplb_vip_imbalance (1 to 86400; default 60)",
	    offsetof(struct serve_cfg, window), .min = 1, .max = 86400),
	OPT("once", 'o', OPT_FLAG, NULL, "print one exposition on stdout and exit",
	    offsetof(struct serve_cfg, once)),
	OPT_END,
};

const struct cli_cmd cmd_serve = {
	.name = "serve",
	.summary = "the Prometheus exporter: GET /metrics",
	.description =
		"Reads the pinned maps of every xdplb interface of its network namespace (or\n"
		"those named) at each scrape; stateless but for the imbalance window, so safe to\n"
		"restart. Families, the imbalance gauge and the alert rules: docs/metrics.md.\n"
		"Exit 0 on SIGINT/SIGTERM, 2 for a bad --listen, 3 when it cannot bind.\n",
	.opts = serve_opts,
	.args_size = sizeof(struct serve_cfg),
	.init = init_serve,
	.run = run_serve,
};
