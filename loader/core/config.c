// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * config.c - the config file's schema (docs/config.md): every key, its
 * type and range, walked with json_walk.h; then the cross-field rules of
 * config_rules.c. Nothing here touches the kernel.
 */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "config_rules.h"
#include "json_walk.h"
#include "sha256.h"

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n >= XDPLB_NAME_LEN)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_-.:", *s))
			return false;
	return true;
}

static void get_name(struct walk *w, const cJSON *obj, char out[XDPLB_NAME_LEN])
{
	const char *s;

	if (jw_string(w, obj, "name", true, &s) <= 0)
		return;
	if (!valid_name(s)) {
		size_t old = jw_push_key(w, "name");

		jw_err(w, "must be 1..63 characters of A-Z a-z 0-9 _ - . :, got \"%.70s\"", s);
		jw_pop(w, old);
		return;
	}
	snprintf(out, XDPLB_NAME_LEN, "%s", s);
}

/* A unicast IPv4/IPv6 address member; returns the family or 0. */
static int get_addr(struct walk *w, const cJSON *obj, const char *key, struct xdplb_addr *a)
{
	const char *s, *sp;
	size_t old;
	int fam;

	if (jw_string(w, obj, key, true, &s) <= 0)
		return 0;
	old = jw_push_key(w, key);
	fam = addr_parse(s, a);
	if (!fam)
		jw_err(w, "not an IP address: \"%.60s\"", s);
	else if ((sp = addr_special(a, fam, fam == XDPLB_AF_INET ? 32 : 128))) {
		jw_err(w, "must be a unicast address, got \"%.60s\" (in %s)", s, sp);
		fam = 0;
	}
	jw_pop(w, old);
	return fam;
}

static const char *const guard_keys[] = { "max_backend_share", "max_share_error", "max_flows_moved",
					  "min_active_backends", NULL };

static void parse_guards(struct walk *w, const cJSON *obj, struct guards *g)
{
	const cJSON *j = jw_member(obj, "guards");
	long long v;
	size_t old;

	*g = GUARDS_UNSET;
	if (!j)
		return;
	old = jw_push_key(w, "guards");
	if (jw_object(w, j, guard_keys)) {
		jw_number(w, j, "max_backend_share", 0, true, 1, &g->max_backend_share);
		jw_number(w, j, "max_share_error", 0, false, 1, &g->max_share_error);
		jw_number(w, j, "max_flows_moved", 0, false, 1, &g->max_flows_moved);
		if (jw_int(w, j, "min_active_backends", 0, CFG_MAX_MIN_ACTIVE, false, &v) > 0)
			g->min_active_backends = (int)v;
	}
	jw_pop(w, old);
}

static const char *const backend_keys[] = { "name", "address", "weight", "state", NULL };
static const char *const state_names[] = { "active", "drain", "down", NULL };
static const __u8 state_values[] = { XDPLB_BE_ACTIVE, XDPLB_BE_DRAIN, XDPLB_BE_DOWN };

static void parse_backend(struct walk *w, const cJSON *j, struct cfg_backend *b)
{
	long long v;
	int st;

	b->weight = CFG_DEFAULT_WEIGHT;
	b->state = XDPLB_BE_ACTIVE;
	if (!jw_object(w, j, backend_keys))
		return;
	get_name(w, j, b->name);
	b->family = get_addr(w, j, "address", &b->addr);
	if (jw_int(w, j, "weight", 0, 65535, false, &v) > 0)
		b->weight = (__u32)v;
	st = jw_enum(w, j, "state", state_names, 0);
	if (st >= 0)
		b->state = state_values[st];
	b->cfg_state = b->state; /* no health yet: effective is configured */
}

static const char *const vip_keys[] = { "name",	    "address",	    "port",
					"protocol", "table_size",   "backends",
					"guards",   "health_check", NULL };
static const char *const proto_names[] = { "tcp", "udp", NULL };

static void parse_vip(struct walk *w, const cJSON *j, struct cfg_vip *v)
{
	const cJSON *bs;
	long long n;
	int p, i = 0;

	v->guards = GUARDS_UNSET;
	hc_unset(&v->hc);
	if (!jw_object(w, j, vip_keys))
		return;
	parse_health_check(w, j, &v->hc);
	get_name(w, j, v->name);
	v->family = get_addr(w, j, "address", &v->addr);
	if (jw_int(w, j, "port", 0, 65535, true, &n) > 0)
		v->port = (__u16)n;
	p = jw_enum(w, j, "protocol", proto_names, 0);
	v->proto = p == 1 ? IPPROTO_UDP : IPPROTO_TCP;
	if (jw_int(w, j, "table_size", XDPLB_MIN_TABLE_SIZE, XDPLB_MAX_TABLE_SIZE, false, &n) > 0)
		v->table_size = (__u32)n;
	parse_guards(w, j, &v->guards);

	bs = jw_member(j, "backends");
	if (!bs) {
		jw_err_at_key(w, "backends", "missing (required)%s", "");
		return;
	}
	size_t old = jw_push_key(w, "backends");
	char gbuf[64];

	if (!cJSON_IsArray(bs)) {
		jw_err(w, "must be an array, got %s", jw_got(bs, gbuf, sizeof(gbuf)));
	} else if (cJSON_GetArraySize(bs) == 0) {
		jw_err(w, "must have at least 1 backend");
	} else {
		v->n_backends = (__u32)cJSON_GetArraySize(bs);
		v->backends = calloc(v->n_backends, sizeof(*v->backends));
		if (!v->backends)
			abort();
		for (const cJSON *b = bs->child; b; b = b->next, i++) {
			size_t o2 = jw_push_idx(w, i);

			parse_backend(w, b, &v->backends[i]);
			jw_pop(w, o2);
		}
	}
	jw_pop(w, old);
}

