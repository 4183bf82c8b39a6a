// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Maglev: the paper's example, balance, disruption, order independence, determinism. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "maglev.h"
#include "sha256.h"

/* SHA-256 of the table in golden_table(), recorded when the algorithm was
 * fixed (see the test). */
#define XDPLB_GOLDEN_TABLE_DIGEST \
	"sha256:9aa43e53e5752cd3921c0464762862b3c123dc04c6b856b2ce11ea71467db990"

/* Table 1 of Eisenbud et al., NSDI 2016: three backends, M = 7.
 * B0: offset 3, skip 4; B1: offset 0, skip 2; B2: offset 3, skip 1. */
Test(maglev, paper_example_m7)
{
	const struct maglev_perm perm[] = {
		{ .offset = 3, .skip = 4, .weight = 1, .idx = 0 },
		{ .offset = 0, .skip = 2, .weight = 1, .idx = 1 },
		{ .offset = 3, .skip = 1, .weight = 1, .idx = 2 },
	};
	const __u32 before[7] = { 1, 0, 1, 0, 2, 2, 0 }; /* the paper's lookup table */
	/* B1 removed, worked by hand through the paper's Pseudocode 1: B1's
	 * slots 0 and 2 go to B0, and slot 6 cascades from B0 to B2 (Maglev
	 * is not minimally disruptive) */
	const __u32 after[7] = { 0, 0, 0, 0, 2, 2, 2 };
	const struct maglev_perm without_b1[] = { perm[0], perm[2] };
	__u32 t[7];

	cr_assert(eq(int, maglev_populate(perm, 3, 7, t), 0));
	cr_assert(eq(u32[7], t, (__u32 *)before));
	cr_assert(eq(int, maglev_populate(without_b1, 2, 7, t), 0));
	cr_assert(eq(u32[7], t, (__u32 *)after));
}

/* n IPv4 backends 10.0.x.y, weight w(i) */
static struct maglev_backend *mk(__u32 n, __u32 (*w)(__u32 i), __u32 salt)
{
	struct maglev_backend *b = calloc(n, sizeof(*b));

	for (__u32 i = 0; i < n; i++) {
		b[i].family = XDPLB_AF_INET;
		b[i].addr.v4 = htonl(0x0a000000 + salt * 100000 + i * 13 + 1);
		b[i].weight = w(i);
	}
	return b;
}

static __u32 w_equal(__u32 i)
{
	return 100;
}

static __u32 w_mixed(__u32 i)
{
	return 100 * (1 + i % 4); /* 100, 200, 300, 400, ... */
}

/* max over backends of |slots - expected| / expected */
static double max_rel_error(const struct maglev_backend *b, __u32 n, __u32 m, const __u32 *t)
{
	__u32 *cnt = calloc(n, sizeof(*cnt));
	double wsum = 0, worst = 0;

	maglev_count(t, m, n, cnt);
	for (__u32 i = 0; i < n; i++)
		wsum += b[i].weight;
	for (__u32 i = 0; i < n; i++) {
		double exp = m * b[i].weight / wsum;

		worst = fmax(worst, fabs(cnt[i] - exp) / exp);
	}
	free(cnt);
	return worst;
}

/* Balance within 1% of the weight share for M = 65537 and N up to 1000. */
Test(maglev, balance_within_one_percent)
{
	const __u32 ns[] = { 1, 2, 3, 10, 100, 500, 1000 };
	const __u32 m = 65537;
	__u32 *t = malloc(m * sizeof(*t));

	for (size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
		for (int mixed = 0; mixed < 2; mixed++) {
			struct maglev_backend *b = mk(ns[k], mixed ? w_mixed : w_equal, 0);
			double e;

			cr_assert(eq(int, maglev_build(b, ns[k], m, 0x5eed, t), 0));
			e = max_rel_error(b, ns[k], m, t);
			cr_expect(le(dbl, e, 0.0115),
				  "N=%u %s weights: worst backend is %.2f%% off its weight share",
				  ns[k], mixed ? "mixed" : "equal", 100 * e);
			if (!mixed)
				cr_expect(le(dbl, e, 0.01), "N=%u equal weights: %.2f%% off", ns[k],
					  100 * e);
			free(b);
		}
	}
	free(t);
}

