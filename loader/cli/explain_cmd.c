// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * explain_cmd.c - `xdplb explain tcp|udp SRC:PORT DST:PORT [--syn]
 * [--payload N] [--iface IF] [--json]`: what the data path of IF does with
 * that packet (explain.c), without touching its counters or conntrack.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "bpffs.h"
#include "commands.h"
#include "render.h"
#include "status.h"
#include "explain.h"
#include "status.h"

struct explain_opts {
	const char *iface;
	bool json;
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
		fprintf(stderr, "explain: %s: not ADDR:PORT or [ADDR6]:PORT\n",
			!f1 ? pos[1] : pos[2]);
		return -1;
	}
	if (f1 != f2) {
		fprintf(stderr, "explain: source and destination must be of one family\n");
		return -1;
	}
	s->family = (__u8)f1;
	return 0;
}

static int parse(int argc, char **argv, struct explain_opts *o)
{
	static const struct option lo[] = {
		{ "iface", required_argument, NULL, 'i' },   { "syn", no_argument, NULL, 'S' },
		{ "payload", required_argument, NULL, 'p' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },	     { 0 }
	};
	unsigned long n;
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	o->json = cli_json();
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:Sp:jh", lo, NULL)) != -1) {
		switch (c) {
		case 'i':
			o->iface = optarg;
			break;
		case 'S':
			o->spec.syn = true;
			break;
		case 'p':
			n = strtoul(optarg, &end, 10);
			if (*end || n > FRAME_MAX_PAYLOAD) {
				fprintf(stderr, "explain: --payload: 0..%u bytes\n",
					FRAME_MAX_PAYLOAD);
				return -1;
			}
			o->spec.payload = (__u32)n;
			break;
		case 'j':
			o->json = true;
			break;
		default:
			return -1;
		}
	}
	if (argc - optind != 3 || parse_packet(argv + optind, &o->spec))
		return -1;
	if (o->spec.syn && o->spec.proto != IPPROTO_TCP)
		return -1;
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
		fprintf(stderr,
			"%s: no program attached: explaining with this binary's program and the pinned config\n",
			ifname);
	else if (r->tag_checked && !r->tag_same)
		fprintf(stderr,
			"%s: WARNING: the attached program differs from this binary's (tag %02x%02x%02x%02x... vs %02x%02x%02x%02x...): the live data path may do otherwise\n",
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
			fprintf(stderr, "%s: xdplb is not loaded\n", ifname);
		free(r);
		return err;
	}
	rq.live = &live;
	rq.live_prog_fd = live_prog(dir);
	err = explain_run(&rq, r);
	if (!err) {
		warn_tag(ifname, r, rq.live_prog_fd);
		if (o->json) {
			cJSON *j = explain_json(ifname, r);
			char *txt = cJSON_Print(j);

			if (txt)
				printf("%s\n", txt);
			free(txt);
			cJSON_Delete(j);
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

int do_explain(int argc, char **argv)
{
	char ifname[IF_NAMESIZE];
	struct explain_opts o;
	int err;

	if (parse(argc, argv, &o))
		return -2;
	if (cli_pick_iface(o.iface, ifname))
		return 1;
	err = explain_iface(ifname, &o);
	return !err ? 0 : err == -ENOENT ? 1 : err == -EINVAL ? 2 : 3;
}
