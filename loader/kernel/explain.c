// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * explain.c - one frame through a private instance of the xdplb program.
 *
 * Why not run the attached program: BPF_PROG_TEST_RUN on it would bump the
 * live counters and insert the flow into the live conntrack, so that
 * asking about a flow would change where it goes. Instead the program
 * embedded in this binary is loaded with the live config maps
 * (bpf_map__reuse_fd; the program only reads them) and fresh conntrack and
 * counter maps. Its tag is compared with the attached program's: when they
 * differ, the explanation is that of this binary's version.
 *
 * The table slot and flow hash come from bpf/xdplb_hash.h, the code the
 * data path runs, applied in userspace; the program is not changed to
 * report them. The private counters say what the program did (conntrack
 * hit or miss, drop reason), the private conntrack which backend it chose.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "xdplb.skel.h"

#include "addr.h"
#include "config.h"
#include "explain.h"
#include "log.h"
#include "names.h"
#include "xdplb_hash.h"

/* A sender MAC for the frame: locally administered, never a real NIC's. */
static const __u8 SENDER_MAC[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

/* The maps the private instance owns: what the program writes. */
static bool is_private(const struct xdplb_bpf *skel, const struct bpf_map *map)
{
	return map == skel->maps.conntrack || map == skel->maps.be_stats ||
	       map == skel->maps.vip_stats || map == skel->maps.global_stats ||
	       map == skel->maps.ctl;
}

/* The private ctl: the live one, as read once, with one conntrack bucket
 * per CPU (ct_bits 0) and the live hash key. */
static int private_ctl(struct xdplb_bpf *skel, const struct xdplb_ctl *live)
{
	struct xdplb_ctl c = *live;
	__u32 zero = 0;

	c.ct_bits = 0;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.ctl), &zero, &c, BPF_ANY)) {
		int err = -errno;

		pr_warn("explain: writing the private ctl map: %s\n", strerror(errno));
		return err;
	}
	return 0;
}

/* The embedded program over the live config maps and private state maps.
 * Backend counters only for the ids in use (be_span): the program skips
 * counters of ids beyond a map's size, and a full-size per-CPU array
 * would cost most of the run's time. */
static struct xdplb_bpf *load_private(const struct lb_maps *live, const struct xdplb_ctl *ctl)
{
	__u32 be_span = ctl->be_span < XDPLB_MAX_BACKENDS ? ctl->be_span : XDPLB_MAX_BACKENDS;
	struct xdplb_bpf *skel = xdplb_bpf__open();
	struct bpf_map *map, *lm = NULL;
	int err = 0;

	if (!skel) {
		pr_warn("explain: opening the embedded BPF object: %s\n", strerror(errno));
		return NULL;
	}
	/* every map not private is the live one; both objects are this
	 * binary's embedded one, so lm, the live object's map in the same
	 * place, is map's live counterpart */
	bpf_object__for_each_map(map, skel->obj)
	{
		lm = bpf_object__next_map(live->skel->obj, lm);
		if (map == skel->maps.conntrack) /* one bucket per CPU: private_ctl() */
			err = bpf_map__set_max_entries(map, ctl->ct_cpus ? ctl->ct_cpus : 1);
		else if (map == skel->maps.be_stats)
			err = bpf_map__set_max_entries(map, be_span ? be_span : 1);
		else if (!is_private(skel, map))
			err = bpf_map__reuse_fd(map, bpf_map__fd(lm));
		if (err) {
			pr_warn("explain: preparing the map %s (live or private): %s\n",
				bpf_map__name(map), strerror(-err));
			goto fail;
		}
	}
	err = xdplb_bpf__load(skel);
	if (err) {
		pr_warn("explain: loading the embedded BPF program: %s\n", strerror(-err));
		goto fail;
	}
	return skel;
fail:
	xdplb_bpf__destroy(skel);
	return NULL;
}

static int prog_tag(int fd, __u8 tag[8])
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	memcpy(tag, info.tag, 8);
	return 0;
}

/* The VIP entry of the active bank, as vip_lookup() in the program does it:
 * the exact port, then the port-less entry. */
