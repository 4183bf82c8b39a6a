// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * config.c - parse and check the config file (docs/config.md).
 *
 * The walk reports every problem with its JSON path and carries on, so that
 * one run of `validate` shows all of them. Nothing here touches the kernel.
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
#include "sha256.h"

#define PATH_MAX_LEN 512
#define CFG_MAX_VIPS (XDPLB_MAX_VIPS / 2)
#define CFG_MAX_BACKENDS (XDPLB_MAX_BACKENDS / 2)

/* The walk's state: where we are in the document, and the error list. */
struct walk {
	struct diags *d;
	char path[PATH_MAX_LEN];
	size_t len;
};

static size_t push_key(struct walk *w, const char *key)
{
	size_t old = w->len;
	int n = snprintf(w->path + w->len, sizeof(w->path) - w->len, "%s%s", w->len ? "." : "",
			 key);

	if (n > 0)
		w->len = strnlen(w->path, sizeof(w->path) - 1);
	return old;
}

static size_t push_idx(struct walk *w, int i)
{
	size_t old = w->len;
	int n = snprintf(w->path + w->len, sizeof(w->path) - w->len, "[%d]", i);

	if (n > 0)
		w->len = strnlen(w->path, sizeof(w->path) - 1);
	return old;
}

static void pop(struct walk *w, size_t old)
{
	w->len = old;
	w->path[old] = '\0';
}

static const char *here(const struct walk *w)
{
	return w->len ? w->path : "(root)";
}

#define err(w, ...) diag_add((w)->d, here(w), __VA_ARGS__)

/* Reports at PATH.key without keeping it pushed. */
static void err_at_key(struct walk *w, const char *key, const char *fmt, const char *a)
{
	size_t old = push_key(w, key);

	diag_add(w->d, here(w), fmt, a);
	pop(w, old);
}

/* "string \"80\"", "80.5", "object", ...: what was found instead. */
static const char *got(const cJSON *j, char *buf, size_t len)
{
	if (cJSON_IsString(j)) {
		snprintf(buf, len, "string \"%.40s%s\"", j->valuestring,
			 strlen(j->valuestring) > 40 ? "..." : "");
	} else if (cJSON_IsNumber(j)) {
		double v = j->valuedouble;

		if (v == floor(v) && fabs(v) < 1e18)
			snprintf(buf, len, "%.0f", v);
		else
			snprintf(buf, len, "%g", v);
	} else if (cJSON_IsBool(j)) {
		snprintf(buf, len, "%s", cJSON_IsTrue(j) ? "true" : "false");
	} else if (cJSON_IsNull(j)) {
		snprintf(buf, len, "null");
	} else if (cJSON_IsArray(j)) {
		snprintf(buf, len, "array");
	} else {
		snprintf(buf, len, "object");
	}
	return buf;
}

/* Levenshtein distance, for "did you mean". Keys are short. */
static int edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int row[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int prev = row[0];

		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int cur = row[j];
			int sub = prev + (tolower((unsigned char)a[i - 1]) !=
					  tolower((unsigned char)b[j - 1]));
			int best = sub;

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb];
}

static bool key_allowed(const char *k, const char *const keys[])
{
	for (int i = 0; keys[i]; i++)
		if (!strcmp(k, keys[i]))
			return true;
	return false;
}

/* Unknown and duplicate keys of an object. Returns false if j is not an
 * object (after reporting it). */
static bool check_object(struct walk *w, const cJSON *j, const char *const keys[])
{
	char gbuf[64];

	if (!cJSON_IsObject(j)) {
		err(w, "must be an object, got %s", got(j, gbuf, sizeof(gbuf)));
		return false;
	}
	for (const cJSON *c = j->child; c; c = c->next) {
		const char *best = NULL;
		int best_d = 3;

		for (const cJSON *p = j->child; p != c; p = p->next) {
			if (!strcmp(p->string, c->string)) {
				err_at_key(w, c->string, "duplicate key%s", "");
				goto next;
			}
		}
		if (key_allowed(c->string, keys))
			continue;
		for (int i = 0; keys[i]; i++) {
			int dist = edit_distance(c->string, keys[i]);

			if (dist < best_d) {
				best_d = dist;
				best = keys[i];
			}
		}
		if (best) {
			char msg[128];

			snprintf(msg, sizeof(msg), "unknown key (did you mean \"%s\"?)", best);
			err_at_key(w, c->string, "%s", msg);
		} else {
			err_at_key(w, c->string, "unknown key%s", "");
		}
next:;
	}
	return true;
}

