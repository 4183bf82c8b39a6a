// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * probe.c - the check engine (probe.h): a state machine per target driven
 * by one epoll set and one timer heap.
 *
 * Every target has one key in a binary min-heap: its deadline while a
 * check is in flight, else its next start, or +inf while it waits for room
 * (max_inflight). A turn pops what is due, then sleeps in epoll_wait until
 * the top of the heap, so 1,000 targets cost O(log n) per event and no
 * scan. Sockets are registered once, edge-triggered for both directions,
 * so an HTTP check needs no epoll_ctl between its write and its read.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>

#include "check.h"
#include "log.h"
#include "mono.h"
#include "probe.h"

#define EVENTS_PER_WAIT 256
#define FD_RESERVE 64 /* descriptors left to the rest of the process */

enum phase {
	PH_IDLE, /* waiting for its next start */
	PH_WAITING, /* due, but max_inflight checks are running */
	PH_CONNECTING,
	PH_SENDING, /* http: the request, maybe in several writes */
	PH_READING, /* http: the status line, maybe in several reads */
};

struct slot {
	struct probe_target t;
	char name[96];
	char *req; /* http: the request */
	size_t req_len, sent;
	char buf[CHECK_STATUS_MAX];
	size_t got;
	int fd;
	enum phase ph;
	bool connected; /* a RST ends it, not a FIN */
	double due, start, deadline;
};

/* A slot's key is kept next to its index: a sift compares keys in one
 * array, not in slots a few hundred bytes apart (sift_down was a quarter
 * of the engine's own CPU with 1,000 targets); so is each slot's place. */
struct heap_ent {
	double key;
	__u32 i;
};

struct probe_engine {
	struct slot *s;
	__u32 n;
	int epfd;
	double (*clock)(void *arg);
	void *clock_arg;
	double slack; /* seconds, see run_timers() */
	struct heap_ent *heap; /* slots by key */
	__u32 *heap_pos; /* slot -> its place in heap */
	__u32 *waitq; /* ring of slots waiting for room, oldest first */
	__u32 wq_head, wq_len;
	bool draining;
	struct probe_result *res;
	size_t n_res, cap_res;
	struct probe_stats st;
};

static double clock_mono(void *arg)
{
	(void)arg;
	return mono_now();
}

static double now(const struct probe_engine *pe)
{
	return pe->clock(pe->clock_arg);
}

/* ---------------------------------------------------------------- the heap */

static double key(const struct probe_engine *pe, __u32 i)
{
	const struct slot *s = &pe->s[i];

	switch (s->ph) {
	case PH_IDLE:
		return s->due;
	case PH_WAITING:
		return INFINITY;
	default:
		return s->deadline;
	}
}

static void heap_set(struct probe_engine *pe, __u32 pos, struct heap_ent e)
{
	pe->heap[pos] = e;
	pe->heap_pos[e.i] = pos;
}

static __u32 sift_up(struct probe_engine *pe, __u32 pos, double k)
{
	while (pos > 0 && pe->heap[(pos - 1) / 2].key > k) {
		heap_set(pe, pos, pe->heap[(pos - 1) / 2]);
		pos = (pos - 1) / 2;
	}
	return pos;
}

static __u32 sift_down(struct probe_engine *pe, __u32 pos, double k)
{
	for (;;) {
		__u32 c = 2 * pos + 1;

		if (c >= pe->n)
			return pos;
		if (c + 1 < pe->n && pe->heap[c + 1].key < pe->heap[c].key)
			c++;
		if (pe->heap[c].key >= k)
			return pos;
		heap_set(pe, pos, pe->heap[c]);
		pos = c;
	}
}

/* Slot i's key has changed: put it back in its place. */
static void heap_fix(struct probe_engine *pe, __u32 i)
{
	struct heap_ent e = { .key = key(pe, i), .i = i };
	__u32 pos = sift_up(pe, pe->heap_pos[i], e.key);

	heap_set(pe, sift_down(pe, pos, e.key), e);
}

