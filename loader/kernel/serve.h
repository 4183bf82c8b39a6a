/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * serve.h - `xdplb serve`: the Prometheus exporter (libmicrohttpd). Reads
 * the pinned maps at every scrape; its only state is the imbalance window.
 */
#ifndef XDPLB_SERVE_H
#define XDPLB_SERVE_H

#define SERVE_USAGE \
	"serve [--listen 127.0.0.1:9435] [--iface IF]... [--imbalance-window SEC] [--once]"

/* The command: its own options; returns an exit code (0, 2 usage, 3 system),
 * or -2 for the CLI to print the usage line. */
int do_serve(int argc, char **argv);

#endif
