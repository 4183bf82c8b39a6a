// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * serve.c - `xdplb serve`: GET /metrics in the Prometheus text format.
 *
 * Every scrape reads the pinned maps of the interfaces (status_read, the
 * one reader of what is live) and sums the CPUs; nothing is cached but
 * the imbalance window (metrics.h), which is derived data: a restart only
 * shortens the window. One HTTP thread (libmicrohttpd's internal polling
 * thread) does every scrape, so the window needs no lock.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <microhttpd.h>

#include "bpffs.h"
#include "log.h"
#include "maps.h"
#include "metrics.h"
#include "serve.h"
#include "serve_req.h"
#include "status.h"

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Slots per backend id of one table map. Tables are frozen when published
 * and never written again (docs/atomicity.md), so a map id's counts hold
 * for as long as the map exists: they are counted once, not at every
 * scrape (a 1,000-VIP host has 65 million slots). Entries no scrape used
 * are dropped. */
struct tcount {
	__u32 be_id, slots;
};

struct tcache_ent {
	__u32 map_id, n;
	struct tcount *c; /* sorted by be_id */
	bool used;
};

struct tcache {
	struct tcache_ent *e;
	size_t n, cap;
	__u32 *scratch; /* XDPLB_MAX_BACKENDS counters, all zero between uses */
	__u32 *pairs; /* a table's worth of slot pairs */
};
struct serve {
	struct MHD_Daemon *d;
	int fd;
	serve_hook hook; /* more families after the maps' (the service's) */
	void *hook_arg;
	const char *ifaces[SERVE_MAX_IFACES]; /* the ones named; none: every one loaded */
	int n_ifaces;
	double window; /* seconds */
	struct imb_hist hist[SERVE_MAX_IFACES];
	int n_hist;
	struct tcache tc;
	size_t last_len; /* of the last exposition: the next one's first guess */
};

static double now_mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static struct imb_hist *hist_of(struct serve *s, const char *ifname)
{
	size_t len;

	for (int i = 0; i < s->n_hist; i++)
		if (!strcmp(s->hist[i].ifname, ifname))
			return &s->hist[i];
	if (s->n_hist == SERVE_MAX_IFACES)
		return NULL;
	len = strnlen(ifname, IF_NAMESIZE - 1);
	memcpy(s->hist[s->n_hist].ifname, ifname, len);
	s->hist[s->n_hist].ifname[len] = '\0';
	return &s->hist[s->n_hist++];
}

static int cmp_tcount(const void *a, const void *b)
{
	const struct tcount *x = a, *y = b;

	return x->be_id < y->be_id ? -1 : x->be_id > y->be_id;
}

/* Reads table map map_id (size slots) and counts its slots by backend id
 * into a new cache entry. */
static int tcache_add(struct tcache *tc, __u32 map_id, __u32 size, struct tcache_ent **out)
{
	__u32 n = XDPLB_TABLE_ENTRIES(size), nb = 0;
	struct tcache_ent *e;
	struct tcount *c;
	int fd, err = 0;

	if (!tc->scratch) {
		tc->scratch = calloc(XDPLB_MAX_BACKENDS, sizeof(*tc->scratch));
		tc->pairs = malloc(XDPLB_TABLE_ENTRIES(XDPLB_MAX_TABLE_SIZE) *
				   sizeof(struct xdplb_slot_pair));
	}
	if (tc->n == tc->cap) {
		size_t cap = tc->cap ? tc->cap * 2 : 64;
		struct tcache_ent *ne = realloc(tc->e, cap * sizeof(*ne));

		if (!ne)
			return -ENOMEM;
		tc->e = ne;
		tc->cap = cap;
	}
	if (!tc->scratch || !tc->pairs)
		return -ENOMEM;
	fd = bpf_map_get_fd_by_id(map_id);
	if (fd < 0)
		return -errno;
	err = maps_table_pairs(
		fd, n, (struct xdplb_slot_pair *)tc->pairs); /* -EBADMSG: changed under us */
	close(fd);
	if (err)
		return err;
	c = malloc(sizeof(*c) * 256);
	for (__u32 i = 0, cap = 256; c && i < size; i++) {
		__u32 id = tc->pairs[i];

		if (id >= XDPLB_MAX_BACKENDS || tc->scratch[id]++)
			continue;
		if (nb == cap) {
			struct tcount *nc = realloc(c, sizeof(*c) * (cap *= 2));

			if (!nc) {
				free(c);
				c = NULL;
				break;
			}
			c = nc;
		}
		c[nb++].be_id = id;
	}
	for (__u32 i = 0; c && i < nb; i++) {
		c[i].slots = tc->scratch[c[i].be_id];
		tc->scratch[c[i].be_id] = 0;
	}
	if (!c) { /* leave scratch zeroed */
		memset(tc->scratch, 0, XDPLB_MAX_BACKENDS * sizeof(*tc->scratch));
		return -ENOMEM;
	}
	qsort(c, nb, sizeof(*c), cmp_tcount);
	e = &tc->e[tc->n++];
	*e = (struct tcache_ent){ .map_id = map_id, .n = nb, .c = c };
	*out = e;
	return 0;
}

