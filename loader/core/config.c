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

static const char *const vip_keys[] = { "name", "address",  "port",   "protocol",     "table_size",
					"hash", "backends", "guards", "health_check", NULL };
static const char *const proto_names[] = { "tcp", "udp", NULL };
const char *const config_hash_names[] = { "5tuple", "source", NULL };

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
	p = jw_enum(w, j, "hash", config_hash_names, CFG_HASH_5TUPLE);
	v->hash = p == CFG_HASH_SOURCE ? CFG_HASH_SOURCE : CFG_HASH_5TUPLE;
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
	else if (r == 0 && !c->shared_only)
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

/* Whose each top-level key is (config.h): HOST keys are one LB's own and
 * may come from its host file; the rest describe the service, the same on
 * every LB, and make the digest. A new host key is one line here (and its
 * parsing below); a new shared key also needs its place in canonical.c
 * (test_config's canonical/covers_every_key says so). */
const struct config_key config_top_keys[] = {
	{ "interface", CFG_HOST }, /* the LB's NIC */
	{ "mode", CFG_HOST }, /* its driver's XDP support */
	{ "next_hop_mac", CFG_HOST }, /* its router port: the MAC, */
	{ "next_hop", CFG_HOST }, /* or its address, resolved */
	{ "announce", CFG_HOST }, /* its route table for BIRD */
	{ "source_v4", CFG_HOST }, /* its own tunnel sources */
	{ "source_v6", CFG_HOST }, /* (backends' decap accepts every LB's) */
	{ "mtu", CFG_HOST }, /* its links' */
	{ "conntrack_size", CFG_HOST }, /* its memory */
	{ "hash_seed", CFG_SHARED }, /* the same flow, the same backend, on every LB */
	{ "icmp_echo", CFG_SHARED }, /* the same answer to a ping, from every LB */
	{ "udp_timeout", CFG_SHARED }, /* the same flows end */
	{ "icmp_rate", CFG_SHARED }, /* the same answers */
	{ "guards", CFG_SHARED }, /* the same refusals */
	{ "health_check", CFG_SHARED }, /* the same checks */
	{ "vips", CFG_SHARED }, /* the service itself */
	{ NULL, 0 }, /* the end */
};

#define CFG_MAX_TOP_KEYS 63 /* jw_object's limit */

int config_key_scope(const char *key)
{
	for (const struct config_key *k = config_top_keys; k->name; k++)
		if (!strcmp(k->name, key))
			return (int)k->scope;
	return -1;
}

/* The names of the top-level keys, for jw_object(). */
static const char *const *top_keys(void)
{
	static const char *names[CFG_MAX_TOP_KEYS + 1];

	if (!names[0])
		for (int i = 0; i < CFG_MAX_TOP_KEYS && config_top_keys[i].name; i++)
			names[i] = config_top_keys[i].name;
	return names;
}
static const char *const mode_names[] = { "native", "generic", NULL };

static void parse_root(struct walk *w, const cJSON *root, const struct config_opts *o,
		       struct xdplb_config *c)
{
	const cJSON *vips;
	long long v;
	int m;

