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
#include "../bpf/xdplb_hash.h"

/* A sender MAC for the frame: locally administered, never a real NIC's. */
static const __u8 SENDER_MAC[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

static bool is_private(int i)
{
	return i == M_CONNTRACK || i == M_BE_STATS || i == M_VIP_STATS || i == M_GLOBAL_STATS;
}

/* The embedded program over the live config maps and private state maps.
 * Backend counters only for the ids in use (be_span): the program skips
 * counters of ids beyond a map's size, and a full-size per-CPU array
 * would cost most of the run's time. */
static struct xdplb_bpf *load_private(const struct lb_maps *live, __u32 be_span)
{
	struct xdplb_bpf *skel = xdplb_bpf__open();
	int err;

	if (!skel) {
		pr_warn("explain: opening the embedded BPF object: %s\n", strerror(errno));
		return NULL;
	}
	for (int i = 0; i < M_COUNT; i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(skel->obj, lb_map_names[i]);

		if (!map) {
			pr_warn("explain: the embedded BPF object has no map %s\n",
				lb_map_names[i]);
			goto fail;
		}
		if (i == M_CONNTRACK)
			err = bpf_map__set_max_entries(map, EXPLAIN_CT_SIZE);
		else if (i == M_BE_STATS)
			err = bpf_map__set_max_entries(map, be_span ? be_span : 1);
		else if (is_private(i))
			continue;
		else
			err = bpf_map__reuse_fd(map, live->fd[i]);
		if (err) {
			pr_warn("explain: preparing the map %s (live or private): %s\n",
				lb_map_names[i], strerror(-err));
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
		if (bpf_map_lookup_elem(live->fd[M_VIPS], &vk, &v) ||
		    !(v.bank[r->active_bank].flags & XDPLB_VIP_F_PRESENT))
			continue;
		r->vip_found = true;
		r->vip_key = vk;
		r->vip_id = v.bank[r->active_bank].vip_id;
		r->table_size = v.bank[r->active_bank].table_size;
		bpf_map_lookup_elem(live->fd[M_VIP_NAMES], &r->vip_id, &r->vip_name);
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
	r->hash = xdplb_flow_hash(k, ctl->bank[r->active_bank].hash_seed);
	r->slot = r->hash % r->table_size;
	if (bpf_map_lookup_elem(live->fd[M_TABLES], &outer, &id))
		return;
	fd = bpf_map_get_fd_by_id(id);
	if (fd < 0)
		return;
	half = r->slot / 2;
	if (!bpf_map_lookup_elem(fd, &half, &pair)) {
		r->slot_backend = pair.id[r->slot & 1];
		r->have_slot = true;
		bpf_map_lookup_elem(live->fd[M_BE_NAMES], &r->slot_backend, &r->slot_name);
	}
	close(fd);
}

/* What the private counters and conntrack say the program did. */
static void read_outcome(struct xdplb_bpf *skel, const struct lb_maps *live,
			 const struct xdplb_flow_key *k, struct explain_result *r)
{
	int gfd = bpf_map__fd(skel->maps.global_stats);
	struct xdplb_flow_val ct;
	struct xdplb_vip_stats vs;
	__u64 n;

	r->drop_reason = -1;
	for (__u32 i = 0; i < XDPLB_DROP_MAX; i++)
		if (!maps_sum_percpu(gfd, XDPLB_CNT_DROP_BASE + i, &n, 1) && n)
			r->drop_reason = (int)i;
	/* a miss may end without a backend (no_backend): counted all the same */
	if (r->vip_found && !maps_sum_percpu(bpf_map__fd(skel->maps.vip_stats), r->vip_id,
					     (__u64 *)&vs, sizeof(vs) / sizeof(__u64))) {
		r->ct_hit = vs.ct_hits > 0;
		r->ct_miss = vs.ct_misses > 0;
		r->new_flow = vs.new_flows > 0;
	}
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.conntrack), k, &ct)) {
		/* a new flow dropped after the pick (too big) is not
		 * remembered: the table slot names the backend it went to */
		if (!r->ct_miss || !r->have_slot || r->drop_reason < 0)
			return; /* passed before conntrack, or no backend at all */
		ct.backend_id = r->slot_backend;
	}
	r->have_backend = true;
	r->backend_id = ct.backend_id;
	bpf_map_lookup_elem(live->fd[M_BACKENDS], &ct.backend_id, &r->be);
	bpf_map_lookup_elem(live->fd[M_BE_NAMES], &ct.backend_id, &r->be_name);
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

/* Copies the flow's live conntrack entry, so that a hit is reproduced. A
 * lookup from the syscall does not mark an LRU entry as used (the kernel's
 * htab_lru_map_lookup_elem_sys, since 5.1): the live LRU order is kept. */
static int copy_ct(struct xdplb_bpf *skel, const struct lb_maps *live,
		   const struct xdplb_flow_key *k, struct explain_result *r)
{
	if (bpf_map_lookup_elem(live->fd[M_CONNTRACK], k, &r->ct_val))
		return 0;
	r->ct_live = true;
	bpf_map_lookup_elem(live->fd[M_BE_NAMES], &r->ct_val.backend_id, &r->ct_name);
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.conntrack), k, &r->ct_val, BPF_ANY)) {
		int err = -errno;

		pr_warn("explain: copying the flow's conntrack entry: %s\n", strerror(errno));
		return err;
	}
	return 0;
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
	if (bpf_map_lookup_elem(rq->live->fd[M_CTL], &zero, &ctl)) {
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
	skel = load_private(rq->live,
			    ctl.be_span < XDPLB_MAX_BACKENDS ? ctl.be_span : XDPLB_MAX_BACKENDS);
	if (!skel)
		return -EIO;
	check_tag(skel, rq->live_prog_fd, r);
	err = copy_ct(skel, rq->live, &k, r);
	if (!err)
		err = test_run(skel, r);
	if (!err) {
		find_vip(rq->live, &ctl, &k, r);
		find_slot(rq->live, &ctl, &k, r);
		read_outcome(skel, rq->live, &k, r);
		if (r->action == XDP_TX)
			frame_decode(r->out, r->out_len, &r->outer);
	}
	xdplb_bpf__destroy(skel);
	return err;
}