static struct tcache_ent *tcache_get(struct tcache *tc, __u32 map_id, __u32 size)
{
	struct tcache_ent *e = NULL;

	for (size_t i = 0; i < tc->n; i++)
		if (tc->e[i].map_id == map_id)
			e = &tc->e[i];
	if (!e) {
		int err = tcache_add(tc, map_id, size, &e);

		if (err) {
			pr_warn("reading table map %u: %s\n", map_id, strerror(-err));
			return NULL;
		}
	}
	e->used = true;
	return e;
}

/* Drops the entries of tables no scrape used this time. */
static void tcache_sweep(struct tcache *tc)
{
	size_t k = 0;

	for (size_t i = 0; i < tc->n; i++) {
		if (!tc->e[i].used) {
			free(tc->e[i].c);
			continue;
		}
		tc->e[i].used = false;
		tc->e[k++] = tc->e[i];
	}
	tc->n = k;
}

static void tcache_free(struct tcache *tc)
{
	for (size_t i = 0; i < tc->n; i++)
		free(tc->e[i].c);
	free(tc->e);
	free(tc->scratch);
	free(tc->pairs);
}

/* Each backend's slots in its VIP's live table. */
static void count_slots(struct tcache *tc, struct lb_live *st, const __u32 *ids)
{
	for (__u32 v = 0; v < st->n_vips; v++) {
		struct st_vip *vp = &st->vips[v];
		struct tcache_ent *e;

		if (!vp->table_size || vp->id >= XDPLB_MAX_VIPS)
			continue;
		e = tcache_get(tc, ids[xdplb_table_slot(live_active(st), vp->id)], vp->table_size);
		for (__u32 k = 0; e && k < vp->n_be; k++) {
			struct tcount key = { .be_id = vp->be[k].id }, *c;

			c = bsearch(&key, e->c, e->n, sizeof(*c), cmp_tcount);
			vp->be[k].slots = c ? c->slots : 0;
		}
	}
}

/* Did the last commit complete? A complete one leaves the inactive bank
 * equal to the live one (docs/atomicity.md): the same globals (generation
 * included) and the same table in every slot. A load that stopped before
 * or after its flip leaves them different. */
static bool banks_equal(const struct lb_live *st)
{
	if (memcmp(&st->ctl.bank[0], &st->ctl.bank[1], sizeof(st->ctl.bank[0])))
		return false;
	for (__u32 v = 0; v < XDPLB_MAX_VIPS; v++)
		if (st->table_ids[xdplb_table_slot(0, v)] != st->table_ids[xdplb_table_slot(1, v)])
			return false;
	return true;
}

/* The slots of each backend, and whether the last load is completely live
 * (docs/metrics.md). */
static bool count_tables(struct serve *s, struct lb_live *st)
{
	count_slots(&s->tc, st, st->table_ids);
	return banks_equal(st) && metrics_tables_consistent(st) && st->attached;
}

/* Forgets the readings of interfaces without xdplb now: a later load there
 * starts with new maps, and the slots are few. */
static void hist_sweep(struct serve *s, const struct metrics_if *mi, int n)
{
	int k = 0;

	for (int h = 0; h < s->n_hist; h++) {
		bool live = false;

		for (int i = 0; i < n && !live; i++)
			live = mi[i].st && !strcmp(mi[i].ifname, s->hist[h].ifname);
		if (!live) {
			imb_free(&s->hist[h]);
			continue;
		}
		s->hist[k++] = s->hist[h];
	}
	s->n_hist = k;
}