static const cJSON *member(const cJSON *obj, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/* An integer member in [lo, hi]. Returns 1 if present and valid, 0 if
 * absent (reported when required), -1 if invalid (reported). */
static int get_int(struct walk *w, const cJSON *obj, const char *key, long long lo, long long hi,
		   bool required, long long *out)
{
	const cJSON *j = member(obj, key);
	char gbuf[64];
	size_t old;
	int ret = 1;

	if (!j) {
		if (required)
			err_at_key(w, key, "missing (required)%s", "");
		return 0;
	}
	old = push_key(w, key);
	if (!cJSON_IsNumber(j) || !isfinite(j->valuedouble) ||
	    j->valuedouble != floor(j->valuedouble)) {
		err(w, "must be an integer, got %s", got(j, gbuf, sizeof(gbuf)));
		ret = -1;
	} else if (j->valuedouble < (double)lo || j->valuedouble > (double)hi) {
		err(w, "must be %lld..%lld, got %s", lo, hi, got(j, gbuf, sizeof(gbuf)));
		ret = -1;
	} else {
		*out = (long long)j->valuedouble;
	}
	pop(w, old);
	return ret;
}

static int get_string(struct walk *w, const cJSON *obj, const char *key, bool required,
		      const char **out)
{
	const cJSON *j = member(obj, key);
	char gbuf[64];

	if (!j) {
		if (required)
			err_at_key(w, key, "missing (required)%s", "");
		return 0;
	}
	if (!cJSON_IsString(j)) {
		size_t old = push_key(w, key);

		err(w, "must be a string, got %s", got(j, gbuf, sizeof(gbuf)));
		pop(w, old);
		return -1;
	}
	*out = j->valuestring;
	return 1;
}

/* One of vals[] (NULL-terminated); returns its index, dflt if absent, -1 if bad. */
static int get_enum(struct walk *w, const cJSON *obj, const char *key, const char *const vals[],
		    int dflt)
{
	const char *s = NULL;
	char msg[160] = "";
	int r = get_string(w, obj, key, false, &s);

	if (r <= 0)
		return r == 0 ? dflt : -1;
	for (int i = 0; vals[i]; i++) {
		if (!strcmp(s, vals[i]))
			return i;
		snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), "%s\"%s\"",
			 !i	     ? "" :
			 vals[i + 1] ? ", " :
				       " or ",
			 vals[i]);
	}
	size_t old = push_key(w, key);

	err(w, "must be %s, got \"%.40s\"", msg, s);
	pop(w, old);
	return -1;
}

/* A number in [lo, hi] (or (lo, hi] with lo_open). 1 ok, 0 absent, -1 bad. */
static int get_number(struct walk *w, const cJSON *obj, const char *key, double lo, bool lo_open,
		      double hi, double *out)
{
	const cJSON *j = member(obj, key);
	char gbuf[64];
	size_t old;
	int ret = 1;

	if (!j)
		return 0;
	old = push_key(w, key);
	if (!cJSON_IsNumber(j) || !isfinite(j->valuedouble)) {
		err(w, "must be a number, got %s", got(j, gbuf, sizeof(gbuf)));
		ret = -1;
	} else if ((lo_open ? j->valuedouble <= lo : j->valuedouble < lo) || j->valuedouble > hi) {
		if (lo_open)
			err(w, "must be greater than %g and at most %g, got %s", lo, hi,
			    got(j, gbuf, sizeof(gbuf)));
		else
			err(w, "must be %g..%g, got %s", lo, hi, got(j, gbuf, sizeof(gbuf)));
		ret = -1;
	} else {
		*out = j->valuedouble;
	}
	pop(w, old);
	return ret;
}

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

	if (get_string(w, obj, "name", true, &s) <= 0)
		return;
	if (!valid_name(s)) {
		size_t old = push_key(w, "name");

		err(w, "must be 1..63 characters of A-Z a-z 0-9 _ - . :, got \"%.70s\"", s);
		pop(w, old);
		return;
	}
	snprintf(out, XDPLB_NAME_LEN, "%s", s);
}

