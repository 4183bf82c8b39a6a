/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * probe.h - the health checks themselves: one thread, one epoll set,
 * non-blocking sockets, no thread per check.
 *
 *   tcp   the connect to ADDR:PORT completes within the timeout;
 *   http  connect, send "GET PATH HTTP/1.1" (Host, Connection: close), read
 *         the status line, compare it with the expected status.
 *
 * IPv4 and IPv6. A check may carry an SO_MARK (a tc program tunnels marked
 * probes to a backend: the destination is then the VIP) and a source
 * address. A connection that succeeded is closed with a RST (SO_LINGER 0),
 * as HAProxy's checks do: 1,000 checks a second would otherwise leave
 * 60,000 sockets in TIME_WAIT on this host.
 *
 * Each target is checked every `interval` seconds; the first starts are
 * spread evenly over the interval (check.h), the later ones keep that
 * grid. A check still running when its next start is due makes that start
 * skipped: at most one check per target is in flight. Time is read from a
 * caller-supplied monotonic clock.
 *
 * Results: a result per finished check, taken with probe_take(). A check
 * that could not start for a reason of this host (out of file descriptors,
 * memory, ports; SO_MARK without CAP_NET_ADMIN; a source address not
 * here) gives no result, so that it never takes a backend out: it is
 * counted in the stats and logged, and the next start is tried as usual.
 */
#ifndef XDPLB_PROBE_H
#define XDPLB_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "xdplb_abi.h"

enum probe_kind {
	PROBE_TCP = 0,
	PROBE_HTTP = 1,
};

struct probe_target {
	enum probe_kind kind;
	struct sockaddr_storage dst; /* AF_INET or AF_INET6, with the port */
	struct sockaddr_storage src; /* ss_family 0: the kernel's choice */
	__u32 mark; /* SO_MARK; 0: none */
	double interval; /* seconds between starts, > 0 */
	double timeout; /* seconds from the start to a verdict, > 0 */
	/* http only (copied): */
	const char *path; /* "/healthz"; NULL: "/" */
	const char *host; /* the Host header; NULL: the destination, as ADDR[:PORT] */
	int expect_status; /* 0: 200 */
};

struct probe_result {
	__u32 target; /* its index in probe_new()'s array */
	bool ok;
	/* why it failed: an errno (ECONNREFUSED, ETIMEDOUT, ECONNRESET,
	 * ENETUNREACH, ...; EPROTO: not an HTTP status line; ENODATA: closed
	 * before one), or 0 when an HTTP status came that is not the one
	 * expected */
	int err;
	int status; /* http: the status received; 0: none */
	double start; /* when it started, by the engine's clock */
	double latency; /* seconds from the start to the verdict */
};

struct probe_opts {
	/* monotonic seconds, advancing at the real rate (the epoll waits are
	 * computed from it): the caller's, so that results and
	 * health_round() share one clock. NULL: CLOCK_MONOTONIC */
	double (*clock)(void *arg);
	void *clock_arg;
	/* the schedule's origin: target i is first due at start + its offset;
	 * 0: the clock at probe_new() */
	double start;
	/* checks in flight at most (each is a socket); 0: one per target.
	 * Starts beyond it wait for a check to end. */
	__u32 max_inflight;
	/* seconds: a wake-up starts every check due within slack after it,
	 * and a timeout is noticed up to slack late (the verdict is still by
	 * the check's own timeout: an answer after it is a timeout).
	 * 0: PROBE_SLACK; < 0: every timer on its own. */
	double slack;
};

#define PROBE_SLACK 0.01

struct probe_stats {
	__u64 started, ok, failed, timeouts;
	__u64 local_errors; /* checks that could not start (no result) */
	__u64 waited; /* starts delayed by max_inflight */
	__u32 inflight, peak_inflight, max_inflight;
};

struct probe_engine;

/*
 * An engine for n targets (copied). Makes sure that max_inflight sockets
 * fit under RLIMIT_NOFILE: raises the soft limit when the hard one allows
 * it (and says so), lowers max_inflight when it does not (and says so).
 * 0, or -EINVAL (a target that cannot be checked: said which and why),
 * -ENOMEM, -errno of epoll_create1.
 */
int probe_new(const struct probe_target *t, __u32 n, const struct probe_opts *o,
	      struct probe_engine **out);
void probe_free(struct probe_engine *pe);

/*
 * One turn of the loop: starts what is due, waits for I/O until the next
 * start or timeout but at most max_wait_ms (0: does not wait), handles it,
 * ends checks past their timeout. 0, or -errno of epoll_wait (said).
 */
int probe_step(struct probe_engine *pe, int max_wait_ms);
/* probe_step until the clock reaches `until`. */
int probe_run(struct probe_engine *pe, double until);

/* The results since the last take, in the order the checks ended; valid
 * until the next step. Returns how many. */
size_t probe_take(struct probe_engine *pe, const struct probe_result **res);

/* The epoll fd, readable when a check has I/O: to nest the engine in
 * another loop (then call probe_step(pe, 0)). */
int probe_fd(const struct probe_engine *pe);
/* When the next start or timeout is due (the engine's clock; a timeout is
 * acted on up to slack later). */
double probe_next_due(const struct probe_engine *pe);

void probe_get_stats(const struct probe_engine *pe, struct probe_stats *st);
/* "tcp 198.51.100.11:80", "http [2001:db8::1]:8080/healthz": for messages. */
const char *probe_target_name(const struct probe_engine *pe, __u32 i);

#endif