static void find_vip(const struct lb_maps *live, const struct xdplb_ctl *ctl,
		     const struct xdplb_flow_key *k, struct explain_result *r)
{
	struct xdplb_vip_key vk = {
		.addr = k->dst, .port = k->dport, .proto = k->proto, .family = k->family
	};
	const struct xdplb_global_cfg *g = &ctl->bank[r->active_bank];
	struct xdplb_vip_val v;

	for (int pass = 0; pass < 2 && !r->vip_found; pass++) {
		if (pass && (!(g->flags & XDPLB_G_F_PORTLESS) || !vk.port))
			break;
		if (pass)
			vk.port = 0;
		if (bpf_map_lookup_elem(LB_FD(live, vips), &vk, &v) ||
		    !(v.bank[r->active_bank].flags & XDPLB_VIP_F_PRESENT))
			continue;
		r->vip_found = true;
		r->vip_key = vk;
		r->vip_id = v.bank[r->active_bank].vip_id;
		r->table_size = v.bank[r->active_bank].table_size;
		r->vip_flags = v.bank[r->active_bank].flags;
		bpf_map_lookup_elem(LB_FD(live, vip_names), &r->vip_id, &r->vip_name);
	}
}

/* Hash, slot, and the backend id in that slot of the live table. */
static void find_slot(const struct lb_maps *live, const struct xdplb_ctl *ctl,
		      const struct xdplb_flow_key *k, struct explain_result *r)
{
	__u32 outer = xdplb_table_slot(r->active_bank, r->vip_id), id, half;
	struct xdplb_slot_pair pair;
	int fd;

	if (!r->vip_found || !r->table_size)
		return;
	r->hash = xdplb_vip_hash(k, ctl->bank[r->active_bank].hash_seed, r->vip_flags);
	r->slot = r->hash % r->table_size;
	if (bpf_map_lookup_elem(LB_FD(live, tables), &outer, &id))
		return;
	fd = bpf_map_get_fd_by_id(id);
	if (fd < 0)
		return;
	half = r->slot / 2;
	if (!bpf_map_lookup_elem(fd, &half, &pair)) {
		r->slot_backend = pair.id[r->slot & 1];
		r->have_slot = true;
		bpf_map_lookup_elem(LB_FD(live, be_names), &r->slot_backend, &r->slot_name);
	}
	close(fd);
}

/* What the private counters and conntrack say the program did. */
static void read_outcome(struct xdplb_bpf *skel, const struct lb_maps *live,
			 const struct xdplb_ctl *ctl, const struct xdplb_flow_key *k,
			 struct explain_result *r)
{
	int gfd = bpf_map__fd(skel->maps.global_stats);
	struct xdplb_ctl own = *ctl;
	struct xdplb_vip_stats vs;
	struct flow_entry ct;
	__u64 n;

	r->drop_reason = -1;
	for (__u32 i = 0; i < XDPLB_DROP_MAX; i++)
		if (!maps_sum_percpu(gfd, XDPLB_CNT_DROP_BASE + i, &n, 1) && n)
			r->drop_reason = (int)i;
	r->reply = -1;
	for (__u32 i = 0; i < XDPLB_REPLY_MAX; i++)
		if (!maps_sum_percpu(gfd, XDPLB_CNT_REPLY_BASE + i, &n, 1) && n)
			r->reply = (int)i;
	/* a miss may end without a backend (no_backend): counted all the same */
	if (r->vip_found && !maps_sum_percpu(bpf_map__fd(skel->maps.vip_stats), r->vip_id,
					     (__u64 *)&vs, sizeof(vs) / sizeof(__u64))) {
		r->ct_hit = vs.ct_hits > 0;
		r->ct_miss = vs.ct_misses > 0;
		r->new_flow = vs.new_flows > 0;
	}
	own.ct_bits = 0; /* private_ctl() */
	if (flows_find(bpf_map__fd(skel->maps.conntrack), &own, k, &ct, 1) < 1) {
		/* a new flow dropped (or answered with an ICMP error) after
		 * the pick, too big, is not remembered: the table slot names
		 * the backend it went to */
		if (!r->ct_miss || !r->have_slot || (r->drop_reason < 0 && r->reply < 0))
			return; /* passed before conntrack, or no backend at all */
		ct.backend_id = r->slot_backend;
	}
	r->have_backend = true;
	r->backend_id = ct.backend_id;
	bpf_map_lookup_elem(LB_FD(live, backends), &ct.backend_id, &r->be);
	bpf_map_lookup_elem(LB_FD(live, be_names), &ct.backend_id, &r->be_name);
}