static void heap_build(struct probe_engine *pe)
{
	for (__u32 i = 0; i < pe->n; i++)
		heap_set(pe, i, (struct heap_ent){ .key = key(pe, i), .i = i });
	for (__u32 pos = pe->n / 2; pos-- > 0;) {
		struct heap_ent e = pe->heap[pos];

		heap_set(pe, sift_down(pe, pos, e.key), e);
	}
}

double probe_next_due(const struct probe_engine *pe)
{
	return pe->n ? pe->heap[0].key : INFINITY;
}

/* ---------------------------------------------------------------- results */

static void add_result(struct probe_engine *pe, const struct probe_result *r)
{
	if (pe->n_res == pe->cap_res) {
		size_t cap = pe->cap_res ? 2 * pe->cap_res : 256;
		struct probe_result *n = realloc(pe->res, cap * sizeof(*n));

		if (!n) {
			/* the check is lost, not misreported: the next one counts */
			pr_warn("health check of %s: keeping its result: %s\n",
				pe->s[r->target].name, strerror(ENOMEM));
			return;
		}
		pe->res = n;
		pe->cap_res = cap;
	}
	pe->res[pe->n_res++] = *r;
}

size_t probe_take(struct probe_engine *pe, const struct probe_result **res)
{
	size_t n = pe->n_res;

	*res = pe->res;
	pe->n_res = 0;
	return n;
}

/* ---------------------------------------------------------------- a check */

static void start_waiting(struct probe_engine *pe, double t);

/* Closes the check's socket: an established one with a RST, so that no
 * TIME_WAIT is left here (the backend may log a reset). */
static void close_check(struct slot *s)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (s->connected)
		setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(s->fd); /* also leaves the epoll set */
	s->fd = -1;
	s->connected = false;
}

/* The verdict: a result, the socket closed, the next start scheduled. */
static void finish(struct probe_engine *pe, __u32 i, int err, int status, double t)
{
	struct slot *s = &pe->s[i];
	struct probe_result r = { .target = i,
				  .err = err,
				  .status = status,
				  .start = s->start,
				  .latency = t - s->start };

	/* within the timeout, or not at all: a late answer is a timeout */
	if (r.latency > s->t.timeout && !err) {
		r.err = ETIMEDOUT;
		r.status = 0;
	}
	r.ok = !r.err && (s->t.kind == PROBE_TCP || r.status == s->t.expect_status);
	if (r.ok)
		pe->st.ok++;
	else
		pe->st.failed++;
	if (r.err == ETIMEDOUT)
		pe->st.timeouts++;
	add_result(pe, &r);
	close_check(s);
	s->ph = PH_IDLE;
	s->due = check_next_due(s->due, s->t.interval, t);
	pe->st.inflight--;
	heap_fix(pe, i);
	start_waiting(pe, t);
}

/* Errors of this host, not of the target: no verdict on the backend. */
static bool local_error(int err)
{
	switch (err) {
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
	case EADDRNOTAVAIL: /* no port left, or a source address not here */
	case EADDRINUSE:
	case EPERM: /* SO_MARK without CAP_NET_ADMIN */
	case EACCES:
		return true;
	}
	return false;
}

/* Logged at the 1st, 2nd, 4th, 8th, ... so a persistent one neither
 * floods the log nor goes quiet. */
static void local_fail(struct probe_engine *pe, __u32 i, const char *what, int err, double t)
{
	struct slot *s = &pe->s[i];
	__u64 k = ++pe->st.local_errors;

	if ((k & (k - 1)) == 0)
		pr_warn("health check of %s: %s: %s (%llu checks could not start so far; no result, the backend's state is kept)\n",
			s->name, what, strerror(err), (unsigned long long)k);
	if (s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
	}
	s->ph = PH_IDLE;
	s->due = check_next_due(s->due, s->t.interval, t);
	pe->st.inflight--;
	heap_fix(pe, i);
}

static int set_int(int fd, int level, int opt, int v)
{
	return setsockopt(fd, level, opt, &v, sizeof(v)) ? -errno : 0;
}