/* One exposition of every interface into b. */
static int collect(struct serve *s, struct mbuf *b)
{
	char names[SERVE_MAX_IFACES][IF_NAMESIZE];
	struct lb_live st[SERVE_MAX_IFACES];
	struct metrics_if mi[SERVE_MAX_IFACES] = { 0 };
	double t0 = now_mono(), *imb[SERVE_MAX_IFACES] = { 0 };
	int n;

	if (s->n_ifaces) {
		n = s->n_ifaces;
		for (int i = 0; i < n; i++)
			snprintf(names[i], IF_NAMESIZE, "%s", s->ifaces[i]);
	} else {
		n = status_list(names, SERVE_MAX_IFACES);
	}
	for (int i = 0; i < n; i++) {
		int err = status_read(names[i], LIVE_LINK | LIVE_COUNTERS | LIVE_TABLE_IDS, &st[i]);

		mi[i].ifname = names[i];
		if (err) {
			if (err != -ENOENT)
				pr_warn("%s: reading the pinned maps: %s\n", names[i],
					strerror(-err));
			live_free(&st[i]);
			continue;
		}
		mi[i].st = &st[i];
		mi[i].load_ok = count_tables(s, &st[i]);
	}
	for (int i = 0; i < n; i++) {
		struct imb_hist *h = hist_of(s, names[i]);
		double now = now_mono();

		if (!mi[i].st || !h)
			continue;
		imb[i] = calloc(st[i].n_vips + 1, sizeof(double));
		if (!imb[i])
			continue;
		imb_compute(h, &st[i], now, s->window, imb[i]);
		mi[i].imbalance = imb[i];
		if (imb_record(h, &st[i], now, s->window))
			pr_warn("keeping a reading for the imbalance window: out of memory\n");
	}
	tcache_sweep(&s->tc);
	hist_sweep(s, mi, n);
	metrics_write(b, mi, (size_t)n, now_mono() - t0);
	if (s->hook)
		s->hook(b, s->hook_arg);
	for (int i = 0; i < n; i++) {
		free(imb[i]);
		if (mi[i].st)
			live_free(&st[i]);
	}
	return b->oom ? -ENOMEM : 0;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int code, const char *type,
			     char *body, size_t len, bool must_free)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		len, body, must_free ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r) {
		if (must_free)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_len, void **req)
{
	static char index_page[] =
		"<html><head><title>xdplb</title></head><body><h1>xdplb exporter</h1>"
		"<p><a href=\"/metrics\">/metrics</a></p></body></html>\n";
	static char not_found[] = "not found: try /metrics\n";
	static char not_allowed[] = "method not allowed: GET or HEAD\n";
	struct serve *s = cls;
	struct mbuf b = { 0 };

	switch (serve_route(method, url)) {
	case SERVE_NOT_ALLOWED:
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", not_allowed,
			     strlen(not_allowed), false);
	case SERVE_INDEX:
		return reply(c, MHD_HTTP_OK, "text/html; charset=utf-8", index_page,
			     strlen(index_page), false);
	case SERVE_NOT_FOUND:
		return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", not_found, strlen(not_found),
			     false);
	case SERVE_METRICS:
		break;
	}
	/* no doubling and copying of tens of megabytes */
	b.p = malloc(s->last_len + s->last_len / 8 + 4096);
	b.cap = b.p ? s->last_len + s->last_len / 8 + 4096 : 0;
	if (collect(s, &b)) {
		static char failed[] = "reading the maps failed: out of memory\n";

		mbuf_free(&b);
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain", failed,
			     strlen(failed), false);
	}
	s->last_len = b.len;
	return reply(c, MHD_HTTP_OK, CONTENT_TYPE, b.p, b.len, true);
}