/* A unicast IPv4/IPv6 address member; returns the family or 0. */
static int get_addr(struct walk *w, const cJSON *obj, const char *key, struct xdplb_addr *a)
{
	const char *s;
	size_t old;
	int fam;

	if (get_string(w, obj, key, true, &s) <= 0)
		return 0;
	old = push_key(w, key);
	fam = addr_parse(s, a);
	if (!fam)
		err(w, "not an IP address: \"%.60s\"", s);
	else if (!addr_is_unicast(a, fam)) {
		err(w, "must be a unicast address, got \"%s\"", s);
		fam = 0;
	}
	pop(w, old);
	return fam;
}

static const char *const guard_keys[] = { "max_backend_share", "max_share_error", "max_flows_moved",
					  "min_active_backends", NULL };

static void parse_guards(struct walk *w, const cJSON *obj, struct guards *g)
{
	const cJSON *j = member(obj, "guards");
	long long v;
	size_t old;

	*g = GUARDS_UNSET;
	if (!j)
		return;
	old = push_key(w, "guards");
	if (check_object(w, j, guard_keys)) {
		get_number(w, j, "max_backend_share", 0, true, 1, &g->max_backend_share);
		get_number(w, j, "max_share_error", 0, false, 1, &g->max_share_error);
		get_number(w, j, "max_flows_moved", 0, false, 1, &g->max_flows_moved);
		if (get_int(w, j, "min_active_backends", 0, CFG_MAX_MIN_ACTIVE, false, &v) > 0)
			g->min_active_backends = (int)v;
	}
	pop(w, old);
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
	if (!check_object(w, j, backend_keys))
		return;
	get_name(w, j, b->name);
	b->family = get_addr(w, j, "address", &b->addr);
	if (get_int(w, j, "weight", 0, 65535, false, &v) > 0)
		b->weight = (__u32)v;
	st = get_enum(w, j, "state", state_names, 0);
	if (st >= 0)
		b->state = state_values[st];
}

static const char *const vip_keys[] = { "name",	      "address",  "port",   "protocol",
					"table_size", "backends", "guards", NULL };
static const char *const proto_names[] = { "tcp", "udp", NULL };

static void parse_vip(struct walk *w, const cJSON *j, struct cfg_vip *v)
{
	const cJSON *bs;
	long long n;
	int p, i = 0;

	v->guards = GUARDS_UNSET;
	if (!check_object(w, j, vip_keys))
		return;
	get_name(w, j, v->name);
	v->family = get_addr(w, j, "address", &v->addr);
	if (get_int(w, j, "port", 0, 65535, true, &n) > 0)
		v->port = (__u16)n;
	p = get_enum(w, j, "protocol", proto_names, 0);
	v->proto = p == 1 ? IPPROTO_UDP : IPPROTO_TCP;
	if (get_int(w, j, "table_size", XDPLB_MIN_TABLE_SIZE, XDPLB_MAX_TABLE_SIZE, false, &n) > 0)
		v->table_size = (__u32)n;
	parse_guards(w, j, &v->guards);

	bs = member(j, "backends");
	if (!bs) {
		err_at_key(w, "backends", "missing (required)%s", "");
		return;
	}
	size_t old = push_key(w, "backends");
	char gbuf[64];

	if (!cJSON_IsArray(bs)) {
		err(w, "must be an array, got %s", got(bs, gbuf, sizeof(gbuf)));
	} else if (cJSON_GetArraySize(bs) == 0) {
		err(w, "must have at least 1 backend");
	} else {
		v->n_backends = (__u32)cJSON_GetArraySize(bs);
		v->backends = calloc(v->n_backends, sizeof(*v->backends));
		if (!v->backends)
			abort();
		for (const cJSON *b = bs->child; b; b = b->next, i++) {
			size_t o2 = push_idx(w, i);

			parse_backend(w, b, &v->backends[i]);
			pop(w, o2);
		}
	}
	pop(w, old);
}

bool is_prime(__u32 n)
{
	if (n < 2)
		return false;
	if (n % 2 == 0)
		return n == 2;
	for (__u32 d = 3; d <= n / d; d += 2)
		if (n % d == 0)
			return false;
	return true;
}

__u32 config_default_table_size(__u32 n_backends)
{
	static const __u32 ladder[] = { XDPLB_DEFAULT_TABLE_SIZE, 131071, 262147, 524309, 655373,
					XDPLB_MAX_TABLE_SIZE };

	for (size_t i = 0; i < sizeof(ladder) / sizeof(ladder[0]); i++)
		if ((unsigned long long)n_backends * CFG_MIN_SLOTS_PER_BACKEND <= ladder[i])
			return ladder[i];
	return 0;
}

