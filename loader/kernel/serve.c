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
#include "decap.h"
#include "gzip.h"
#include "metrics.h"
#include "serve.h"
#include "serve_req.h"
#include "status.h"
#include "mono.h"

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

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
	size_t last_len; /* of the last exposition: the next one's first guess */
};

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

/* The slots of each backend, as the commit published them in be_slots (the
 * exporter opens no table: that would need CAP_SYS_ADMIN, docs/security.md),
 * and whether the last load is completely live (docs/metrics.md). */
static void count_tables(struct lb_live *st, struct metrics_if *mi)
{
	mi->tables_unread = !(st->parts & LIVE_PUB_SLOTS);
	for (__u32 v = 0; v < st->n_vips; v++)
		for (__u32 k = 0; k < st->vips[v].n_be; k++)
			st->vips[v].be[k].slots = st->vips[v].be[k].pub_slots;
	mi->load_ok = banks_equal(st) && metrics_tables_consistent(st) && st->attached;
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

/* The decap programs of this namespace (on a backend that runs serve). */
static void collect_decap(struct mbuf *b)
{
	char names[SERVE_MAX_IFACES][IF_NAMESIZE];
	struct metrics_decap d[SERVE_MAX_IFACES];
	int n = status_list_decap(names, SERVE_MAX_IFACES), k = 0;

	for (int i = 0; i < n; i++) {
		int err = lb_decap_counters(names[i], d[k].c);

		if (err) {
			pr_warn("%s: reading the decap counters: %s\n", names[i], strerror(-err));
			continue;
		}
		d[k++].ifname = names[i];
	}
	metrics_write_decap(b, d, (size_t)k);
}

/* One exposition of every interface into b. */
static int collect(struct serve *s, struct mbuf *b)
{
	char names[SERVE_MAX_IFACES][IF_NAMESIZE];
	struct lb_live st[SERVE_MAX_IFACES];
	struct metrics_if mi[SERVE_MAX_IFACES] = { 0 };
	double t0 = mono_now(), *imb[SERVE_MAX_IFACES] = { 0 };
	int n;

	if (s->n_ifaces) {
		n = s->n_ifaces;
		for (int i = 0; i < n; i++)
			snprintf(names[i], IF_NAMESIZE, "%s", s->ifaces[i]);
	} else {
		n = status_list(names, SERVE_MAX_IFACES);
	}
	for (int i = 0; i < n; i++) {
		int err = status_read(names[i],
				      LIVE_LINK | LIVE_COUNTERS | LIVE_TABLE_IDS | LIVE_PUB_SLOTS |
					      LIVE_FLOWS,
				      &st[i]);

		mi[i].ifname = names[i];
		if (err) {
			if (err != -ENOENT)
				pr_warn("%s: reading the pinned maps: %s\n", names[i],
					strerror(-err));
			mi[i].read_error = err != -ENOENT;
			live_free(&st[i]);
			continue;
		}
		mi[i].st = &st[i];
		count_tables(&st[i], &mi[i]);
	}
	for (int i = 0; i < n; i++) {
		struct imb_hist *h = hist_of(s, names[i]);
		double now = mono_now();

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
	hist_sweep(s, mi, n);
	metrics_write(b, mi, (size_t)n, mono_now() - t0);
	collect_decap(b);
	if (s->hook)
		s->hook(b, s->hook_arg);
	for (int i = 0; i < n; i++) {
		free(imb[i]);
		if (mi[i].st)
			live_free(&st[i]);
	}
	return b->oom ? -ENOMEM : 0;
}

/* Content-Encoding of a reply: none, or gzip (the /metrics body of a
 * client that accepts it). */
enum { ENC_NONE, ENC_GZIP };

static enum MHD_Result reply_enc(struct MHD_Connection *c, unsigned int code, const char *type,
				 char *body, size_t len, bool must_free, int enc);

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int code, const char *type,
			     char *body, size_t len, bool must_free)
{
	return reply_enc(c, code, type, body, len, must_free, ENC_NONE);
}

static enum MHD_Result reply_enc(struct MHD_Connection *c, unsigned int code, const char *type,
				 char *body, size_t len, bool must_free, int enc)
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
	if (enc == ENC_GZIP)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	if (code == MHD_HTTP_OK && !strcmp(type, CONTENT_TYPE))
		MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

/* The exposition, gzip'ed at the fastest level when the client accepts it
 * (Prometheus does): a 54 MB scrape becomes a few MB on the wire; as it
 * is when compressing fails. */
static enum MHD_Result reply_metrics(struct MHD_Connection *c, struct mbuf *b)
{
	const char *ae =
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	size_t zlen;
	char *z;

	if (gzip_accepted(ae) && !gzip_compress(b->p, b->len, 1, &z, &zlen)) {
		mbuf_free(b);
		return reply_enc(c, MHD_HTTP_OK, CONTENT_TYPE, z, zlen, true, ENC_GZIP);
	}
	return reply(c, MHD_HTTP_OK, CONTENT_TYPE, b->p, b->len, true);
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
	return reply_metrics(c, &b);
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
	if (listen_at[0] == ':') { /* every address: IPv4 too, whatever bindv6only says */
		int zero = 0;

		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	}
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
		pr_warn("serve: --listen %s: want ADDRESS:PORT, [ADDRESS]:PORT or :PORT, e.g. 127.0.0.1:9435, [::1]:9435, :9435\n",
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
