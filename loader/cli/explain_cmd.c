// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * explain_cmd.c - `xdplb explain`: what the data path of an interface does
 * with one packet (kernel/explain.c), without touching its counters or
 * conntrack.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "bpffs.h"
#include "cli.h"
#include "log.h"
#include "render.h"
#include "status.h"
#include "explain.h"
#include "status.h"

struct explain_opts {
	const char *iface;
	bool syn;
	unsigned long long payload;
	struct frame_spec spec;
};

static int parse_packet(char **pos, struct frame_spec *s)
{
	int f1, f2;

	if (!strcmp(pos[0], "tcp"))
		s->proto = IPPROTO_TCP;
	else if (!strcmp(pos[0], "udp"))
		s->proto = IPPROTO_UDP;
	else
		return -1;
	f1 = frame_parse_endpoint(pos[1], &s->src, &s->sport);
	f2 = frame_parse_endpoint(pos[2], &s->dst, &s->dport);
	if (!f1 || !f2) {
		pr_warn("explain: %s: not ADDR:PORT or [ADDR6]:PORT\n", !f1 ? pos[1] : pos[2]);
		return -1;
	}
	if (f1 != f2) {
		pr_warn("explain: source and destination must be of one family\n");
		return -1;
	}
	s->family = (__u8)f1;
	return 0;
}

/* The program the pinned link runs, or -1 (detached: nothing to compare). */
static int live_prog(const char *dir)
{
	struct bpf_link_info li = {};
	__u32 len = sizeof(li);
	char path[600];
	int fd, pfd = -1;

	snprintf(path, sizeof(path), "%s/link", dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -1;
	if (!bpf_obj_get_info_by_fd(fd, &li, &len))
		pfd = bpf_prog_get_fd_by_id(li.prog_id);
	close(fd);
	return pfd;
}

static void warn_tag(const char *ifname, const struct explain_result *r, int prog_fd)
{
	if (prog_fd < 0)
		pr_warn("%s: no program attached: explaining with this binary's program and the pinned config\n",
			ifname);
	else if (r->tag_checked && !r->tag_same)
		pr_warn("%s: WARNING: the attached program differs from this binary's (tag %02x%02x%02x%02x... vs %02x%02x%02x%02x...): the live data path may do otherwise\n",
			ifname, r->live_tag[0], r->live_tag[1], r->live_tag[2], r->live_tag[3],
			r->own_tag[0], r->own_tag[1], r->own_tag[2], r->own_tag[3]);
}

static int explain_iface(const char *ifname, const struct explain_opts *o)
{
	struct explain_req rq = { .spec = o->spec, .live_prog_fd = -1 };
	struct explain_result *r = malloc(sizeof(*r));
	struct lb_maps live;
	char dir[512];
	int err;

	if (!r)
		return -ENOMEM;
	err = pin_dir(ifname, 0, dir, sizeof(dir));
	if (!err)
		err = maps_open_pinned(dir, &live);
	if (err) {
		if (err == -ENOENT)
			pr_warn("%s: xdplb is not loaded\n", ifname);
		free(r);
		return err;
	}
	rq.live = &live;
	rq.live_prog_fd = live_prog(dir);
	err = explain_run(&rq, r);
	if (!err) {
		warn_tag(ifname, r, rq.live_prog_fd);
		if (cli_json()) {
			print_json(explain_json(ifname, r));
		} else {
			explain_print(stdout, ifname, r);
		}
	}
	if (rq.live_prog_fd >= 0)
		close(rq.live_prog_fd);
	maps_close(&live);
	free(r);
	return err;
}

static int run_explain(void *args, int argc, char **argv)
{
	struct explain_opts *o = args;
	char ifname[IF_NAMESIZE];
	int err;

	if (parse_packet(argv, &o->spec))
		return -1;
	o->spec.syn = o->syn;
	o->spec.payload = (__u32)o->payload;
	if (o->syn && o->spec.proto != IPPROTO_TCP) {
		pr_warn("xdplb explain: --syn is for tcp\n");
		return -1;
	}
	if (cli_pick_iface(o->iface, ifname))
		return EXIT_INVALID;
	err = explain_iface(ifname, o);
	return !err	      ? EXIT_OK :
	       err == -ENOENT ? EXIT_INVALID :
	       err == -EINVAL ? EXIT_USAGE :
				EXIT_SYSTEM;
}

static const struct cli_opt explain_opts[] = {
	OPT_IFACE_READ(struct explain_opts, iface),
	OPT("syn", 'S', OPT_FLAG, NULL, "a TCP SYN (a new connection) instead of an ACK",
	    offsetof(struct explain_opts, syn)),
	OPT("payload", 'p', OPT_UINT, "N", "bytes of payload (0 to 3000; default 0)",
	    offsetof(struct explain_opts, payload), .min = 0, .max = FRAME_MAX_PAYLOAD),
	OPT_END,
};

const struct cli_cmd cmd_explain = {
	.name = "explain",
	.args = "tcp|udp SRC:PORT DST:PORT",
	.min_args = 3,
	.max_args = 3,
	.summary = "what the live data path does with one packet, without touching it",
	.description =
		"Builds the frame (IPv6 endpoints as [ADDR]:PORT) and runs it through this\n"
		"binary's program, loaded with the interface's pinned config maps and private\n"
		"conntrack and counters (the flow's live conntrack entry copied in), with\n"
		"BPF_PROG_TEST_RUN: the VIP it matched, conntrack hit or miss, the flow hash and\n"
		"Maglev slot, the backend, the XDP action, the drop reason, and the frame it\n"
		"would send, decoded. Nothing live changes. Exit 0 explained (whatever the\n"
		"action), 1 not loaded, 2 usage (a bad endpoint, mixed families), 3 system error.\n",
	.opts = explain_opts,
	.args_size = sizeof(struct explain_opts),
	.run = run_explain,
};
