// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * canonical.c - the canonical form of a config's shared part, whose
 * SHA-256 is the config digest (docs/fleet.md, "Shared and host config").
 *
 * Two files that mean the same service must give the same digest on every
 * LB of a fleet: so the form is made from the parsed config, not from the
 * text. Every value is the one in effect (defaults filled in, hash_seed
 * "0x10" is 16, addresses printed one way), the guards and health check
 * are those each VIP runs with (the top level's folded in), VIPs are
 * sorted by (address, port, protocol) and backends by address (their
 * identities: order changes nothing in the data path), object keys are
 * sorted and there is no whitespace. Host keys are not in it. Pure.
 */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "guards.h"
#include "json_walk.h"
#include "names.h"
#include "sha256.h"

static void add_addr(cJSON *o, const char *key, const struct xdplb_addr *a, int family)
{
	char buf[ADDR_STRLEN];

	cJSON_AddStringToObject(o, key, addr_str(a, family, buf));
}

static cJSON *guards_json(const struct xdplb_config *cfg, const struct cfg_vip *v)
{
	struct guards g = config_vip_guards(cfg, v);
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "max_backend_share", guard_max_backend_share(cfg, v));
	cJSON_AddNumberToObject(o, "max_share_error", g.max_share_error);
	cJSON_AddNumberToObject(o, "max_flows_moved", g.max_flows_moved);
	cJSON_AddNumberToObject(o, "min_active_backends", g.min_active_backends);
	return o;
}

/* A check's settings only where they mean something: none has no other
 * key, tcp no http ones. */
static cJSON *hc_json(const struct xdplb_config *cfg, const struct cfg_vip *v)
{
	static const char *const types[] = { "none", "tcp", "http" };
	struct health_check_cfg h = config_vip_hc(cfg, v);
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "type", types[h.type]);
	if (h.type == HC_NONE)
		return o;
	cJSON_AddStringToObject(o, "through", h.through == HC_DIRECT ? "direct" : "tunnel");
	cJSON_AddNumberToObject(o, "port", h.port);
	cJSON_AddNumberToObject(o, "interval", h.interval);
	cJSON_AddNumberToObject(o, "timeout", h.timeout);
	cJSON_AddNumberToObject(o, "rise", h.rise);
	cJSON_AddNumberToObject(o, "fall", h.fall);
	cJSON_AddNumberToObject(o, "max_out", h.max_out);
	cJSON_AddStringToObject(o, "out", h.out ? "drain" : "down");
	if (h.type == HC_HTTP) {
		cJSON_AddStringToObject(o, "path", h.path);
		cJSON_AddStringToObject(o, "host", h.host);
		cJSON_AddNumberToObject(o, "expect", h.expect);
	}
	return o;
}

static int be_cmp(const void *a, const void *b)
{
	const struct cfg_backend *x = *(const struct cfg_backend *const *)a;
	const struct cfg_backend *y = *(const struct cfg_backend *const *)b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return addr_cmp(&x->addr, &y->addr);
}

static int vip_cmp(const void *a, const void *b)
{
	const struct cfg_vip *x = *(const struct cfg_vip *const *)a;
	const struct cfg_vip *y = *(const struct cfg_vip *const *)b;
	int c;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if ((c = addr_cmp(&x->addr, &y->addr)))
		return c;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return x->proto < y->proto ? -1 : x->proto > y->proto;
}

/* Pointers to n elements of size sz, sorted with cmp. */
static const void **sorted(const void *base, size_t n, size_t sz,
			   int (*cmp)(const void *, const void *))
{
	const void **p = calloc(n + 1, sizeof(*p));

	if (!p)
		return NULL;
	for (size_t i = 0; i < n; i++)
		p[i] = (const char *)base + i * sz;
	qsort(p, n, sizeof(*p), cmp);
	return p;
}