/* The socket, with its mark and source address. 0, or -errno with *what. */
static int open_socket(struct slot *s, const char **what)
{
	socklen_t len;
	int err;

	*what = "socket";
	s->fd = socket(s->t.dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return -errno;
	if (s->t.mark) {
		*what = "setting SO_MARK";
		err = set_int(s->fd, SOL_SOCKET, SO_MARK, (int)s->t.mark);
		if (err)
			return err;
	}
	if (!s->t.src.ss_family)
		return 0;
	/* the port is picked at connect(), by the whole 4-tuple: bind() alone
	 * would reserve one port per socket out of 28,000 */
	*what = "binding the source address";
	err = set_int(s->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1);
	if (err)
		return err;
	len = s->t.src.ss_family == AF_INET ? sizeof(struct sockaddr_in) :
					      sizeof(struct sockaddr_in6);
	return bind(s->fd, (struct sockaddr *)&s->t.src, len) ? -errno : 0;
}

static int watch(struct probe_engine *pe, __u32 i)
{
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
		.data.u32 = i,
	};

	return epoll_ctl(pe->epfd, EPOLL_CTL_ADD, pe->s[i].fd, &ev) ? -errno : 0;
}

static void advance(struct probe_engine *pe, __u32 i, double t, bool maybe_err);

static void start_check(struct probe_engine *pe, __u32 i, double t)
{
	struct slot *s = &pe->s[i];
	const char *what;
	socklen_t len = s->t.dst.ss_family == AF_INET ? sizeof(struct sockaddr_in) :
							sizeof(struct sockaddr_in6);
	int err, cerr;

	s->ph = PH_CONNECTING;
	s->start = t;
	s->deadline = t + s->t.timeout;
	s->sent = s->got = 0;
	pe->st.started++;
	if (++pe->st.inflight > pe->st.peak_inflight)
		pe->st.peak_inflight = pe->st.inflight;
	err = open_socket(s, &what);
	if (err) {
		local_fail(pe, i, what, -err, t);
		return;
	}
	heap_fix(pe, i);
	/* watched after connect(): a socket not yet connecting polls as
	 * hung up, and that edge would be stale */
	cerr = connect(s->fd, (struct sockaddr *)&s->t.dst, len) ? errno : 0;
	if (cerr && cerr != EINPROGRESS) {
		if (local_error(cerr))
			local_fail(pe, i, "connect", cerr, t);
		else
			finish(pe, i, cerr, 0, t); /* no route, unreachable, ... */
		return;
	}
	err = watch(pe, i);
	if (err)
		local_fail(pe, i, "epoll_ctl", -err, t);
	else if (!cerr)
		advance(pe, i, t, false); /* connected at once */
}

/* A due target starts, or waits for room. */
static void due(struct probe_engine *pe, __u32 i, double t)
{
	if (pe->st.inflight < pe->st.max_inflight) {
		start_check(pe, i, t);
		return;
	}
	pe->s[i].ph = PH_WAITING;
	pe->st.waited++;
	pe->waitq[(pe->wq_head + pe->wq_len++) % pe->n] = i;
	heap_fix(pe, i);
}

/* Room freed: the targets that waited longest start. Their schedule keeps
 * its grid: the next start is computed from when they were due. */
static void start_waiting(struct probe_engine *pe, double t)
{
	/* a start that fails at once ends in finish(), which calls this:
	 * the outer loop carries on instead of recursing */
	if (pe->draining)
		return;
	pe->draining = true;
	while (pe->wq_len && pe->st.inflight < pe->st.max_inflight) {
		__u32 i = pe->waitq[pe->wq_head];

		pe->wq_head = (pe->wq_head + 1) % pe->n;
		pe->wq_len--;
		start_check(pe, i, t);
	}
	pe->draining = false;
}

/* ---------------------------------------------------------------- I/O */

/* http: write what is left of the request. 1 all sent, 0 try again on the
 * next EPOLLOUT, -errno. */
