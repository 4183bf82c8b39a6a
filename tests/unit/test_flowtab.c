// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * conntrack's geometry and the age of its last-seen stamps (flowtab.h).
 */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "flowtab.h"

Test(flowtab, geometry)
{
	/* 1M flows on 2 CPUs: 524,288 a CPU, 174,763 buckets: 2^18 */
	cr_expect(eq(u32, flowtab_bits(1048576, 2), 18));
	cr_expect(eq(u64, flowtab_capacity(18, 2), 2ull * 262144 * XDPLB_CT_WAYS));
	cr_expect(eq(u32, flowtab_bits(3, 1), 0), "one bucket");
	cr_expect(eq(u32, flowtab_bits(4, 1), 1));
}

/* The stamp of jiffies J is J >> 8; jiffies are 2^32 - 300 s of ticks at
 * boot plus a tick per 1/HZ of monotonic time since. */
static __u32 stamp_at(double mono_s, __u32 hz)
{
	return (__u32)(((1ull << 32) - 300ull * hz + (__u64)(mono_s * hz)) >> XDPLB_CT_TIME_SHIFT);
}

Test(flowtab, seen_age)
{
	/* 10 stamps of 256 ticks at HZ 250: 10.24 s */
	cr_expect(
		epsilon_eq(dbl, flowtab_seen_age(stamp_at(100, 250) - 10, 250, 100), 10.24, 1e-9));
	/* HZ 1000: a stamp is 0.256 s; an hour ago */
	double a = flowtab_seen_age(stamp_at(7200, 1000), 1000, 10800);

	cr_expect(a > 3599 && a < 3601, "%f", a);
	/* a stamp from the future (clock skew): 0, not 2^32 stamps */
	cr_expect(epsilon_eq(dbl, flowtab_seen_age(stamp_at(100, 250) + 3, 250, 100), 0.0, 1e-9));
	cr_expect(epsilon_eq(dbl, flowtab_seen_age(5, 0, 100), 0.0, 1e-9), "HZ unknown: 0");
}

/* The 32-bit stamp wraps (jiffies >> 8 past 2^32, 139 years at HZ 250):
 * a stamp 20 s before the wrap, read 5 s after it, is 20 s old. */
Test(flowtab, seen_age_across_the_wrap)
{
	double wrap = (double)((1ull << 40) - (1ull << 32) + 300ull * 250) / 250;
	double a = flowtab_seen_age(stamp_at(wrap - 15, 250), 250, wrap + 5);

	cr_assert(stamp_at(wrap + 5, 250) < stamp_at(wrap - 15, 250), "precondition: it wrapped");
	cr_expect(a > 18.9 && a < 21.1, "%f", a);
}