	if (!jw_object(w, root, top_keys()))
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
	c->icmp_echo = true;
	jw_bool(w, root, "icmp_echo", &c->icmp_echo);
	c->udp_timeout = CFG_DEFAULT_UDP_TIMEOUT;
	if (jw_int(w, root, "udp_timeout", 0, CFG_MAX_UDP_TIMEOUT, false, &v) > 0)
		c->udp_timeout = (__u32)v;
	c->icmp_rate = XDPLB_DEFAULT_ICMP_RATE;
	if (jw_int(w, root, "icmp_rate", 0, CFG_MAX_ICMP_RATE, false, &v) > 0)
		c->icmp_rate = (__u32)v;
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

/* The document in text, or NULL (a syntax error said in d). */
static cJSON *parse_json(const char *text, size_t len, struct diags *d)
{
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	int line, col;

	/* only whitespace may follow the document */
	while (root && end && (size_t)(end - text) < len && isspace((unsigned char)*end))
		end++;
	if (root && end && (size_t)(end - text) < len) {
		cJSON_Delete(root);
		root = NULL;
	}
	if (root)
		return root;
	position(text, end ? (size_t)(end - text) : 0, &line, &col);
	diag_add(d, "(syntax)", "%d:%d: JSON syntax error", line, col);
	return NULL;
}

static int top_index(const char *key)
{
	for (int i = 0; config_top_keys[i].name; i++)
		if (!strcmp(config_top_keys[i].name, key))
			return i;
	return -1;
}

/* The host file's keys into root: host keys only, each given in one of
 * the two files. merged[i] says config_top_keys[i] came from it. */
static bool merge_host(struct walk *w, cJSON *root, cJSON *host, const struct config_opts *o,
		       bool *merged)
{
	const char *name = o->name ? o->name : "the config";
	bool seen[CFG_MAX_TOP_KEYS] = { false };
	cJSON *next;

	if (!jw_object(w, host, top_keys())) /* unknown and duplicate keys too */
		return false;
	for (cJSON *j = host->child; j; j = next) {
		int k = top_index(j->string);

		next = j->next;
		if (k < 0 || seen[k]) /* said by jw_object */
			continue;
		seen[k] = true;
		if (config_top_keys[k].scope != CFG_HOST) {
			jw_err_at_key(
				w, j->string,
				"a shared setting: it belongs in the shared config (%s), the same on every LB; a host file holds only host settings",
				name);
		} else if (jw_member(root, j->string)) {
			size_t old = jw_push_key(w, j->string);

			jw_err(w, "also set in %s (%s): give a host setting in one file only", name,
			       j->string);
			jw_pop(w, old);
		} else {
			cJSON_DetachItemViaPointer(host, j);
			cJSON_AddItemToObject(root, j->string, j);
			merged[k] = true;
		}
	}
	return true;
}

/* --shared: the config is a fleet's shared file and carries no host key. */
static void check_shared(struct walk *w, const cJSON *root)
{
	if (!cJSON_IsObject(root))
		return;
	for (const cJSON *j = root->child; j; j = j->next)
		if (config_key_scope(j->string) == CFG_HOST)
			jw_err_at_key(
				w, j->string,
				"a host setting in a shared config (--shared): it belongs in each LB's host file (--host)%s",
				"");
}

/* Whether path is about top-level key (key, key.x or key[i]). */
static bool path_under(const char *path, const char *key)
{
	size_t n = strlen(key);

	return !strncmp(path, key, n) && (!path[n] || path[n] == '.' || path[n] == '[');
}

/* Problems [from, d->n) with a host setting that came from the host file,
 * or that neither file gives, are the host file's. */
static void blame_host(struct diags *d, size_t from, const cJSON *root, const bool *merged,
		       const char *host_name)
{
	for (size_t i = from; i < d->n; i++) {
		for (int k = 0; config_top_keys[k].name; k++) {
			const char *key = config_top_keys[k].name;

			if (config_top_keys[k].scope != CFG_HOST || !path_under(d->v[i].path, key))
				continue;
			if ((merged[k] || !jw_member(root, key)) && host_name && !d->v[i].file) {
				d->v[i].file = strdup(host_name);
				if (!d->v[i].file)
					abort();
			}
			break;
		}
	}
}

/* SHA-256 of the host settings in effect (the keys given, with --iface and
 * --mode applied), in sorted key order: whether they are the live ones. */
static int host_digest(const cJSON *root, const struct xdplb_config *c, __u8 out[32])
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	for (const struct config_key *k = config_top_keys; o && k->name; k++) {
		const cJSON *j = jw_member(root, k->name);

		if (k->scope != CFG_HOST)
			continue;
		if (!strcmp(k->name, "interface"))
			cJSON_AddStringToObject(o, k->name, c->interface);
		else if (!strcmp(k->name, "mode"))
			cJSON_AddStringToObject(o, k->name, mode_names[c->mode]);
		else if (j)
			cJSON_AddItemToObject(o, k->name, cJSON_Duplicate(j, true));
	}
	if (o)
		jw_sort_keys(o); /* within a value too: a rewrite is not a change */
	s = o ? cJSON_PrintUnformatted(o) : NULL;
	cJSON_Delete(o);
	if (!s)
		return -ENOMEM;
	sha256(s, strlen(s), out);
	free(s);
	return 0;
}

static int digests(const cJSON *root, struct xdplb_config *c)
{
	char *s = config_canonical(c);

	if (!s)
		return -ENOMEM;
	sha256(s, strlen(s), c->digest);
	free(s);
	return host_digest(root, c, c->host_digest);
}

int config_parse(const char *text, size_t len, const struct config_opts *opts,
		 struct xdplb_config *cfg, struct diags *d)
{
	struct walk w = { .d = d };
	bool merged[CFG_MAX_TOP_KEYS] = { false };
	bool has_host = opts && opts->host_text;
	size_t before = d->n, mark;
	cJSON *root, *host = NULL;
	int err = 0;

	memset(cfg, 0, sizeof(*cfg));
	cfg->guards = GUARDS_UNSET;
	hc_unset(&cfg->hc);
	root = parse_json(text, len, d);
	if (root && opts && opts->shared)
		check_shared(&w, root);
	if (has_host) {
		mark = d->n;
		host = parse_json(opts->host_text, opts->host_len, d);
		/* a host file that is not an object says nothing more */
		if (host && cJSON_IsObject(root) && !merge_host(&w, root, host, opts, merged)) {
			cJSON_Delete(host);
			host = NULL;
		}
		diags_set_file(d, mark, opts->host_name);
	}
	if (!root || (has_host && !host)) {
		cJSON_Delete(root);
		cJSON_Delete(host);
		return -EINVAL;
	}
	cfg->shared_only = opts && opts->shared && !has_host;
	mark = d->n;
	parse_root(&w, root, opts, cfg);
	if (has_host)
		blame_host(d, mark, root, merged, opts->host_name);
	sha256(text, len, cfg->file_digest);
	if (d->n == before)
		err = digests(root, cfg);
	cJSON_Delete(root);
	cJSON_Delete(host);
	if (d->n > before || err) {
		config_free(cfg);
		return err ? err : -EINVAL;
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