/* Our own socket, so that a bind error is reported as what it is. */
static int open_listener(const char *listen_at, const struct sockaddr_storage *ss, socklen_t len)
{
	int one = 1, fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		pr_warn("serve: creating a socket: %s\n", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)ss, len) || listen(fd, 64)) {
		pr_warn("serve: listening on %s: %s\n", listen_at, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int serve_once(struct serve *s)
{
	struct mbuf b = { 0 };
	int err = collect(s, &b);

	if (!err && b.len && fwrite(b.p, 1, b.len, stdout) != b.len)
		err = -EIO;
	mbuf_free(&b);
	if (err)
		pr_warn("serve: %s\n", strerror(-err));
	return err ? 3 : 0;
}

/* The HTTP thread (libmicrohttpd's own, on epoll: the service's checks
 * may hold file descriptors above 1023, which select() refuses). */
static int http_start(struct serve *s, const char *listen_at)
{
	/* a large host's scrape allocates tens of megabytes: keep them in the
	 * heap between scrapes instead of faulting fresh pages in every time */
	mallopt(M_MMAP_THRESHOLD, 512 << 20);
	mallopt(M_TRIM_THRESHOLD, 1024 << 20);
	signal(SIGPIPE, SIG_IGN);
	/* A scrape sends its request at once: a connection idle for 5 s is
	 * closed, so that clients that connect and say nothing (64 of them
	 * blocked every scrape for 30 s) hold a slot briefly; one address
	 * holds at most a quarter of the slots. */
	s->d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
				handle, s, MHD_OPTION_LISTEN_SOCKET, s->fd,
				MHD_OPTION_CONNECTION_TIMEOUT, 5u, MHD_OPTION_CONNECTION_LIMIT,
				256u, MHD_OPTION_PER_IP_CONNECTION_LIMIT, 64u, MHD_OPTION_END);
	if (!s->d) {
		pr_warn("serve: starting the HTTP server on %s failed\n", listen_at);
		return -EIO;
	}
	pr_info("serve: metrics on http://%s/metrics\n", listen_at);
	return 0;
}

/* The exporter's state from its options; *fd the bound socket (not with
 * once). Returns an exit code. */
static int serve_prepare(const struct serve_cfg *c, struct serve **out)
{
	struct serve *s = calloc(1, sizeof(*s));
	struct sockaddr_storage ss;
	socklen_t len;

	*out = s;
	if (!s)
		return 3;
	s->fd = -1;
	s->window = c->window;
	/* an interface named twice would repeat its series */
	for (int i = 0; i < c->n_ifaces; i++) {
		bool dup = false;

		if (strlen(c->ifaces[i]) >= IF_NAMESIZE) {
			pr_warn("serve: --iface %s: an interface name has at most %d characters\n",
				c->ifaces[i], IF_NAMESIZE - 1);
			return 2;
		}
		for (int k = 0; k < s->n_ifaces; k++)
			dup |= !strcmp(s->ifaces[k], c->ifaces[i]);
		if (!dup)
			s->ifaces[s->n_ifaces++] = c->ifaces[i];
	}
	if (serve_parse_listen(c->listen, &ss, &len)) {
		pr_warn("serve: --listen %s: want ADDRESS:PORT, e.g. 127.0.0.1:9435 or [::1]:9435\n",
			c->listen);
		return 2;
	}
	if (c->once)
		return 0;
	s->fd = open_listener(c->listen, &ss, len);
	return s->fd < 0 ? 3 : 0;
}

void serve_stop(struct serve *s)
{
	if (!s)
		return;
	if (s->d)
		MHD_stop_daemon(s->d);
	if (s->fd >= 0)
		close(s->fd);
	for (int i = 0; i < s->n_hist; i++)
		imb_free(&s->hist[i]);
	tcache_free(&s->tc);
	free(s);
}

int serve_start(const struct serve_cfg *c, serve_hook hook, void *arg, struct serve **out)
{
	int ret = serve_prepare(c, out);

	if (!ret) {
		(*out)->hook = hook;
		(*out)->hook_arg = arg;
		ret = http_start(*out, c->listen) ? 3 : 0;
	}
	if (ret) {
		serve_stop(*out);
		*out = NULL;
	}
	return ret;
}

/* Serves until SIGINT or SIGTERM: those are blocked before the HTTP thread
 * starts (it inherits the mask), and this thread waits for them. */
int serve_run(const struct serve_cfg *c)
{
	struct serve *s;
	sigset_t set;
	int sig = 0, ret;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (c->once) {
		ret = serve_prepare(c, &s);
		if (!ret)
			ret = serve_once(s);
		serve_stop(s);
		return ret;
	}
	ret = serve_start(c, NULL, NULL, &s);
	if (ret)
		return ret;
	fprintf(stderr, "serve: metrics on http://%s/metrics\n", c->listen);
	sigwait(&set, &sig);
	pr_info("serve: signal %d, stopping\n", sig);
	serve_stop(s);
	return 0;
}
