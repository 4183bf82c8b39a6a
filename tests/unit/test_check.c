// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The pure parts of a check: the HTTP request, the status line read in
 * pieces, the spread of first starts and the grid of later ones. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <string.h>

#include "check.h"

Test(check, http_request_shape)
{
	char buf[CHECK_REQ_MAX];
	const char *want = "GET /healthz HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\n"
			   "Connection: close\r\n\r\n";

	cr_assert(eq(int, check_http_request(buf, sizeof(buf), "/healthz", "[2001:db8::1]:8080"),
		     (int)strlen(want)));
	cr_expect(eq(str, buf, (char *)want));
}

Test(check, http_request_refuses_injection_and_overflow)
{
	char buf[64];

	cr_expect(eq(int, check_http_request(buf, sizeof(buf), "healthz", "h"), -EINVAL));
	cr_expect(eq(int, check_http_request(buf, sizeof(buf), "/a b", "h"), -EINVAL));
	cr_expect(eq(int, check_http_request(buf, sizeof(buf), "/a", "h\r\nX: 1"), -EINVAL));
	cr_expect(eq(int, check_http_request(buf, sizeof(buf), "/a", ""), -EINVAL));
	cr_expect(eq(int,
		     check_http_request(buf, sizeof(buf), "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "h"),
		     -ENAMETOOLONG));
}

/* Every prefix of a good line is "more", the whole of it is the status. */
Test(check, http_status_read_in_pieces)
{
	const char *lines[] = { "HTTP/1.1 200 OK\r\n", "HTTP/1.0 503 Service Unavailable\r\n",
				"HTTP/1.1 204\r\n", "HTTP/1.1 404\n" };
	const int want[] = { 200, 503, 204, 404 };

	for (int k = 0; k < 4; k++) {
		size_t full = strlen(lines[k]);
		int st = -1;

		for (size_t len = 0; len < 13; len++)
			cr_expect(eq(int, check_http_status(lines[k], len, &st), 0), "%s %zu",
				  lines[k], len);
		cr_expect(eq(int, check_http_status(lines[k], 13, &st), 1));
		cr_expect(eq(int, st, want[k]));
		cr_expect(eq(int, check_http_status(lines[k], full, &st), 1));
	}
}

Test(check, http_status_refuses_what_is_not_one)
{
	int st;

	cr_expect(eq(int, check_http_status("SSH-2.0-OpenSSH\r\n", 17, &st), -EPROTO));
	cr_expect(eq(int, check_http_status("HTTP/2 200\r\n", 12, &st), -EPROTO));
	cr_expect(eq(int, check_http_status("HTTP/1.1 20x OK\r\n", 17, &st), -EPROTO));
	cr_expect(eq(int, check_http_status("HTTP/1.1 2000 OK\r\n", 18, &st), -EPROTO));
	cr_expect(eq(int, check_http_status("http/1.1 200 OK\r\n", 17, &st), -EPROTO));
	/* wrong from the first byte: no need to wait for more */
	cr_expect(eq(int, check_http_status("<", 1, &st), -EPROTO));
}

/* 1,000 targets at 1 s: a start every millisecond, none together. */
Test(check, first_starts_are_spread_over_the_interval)
{
	double prev = -1;

	for (__u32 i = 0; i < 1000; i++) {
		double o = check_offset(i, 1000, 1.0);

		cr_assert(ge(dbl, o, 0));
		cr_assert(lt(dbl, o, 1.0));
		cr_assert(gt(dbl, o - prev, 0.000999));
		prev = o;
	}
	cr_expect(eq(dbl, check_offset(0, 0, 1.0), 0));
}

Test(check, next_due_keeps_the_grid_and_skips_missed_runs)
{
	cr_expect(eq(dbl, check_next_due(10.25, 1, 10.3), 11.25));
	/* on time, or a little late: the next slot */
	cr_expect(eq(dbl, check_next_due(10.25, 1, 11.0), 11.25));
	/* three intervals late: the first slot after now, nothing made up */
	cr_expect(eq(dbl, check_next_due(10.25, 1, 13.5), 14.25));
	/* exactly on a slot: strictly after now */
	cr_expect(eq(dbl, check_next_due(10.25, 1, 12.25), 13.25));
}
