/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * service.h - `xdplb run`: xdplb as a service on one interface, under
 * systemd (contrib/systemd/xdplb@.service; docs/service.md).
 *
 * It loads the config at start through the same validated, guarded,
 * atomic path as `load` (or adopts what is live when that is the same
 * config: a restart changes nothing in the data path); reloads on SIGHUP
 * and when the file changes, a refused config leaving the running one
 * live; runs the health checks and commits what they decide, every change
 * of a round in one commit; serves /metrics; tells systemd it is ready and
 * alive (sd_notify, the watchdog). Stopping it leaves the data path
 * running.
 */
#ifndef XDPLB_SERVICE_H
#define XDPLB_SERVICE_H

struct service_opts {
	const char *config; /* the file */
	const char *host; /* its host file (--host), NULL: none */
	const char *iface; /* instead of the config's "interface" */
	int mode; /* instead of the config's "mode"; -1: the config's */
	const char *state_dir; /* NULL: the interface's default */
	const char *listen; /* /metrics; NULL: no exporter */
	double round; /* seconds between health rounds */
};

/* Runs until SIGTERM or SIGINT. Returns an exit code: 0 stopped; 1 the
 * config was refused at start and nothing was live to adopt; 3 a system
 * error. */
int service_run(const struct service_opts *o);

#endif
