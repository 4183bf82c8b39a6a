// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The exporter's gzip: which Accept-Encoding values accept it, and a
 * compressed body that inflates back to the same bytes. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "gzip.h"

Test(gzip, accept_encoding)
{
	static const char *const yes[] = { "gzip",
					   "GZip",
					   "deflate, gzip",
					   "gzip;q=0.5",
					   " br , gzip ; q=1",
					   "*",
					   "identity, *;q=0.1" };
	static const char *const no[] = { "",	      "identity",    "deflate, br",
					  "gzip;q=0", "gzip; q=0.0", "xgzip",
					  "gzipx",    "*;q=0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		cr_expect(gzip_accepted(yes[i]), "\"%s\" accepts gzip", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		cr_expect(not(gzip_accepted(no[i])), "\"%s\" does not", no[i]);
	cr_expect(not(gzip_accepted(NULL)));
}

Test(gzip, round_trip)
{
	size_t len = 1 << 20, zlen, back_len;
	char *in = malloc(len), *z = NULL, *back = malloc(len + 1);
	z_stream s = { 0 };

	cr_assert(in && back);
	/* exposition-like text: repetitive, with numbers */
	for (size_t n = 0, i = 0; n < len; i++)
		n += (size_t)snprintf(
			in + n, len - n,
			"xdplb_backend_packets_total{vip=\"web\",backend=\"b%zu\"} %zu\n", i % 100,
			i * 7919);
	len = strlen(in);
	cr_assert(eq(int, gzip_compress(in, len, 1, &z, &zlen), 0));
	cr_expect(lt(sz, zlen * 5, len), "%zu bytes -> %zu", len, zlen);
	cr_expect(eq(int, (unsigned char)z[0], 0x1f));
	cr_expect(eq(int, (unsigned char)z[1], 0x8b), "a gzip header");
	cr_assert(eq(int, inflateInit2(&s, 15 + 16), Z_OK));
	s.next_in = (unsigned char *)z;
	s.avail_in = (uInt)zlen;
	s.next_out = (unsigned char *)back;
	s.avail_out = (uInt)len + 1;
	cr_expect(eq(int, inflate(&s, Z_FINISH), Z_STREAM_END));
	back_len = s.total_out;
	inflateEnd(&s);
	cr_expect(eq(sz, back_len, len));
	cr_expect(eq(int, memcmp(in, back, len), 0));
	free(in);
	free(z);
	free(back);
}
