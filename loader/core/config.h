/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * config.h - the config file: parsed, checked and held in memory.
 *
 * Pure: no BPF and no syscall but reading the file. docs/config.md is the
 * user-facing reference; keep the two in step.
 */
#ifndef XDPLB_CONFIG_H
#define XDPLB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <net/if.h>

#include "xdplb_abi.h"
#include "config_fleet.h"
#include "diag.h"

enum xdplb_mode {
	XDPLB_MODE_UNKNOWN = -1, /* a snapshot of maps without their link */
	XDPLB_MODE_NATIVE = 0,
	XDPLB_MODE_GENERIC = 1,
};

#define CFG_MIN_MTU 576
#define CFG_MIN_MTU_V6 1280
#define CFG_MAX_MTU 9216
#define CFG_DEFAULT_MTU 1500
#define CFG_DEFAULT_UDP_TIMEOUT 30 /* Katran's */
#define CFG_MAX_UDP_TIMEOUT 86400
#define CFG_MAX_ICMP_RATE 100000000 /* a second per CPU: no limit in practice */
#define CFG_MIN_CT_SIZE 1024
#define CFG_MAX_CT_SIZE (1u << 24)
#define CFG_DEFAULT_WEIGHT 100
#define CFG_MIN_SLOTS_PER_BACKEND 100
#define CFG_MAX_MIN_ACTIVE 4096

/* A guard's value, and whether the config set it (else the default holds). */
struct guards {
	double max_backend_share; /* < 0: default min(1, 2/N) */
	double max_share_error;
	double max_flows_moved;
	int min_active_backends;
};

#define GUARDS_UNSET                                                                   \
	(struct guards)                                                                \
	{                                                                              \
		.max_backend_share = -1, .max_share_error = -1, .max_flows_moved = -1, \
		.min_active_backends = -1                                              \
	}

/* A health check (docs/health.md), as a config gives it: unset fields
 * (< 0, 0 or "") inherit the top level's, then the defaults
 * (config_vip_hc()). */
enum hc_type { HC_NONE = 0, HC_TCP = 1, HC_HTTP = 2 };
enum hc_through { HC_TUNNEL = 0, HC_DIRECT = 1 };

struct health_check_cfg {
	int type; /* enum hc_type */
	int through; /* enum hc_through: to the VIP through the tunnel, or to the backend */
	int port; /* 0: the VIP's */
	char path[128]; /* http */
	char host[128]; /* http: the Host header; "": the address */
	int expect; /* http: the status */
	double interval, timeout; /* seconds */
	int rise, fall;
	double max_out; /* the cascade guard: at most this fraction of a VIP's backends out */
	int out; /* 0: down, 1: drain (what a failing backend becomes) */
};

struct cfg_backend {
	char name[XDPLB_NAME_LEN];
	struct xdplb_addr addr;
	__u8 family;
	/* effective: enum xdplb_backend_state, never NONE. What the Maglev
	 * table is built from; cfg_state unless health took it out */
	__u8 state;
	__u8 cfg_state; /* configured: the file's, or an override's */
	__u8 health; /* enum xdplb_health */
	bool override; /* cfg_state/weight are an operator's override */
	__u32 weight;
};

/* A VIP's "hash": what its Maglev table is indexed by (xdplb_vip_hash()). */
enum cfg_hash {
	CFG_HASH_5TUPLE = 0, /* the default: addresses and ports */
	CFG_HASH_SOURCE = 1, /* source and VIP addresses only: a client's connections together */
};

extern const char *const config_hash_names[]; /* by enum cfg_hash, NULL-ended */

struct cfg_vip {
	char name[XDPLB_NAME_LEN];
	struct xdplb_addr addr;
	__u8 family;
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u16 port; /* host order; 0 = every port */
	__u8 hash; /* enum cfg_hash */
	__u32 table_size;
	struct guards guards; /* this VIP's own settings (unset fields: top level) */
	struct health_check_cfg hc; /* this VIP's own (unset fields: top level) */
	struct cfg_backend *backends;
	__u32 n_backends;
};

struct xdplb_config {
	char interface[IF_NAMESIZE];
	enum xdplb_mode mode;
	/* the next hop's MAC: next_hop_mac's, or (next_hop) zero until the
	 * kernel layer resolves nh (neigh.c) */
	__u8 nh_mac[6];
	struct cfg_next_hop nh;
	struct cfg_announce announce;
	struct xdplb_addr src_v4, src_v6;
	int src_v4_plen, src_v6_plen; /* 0: not configured */
	__u32 mtu;
	__u32 hash_seed;
	bool icmp_echo; /* answer echo requests to VIP addresses (default true) */
	__u32 ct_size;
	__u32 udp_timeout; /* seconds; 0: UDP flows never expire */
	__u32 icmp_rate; /* too-big ICMP errors a second per CPU; 0: none */
	struct guards guards;
	struct health_check_cfg hc; /* every VIP's default */
	struct cfg_vip *vips;
	__u32 n_vips;
	/* SHA-256 of the canonical form of the shared part (config_canonical()):
	 * the same on every LB running the same service, whatever the
	 * formatting and the host settings. What the maps, status, metrics
	 * and the history call the config's digest. */
	__u8 digest[32];
	/* SHA-256 of the host settings (host keys, from either file, with
	 * --iface/--mode): whether this LB's own settings are the live ones */
	__u8 host_digest[32];
	__u8 file_digest[32]; /* SHA-256 of the config file's bytes (the history's) */
	bool shared_only; /* checked as a fleet's shared file: no host settings */
};