static int send_request(struct slot *s)
{
	while (s->sent < s->req_len) {
		ssize_t w = send(s->fd, s->req + s->sent, s->req_len - s->sent, MSG_NOSIGNAL);

		if (w < 0)
			return errno == EAGAIN ? 0 : -errno;
		s->sent += (size_t)w;
	}
	return 1;
}

/* http: read until the status line is in. 1 and *status, 0 try again on
 * the next EPOLLIN, -errno (ENODATA: closed before it, EPROTO: not HTTP). */
static int read_status(struct slot *s, int *status)
{
	for (;;) {
		ssize_t r = recv(s->fd, s->buf + s->got, sizeof(s->buf) - s->got, 0);
		int v;

		if (r < 0)
			return errno == EAGAIN ? 0 : -errno;
		if (r == 0)
			return -ENODATA;
		s->got += (size_t)r;
		v = check_http_status(s->buf, s->got, status);
		if (v)
			return v;
		if (s->got == sizeof(s->buf))
			return -EPROTO;
	}
}

/* Moves a check on as far as its socket allows. A connecting socket that
 * polls writable without an error or hang-up is connected: SO_ERROR is
 * asked only when it may have failed (one system call less per check). */
static void advance(struct probe_engine *pe, __u32 i, double t, bool maybe_err)
{
	struct slot *s = &pe->s[i];
	int err = 0, status = 0, v;
	socklen_t len = sizeof(err);

	if (s->ph == PH_CONNECTING) {
		if (maybe_err && getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len))
			err = errno;
		if (err) {
			finish(pe, i, err, 0, t); /* refused, unreachable, reset */
			return;
		}
		s->connected = true;
		if (s->t.kind == PROBE_TCP) {
			finish(pe, i, 0, 0, t);
			return;
		}
		s->ph = PH_SENDING;
	}
	if (s->ph == PH_SENDING) {
		v = send_request(s);
		if (v <= 0) {
			if (v < 0)
				finish(pe, i, -v, 0, t);
			return;
		}
		s->ph = PH_READING;
	}
	/* edge-triggered: the answer may have come with the write's edge */
	v = read_status(s, &status);
	if (v)
		finish(pe, i, v < 0 ? -v : 0, status, t);
}

