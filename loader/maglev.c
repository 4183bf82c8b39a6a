// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "maglev.h"
#include "../bpf/xdplb_hash.h"

struct walker {
	__u32 next; /* next slot of this backend's permutation */
	__u32 skip;
	__u32 weight;
	__u32 credit; /* running sum of weight; a turn costs max weight */
	__u32 idx; /* into the caller's array */
};

static __u32 identity_hash(const struct maglev_backend *b, __u32 seed)
{
	__u32 w[5] = { b->addr.v6[0], b->addr.v6[1], b->addr.v6[2], b->addr.v6[3], b->family };

	return xdplb_jhash_words(w, 5, seed);
}

static int by_identity(const void *pa, const void *pb, void *base)
{
	const struct walker *a = pa, *b = pb;
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

int maglev_build(const struct maglev_backend *b, __u32 n, __u32 m, __u32 seed, __u32 *table)
{
	struct walker *wk;
	__u64 *used;
	__u32 k = 0, maxw = 0, filled = 0;

	if (m < 2)
		return -EINVAL;
	for (__u32 i = 0; i < m; i++)
		table[i] = MAGLEV_NONE;
	wk = calloc(n ? n : 1, sizeof(*wk));
	used = calloc((m + 63) / 64, sizeof(*used));
	if (!wk || !used) {
		free(wk);
		free(used);
		return -ENOMEM;
	}
	for (__u32 i = 0; i < n; i++) {
		if (!b[i].weight)
			continue;
		wk[k].idx = i;
		wk[k].weight = b[i].weight;
		wk[k].next = identity_hash(&b[i], seed ^ XDPLB_MAGLEV_OFFSET_SEED) % m;
		wk[k].skip = identity_hash(&b[i], seed ^ XDPLB_MAGLEV_SKIP_SEED) % (m - 1) + 1;
		if (b[i].weight > maxw)
			maxw = b[i].weight;
		k++;
	}
	qsort_r(wk, k, sizeof(*wk), by_identity, (void *)b);
	while (k && filled < m) {
		for (__u32 i = 0; i < k && filled < m; i++) {
			struct walker *w = &wk[i];
			__u32 pos;

			w->credit += w->weight;
			if (w->credit < maxw)
				continue;
			w->credit -= maxw;
			pos = w->next;
			while (used[pos / 64] & (1ULL << (pos % 64))) {
				pos += w->skip;
				if (pos >= m)
					pos -= m;
			}
			used[pos / 64] |= 1ULL << (pos % 64);
			table[pos] = w->idx;
			pos += w->skip;
			w->next = pos >= m ? pos - m : pos;
			filled++;
		}
	}
	free(wk);
	free(used);
	return 0;
}

void maglev_count(const __u32 *table, __u32 m, __u32 n, __u32 *counts)
{
	memset(counts, 0, n * sizeof(*counts));
	for (__u32 i = 0; i < m; i++)
		if (table[i] < n)
			counts[table[i]]++;
}
