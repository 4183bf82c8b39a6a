// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <sched.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xdplb.skel.h"

#include "addr.h"
#include "load.h"
#include "lbfix.h"
#include "xdplb_hash.h"
#include "plan.h"
#include "simulate.h"

int lbfix_pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

void lbfix_open(struct lbfix *f, const char *json)
{
	struct config_opts o = { .mode = -1 };
	struct diags d = { 0 };
	struct checked c;
	int err;

	memset(f, 0, sizeof(*f));
	/* conntrack is per CPU: a test's packets all run on CPU 0 unless it
	 * moves them (lbfix_pin_cpu), as a NIC's RSS keeps a flow on one */
	cr_assert(lbfix_pin_cpu(0) == 0, "pinning the test to CPU 0: %s", strerror(errno));
	err = validate_text(json, strlen(json), &o, &c, &d);
	cr_assert(err == 0, "test config invalid: %s: %s", d.n ? d.v[0].path : "",
		  d.n ? d.v[0].msg : strerror(-err));
	err = maps_open(&f->m);
	cr_assert(err == 0, "opening the BPF object: %s", strerror(-err));
	f->skel = f->m.skel;
	err = maps_ct_size(&f->m, c.cfg.ct_size);
	cr_assert(err == 0, "sizing conntrack: %s", strerror(-err));
	err = xdplb_bpf__load(f->skel);
	cr_assert(err == 0, "loading the BPF object: %s", strerror(-err));
	f->prog_fd = bpf_program__fd(f->skel->progs.xdplb_lb);
	checked_free(&c);
	err = lbfix_apply(f, json);
	cr_assert(err == 0, "applying the test config: %s", strerror(-err));
}

int lbfix_apply(struct lbfix *f, const char *json)
{
	struct config_opts o = { .mode = -1 };
	struct diags d = { 0 };
	struct load_result res;
	struct checked c;
	int err = validate_text(json, strlen(json), &o, &c, &d);

	if (err) {
		for (size_t i = 0; i < d.n; i++)
			cr_log_error("config: %s: %s", d.v[i].path, d.v[i].msg);
		diags_free(&d);
		return err;
	}
	err = lb_apply(&f->m, f->applied, &c, LB_MAC, &res);
	if (err) {
		checked_free(&c);
		return err;
	}
	if (f->applied)
		checked_free(&f->c);
	f->c = c;
	f->applied = true;
	return 0;
}

void lbfix_close(struct lbfix *f)
{
	if (f->applied)
		checked_free(&f->c);
	maps_close(&f->m); /* the skeleton: f->skel */
	memset(f, 0, sizeof(*f));
}

int lbfix_run(struct lbfix *f, const __u8 *in, size_t len, __u8 *out, size_t *out_len)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = (__u32)len,
		    .data_out = out, .data_size_out = PKT_MAX, .repeat = 1);
	int err = bpf_prog_test_run_opts(f->prog_fd, &o);

	cr_assert(err == 0, "BPF_PROG_TEST_RUN: %s", strerror(errno));
	*out_len = o.data_size_out;
	return (int)o.retval;
}

__u64 lbfix_global_raw(struct lbfix *f, __u32 idx)
{
	__u64 v = 0;

	cr_assert(maps_sum_percpu(LB_FD(&f->m, global_stats), idx, &v, 1) == 0);
	return v;
}

__u64 lbfix_global(struct lbfix *f, __u32 idx)
{
	return idx == XDP_DROP ? lbfix_counters(f).v[XDP_DROP] : lbfix_global_raw(f, idx);
}

struct lbfix_counters lbfix_counters(struct lbfix *f)
{
	struct lbfix_counters c;

	for (__u32 i = 0; i < XDPLB_GLOBAL_MAX; i++)
		c.v[i] = i == XDP_DROP ? 0 : lbfix_global_raw(f, i);
	xdplb_global_fold(c.v);
	return c;
}

__u16 lbfix_port_to(const struct lbfix *f, struct pkt_spec s, const char *want)
{
	for (__u16 p = 1024; p < 60000; p++) {
		struct xdplb_flow_key k;
		const struct cfg_backend *b;

		s.sport = p;
		k = pkt_flow(&s);
		b = lbfix_pick(f, &k);
		if (b && !strcmp(b->name, want))
			return p;
	}
	cr_fatal("no source port maps to %s", want);
	return 0;
}

struct xdplb_ctl lbfix_ctl(struct lbfix *f)
{
	struct xdplb_ctl c;
	__u32 zero = 0;

	cr_assert(bpf_map_lookup_elem(LB_FD(&f->m, ctl), &zero, &c) == 0, "reading ctl: %s",
		  strerror(errno));
	return c;
}

__u32 lbfix_encap_hash(struct lbfix *f, const struct xdplb_flow_key *k)
{
	const struct xdplb_ctl c = lbfix_ctl(f);

	return xdplb_flow_mix(xdplb_flow_tag(k, c.ct_key));
}

int lbfix_flows(struct lbfix *f, const struct xdplb_flow_key *k, struct flow_entry *e, int max)
{
	struct xdplb_ctl c = lbfix_ctl(f);
	int n = flows_find(LB_FD(&f->m, conntrack), &c, k, e, max);

	cr_assert(n >= 0, "reading conntrack: %s", strerror(-n));
	return n;
}