static void on_event(struct probe_engine *pe, const struct epoll_event *ev, double t)
{
	__u32 i = ev->data.u32;
	struct slot *s = &pe->s[i];

	/* an event is its slot's current socket: a socket is in a batch at
	 * most once, and the only checks that start within a batch (in
	 * start_waiting) had no socket when the batch was taken */
	if (i >= pe->n || s->fd < 0)
		return;
	if (s->ph == PH_CONNECTING && !(ev->events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
		return;
	advance(pe, i, t, ev->events & (EPOLLERR | EPOLLHUP));
}

/* ---------------------------------------------------------------- the loop */

/* Starts what is due and ends what is late, as of time t. Starts may be
 * up to slack early and timeouts are only ever late, so that one wake-up
 * serves every timer within slack of it: 1,000 targets a second then wake
 * the engine 100 times a second, not 1,000 (a wake-up costs more than a
 * check's system calls). */
static void run_timers(struct probe_engine *pe, double t)
{
	while (pe->n) {
		__u32 i = pe->heap[0].i;
		bool idle = pe->s[i].ph == PH_IDLE;

		if (pe->heap[0].key > (idle ? t + pe->slack : t))
			break;
		if (idle)
			due(pe, i, t);
		else
			finish(pe, i, ETIMEDOUT, 0, t);
	}
}

/* Until the next timer: a start at its time, a timeout slack after it
 * (with the others that fall due meanwhile). */
static int wait_ms(const struct probe_engine *pe, double t, int max_wait_ms)
{
	double d;

	if (max_wait_ms <= 0 || !pe->n)
		return max_wait_ms > 0 ? max_wait_ms : 0;
	d = pe->heap[0].key - t;
	if (pe->s[pe->heap[0].i].ph != PH_IDLE)
		d += pe->slack;
	if (d <= 0)
		return 0;
	/* rounded up: waking a little late is better than spinning early */
	return d * 1000 >= max_wait_ms ? max_wait_ms : (int)ceil(d * 1000);
}

int probe_step(struct probe_engine *pe, int max_wait_ms)
{
	struct epoll_event ev[EVENTS_PER_WAIT];
	double t = now(pe);
	int n;

	/* events first, timers after: a check that succeeded just before its
	 * deadline is not timed out for want of being looked at */
	n = epoll_wait(pe->epfd, ev, EVENTS_PER_WAIT, wait_ms(pe, t, max_wait_ms));
	if (n < 0) {
		int err = errno;

		if (err == EINTR)
			return 0;
		pr_warn("health checks: waiting for events: %s\n", strerror(err));
		return -err;
	}
	t = now(pe);
	for (int k = 0; k < n; k++)
		on_event(pe, &ev[k], t);
	run_timers(pe, t);
	return 0;
}

int probe_run(struct probe_engine *pe, double until)
{
	/* bounded: each turn either handles events or sleeps until the
	 * next due time or until, whichever is first */
	for (double t = now(pe); t < until; t = now(pe)) {
		int ms = (int)ceil((until - t) * 1000);
		int err = probe_step(pe, ms > 0 ? ms : 1);

		if (err)
			return err;
	}
	return 0;
}

int probe_fd(const struct probe_engine *pe)
{
	return pe->epfd;
}

void probe_get_stats(const struct probe_engine *pe, struct probe_stats *st)
{
	*st = pe->st;
}

const char *probe_target_name(const struct probe_engine *pe, __u32 i)
{
	return i < pe->n ? pe->s[i].name : "?";
}

/* ---------------------------------------------------------------- set-up */

/* "ADDR:PORT" or "[ADDR6]:PORT"; without always_port, ":80" is left out
 * (the Host header's default port). */
static void endpoint_str(const struct sockaddr_storage *ss, bool always_port, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";
	unsigned int port;

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		port = ntohs(s6->sin6_port);
		if (always_port || port != 80)
			snprintf(buf, len, "[%s]:%u", a, port);
		else
			snprintf(buf, len, "[%s]", a);
		return;
	}
	inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, a, sizeof(a));
	port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (always_port || port != 80)
		snprintf(buf, len, "%s:%u", a, port);
	else
		snprintf(buf, len, "%s", a);
}

/* Copies a target and builds its request. 0, or -EINVAL / -ENOMEM (said). */
static int slot_init(struct slot *s, const struct probe_target *t, __u32 i)
{
	char ep[INET6_ADDRSTRLEN + 8], host[INET6_ADDRSTRLEN + 8], req[CHECK_REQ_MAX];
	const char *path = t->path ? t->path : "/";
	int len;

	s->t = *t;
	s->t.path = s->t.host = NULL;
	if (t->dst.ss_family != AF_INET && t->dst.ss_family != AF_INET6) {
		pr_warn("health check %u: the destination is neither IPv4 nor IPv6\n", i);
		return -EINVAL;
	}
	endpoint_str(&t->dst, true, ep, sizeof(ep));
	snprintf(s->name, sizeof(s->name), "%s %s%s", t->kind == PROBE_HTTP ? "http" : "tcp", ep,
		 t->kind == PROBE_HTTP ? path : "");
	if (!(t->interval > 0) || !(t->timeout > 0) ||
	    (t->src.ss_family && t->src.ss_family != t->dst.ss_family)) {
		pr_warn("health check of %s: interval and timeout must be above 0, and a source address of the destination's family\n",
			s->name);
		return -EINVAL;
	}
	if (t->kind != PROBE_HTTP)
		return 0;
	if (!s->t.expect_status)
		s->t.expect_status = 200;
	endpoint_str(&t->dst, false, host, sizeof(host));
	len = check_http_request(req, sizeof(req), path, t->host ? t->host : host);
	if (len < 0) {
		pr_warn("health check of %s: building the request: %s\n", s->name, strerror(-len));
		return -EINVAL;
	}
	s->req = malloc((size_t)len);
	if (!s->req)
		return -ENOMEM;
	memcpy(s->req, req, (size_t)len);
	s->req_len = (size_t)len;
	return 0;
}

