/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * decap_src.h - the outer sources the backends' decap program accepts
 * tunnels from: the LBs' source_v4/source_v6, given as prefixes on the
 * command line or read from LB configs (decap_src.c). Pure.
 */
#ifndef XDPLB_DECAP_SRC_H
#define XDPLB_DECAP_SRC_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "config.h"
#include "xdplb_abi.h"

struct decap_src {
	struct xdplb_addr addr; /* host bits zero */
	__u8 family; /* enum xdplb_family */
	__u8 plen; /* 0 only for "any source" */
};

struct decap_srcs {
	struct decap_src v[XDPLB_DECAP_MAX_SRCS];
	int n;
};

#define DECAP_SRC_STRLEN (ADDR_STRLEN + 5)

/* Parses a tunnel source: "ADDR" or "ADDR/LEN". Refuses what no LB sends
 * from: host bits set, a special-purpose range (addr_special), and /0
 * (that is --any-source, said explicitly). 0, or -EINVAL with the reason
 * in err. */
int decap_src_parse(const char *s, struct decap_src *out, char *err, size_t errlen);
/* Adds a source unless the set has it; -E2BIG beyond XDPLB_DECAP_MAX_SRCS. */
int decap_srcs_add(struct decap_srcs *set, const struct decap_src *s);
/* Adds an LB config's tunnel sources (source_v4, source_v6, whichever it
 * has); the number it has (0: none, nothing to accept), or -E2BIG. */
int decap_srcs_add_config(struct decap_srcs *set, const struct xdplb_config *cfg);
/* Fills the set with 0.0.0.0/0 and ::/0: every source. */
void decap_srcs_any(struct decap_srcs *set);
bool decap_srcs_is_any(const struct decap_srcs *set);
bool decap_srcs_has(const struct decap_srcs *set, const struct decap_src *s);

/* The decap_srcs map key of a source, and back. */
void decap_src_key(const struct decap_src *s, struct xdplb_decap_src_key *k);
int decap_src_of_key(const struct xdplb_decap_src_key *k, struct decap_src *s);
/* "192.0.2.0/24", "2001:db8::1/128" */
const char *decap_src_str(const struct decap_src *s, char *buf /* DECAP_SRC_STRLEN */);

#endif