/* Every slot belongs to a backend with a weight; weight 0 gets nothing. */
Test(maglev, full_table_and_zero_weight)
{
	struct maglev_backend *b = mk(5, w_equal, 1);
	__u32 t[1009], cnt[5];

	b[2].weight = 0;
	cr_assert(eq(int, maglev_build(b, 5, 1009, 1, t), 0));
	maglev_count(t, 1009, 5, cnt);
	cr_expect(eq(u32, cnt[2], 0));
	cr_expect(eq(u32, cnt[0] + cnt[1] + cnt[3] + cnt[4], 1009));
	for (int i = 0; i < 5; i++)
		b[i].weight = 0;
	cr_assert(eq(int, maglev_build(b, 5, 1009, 1, t), 0));
	for (int i = 0; i < 1009; i++)
		cr_assert(eq(u32, t[i], MAGLEV_NONE));
	free(b);
}

/* Fraction of slots whose backend changes when backend rm is removed. */
static double disruption(__u32 n, __u32 m, __u32 rm, __u32 salt)
{
	struct maglev_backend *b = mk(n, w_equal, salt), *b2 = calloc(n, sizeof(*b2));
	__u32 *t = malloc(m * sizeof(*t)), *t2 = malloc(m * sizeof(*t2)), k = 0, moved = 0;

	for (__u32 i = 0; i < n; i++)
		if (i != rm)
			b2[k++] = b[i];
	maglev_build(b, n, m, salt, t);
	maglev_build(b2, k, m, salt, t2);
	for (__u32 s = 0; s < m; s++) {
		__u32 was = t[s] == rm ? MAGLEV_NONE : t[s] > rm ? t[s] - 1 : t[s];

		moved += was != t2[s];
	}
	free(b);
	free(b2);
	free(t);
	free(t2);
	return (double)moved / m;
}

/*
 * Removing one of N backends moves its 1/N of the slots, plus Maglev's
 * cascade (the paper trades a little disruption for balance). Bounds from
 * measurements averaged over seeds, at table sizes that respect M >= 100 N:
 * N=10: 1.02x, N=100 (M=65537): 1.56x, N=1000 (M=1048573): 2.95x.
 */
Test(maglev, disruption_close_to_one_over_n)
{
	const struct {
		__u32 n, m;
		double max_ratio;
	} c[] = { { 10, 65537, 1.1 }, { 100, 65537, 1.8 }, { 1000, 1048573, 3.5 } };

	for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		double sum = 0;

		for (__u32 salt = 1; salt <= 3; salt++) {
			double d = disruption(c[k].n, c[k].m, (salt * 7919) % c[k].n, salt);

			/* at least the removed backend's share must move */
			cr_expect(ge(dbl, d, (1.0 / c[k].n) * 0.98), "N=%u: %.5f moved", c[k].n, d);
			sum += d;
		}
		cr_expect(le(dbl, sum / 3 * c[k].n, c[k].max_ratio),
			  "N=%u M=%u: %.2fx the minimal disruption", c[k].n, c[k].m,
			  sum / 3 * c[k].n);
	}
}

/* The table is a function of the set of backends, not of their order. */
Test(maglev, same_table_for_shuffled_order)
{
	const __u32 n = 50, m = 65537;
	struct maglev_backend *b = mk(n, w_mixed, 2), *s = malloc(n * sizeof(*s));
	__u32 *t = malloc(m * sizeof(*t)), *t2 = malloc(m * sizeof(*t2)), *perm = malloc(n * 4);

	srand(42);
	for (__u32 i = 0; i < n; i++)
		perm[i] = i;
	for (__u32 i = n - 1; i > 0; i--) {
		__u32 j = (__u32)rand() % (i + 1), x = perm[i];

		perm[i] = perm[j];
		perm[j] = x;
	}
	for (__u32 i = 0; i < n; i++)
		s[i] = b[perm[i]];
	maglev_build(b, n, m, 9, t);
	maglev_build(s, n, m, 9, t2);
	for (__u32 k = 0; k < m; k++)
		cr_assert(eq(u32, b[t[k]].addr.v4, s[t2[k]].addr.v4), "slot %u differs", k);
	free(b);
	free(s);
	free(t);
	free(t2);
	free(perm);
}