/* Room under RLIMIT_NOFILE for `want` sockets: the soft limit is raised
 * when the hard one allows it. Returns how many fit. */
static __u32 fit_nofile(__u32 want)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)want + FD_RESERVE;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return want;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		rlim_t old = rl.rlim_cur;

		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need :
										    rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl)) {
			pr_warn("health checks: raising the soft RLIMIT_NOFILE from %llu to %llu: %s\n",
				(unsigned long long)old, (unsigned long long)rl.rlim_cur,
				strerror(errno));
			rl.rlim_cur = old;
		} else {
			pr_info("health checks: raised the soft RLIMIT_NOFILE from %llu to %llu for %u concurrent checks\n",
				(unsigned long long)old, (unsigned long long)rl.rlim_cur, want);
		}
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return want;
	want = rl.rlim_cur > 2 * FD_RESERVE ? (__u32)(rl.rlim_cur - FD_RESERVE) :
					      (__u32)(rl.rlim_cur / 2);
	pr_warn("health checks: RLIMIT_NOFILE (hard limit %llu) leaves room for %u concurrent checks; the others wait their turn\n",
		(unsigned long long)rl.rlim_max, want ? want : 1);
	return want ? want : 1;
}

void probe_free(struct probe_engine *pe)
{
	if (!pe)
		return;
	for (__u32 i = 0; i < pe->n; i++) {
		if (pe->s[i].fd >= 0)
			close(pe->s[i].fd);
		free(pe->s[i].req);
	}
	if (pe->epfd >= 0)
		close(pe->epfd);
	free(pe->s);
	free(pe->heap);
	free(pe->heap_pos);
	free(pe->waitq);
	free(pe->res);
	free(pe);
}

static int engine_alloc(struct probe_engine *pe, __u32 n)
{
	size_t sz = n ? n : 1;

	pe->epfd = -1;
	pe->s = calloc(sz, sizeof(*pe->s));
	pe->heap = calloc(sz, sizeof(*pe->heap));
	pe->heap_pos = calloc(sz, sizeof(*pe->heap_pos));
	pe->waitq = calloc(sz, sizeof(*pe->waitq));
	if (!pe->s || !pe->heap || !pe->heap_pos || !pe->waitq)
		return -ENOMEM;
	pe->n = n; /* probe_free() frees the slots from here on */
	for (__u32 i = 0; i < n; i++)
		pe->s[i].fd = -1;
	pe->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (pe->epfd < 0) {
		int err = errno;

		pr_warn("health checks: creating the epoll set: %s\n", strerror(err));
		return -err;
	}
	return 0;
}

int probe_new(const struct probe_target *t, __u32 n, const struct probe_opts *o,
	      struct probe_engine **out)
{
	struct probe_engine *pe = calloc(1, sizeof(*pe));
	struct probe_opts dflt = { 0 };
	double start;
	int err;

	if (!pe)
		return -ENOMEM;
	o = o ? o : &dflt;
	pe->clock = o->clock ? o->clock : clock_mono;
	pe->clock_arg = o->clock_arg;
	pe->slack = o->slack < 0 ? 0 : o->slack > 0 ? o->slack : PROBE_SLACK;
	err = engine_alloc(pe, n);
	for (__u32 i = 0; i < n && !err; i++)
		err = slot_init(&pe->s[i], &t[i], i);
	if (err) {
		probe_free(pe);
		return err;
	}
	start = o->start ? o->start : now(pe);
	for (__u32 i = 0; i < n; i++)
		pe->s[i].due = start + check_offset(i, n, t[i].interval);
	heap_build(pe);
	pe->st.max_inflight =
		fit_nofile(o->max_inflight && o->max_inflight < n ? o->max_inflight : n);
	*out = pe;
	return 0;
}
