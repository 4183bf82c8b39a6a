/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * serve.h - the Prometheus exporter (libmicrohttpd). Reads the pinned maps
 * at every scrape; its only state is the imbalance window.
 */
#ifndef XDPLB_SERVE_H
#define XDPLB_SERVE_H

#include <stdbool.h>

#define SERVE_MAX_IFACES 64

struct serve_cfg {
	const char *listen; /* "127.0.0.1:9435", "[::1]:9435" */
	const char *ifaces[SERVE_MAX_IFACES]; /* none: every one loaded */
	int n_ifaces;
	double window; /* the imbalance window, seconds */
	bool once; /* print one exposition on stdout and return */
};

/* Serves until SIGINT or SIGTERM (or once). Returns an exit code: 0; 2 a
 * bad listen address; 3 cannot bind or read. */
int serve_run(const struct serve_cfg *c);

/* The exporter inside another process (the service): serves from its own
 * thread until serve_stop(). hook (or NULL) appends families of the
 * caller's to every exposition, from that thread. Returns an exit code as
 * serve_run() does. */
struct serve;
struct mbuf;
typedef void (*serve_hook)(struct mbuf *b, void *arg);
int serve_start(const struct serve_cfg *c, serve_hook hook, void *arg, struct serve **out);
void serve_stop(struct serve *s);

#endif