static bool valid_ifname(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n >= IF_NAMESIZE || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s) ||
		    !isprint((unsigned char)*s))
			return false;
	return true;
}

static void parse_interface(struct walk *w, const cJSON *root, const struct config_opts *o,
			    struct xdplb_config *c)
{
	const char *s = NULL;
	int r = jw_string(w, root, "interface", false, &s);

	if (o && o->iface)
		s = o->iface;
	else if (r == 0)
		jw_err_at_key(w, "interface", "missing (required; or pass --iface)%s", "");
	if (!s || r < 0)
		return;
	if (!valid_ifname(s)) {
		size_t old = jw_push_key(w, "interface");

		jw_err(w,
		       "not a valid interface name: \"%.40s\" (1..15 characters, no '/', ':' or whitespace)",
		       s);
		jw_pop(w, old);
		return;
	}
	snprintf(c->interface, sizeof(c->interface), "%s", s);
}

static void parse_source(struct walk *w, const cJSON *root, const char *key, int family,
			 struct xdplb_addr *a, int *plen_out)
{
	int minlen = family == XDPLB_AF_INET ? 16 : 96;
	int maxlen = family == XDPLB_AF_INET ? 32 : 128;
	const char *s, *sp = NULL;
	int fam, plen;
	size_t old;

	if (jw_string(w, root, key, false, &s) <= 0)
		return;
	old = jw_push_key(w, key);
	fam = prefix_parse(s, a, &plen);
	if (fam < 0) {
		jw_err(w, "not a prefix length: \"%.50s\"", s);
	} else if (fam != family) {
		jw_err(w, "not an %s address: \"%.50s\"", family == XDPLB_AF_INET ? "IPv4" : "IPv6",
		       s);
	} else if (plen < minlen || plen > maxlen) {
		jw_err(w, "prefix length must be %d..%d, got %d", minlen, maxlen, plen);
	} else if (prefix_host_bits_set(a, fam, plen)) {
		jw_err(w, "host bits set in \"%.50s\"", s);
	} else if ((sp = addr_special(a, fam, plen)) && plen == maxlen) {
		jw_err(w, "must be a unicast address, got \"%.50s\" (in %s)", s, sp);
	} else if (sp) {
		jw_err(w, "\"%.50s\" holds addresses in %s: the LB would send from them", s, sp);
	} else {
		*plen_out = plen;
	}
	jw_pop(w, old);
}

static void parse_seed(struct walk *w, const cJSON *root, struct xdplb_config *c)
{
	const cJSON *j = jw_member(root, "hash_seed");
	char gbuf[64];
	size_t old;

	if (!j)
		return;
	old = jw_push_key(w, "hash_seed");
	if (cJSON_IsString(j)) {
		const char *s = j->valuestring;
		bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
		const char *digits = hex ? s + 2 : s;
		unsigned long long v;
		char *end;

		errno = 0;
		v = strtoull(digits, &end, hex ? 16 : 10);
		if (!*digits || *end || !isxdigit((unsigned char)*digits) || errno)
			jw_err(w,
			       "must be an integer or a string of one (decimal or 0x hex), got \"%.40s\"",
			       s);
		else if (v > 0xffffffffULL)
			jw_err(w, "must be 0..4294967295, got \"%.40s\"", s);
		else
			c->hash_seed = (__u32)v;
	} else if (cJSON_IsNumber(j) && j->valuedouble == floor(j->valuedouble)) {
		if (j->valuedouble < 0 || j->valuedouble > 4294967295.0)
			jw_err(w, "must be 0..4294967295, got %s", jw_got(j, gbuf, sizeof(gbuf)));
		else
			c->hash_seed = (__u32)j->valuedouble;
	} else {
		jw_err(w, "must be an integer or a string of one (decimal or 0x hex), got %s",
		       jw_got(j, gbuf, sizeof(gbuf)));
	}
	jw_pop(w, old);
}

static const char *const top_keys[] = { "interface",	  "mode",     "next_hop_mac",
					"next_hop",	  "announce", "source_v4",
					"source_v6",	  "mtu",      "hash_seed",
					"conntrack_size", "guards",   "health_check",
					"vips",		  NULL };
static const char *const mode_names[] = { "native", "generic", NULL };

static void parse_root(struct walk *w, const cJSON *root, const struct config_opts *o,
		       struct xdplb_config *c)
{
	const cJSON *vips;
	long long v;
	int m;