/* ------------------------------------------------------------- output */

static const char *endpoint(const struct xdplb_addr *a, int family, __u16 port, char *buf,
			    size_t len)
{
	char s[ADDR_STRLEN];

	addr_str(a, family, s);
	snprintf(buf, len, family == XDPLB_AF_INET6 ? "[%s]:%u" : "%s:%u", s, port);
	return buf;
}

static const char *tag_str(const __u8 t[8], char *buf)
{
	for (int i = 0; i < 8; i++)
		sprintf(buf + 2 * i, "%02x", t[i]);
	return buf;
}

static const char *ip_proto_str(__u8 p)
{
	return p == IPPROTO_IPIP ? "IPIP" : p == IPPROTO_IPV6 ? "IPv6" : proto_str(p);
}

/* "IPv4 192.0.2.1 > 198.51.100.11 IPIP ttl 64 len 60 DF checksum ok" */
static void print_ip(FILE *f, const struct frame_ip *ip)
{
	char s[ADDR_STRLEN], d[ADDR_STRLEN];

	fprintf(f, "%s %s > %s %s %s %u %s %u", ip->family == XDPLB_AF_INET ? "IPv4" : "IPv6",
		addr_str(&ip->src, ip->family, s), addr_str(&ip->dst, ip->family, d),
		ip_proto_str(ip->proto), ip->family == XDPLB_AF_INET ? "ttl" : "hop limit", ip->ttl,
		ip->family == XDPLB_AF_INET ? "len" : "payload", ip->len);
	if (ip->family == XDPLB_AF_INET)
		fprintf(f, "%s, checksum %s", ip->df ? " DF" : "", ip->csum_ok ? "ok" : "BAD");
	else
		fprintf(f, " flow label 0x%05x", ip->flow_label);
}

static void print_vip(FILE *f, const struct explain_result *r)
{
	char a[ADDR_STRLEN + 16];

	if (!r->vip_found) {
		fprintf(f, "  vip        none: %s/%s is not a VIP\n",
			endpoint(&r->spec.dst, r->spec.family, r->spec.dport, a, sizeof(a)),
			proto_str(r->spec.proto));
		return;
	}
	fprintf(f, "  vip        %s %s/%s%s (id %u, table %u)\n", r->vip_name.s,
		endpoint(&r->vip_key.addr, r->vip_key.family, ntohs(r->vip_key.port), a, sizeof(a)),
		proto_str(r->vip_key.proto), r->vip_key.port ? "" : " (every port)", r->vip_id,
		r->table_size);
}

static void print_ct(FILE *f, const struct explain_result *r)
{
	if (r->ct_hit)
		fprintf(f, "  conntrack  hit: the flow's entry points at %s (id %u)\n",
			r->ct_name.s, r->ct_val.backend_id);
	else if (r->ct_miss && r->ct_live)
		fprintf(f,
			"  conntrack  miss: the live entry (%s, id %u) no longer takes this packet (backend gone, down, or draining and this is a SYN)\n",
			r->ct_name.s, r->ct_val.backend_id);
	else if (r->ct_miss)
		fprintf(f, "  conntrack  miss: a new flow\n");
	else
		fprintf(f, "  conntrack  not consulted\n");
}