const char *proto_str(__u8 proto)
{
	return proto == IPPROTO_UDP ? "udp" : proto == IPPROTO_TCP ? "tcp" : "?";
}

const char *vip_endpoint_str(const struct xdplb_addr *a, int family, __u16 port, __u8 proto,
			     char *buf, size_t len)
{
	char s[ADDR_STRLEN];
	bool v6 = family == XDPLB_AF_INET6;

	addr_str(a, family, s);
	snprintf(buf, len, "%s%s%s:%u/%s", v6 ? "[" : "", s, v6 ? "]" : "", port, proto_str(proto));
	return buf;
}

const char *state_str(__u8 state)
{
	switch (state) {
	case XDPLB_BE_ACTIVE:
		return "active";
	case XDPLB_BE_DRAIN:
		return "drain";
	case XDPLB_BE_DOWN:
		return "down";
	}
	return "none";
}

/* Rules within one VIP: names and addresses unique, weights, table size. */
static void check_vip(struct walk *w, struct cfg_vip *v)
{
	char vpath[PATH_MAX_LEN], abuf[ADDR_STRLEN];
	bool any_weight = false;

	snprintf(vpath, sizeof(vpath), "%s", here(w));
	for (__u32 i = 0; i < v->n_backends; i++) {
		struct cfg_backend *b = &v->backends[i];
		size_t old = push_key(w, "backends");

		push_idx(w, (int)i);
		any_weight |= b->weight > 0;
		for (__u32 k = 0; k < i; k++) {
			struct cfg_backend *o = &v->backends[k];
			size_t o2;

			if (b->name[0] && !strcmp(b->name, o->name)) {
				o2 = push_key(w, "name");
				err(w, "same name as %s.backends[%u] (\"%s\")", vpath, k, o->name);
				pop(w, o2);
			}
			if (b->family && b->family == o->family && !addr_cmp(&b->addr, &o->addr)) {
				o2 = push_key(w, "address");
				err(w, "same address as %s.backends[%u] (%s)", vpath, k,
				    addr_str(&b->addr, b->family, abuf));
				pop(w, o2);
			}
		}
		pop(w, old);
	}
	if (v->n_backends && !any_weight) {
		size_t old = push_key(w, "backends");

		err(w, "every weight is 0");
		pop(w, old);
	}
	if (!v->n_backends)
		return;
	if (!v->table_size) {
		v->table_size = config_default_table_size(v->n_backends);
		if (!v->table_size) {
			size_t old = push_key(w, "backends");

			err(w,
			    "%u backends do not fit the largest table (%u slots, %u per backend)",
			    v->n_backends, XDPLB_MAX_TABLE_SIZE, CFG_MIN_SLOTS_PER_BACKEND);
			pop(w, old);
		}
		return;
	}
	size_t old = push_key(w, "table_size");

	if (!is_prime(v->table_size))
		err(w, "must be prime, got %u", v->table_size);
	else if ((unsigned long long)v->n_backends * CFG_MIN_SLOTS_PER_BACKEND > v->table_size)
		err(w, "must be at least %u × %u backends = %u, got %u", CFG_MIN_SLOTS_PER_BACKEND,
		    v->n_backends, v->n_backends * CFG_MIN_SLOTS_PER_BACKEND, v->table_size);
	pop(w, old);
}

