// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * gzip.c - gzip for the exporter's responses: a 1,000-VIP scrape is 54 MB
 * of text that compresses about 20 to 1.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "gzip.h"

/* The q of one coding's parameters ("; q=0.5"); 1 when none is given. */
static double coding_q(const char *p, const char *end)
{
	while (p < end) {
		while (p < end && (*p == ';' || isspace((unsigned char)*p)))
			p++;
		if (end - p >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=')
			return strtod(p + 2, NULL);
		while (p < end && *p != ';')
			p++;
	}
	return 1;
}

bool gzip_accepted(const char *h)
{
	while (h && *h) {
		const char *end = strchr(h, ','), *name, *name_end;

		if (!end)
			end = h + strlen(h);
		name = h;
		while (name < end && isspace((unsigned char)*name))
			name++;
		name_end = name;
		while (name_end < end && *name_end != ';' && !isspace((unsigned char)*name_end))
			name_end++;
		if (((name_end - name == 4 && !strncasecmp(name, "gzip", 4)) ||
		     (name_end - name == 1 && *name == '*')) &&
		    coding_q(name_end, end) > 0)
			return true;
		h = *end ? end + 1 : end;
	}
	return false;
}

int gzip_compress(const char *in, size_t len, int level, char **out, size_t *out_len)
{
	z_stream z = { 0 };
	size_t cap;
	char *buf;
	int r;

	/* 15 window bits + 16: a gzip header and trailer, not zlib's */
	if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	cap = deflateBound(&z, len);
	buf = malloc(cap ? cap : 1);
	if (!buf) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = (unsigned char *)in;
	z.next_out = (unsigned char *)buf;
	z.avail_out = (uInt)cap;
	/* zlib counts in uInt: feed more than 4 GB in pieces */
	do {
		size_t chunk = len - (size_t)((const char *)z.next_in - in);

		z.avail_in = chunk > 1u << 30 ? 1u << 30 : (uInt)chunk;
		r = deflate(&z, z.avail_in == chunk ? Z_FINISH : Z_NO_FLUSH);
	} while (r == Z_OK);
	deflateEnd(&z);
	if (r != Z_STREAM_END) {
		free(buf);
		return -EIO;
	}
	*out = buf;
	*out_len = z.total_out;
	return 0;
}