static void print_backend(FILE *f, const struct explain_result *r)
{
	char a[ADDR_STRLEN];

	if (r->have_slot)
		fprintf(f, "  maglev     hash 0x%08x, slot %u of %u -> %s (id %u)%s\n", r->hash,
			r->slot, r->table_size, r->slot_name.s, r->slot_backend,
			r->ct_hit ? " (not used: conntrack hit)" : "");
	if (!r->have_backend)
		return;
	fprintf(f, "  backend    %s %s (id %u, %s)%s\n", r->be_name.s,
		addr_str(&r->be.addr, r->be.family, a), r->backend_id,
		state_str(r->be.state[r->active_bank]),
		r->new_flow ? ", new flow: conntrack remembers it" : "");
}

void explain_print(FILE *f, const char *ifname, const struct explain_result *r)
{
	char s[ADDR_STRLEN + 16], d[ADDR_STRLEN + 16], m1[18], m2[18];

	fprintf(f, "%s %s > %s%s, %u bytes of payload, %zu-byte frame, on %s (generation %u)\n",
		proto_str(r->spec.proto),
		endpoint(&r->spec.src, r->spec.family, r->spec.sport, s, sizeof(s)),
		endpoint(&r->spec.dst, r->spec.family, r->spec.dport, d, sizeof(d)),
		r->spec.proto == IPPROTO_TCP ? (r->spec.syn ? " SYN" : " ACK") : "",
		r->spec.payload, r->in_len, ifname, r->generation);
	print_vip(f, r);
	if (r->vip_found || r->have_backend)
		print_ct(f, r);
	print_backend(f, r);
	fprintf(f, "  action     %s", xdp_action_str(r->action));
	if (r->drop_reason >= 0)
		fprintf(f, ": dropped, %s (%s)", drop_reason_names[r->drop_reason],
			drop_reason_help[r->drop_reason]);
	if (r->drop_reason == XDPLB_DROP_TOO_BIG && r->have_backend)
		fprintf(f, ": %zu + %u bytes of outer header > mtu %u", r->in_len - FRAME_ETH_LEN,
			r->be.family == XDPLB_AF_INET ? XDPLB_IPV4_HDR_LEN : XDPLB_IPV6_HDR_LEN,
			r->mtu);
	else if (r->action == XDP_PASS)
		fprintf(f, ": to the kernel's stack, untouched");
	fprintf(f, "\n");
	if (r->action == XDP_TX && r->outer.outer.family) {
		fprintf(f, "  sent       %s > %s, ", mac_str(r->outer.src_mac, m1),
			mac_str(r->outer.dst_mac, m2));
		print_ip(f, &r->outer.outer);
		fprintf(f, ", %zu bytes\n", r->out_len);
		if (r->outer.inner.family) {
			fprintf(f, "  inside     ");
			print_ip(f, &r->outer.inner);
			fprintf(f, "\n");
		}
	}
}

static cJSON *ip_json(const struct frame_ip *ip)
{
	cJSON *o = cJSON_CreateObject();
	char a[ADDR_STRLEN];

	cJSON_AddNumberToObject(o, "family", ip->family);
	cJSON_AddStringToObject(o, "source", addr_str(&ip->src, ip->family, a));
	cJSON_AddStringToObject(o, "destination", addr_str(&ip->dst, ip->family, a));
	cJSON_AddNumberToObject(o, "protocol", ip->proto);
	cJSON_AddNumberToObject(o, "ttl", ip->ttl);
	cJSON_AddNumberToObject(o, "tos", ip->tos);
	cJSON_AddNumberToObject(o, "length", ip->len);
	if (ip->family == XDPLB_AF_INET) {
		cJSON_AddBoolToObject(o, "df", ip->df);
		cJSON_AddBoolToObject(o, "checksum_ok", ip->csum_ok);
	} else {
		cJSON_AddNumberToObject(o, "flow_label", ip->flow_label);
	}
	return o;
}

