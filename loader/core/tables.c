// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>

#include "tables.h"

__u32 backend_new_flow_weight(const struct cfg_backend *b)
{
	return b->state == XDPLB_BE_ACTIVE ? b->weight : 0;
}

__u64 vip_active_weight(const struct cfg_vip *v, __u32 *n_active)
{
	__u64 sum = 0;
	__u32 n = 0;

	for (__u32 i = 0; i < v->n_backends; i++) {
		__u32 w = backend_new_flow_weight(&v->backends[i]);

		sum += w;
		n += w > 0;
	}
	if (n_active)
		*n_active = n;
	return sum;
}

static int build_one(const struct xdplb_config *cfg, const struct cfg_vip *v, __u32 *slots)
{
	struct maglev_backend *mb = calloc(v->n_backends ? v->n_backends : 1, sizeof(*mb));
	int err;

	if (!mb)
		return -ENOMEM;
	for (__u32 i = 0; i < v->n_backends; i++) {
		mb[i].addr = v->backends[i].addr;
		mb[i].family = v->backends[i].family;
		mb[i].weight = backend_new_flow_weight(&v->backends[i]);
	}
	err = maglev_build(mb, v->n_backends, v->table_size, cfg->hash_seed, slots);
	free(mb);
	return err;
}

int tables_build_vip(const struct xdplb_config *cfg, __u32 v, struct vip_tables *t)
{
	const struct cfg_vip *vip = &cfg->vips[v];
	int err;

	t->slots[v] = malloc(vip->table_size * sizeof(__u32));
	t->counts[v] = calloc(vip->n_backends ? vip->n_backends : 1, sizeof(__u32));
	if (!t->slots[v] || !t->counts[v])
		return -ENOMEM;
	err = build_one(cfg, vip, t->slots[v]);
	if (!err)
		maglev_count(t->slots[v], vip->table_size, vip->n_backends, t->counts[v]);
	return err;
}

int tables_build(const struct xdplb_config *cfg, struct vip_tables *t)
{
	int err = 0;

	t->n = cfg->n_vips;
	t->slots = calloc(t->n ? t->n : 1, sizeof(*t->slots));
	t->counts = calloc(t->n ? t->n : 1, sizeof(*t->counts));
	if (!t->slots || !t->counts) {
		err = -ENOMEM;
		goto out;
	}
	for (__u32 v = 0; v < t->n; v++) {
		err = tables_build_vip(cfg, v, t);
		if (err)
			goto out;
	}
	return 0;
out:
	tables_free(t);
	return err;
}

void tables_free(struct vip_tables *t)
{
	for (__u32 v = 0; v < t->n; v++) {
		if (t->slots)
			free(t->slots[v]);
		if (t->counts)
			free(t->counts[v]);
	}
	free(t->slots);
	free(t->counts);
	t->slots = t->counts = NULL;
	t->n = 0;
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

__u32 table_size_default(__u32 n_backends)
{
	static const __u32 ladder[] = { XDPLB_DEFAULT_TABLE_SIZE, 131071, 262147, 524309, 655373,
					XDPLB_MAX_TABLE_SIZE };

	for (size_t i = 0; i < sizeof(ladder) / sizeof(ladder[0]); i++)
		if ((unsigned long long)n_backends * CFG_MIN_SLOTS_PER_BACKEND <= ladder[i])
			return ladder[i];
	return 0;
}