static cJSON *backends_json(const struct cfg_vip *v)
{
	const struct cfg_backend **bs = (const struct cfg_backend **)sorted(
		v->backends, v->n_backends, sizeof(*v->backends), be_cmp);
	cJSON *arr = cJSON_CreateArray();

	if (!bs) {
		cJSON_Delete(arr);
		return NULL;
	}
	for (__u32 i = 0; i < v->n_backends; i++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "name", bs[i]->name);
		add_addr(o, "address", &bs[i]->addr, bs[i]->family);
		cJSON_AddNumberToObject(o, "weight", bs[i]->weight);
		/* configured, as the file says: health and overrides are not
		 * the config's */
		cJSON_AddStringToObject(o, "state", state_str(bs[i]->cfg_state));
		cJSON_AddItemToArray(arr, o);
	}
	free(bs);
	return arr;
}

static cJSON *vip_json(const struct xdplb_config *cfg, const struct cfg_vip *v)
{
	cJSON *o = cJSON_CreateObject(), *bs = backends_json(v);

	if (!bs) {
		cJSON_Delete(o);
		return NULL;
	}
	cJSON_AddStringToObject(o, "name", v->name);
	add_addr(o, "address", &v->addr, v->family);
	cJSON_AddNumberToObject(o, "port", v->port);
	cJSON_AddStringToObject(o, "protocol", proto_str(v->proto));
	cJSON_AddNumberToObject(o, "table_size", v->table_size);
	/* only where it is not the default: every config written before the
	 * key existed keeps its digest */
	if (v->hash != CFG_HASH_5TUPLE)
		cJSON_AddStringToObject(o, "hash", config_hash_names[v->hash]);
	cJSON_AddItemToObject(o, "guards", guards_json(cfg, v));
	cJSON_AddItemToObject(o, "health_check", hc_json(cfg, v));
	cJSON_AddItemToObject(o, "backends", bs);
	return o;
}

char *config_canonical(const struct xdplb_config *cfg)
{
	const struct cfg_vip **vs = (const struct cfg_vip **)sorted(cfg->vips, cfg->n_vips,
								    sizeof(*cfg->vips), vip_cmp);
	cJSON *root = cJSON_CreateObject(), *vips;
	char *s = NULL;

	if (!vs || !root)
		goto out;
	cJSON_AddNumberToObject(root, "hash_seed", cfg->hash_seed);
	/* only when off: a config written before the key keeps its digest,
	 * so a fleet upgraded one LB at a time sees no drift */
	if (!cfg->icmp_echo)
		cJSON_AddFalseToObject(root, "icmp_echo");
	/* a key that came later is in the form only when not its default:
	 * the digests of configs written before it do not move */
	if (cfg->udp_timeout != CFG_DEFAULT_UDP_TIMEOUT)
		cJSON_AddNumberToObject(root, "udp_timeout", cfg->udp_timeout);
	if (cfg->icmp_rate != XDPLB_DEFAULT_ICMP_RATE)
		cJSON_AddNumberToObject(root, "icmp_rate", cfg->icmp_rate);
	vips = cJSON_AddArrayToObject(root, "vips");
	for (__u32 i = 0; i < cfg->n_vips; i++) {
		cJSON *v = vip_json(cfg, vs[i]);

		if (!v)
			goto out;
		cJSON_AddItemToArray(vips, v);
	}
	jw_sort_keys(root);
	s = cJSON_PrintUnformatted(root);
out:
	cJSON_Delete(root);
	free(vs);
	return s;
}

__u32 config_host_tag(const struct xdplb_config *cfg)
{
	const __u8 *d = cfg->host_digest;

	return (__u32)d[0] << 24 | (__u32)d[1] << 16 | (__u32)d[2] << 8 | d[3];
}

bool config_is_live(const struct xdplb_config *cfg, const struct xdplb_global_cfg *g)
{
	return !memcmp(cfg->digest, g->digest, sizeof(g->digest)) &&
	       config_host_tag(cfg) == g->host_tag;
}
