// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * khz.c - the kernel's tick rate (khz.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/utsname.h>
#include <zlib.h>

#include "khz.h"
#include "log.h"

#define HZ_FALLBACK 250

/* CONFIG_HZ=N in a kernel config, plain or gzip'ed (gzopen reads both). */
static __u32 hz_from_config(const char *path)
{
	gzFile f = gzopen(path, "rb");
	char line[256];
	__u32 hz = 0;

	if (!f)
		return 0;
	while (!hz && gzgets(f, line, sizeof(line)))
		if (!strncmp(line, "CONFIG_HZ=", 10))
			hz = (__u32)strtoul(line + 10, NULL, 10);
	gzclose(f);
	return hz;
}

/* jiffies now, from /proc/timer_list's header; 0 when unreadable */
static unsigned long long jiffies_now(void)
{
	FILE *f = fopen("/proc/timer_list", "r");
	unsigned long long j = 0;
	char line[256];

	if (!f)
		return 0;
	while (!j && fgets(line, sizeof(line), f))
		if (!strncmp(line, "jiffies: ", 9))
			j = strtoull(line + 9, NULL, 10);
	fclose(f);
	return j;
}

/* Jiffies over 200 ms, rounded to the HZ values Linux offers. */
static __u32 hz_measured(void)
{
	static const __u32 known[] = { 100, 250, 300, 1000 };
	struct timespec d = { .tv_nsec = 200 * 1000 * 1000 };
	unsigned long long a = jiffies_now(), b;
	__u32 best = 0;
	double rate;

	if (!a)
		return 0;
	nanosleep(&d, NULL);
	b = jiffies_now();
	rate = (double)(b - a) / 0.2;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!best || (rate > known[i] ? rate - known[i] : known[i] - rate) <
				     (rate > best ? rate - best : best - rate))
			best = known[i];
	return best;
}

__u32 kernel_hz(void)
{
	struct utsname u;
	char path[sizeof(u.release) + 16];
	__u32 hz = hz_from_config("/proc/config.gz");

	if (!hz && !uname(&u)) {
		snprintf(path, sizeof(path), "/boot/config-%s", u.release);
		hz = hz_from_config(path);
	}
	if (!hz)
		hz = hz_measured();
	if (!hz) {
		pr_warn("the kernel's HZ is in none of /proc/config.gz, /boot/config-RELEASE, /proc/timer_list: taking %u (UDP flows idle %s than udp_timeout if it is wrong)\n",
			HZ_FALLBACK, "longer or shorter");
		hz = HZ_FALLBACK;
	}
	return hz;
}