__u64 lbfix_ct_count(struct lbfix *f)
{
	struct xdplb_ctl c = lbfix_ctl(f);
	struct xdplb_flow_bucket b;
	__u64 n = 0;

	for (__u32 i = 0; i < c.ct_cpus << c.ct_bits; i++) {
		cr_assert(bpf_map_lookup_elem(LB_FD(&f->m, conntrack), &i, &b) == 0);
		n += (__u64)__builtin_popcount(b.flags & 0xff);
	}
	return n;
}

static int vip_index(const struct lbfix *f, const char *name)
{
	for (__u32 v = 0; v < f->c.cfg.n_vips; v++)
		if (!strcmp(f->c.cfg.vips[v].name, name))
			return (int)v;
	cr_fatal("no VIP %s in the config", name);
	return -1;
}

/* The live vip id of a config VIP, from the vips map of the active bank. */
static __u32 live_vip_id(struct lbfix *f, int vi)
{
	struct xdplb_vip_key k = vip_key_of(&f->c.cfg.vips[vi]);
	struct xdplb_vip_val v;
	struct xdplb_ctl ctl;
	__u32 zero = 0;

	cr_assert(bpf_map_lookup_elem(LB_FD(&f->m, ctl), &zero, &ctl) == 0);
	cr_assert(bpf_map_lookup_elem(LB_FD(&f->m, vips), &k, &v) == 0, "VIP not in the map");
	return v.bank[xdplb_active_bank(&ctl)].vip_id;
}

struct xdplb_vip_stats lbfix_vip_stats(struct lbfix *f, const char *vip)
{
	struct xdplb_vip_stats s;

	cr_assert(maps_sum_percpu(LB_FD(&f->m, vip_stats), live_vip_id(f, vip_index(f, vip)),
				  (__u64 *)&s, sizeof(s) / 8) == 0);
	return s;
}

int lbfix_backend_id(struct lbfix *f, const char *vip, const char *backend)
{
	int vi = vip_index(f, vip);
	__u32 vid = live_vip_id(f, vi), zero = 0;
	const struct cfg_vip *v = &f->c.cfg.vips[vi];
	struct xdplb_ctl ctl;

	cr_assert(bpf_map_lookup_elem(LB_FD(&f->m, ctl), &zero, &ctl) == 0);
	for (__u32 b = 0; b < v->n_backends; b++) {
		if (strcmp(v->backends[b].name, backend))
			continue;
		for (__u32 id = 0; id < XDPLB_MAX_BACKENDS; id++) {
			struct xdplb_backend be;

			if (bpf_map_lookup_elem(LB_FD(&f->m, backends), &id, &be))
				break;
			if (be.cookie && be.vip_id == vid && be.state[xdplb_active_bank(&ctl)] &&
			    !addr_cmp(&be.addr, &v->backends[b].addr))
				return (int)id;
		}
	}
	return -1;
}

struct xdplb_be_stats lbfix_be_stats(struct lbfix *f, const char *vip, const char *backend)
{
	struct xdplb_be_stats s;
	int id = lbfix_backend_id(f, vip, backend);

	cr_assert(id >= 0, "no live backend %s/%s", vip, backend);
	cr_assert(maps_sum_percpu(LB_FD(&f->m, be_stats), (__u32)id, (__u64 *)&s, sizeof(s) / 8) ==
		  0);
	return s;
}

int lbfix_vip_of(const struct lbfix *f, const struct xdplb_flow_key *k)
{
	int portless = -1;

	for (__u32 v = 0; v < f->c.cfg.n_vips; v++) {
		const struct cfg_vip *vip = &f->c.cfg.vips[v];

		if (vip->family != k->family || vip->proto != k->proto ||
		    addr_cmp(&vip->addr, &k->dst))
			continue;
		if (vip->port == ntohs(k->dport))
			return (int)v;
		if (!vip->port)
			portless = (int)v;
	}
	return portless;
}

const struct cfg_backend *lbfix_pick(const struct lbfix *f, const struct xdplb_flow_key *k)
{
	int v = lbfix_vip_of(f, k);
	__u32 b;

	if (v < 0)
		return NULL;
	b = simulate_pick(&f->c, (__u32)v, k);
	return b == MAGLEV_NONE ? NULL : &f->c.cfg.vips[v].backends[b];
}

const struct cfg_backend *lbfix_dest(const struct lbfix *f, const __u8 *frame)
{
	size_t l3 = pkt_l3_off(frame);
	struct xdplb_addr a;
	int fam = (frame[l3] >> 4) == 4 ? XDPLB_AF_INET : XDPLB_AF_INET6;

	memset(&a, 0, sizeof(a));
	memcpy(a.b, frame + l3 + (fam == XDPLB_AF_INET ? 16 : 24), fam == XDPLB_AF_INET ? 4 : 16);
	for (__u32 v = 0; v < f->c.cfg.n_vips; v++)
		for (__u32 b = 0; b < f->c.cfg.vips[v].n_backends; b++)
			if (f->c.cfg.vips[v].backends[b].family == fam &&
			    !addr_cmp(&f->c.cfg.vips[v].backends[b].addr, &a))
				return &f->c.cfg.vips[v].backends[b];
	return NULL;
}