/*
 * Determinism across runs, processes, builds and hosts: the digest of a
 * fixed table is a constant. If this changes, every LB fleet mixing old
 * and new versions would disagree on backends: change it on purpose only.
 */
Test(maglev, golden_table)
{
	struct maglev_backend *b = mk(7, w_mixed, 3);
	__u32 t[1009];
	__u8 d[32];
	char hex[80];

	maglev_build(b, 7, 1009, 0x5eed, t);
	sha256(t, sizeof(t), d);
	cr_expect(eq(str, (char *)digest_str(d, hex), XDPLB_GOLDEN_TABLE_DIGEST));
	free(b);
}

/*
 * The same at the sizes a service rebuilds on a health change, where the
 * population's late claims (the scan of the free slots) dominate: M =
 * 65537 with 100 equal backends, one of them out (weight 0), and M =
 * 10007 and 1009 with mixed weights, 1,000 backends and IPv6 addresses.
 * Recorded before the population loop was made faster: a faster loop
 * must give these very tables.
 */
static const struct {
	__u32 n, m, salt, zero, v6;
	__u32 (*w)(__u32 i);
	const char *digest;
} golden[] = {
	{ 100, 65537, 5, 0, 0, w_equal,
	  "sha256:5cbea7a266b42c0244de4dbd6ab153dbf82c1278554eea26eba10e22ee733ea8" },
	{ 100, 65537, 5, 37, 0, w_equal,
	  "sha256:66ec1bed156257035ec8bdf77d7b770c7dead9aa25dc15eb95d4caa8785787a6" },
	{ 1000, 10007, 6, 500, 0, w_mixed,
	  "sha256:8f8d1038c2ab22f4635e2008d02ed0faea685047c42f2f0c8d22a02d21a831fc" },
	{ 300, 65537, 7, 1, 1, w_mixed,
	  "sha256:c8349131187ff21e6dfd0ed65f17e96d3d2e544d8a3b6400cd9cbbb543d95cef" },
	{ 3, 1009, 8, 0, 1, w_mixed,
	  "sha256:255dd1203378782492f174f88cb8bd69fac1a93b4d71330046495f604a4ac3e4" },
};

Test(maglev, golden_tables_large)
{
	for (__u32 g = 0; g < sizeof(golden) / sizeof(golden[0]); g++) {
		struct maglev_backend *b = mk(golden[g].n, golden[g].w, golden[g].salt);
		__u32 *t = calloc(golden[g].m, sizeof(*t));
		__u8 d[32];
		char hex[80];

		for (__u32 i = 0; golden[g].v6 && i < golden[g].n; i += 2) {
			b[i].family = XDPLB_AF_INET6;
			b[i].addr.v6[0] = htonl(0x20010db8);
			b[i].addr.v6[3] = htonl(i + 1);
		}
		if (golden[g].zero)
			b[golden[g].zero].weight = 0;
		cr_assert(eq(int, maglev_build(b, golden[g].n, golden[g].m, 0x5eed, t), 0));
		sha256(t, golden[g].m * sizeof(*t), d);
		cr_expect(eq(str, (char *)digest_str(d, hex), (char *)golden[g].digest),
			  "table %u (n %u, m %u)", g, golden[g].n, golden[g].m);
		free(b);
		free(t);
	}
}

/* A different hash_seed gives a different (still balanced) table. */
Test(maglev, seed_changes_table)
{
	struct maglev_backend *b = mk(10, w_equal, 4);
	__u32 t[1009], t2[1009], same = 0;

	maglev_build(b, 10, 1009, 1, t);
	maglev_build(b, 10, 1009, 2, t2);
	for (int i = 0; i < 1009; i++)
		same += t[i] == t2[i];
	cr_expect(lt(u32, same, 300), "%u of 1009 slots equal across seeds", same);
	free(b);
}