/*
 * Every top-level key belongs to the service (SHARED: the same on every LB
 * of a fleet, in the digest) or to one LB (HOST: may come from a host file,
 * --host, and is left out of the digest). config.c holds the one table;
 * a new host key is one line there.
 */
enum cfg_scope { CFG_SHARED = 0, CFG_HOST = 1 };

struct config_key {
	const char *name;
	enum cfg_scope scope;
};

extern const struct config_key config_top_keys[]; /* NULL-name ended */
/* The scope of a top-level key; -1 for a key the schema does not know. */
int config_key_scope(const char *key);

struct config_opts {
	const char *iface; /* --iface: overrides (or supplies) "interface" */
	int mode; /* --mode: -1 keeps the config's */
	bool force; /* --force: guard refusals become warnings (schema errors never do) */
	/* --host: a host file's bytes (a JSON object of host keys only),
	 * merged into the config; NULL: none. Its problems are reported with
	 * .file = host_name. name: the config's own file, for messages. */
	const char *host_text;
	size_t host_len;
	const char *host_name;
	const char *name;
	/* --shared: the config is a fleet's shared file: a host key in it is
	 * an error, and without a host file the host keys it needs
	 * (interface, next_hop_mac, sources) are not asked for */
	bool shared;
};

/*
 * Parses and checks the schema (types, ranges, unknown keys, duplicates,
 * cross-field rules); every problem goes to @d. Returns 0 and fills @cfg
 * when there is none, -EINVAL otherwise (and @cfg is left empty).
 * Guards need the Maglev tables: see guards.h.
 */
int config_parse(const char *text, size_t len, const struct config_opts *opts,
		 struct xdplb_config *cfg, struct diags *d);
/* The largest file read: a config of XDPLB_MAX_BACKENDS backends written
 * out in full is about 20 MiB. */
#define CONFIG_MAX_BYTES (64u << 20)
/* The whole file, NUL-terminated, in *text (malloc'ed); -errno, -EFBIG
 * beyond CONFIG_MAX_BYTES (config_file.c: the one file reader of the CLI,
 * validation and history). */
int config_read_file(const char *path, char **text, size_t *len);
/* The same from an open stream, which it closes (the history opens its
 * files itself: openat, O_NOFOLLOW, regular files only). */
int config_read_stream(FILE *f, char **text, size_t *len);
/* What config_read_file's error means, for a message. */
const char *config_read_strerror(int err);
/* The canonical form of the shared part (JSON text, malloc'ed; NULL: no
 * memory), whose SHA-256 is cfg->digest: every shared setting with its
 * default filled in and its value parsed (hash_seed "0x10" is 16, an
 * address is printed one way), the guards and health check each VIP runs
 * with, VIPs and backends sorted by identity, object keys sorted, no
 * whitespace. canonical.c; docs/fleet.md. */
char *config_canonical(const struct xdplb_config *cfg);
/* Whether cfg is what the globals g say is live: the same digest and the
 * same host settings (g->host_tag). */
bool config_is_live(const struct xdplb_config *cfg, const struct xdplb_global_cfg *g);
/* The tag of the host settings kept in the globals (the first 4 bytes of
 * host_digest). */
__u32 config_host_tag(const struct xdplb_config *cfg);
/* Reads FILE and parses it. -errno when the file cannot be read. */
int config_load_file(const char *path, const struct config_opts *opts, struct xdplb_config *cfg,
		     struct diags *d);
void config_free(struct xdplb_config *cfg);

/* The XDPLB_VIP_F_HASH_* flags of a VIP's hash mode: what its entry in
 * the vips map carries, and what xdplb_vip_hash() takes. */
static inline __u32 config_vip_hash_flags(const struct cfg_vip *v)
{
	return v->hash == CFG_HASH_SOURCE ? XDPLB_VIP_F_HASH_SOURCE : 0;
}

/* The guards that apply to a VIP: its own, else the top level, else defaults. */
struct guards config_vip_guards(const struct xdplb_config *cfg, const struct cfg_vip *vip);
/* The health check of a VIP: its own keys, else the top level's, else the
 * defaults (type none: no check). */
struct health_check_cfg config_vip_hc(const struct xdplb_config *cfg, const struct cfg_vip *vip);
/* Every field unset (inherits). */
void hc_unset(struct health_check_cfg *h);

/* The config's mtu against the MTU of its interface (if_mtu, read by the
 * loader): 1 and a warning naming both figures in buf when mtu is above
 * it (an encapsulated frame the interface cannot send would be lost
 * uncounted instead of counted as too_big), 0 when it fits. A warning,
 * not a refusal: docs/design-changes.md 39. */
int config_mtu_check(const struct xdplb_config *cfg, int if_mtu, char *buf, size_t len);

#endif