/* Rules across VIPs and with the top level. */
static void check_all(struct walk *w, struct xdplb_config *c, const cJSON *root)
{
	char abuf[ADDR_STRLEN];
	bool v6_backend = false, said_v4 = false, said_v6 = false;
	unsigned long long total = 0;

	for (__u32 i = 0; i < c->n_vips; i++) {
		struct cfg_vip *v = &c->vips[i];
		size_t old = push_key(w, "vips");

		push_idx(w, (int)i);
		check_vip(w, v);
		for (__u32 k = 0; k < i; k++) {
			struct cfg_vip *o = &c->vips[k];

			if (v->family && v->family == o->family && v->port == o->port &&
			    v->proto == o->proto && !addr_cmp(&v->addr, &o->addr)) {
				addr_str(&v->addr, v->family, abuf);
				err(w, "same address, port and protocol as vips[%u] (%s%s%s:%u/%s)",
				    k, v->family == XDPLB_AF_INET6 ? "[" : "", abuf,
				    v->family == XDPLB_AF_INET6 ? "]" : "", v->port,
				    proto_str(v->proto));
			}
			if (v->name[0] && !strcmp(v->name, o->name)) {
				size_t o2 = push_key(w, "name");

				err(w, "same name as vips[%u] (\"%s\")", k, o->name);
				pop(w, o2);
			}
		}
		for (__u32 b = 0; b < v->n_backends; b++) {
			struct cfg_backend *be = &v->backends[b];
			size_t o2 = push_key(w, "backends");

			push_idx(w, (int)b);
			push_key(w, "address");
			/* once per missing source, at the first backend needing it */
			if (be->family == XDPLB_AF_INET && !said_v4 && !member(root, "source_v4")) {
				err(w, "an IPv4 backend needs \"source_v4\"");
				said_v4 = true;
			}
			if (be->family == XDPLB_AF_INET6 && !said_v6 &&
			    !member(root, "source_v6")) {
				err(w, "an IPv6 backend needs \"source_v6\"");
				said_v6 = true;
			}
			v6_backend |= be->family == XDPLB_AF_INET6;
			pop(w, o2);
		}
		total += v->n_backends;
		pop(w, old);
	}
	if (total > CFG_MAX_BACKENDS) {
		size_t old = push_key(w, "vips");

		err(w, "at most %u backends in all, got %llu", CFG_MAX_BACKENDS, total);
		pop(w, old);
	}
	if (v6_backend && c->mtu < CFG_MIN_MTU_V6 && member(root, "mtu")) {
		size_t old = push_key(w, "mtu");

		err(w, "must be at least %u with IPv6 backends, got %u", CFG_MIN_MTU_V6, c->mtu);
		pop(w, old);
	}
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
	int r = get_string(w, root, "interface", false, &s);

	if (o && o->iface)
		s = o->iface;
	else if (r == 0)
		err_at_key(w, "interface", "missing (required; or pass --iface)%s", "");
	if (!s || r < 0)
		return;
	if (!valid_ifname(s)) {
		size_t old = push_key(w, "interface");

		err(w,
		    "not a valid interface name: \"%.40s\" (1..15 characters, no '/', ':' or whitespace)",
		    s);
		pop(w, old);
		return;
	}
	snprintf(c->interface, sizeof(c->interface), "%s", s);
}

static void parse_mac(struct walk *w, const cJSON *root, struct xdplb_config *c)
{
	const char *s;
	size_t old;

	if (get_string(w, root, "next_hop_mac", true, &s) <= 0)
		return;
	old = push_key(w, "next_hop_mac");
	if (mac_parse(s, c->nh_mac))
		err(w, "not a MAC address: \"%.40s\"", s);
	else if (c->nh_mac[0] & 1)
		err(w, "must be a unicast MAC, got \"%s\"", s);
	else if (!(c->nh_mac[0] | c->nh_mac[1] | c->nh_mac[2] | c->nh_mac[3] | c->nh_mac[4] |
		   c->nh_mac[5]))
		err(w, "must not be all-zero, got \"%s\"", s);
	pop(w, old);
}

static void parse_source(struct walk *w, const cJSON *root, const char *key, int family,
			 struct xdplb_addr *a, int *plen_out)
{
	int minlen = family == XDPLB_AF_INET ? 16 : 96;
	int maxlen = family == XDPLB_AF_INET ? 32 : 128;
	const char *s;
	int fam, plen;
	size_t old;

	if (get_string(w, root, key, false, &s) <= 0)
		return;
	old = push_key(w, key);
	fam = prefix_parse(s, a, &plen);
	if (fam < 0) {
		err(w, "not a prefix length: \"%.50s\"", s);
	} else if (fam != family) {
		err(w, "not an %s address: \"%.50s\"", family == XDPLB_AF_INET ? "IPv4" : "IPv6",
		    s);
	} else if (plen < minlen || plen > maxlen) {
		err(w, "prefix length must be %d..%d, got %d", minlen, maxlen, plen);
	} else if (prefix_host_bits_set(a, fam, plen)) {
		err(w, "host bits set in \"%.50s\"", s);
	} else if (!addr_is_unicast(a, fam) && plen == maxlen) {
		err(w, "must be a unicast address, got \"%.50s\"", s);
	} else {
		*plen_out = plen;
	}
	pop(w, old);
}