static int test_run(struct xdplb_bpf *skel, struct explain_result *r)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = r->in, .data_size_in = (__u32)r->in_len,
		    .data_out = r->out, .data_size_out = sizeof(r->out), .repeat = 1);

	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xdplb_lb), &o)) {
		int err = -errno;

		pr_warn("explain: BPF_PROG_TEST_RUN of a %zu-byte frame: %s\n", r->in_len,
			strerror(errno));
		return err;
	}
	r->action = (int)o.retval;
	r->out_len = o.data_size_out;
	return 0;
}

/* Copies the flow's live conntrack entry (the first CPU's that keeps it)
 * into every CPU's bucket of the private table, so that a hit is
 * reproduced on whichever CPU the test run takes. */
static int copy_ct(struct xdplb_bpf *skel, const struct lb_maps *live, const struct xdplb_ctl *ctl,
		   const struct xdplb_flow_key *k, struct explain_result *r)
{
	struct flow_entry e[XDPLB_CT_MAX_CPUS];
	struct xdplb_ctl own = *ctl;
	int n = flows_find(LB_FD(live, conntrack), ctl, k, e, XDPLB_CT_MAX_CPUS), err = 0;

	if (n <= 0)
		return n;
	r->ct_live = true;
	r->ct_val = e[0];
	r->ct_cpus = n;
	bpf_map_lookup_elem(LB_FD(live, be_names), &r->ct_val.backend_id, &r->ct_name);
	own.ct_bits = 0; /* private_ctl() */
	for (__u32 cpu = 0; !err && cpu < own.ct_cpus; cpu++) {
		struct flow_entry x = e[0];

		x.cpu = cpu;
		err = flows_put(bpf_map__fd(skel->maps.conntrack), &own, k, &x);
	}
	return err;
}

static void check_tag(struct xdplb_bpf *skel, int live_prog_fd, struct explain_result *r)
{
	if (prog_tag(bpf_program__fd(skel->progs.xdplb_lb), r->own_tag) || live_prog_fd < 0 ||
	    prog_tag(live_prog_fd, r->live_tag))
		return;
	r->tag_checked = true;
	r->tag_same = !memcmp(r->live_tag, r->own_tag, 8);
}

int explain_run(const struct explain_req *rq, struct explain_result *r)
{
	struct xdplb_flow_key k = frame_flow_key(&rq->spec);
	struct xdplb_bpf *skel;
	struct xdplb_ctl ctl;
	__u32 zero = 0;
	int err;

	memset(r, 0, sizeof(*r));
	r->spec = rq->spec;
	if (bpf_map_lookup_elem(LB_FD(rq->live, ctl), &zero, &ctl)) {
		err = -errno;
		pr_warn("explain: reading the live ctl map: %s\n", strerror(errno));
		return err;
	}
	r->active_bank = xdplb_active_bank(&ctl);
	r->generation = ctl.bank[r->active_bank].generation;
	r->mtu = ctl.bank[r->active_bank].mtu;
	if (!memcmp(r->spec.dst_mac, (__u8[6]){ 0 }, 6))
		memcpy(r->spec.dst_mac, ctl.bank[r->active_bank].if_mac, 6);
	if (!memcmp(r->spec.src_mac, (__u8[6]){ 0 }, 6))
		memcpy(r->spec.src_mac, SENDER_MAC, 6);
	r->in_len = frame_build(&r->spec, r->in, sizeof(r->in));
	if (!r->in_len) {
		pr_warn("explain: cannot build that frame (payload up to %u bytes)\n",
			FRAME_MAX_PAYLOAD);
		return -EINVAL;
	}
	skel = load_private(rq->live, &ctl);
	if (!skel)
		return -EIO;
	check_tag(skel, rq->live_prog_fd, r);
	err = private_ctl(skel, &ctl);
	if (!err)
		err = copy_ct(skel, rq->live, &ctl, &k, r);
	if (!err)
		err = test_run(skel, r);
	if (!err) {
		find_vip(rq->live, &ctl, &k, r);
		find_slot(rq->live, &ctl, &k, r);
		read_outcome(skel, rq->live, &ctl, &k, r);
		if (r->action == XDP_TX)
			frame_decode(r->out, r->out_len, &r->outer);
	}
	xdplb_bpf__destroy(skel);
	return err;
}
