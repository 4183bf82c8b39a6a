/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * gzip.h - the exporter's response compression (zlib's gzip format). Pure.
 */
#ifndef XDPLB_GZIP_H
#define XDPLB_GZIP_H

#include <stdbool.h>
#include <stddef.h>

/* Does an Accept-Encoding header value accept gzip? "gzip" or "*" among
 * its codings, with no q=0 (RFC 9110 12.5.3); NULL accepts nothing. */
bool gzip_accepted(const char *accept_encoding);

/* in[0..len) gzip-compressed at level (1 fastest .. 9) into a malloc'ed
 * *out of *out_len bytes. 0 or -ENOMEM / -EIO. */
int gzip_compress(const char *in, size_t len, int level, char **out, size_t *out_len);

#endif
