/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* sha256.h - SHA-256 (FIPS 180-4), for config digests. Pure. */
#ifndef XDPLB_SHA256_H
#define XDPLB_SHA256_H

#include <stddef.h>
#include <stdint.h>

void sha256(const void *data, size_t len, uint8_t out[32]);
/* "sha256:" + 64 hex digits; buf >= 72 bytes. */
const char *digest_str(const uint8_t d[32], char *buf);

#endif
