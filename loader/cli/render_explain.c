// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* render_explain.c - `xdplb explain` as text and JSON (kernel/explain.c runs it). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "names.h"
#include "render.h"
#include <linux/bpf.h>

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
	return p == IPPROTO_IPIP     ? "IPIP" :
	       p == IPPROTO_IPV6     ? "IPv6" :
	       p == IPPROTO_ICMP     ? "ICMP" : /* a too-big answer */
	       p == IPPROTO_ICMPV6   ? "ICMPv6" :
				       proto_str(p);
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
	fprintf(f, "  vip        %s %s/%s%s (id %u, table %u, hash %s)\n", r->vip_name.s,
		endpoint(&r->vip_key.addr, r->vip_key.family, ntohs(r->vip_key.port), a, sizeof(a)),
		proto_str(r->vip_key.proto), r->vip_key.port ? "" : " (every port)", r->vip_id,
		r->table_size, vip_hash_str(r->vip_flags));
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
	if (r->reply >= 0)
		fprintf(f, ": answered, %s (%s)", reply_kind_names[r->reply],
			reply_kind_help[r->reply]);
	if ((r->drop_reason == XDPLB_DROP_TOO_BIG || r->reply == XDPLB_REPLY_FRAG_NEEDED ||
	     r->reply == XDPLB_REPLY_PACKET_TOO_BIG) &&
	    r->have_backend)
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
	cJSON_AddStringToObject(j, "hash", vip_hash_str(r->vip_flags));
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
	if (r->reply >= 0)
		cJSON_AddStringToObject(o, "reply", reply_kind_names[r->reply]);
	else
		cJSON_AddNullToObject(o, "reply");
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