	if (!jw_object(w, root, top_keys))
		return;
	parse_interface(w, root, o, c);
	m = jw_enum(w, root, "mode", mode_names, XDPLB_MODE_NATIVE);
	c->mode = o && o->mode >= 0 ? o->mode : m < 0 ? XDPLB_MODE_NATIVE : m;
	parse_next_hop(w, root, c);
	parse_announce(w, root, c);
	parse_source(w, root, "source_v4", XDPLB_AF_INET, &c->src_v4, &c->src_v4_plen);
	parse_source(w, root, "source_v6", XDPLB_AF_INET6, &c->src_v6, &c->src_v6_plen);
	c->mtu = CFG_DEFAULT_MTU;
	if (jw_int(w, root, "mtu", CFG_MIN_MTU, CFG_MAX_MTU, false, &v) > 0)
		c->mtu = (__u32)v;
	parse_seed(w, root, c);
	c->ct_size = XDPLB_DEFAULT_CT_SIZE;
	if (jw_int(w, root, "conntrack_size", CFG_MIN_CT_SIZE, CFG_MAX_CT_SIZE, false, &v) > 0)
		c->ct_size = (__u32)v;
	parse_guards(w, root, &c->guards);
	parse_health_check(w, root, &c->hc);

	vips = jw_member(root, "vips");
	if (!vips) {
		jw_err_at_key(w, "vips", "missing (required)%s", "");
		return;
	}
	size_t old = jw_push_key(w, "vips");
	char gbuf[64];
	int i = 0;

	if (!cJSON_IsArray(vips)) {
		jw_err(w, "must be an array, got %s", jw_got(vips, gbuf, sizeof(gbuf)));
	} else if (cJSON_GetArraySize(vips) > CFG_MAX_VIPS) {
		jw_err(w, "at most %u VIPs, got %d", CFG_MAX_VIPS, cJSON_GetArraySize(vips));
	} else if (cJSON_GetArraySize(vips) > 0) {
		c->n_vips = (__u32)cJSON_GetArraySize(vips);
		c->vips = calloc(c->n_vips, sizeof(*c->vips));
		if (!c->vips)
			abort();
		for (const cJSON *j = vips->child; j; j = j->next, i++) {
			size_t o2 = jw_push_idx(w, i);

			parse_vip(w, j, &c->vips[i]);
			jw_pop(w, o2);
		}
	}
	jw_pop(w, old);
	config_check_rules(w, c, root);
}

/* line:col of a byte offset, for syntax errors. */
static void position(const char *text, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && text[i]; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

int config_parse(const char *text, size_t len, const struct config_opts *opts,
		 struct xdplb_config *cfg, struct diags *d)
{
	struct walk w = { .d = d };
	const char *end = NULL;
	size_t before = d->n;
	cJSON *root;

	memset(cfg, 0, sizeof(*cfg));
	cfg->guards = GUARDS_UNSET;
	hc_unset(&cfg->hc);
	root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	/* only whitespace may follow the document */
	while (root && end && (size_t)(end - text) < len && isspace((unsigned char)*end))
		end++;
	if (root && end && (size_t)(end - text) < len) {
		cJSON_Delete(root);
		root = NULL;
	}
	if (!root) {
		int line, col;

		position(text, end ? (size_t)(end - text) : 0, &line, &col);
		diag_add(d, "(syntax)", "%d:%d: JSON syntax error", line, col);
		return -EINVAL;
	}
	parse_root(&w, root, opts, cfg);
	cJSON_Delete(root);
	sha256(text, len, cfg->digest);
	if (d->n > before) {
		config_free(cfg);
		return -EINVAL;
	}
	return 0;
}

int config_load_file(const char *path, const struct config_opts *opts, struct xdplb_config *cfg,
		     struct diags *d)
{
	char *buf;
	size_t len;
	int err;

	memset(cfg, 0, sizeof(*cfg));
	err = config_read_file(path, &buf, &len);
	if (err)
		return err;
	err = config_parse(buf, len, opts, cfg, d);
	free(buf);
	return err;
}

void config_free(struct xdplb_config *cfg)
{
	for (__u32 i = 0; i < cfg->n_vips; i++)
		free(cfg->vips[i].backends);
	free(cfg->vips);
	cfg->vips = NULL;
	cfg->n_vips = 0;
}

struct guards config_vip_guards(const struct xdplb_config *cfg, const struct cfg_vip *vip)
{
	struct guards g = vip->guards;

	if (g.max_backend_share < 0)
		g.max_backend_share = cfg->guards.max_backend_share;
	if (g.max_share_error < 0)
		g.max_share_error = cfg->guards.max_share_error;
	if (g.max_flows_moved < 0)
		g.max_flows_moved = cfg->guards.max_flows_moved;
	if (g.min_active_backends < 0)
		g.min_active_backends = cfg->guards.min_active_backends;
	/* defaults (docs/config.md); max_backend_share's depends on N: guards.c */
	if (g.max_share_error < 0)
		g.max_share_error = 0.01;
	if (g.max_flows_moved < 0)
		g.max_flows_moved = 0.5;
	if (g.min_active_backends < 0)
		g.min_active_backends = 1;
	return g;
}
