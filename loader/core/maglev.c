// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "maglev.h"
#include "xdplb_hash.h"

static __u32 identity_hash(const struct maglev_backend *b, __u32 seed)
{
	__u32 w[5] = { b->addr.v6[0], b->addr.v6[1], b->addr.v6[2], b->addr.v6[3], b->family };

	return xdplb_jhash_words(w, 5, seed);
}

static int by_identity(const void *pa, const void *pb, void *base)
{
	const struct maglev_perm *a = pa, *b = pb;
	const struct maglev_backend *x = (const struct maglev_backend *)base + a->idx;
	const struct maglev_backend *y = (const struct maglev_backend *)base + b->idx;
	int c;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	c = memcmp(x->addr.b, y->addr.b, sizeof(x->addr.b));
	if (c)
		return c;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* a^-1 mod m, m prime, 0 < a < m (extended Euclid) */
static __u64 inverse_mod(__u64 a, __u64 m)
{
	__s64 t = 0, nt = 1, r = (__s64)m, nr = (__s64)a;

	while (nr) {
		__s64 q = r / nr, x;

		x = t - q * nt, t = nt, nt = x;
		x = r - q * nr, r = nr, nr = x;
	}
	return (__u64)(t < 0 ? t + (__s64)m : t);
}

/* a mod m by Barrett reduction (mu = floor(2^64 / m)): no division. */
static inline __u64 mod_barrett(__u64 a, __u64 m, __u64 mu)
{
	__u64 q = (__u64)(((__uint128_t)a * mu) >> 64), r = a - q * m;

	return r >= m ? r - m : r;
}

#define USED(used, p) ((used)[(p) / 64] >> ((p) % 64) & 1)

/*
 * The population loop of the paper, weighted: backends take turns in the
 * order given, and a turn claims the first free slot of the backend's
 * permutation (offset, offset + skip, ... mod m).
 *
 * Probing costs about m/F per claim when F slots are free, so the last
 * claims dominate (m ln m probes in all). Once F <= sqrt(m), a claim scans
 * the F free slots instead: slot s is at position (s - offset) / skip mod m
 * of a backend's permutation, every earlier position is taken, so the free
 * slot at the smallest position is exactly the one probing would find.
 */
int maglev_populate(const struct maglev_perm *perm, __u32 n, __u32 m, __u32 *table)
{
	/* per backend: next slot of its permutation, turn credit (a running
	 * sum of its weight; a turn costs the largest weight), and 1/skip */
	__u32 *next = calloc(n ? n : 1, sizeof(*next));
	__u32 *credit = calloc(n ? n : 1, sizeof(*credit));
	__u64 *inv = calloc(n ? n : 1, sizeof(*inv));
	__u64 *used = calloc((m + 63) / 64, sizeof(*used));
	__u32 *free_slots = NULL, maxw = 0, filled = 0, nfree = 0, i = 0, t = 1;
	__u64 mu = (__u64)(((__uint128_t)1 << 64) / m);
	int err = -ENOMEM;

	if (!next || !credit || !inv || !used)
		goto out;
	for (__u32 k = 0; k < n; k++) {
		next[k] = perm[k].offset;
		if (perm[k].weight > maxw)
			maxw = perm[k].weight;
	}
	err = 0;
	if (!n || !maxw) { /* no backend takes a slot; otherwise every slot is taken below */
		for (__u32 k = 0; k < m; k++)
			table[k] = MAGLEV_NONE;
		goto out;
	}
	while ((__u64)(t + 1) * (t + 1) <= m)
		t++; /* floor(sqrt(m)): where scanning starts to beat probing */
	while (filled < m) {
		const struct maglev_perm *p = &perm[i];
		__u32 pos;

		credit[i] += p->weight;
		if (credit[i] >= maxw) {
			credit[i] -= maxw;
			if (m - filled > t) {
				pos = next[i];
				while (USED(used, pos)) {
					pos += p->skip;
					if (pos >= m)
						pos -= m;
				}
				used[pos / 64] |= 1ULL << (pos % 64);
				next[i] = pos + p->skip >= m ? pos + p->skip - m : pos + p->skip;
			} else {
				__u64 best = UINT64_MAX;
				__u32 at = 0;

				if (!free_slots) { /* the free slots, once */
					free_slots = malloc((m - filled) * sizeof(*free_slots));
					if (!free_slots) {
						err = -ENOMEM;
						goto out;
					}
					for (__u32 w = 0; w < (m + 63) / 64; w++)
						for (__u64 bits = ~used[w]; bits;
						     bits &= bits - 1) {
							__u32 s = w * 64 +
								  (__u32)__builtin_ctzll(bits);

							if (s < m)
								free_slots[nfree++] = s;
						}
				}
				if (!inv[i])
					inv[i] = inverse_mod(p->skip, m);
				for (__u32 k = 0; k < nfree; k++) {
					__u64 j = mod_barrett(
						(__u64)(free_slots[k] + m - p->offset) * inv[i], m,
						mu);

					if (j < best)
						best = j, at = k;
				}
				pos = free_slots[at];
				free_slots[at] = free_slots[--nfree];
			}
			table[pos] = p->idx;
			filled++;
		}
		if (++i == n)
			i = 0;
	}
out:
	free(next);
	free(credit);
	free(inv);
	free(used);
	free(free_slots);
	return err;
}

int maglev_build(const struct maglev_backend *b, __u32 n, __u32 m, __u32 seed, __u32 *table)
{
	struct maglev_perm *perm;
	__u32 k = 0;
	int err;

	if (m < 2)
		return -EINVAL;
	perm = calloc(n ? n : 1, sizeof(*perm));
	if (!perm)
		return -ENOMEM;
	for (__u32 i = 0; i < n; i++) {
		if (!b[i].weight)
			continue;
		perm[k].idx = i;
		perm[k].weight = b[i].weight;
		perm[k].offset = identity_hash(&b[i], seed ^ XDPLB_MAGLEV_OFFSET_SEED) % m;
		perm[k].skip = identity_hash(&b[i], seed ^ XDPLB_MAGLEV_SKIP_SEED) % (m - 1) + 1;
		k++;
	}
	/* turns in address order: the table depends on the set, not the list */
	qsort_r(perm, k, sizeof(*perm), by_identity, (void *)b);
	err = maglev_populate(perm, k, m, table);
	free(perm);
	return err;
}

void maglev_count(const __u32 *table, __u32 m, __u32 n, __u32 *counts)
{
	memset(counts, 0, n * sizeof(*counts));
	for (__u32 i = 0; i < m; i++)
		if (table[i] < n)
			counts[table[i]]++;
}