static void parse_seed(struct walk *w, const cJSON *root, struct xdplb_config *c)
{
	const cJSON *j = member(root, "hash_seed");
	char gbuf[64];
	size_t old;

	if (!j)
		return;
	old = push_key(w, "hash_seed");
	if (cJSON_IsString(j)) {
		const char *s = j->valuestring;
		bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
		const char *digits = hex ? s + 2 : s;
		unsigned long long v;
		char *end;

		errno = 0;
		v = strtoull(digits, &end, hex ? 16 : 10);
		if (!*digits || *end || !isxdigit((unsigned char)*digits) || errno)
			err(w,
			    "must be an integer or a string of one (decimal or 0x hex), got \"%.40s\"",
			    s);
		else if (v > 0xffffffffULL)
			err(w, "must be 0..4294967295, got \"%.40s\"", s);
		else
			c->hash_seed = (__u32)v;
	} else if (cJSON_IsNumber(j) && j->valuedouble == floor(j->valuedouble)) {
		if (j->valuedouble < 0 || j->valuedouble > 4294967295.0)
			err(w, "must be 0..4294967295, got %s", got(j, gbuf, sizeof(gbuf)));
		else
			c->hash_seed = (__u32)j->valuedouble;
	} else {
		err(w, "must be an integer or a string of one (decimal or 0x hex), got %s",
		    got(j, gbuf, sizeof(gbuf)));
	}
	pop(w, old);
}

static const char *const top_keys[] = {
	"interface", "mode",	       "next_hop_mac", "source_v4", "source_v6", "mtu",
	"hash_seed", "conntrack_size", "guards",       "vips",	    NULL
};
static const char *const mode_names[] = { "native", "generic", NULL };

static void parse_root(struct walk *w, const cJSON *root, const struct config_opts *o,
		       struct xdplb_config *c)
{
	const cJSON *vips;
	long long v;
	int m;

	if (!check_object(w, root, top_keys))
		return;
	parse_interface(w, root, o, c);
	m = get_enum(w, root, "mode", mode_names, XDPLB_MODE_NATIVE);
	c->mode = o && o->mode >= 0 ? o->mode : m < 0 ? XDPLB_MODE_NATIVE : m;
	parse_mac(w, root, c);
	parse_source(w, root, "source_v4", XDPLB_AF_INET, &c->src_v4, &c->src_v4_plen);
	parse_source(w, root, "source_v6", XDPLB_AF_INET6, &c->src_v6, &c->src_v6_plen);
	c->mtu = CFG_DEFAULT_MTU;
	if (get_int(w, root, "mtu", CFG_MIN_MTU, CFG_MAX_MTU, false, &v) > 0)
		c->mtu = (__u32)v;
	parse_seed(w, root, c);
	c->ct_size = XDPLB_DEFAULT_CT_SIZE;
	if (get_int(w, root, "conntrack_size", CFG_MIN_CT_SIZE, CFG_MAX_CT_SIZE, false, &v) > 0)
		c->ct_size = (__u32)v;
	parse_guards(w, root, &c->guards);

	vips = member(root, "vips");
	if (!vips) {
		err_at_key(w, "vips", "missing (required)%s", "");
		return;
	}
	size_t old = push_key(w, "vips");
	char gbuf[64];
	int i = 0;

	if (!cJSON_IsArray(vips)) {
		err(w, "must be an array, got %s", got(vips, gbuf, sizeof(gbuf)));
	} else if (cJSON_GetArraySize(vips) > CFG_MAX_VIPS) {
		err(w, "at most %u VIPs, got %d", CFG_MAX_VIPS, cJSON_GetArraySize(vips));
	} else if (cJSON_GetArraySize(vips) > 0) {
		c->n_vips = (__u32)cJSON_GetArraySize(vips);
		c->vips = calloc(c->n_vips, sizeof(*c->vips));
		if (!c->vips)
			abort();
		for (const cJSON *j = vips->child; j; j = j->next, i++) {
			size_t o2 = push_idx(w, i);

			parse_vip(w, j, &c->vips[i]);
			pop(w, o2);
		}
	}
	pop(w, old);
	check_all(w, c, root);
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

int config_read_file(const char *path, char **text, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int err;

	if (!f)
		return -errno;
	errno = 0;
	for (;;) {
		if (n == cap) {
			char *nb = realloc(buf, (cap = cap ? cap * 2 : 65536) + 1);

			if (!nb) {
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			buf = nb;
		}
		size_t r = fread(buf + n, 1, cap - n, f);

		n += r;
		if (!r)
			break;
	}
	err = ferror(f) ? (errno ? -errno : -EIO) : 0; /* EISDIR says more than EIO */
	fclose(f);
	if (err) {
		free(buf);
		return err;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
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