static void add_frame(cJSON *o, const struct explain_result *r)
{
	cJSON *j = cJSON_AddObjectToObject(o, "frame");
	char a[ADDR_STRLEN + 16];

	cJSON_AddStringToObject(j, "protocol", proto_str(r->spec.proto));
	cJSON_AddStringToObject(
		j, "source", endpoint(&r->spec.src, r->spec.family, r->spec.sport, a, sizeof(a)));
	cJSON_AddStringToObject(j, "destination",
				endpoint(&r->spec.dst, r->spec.family, r->spec.dport, a,
					 sizeof(a)));
	cJSON_AddBoolToObject(j, "syn", r->spec.syn);
	cJSON_AddNumberToObject(j, "payload", r->spec.payload);
	cJSON_AddNumberToObject(j, "length", (double)r->in_len);
}

static void add_vip(cJSON *o, const struct explain_result *r)
{
	cJSON *j;
	char a[ADDR_STRLEN];

	if (!r->vip_found) {
		cJSON_AddNullToObject(o, "vip");
		return;
	}
	j = cJSON_AddObjectToObject(o, "vip");
	cJSON_AddStringToObject(j, "name", r->vip_name.s);
	cJSON_AddNumberToObject(j, "id", r->vip_id);
	cJSON_AddStringToObject(j, "address", addr_str(&r->vip_key.addr, r->vip_key.family, a));
	cJSON_AddNumberToObject(j, "port", ntohs(r->vip_key.port));
	cJSON_AddStringToObject(j, "protocol", proto_str(r->vip_key.proto));
	cJSON_AddNumberToObject(j, "table_size", r->table_size);
}

static void add_choice(cJSON *o, const struct explain_result *r)
{
	cJSON *j = cJSON_AddObjectToObject(o, "conntrack");
	char a[ADDR_STRLEN];

	cJSON_AddBoolToObject(j, "live_entry", r->ct_live);
	cJSON_AddStringToObject(j, "result", r->ct_hit ? "hit" : r->ct_miss ? "miss" : "none");
	if (r->have_slot) {
		j = cJSON_AddObjectToObject(o, "maglev");
		cJSON_AddNumberToObject(j, "hash", r->hash);
		cJSON_AddNumberToObject(j, "slot", r->slot);
		cJSON_AddNumberToObject(j, "table_size", r->table_size);
		cJSON_AddNumberToObject(j, "backend_id", r->slot_backend);
		cJSON_AddStringToObject(j, "backend", r->slot_name.s);
	} else {
		cJSON_AddNullToObject(o, "maglev");
	}
	if (!r->have_backend) {
		cJSON_AddNullToObject(o, "backend");
		return;
	}
	j = cJSON_AddObjectToObject(o, "backend");
	cJSON_AddStringToObject(j, "name", r->be_name.s);
	cJSON_AddNumberToObject(j, "id", r->backend_id);
	cJSON_AddStringToObject(j, "address", addr_str(&r->be.addr, r->be.family, a));
	cJSON_AddStringToObject(j, "state", state_str(r->be.state[r->active_bank]));
	cJSON_AddBoolToObject(j, "new_flow", r->new_flow);
}

cJSON *explain_json(const char *ifname, const struct explain_result *r)
{
	cJSON *o = cJSON_CreateObject(), *j;
	char t[17], m[18];

	cJSON_AddStringToObject(o, "interface", ifname);
	cJSON_AddNumberToObject(o, "generation", r->generation);
	add_frame(o, r);
	add_vip(o, r);
	add_choice(o, r);
	cJSON_AddStringToObject(o, "action", xdp_action_str(r->action));
	if (r->drop_reason >= 0)
		cJSON_AddStringToObject(o, "drop_reason", drop_reason_names[r->drop_reason]);
	else
		cJSON_AddNullToObject(o, "drop_reason");
	if (r->action == XDP_TX && r->outer.outer.family) {
		j = cJSON_AddObjectToObject(o, "sent");
		cJSON_AddStringToObject(j, "source_mac", mac_str(r->outer.src_mac, m));
		cJSON_AddStringToObject(j, "destination_mac", mac_str(r->outer.dst_mac, m));
		cJSON_AddNumberToObject(j, "length", (double)r->out_len);
		cJSON_AddItemToObject(j, "outer", ip_json(&r->outer.outer));
		if (r->outer.inner.family)
			cJSON_AddItemToObject(j, "inner", ip_json(&r->outer.inner));
	} else {
		cJSON_AddNullToObject(o, "sent");
	}
	j = cJSON_AddObjectToObject(o, "program");
	cJSON_AddStringToObject(j, "tag", tag_str(r->own_tag, t));
	cJSON_AddStringToObject(j, "live_tag", r->tag_checked ? tag_str(r->live_tag, t) : "");
	cJSON_AddBoolToObject(j, "same_as_live", r->tag_checked && r->tag_same);
	return o;
}
