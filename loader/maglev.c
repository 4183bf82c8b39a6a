// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "maglev.h"
#include "../bpf/xdplb_hash.h"

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

int maglev_populate(const struct maglev_perm *perm, __u32 n, __u32 m, __u32 *table)
{
	/* per backend: next slot of its permutation, and its turn credit (a
	 * running sum of its weight; a turn costs the largest weight) */
	__u32 *next = calloc(n ? n : 1, sizeof(*next));
	__u32 *credit = calloc(n ? n : 1, sizeof(*credit));
	__u64 *used = calloc((m + 63) / 64, sizeof(*used));
	__u32 maxw = 0, filled = 0;

	if (!next || !credit || !used) {
		free(next);
		free(credit);
		free(used);
		return -ENOMEM;
	}
	for (__u32 i = 0; i < m; i++)
		table[i] = MAGLEV_NONE;
	for (__u32 i = 0; i < n; i++) {
		next[i] = perm[i].offset;
		if (perm[i].weight > maxw)
			maxw = perm[i].weight;
	}
	while (n && maxw && filled < m) {
		for (__u32 i = 0; i < n && filled < m; i++) {
			__u32 pos, skip = perm[i].skip;

			credit[i] += perm[i].weight;
			if (credit[i] < maxw)
				continue;
			credit[i] -= maxw;
			/* the next slot of its permutation that is still free */
			pos = next[i];
			while (used[pos / 64] & (1ULL << (pos % 64))) {
				pos += skip;
				if (pos >= m)
					pos -= m;
			}
			used[pos / 64] |= 1ULL << (pos % 64);
			table[pos] = perm[i].idx;
			pos += skip;
			next[i] = pos >= m ? pos - m : pos;
			filled++;
		}
	}
	free(next);
	free(credit);
	free(used);
	return 0;
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
