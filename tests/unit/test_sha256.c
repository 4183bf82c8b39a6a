// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* SHA-256 against the FIPS 180-4 example vectors. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"

static const char *hex(const void *data, size_t len, char *buf)
{
	uint8_t d[32];

	sha256(data, len, d);
	return digest_str(d, buf) + 7;
}

Test(sha256, fips_vectors)
{
	char buf[80];
	const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char *million = malloc(1000000);

	cr_expect(eq(str, (char *)hex("", 0, buf),
		     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
	cr_expect(eq(str, (char *)hex("abc", 3, buf),
		     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	cr_expect(eq(str, (char *)hex(two_blocks, strlen(two_blocks), buf),
		     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
	memset(million, 'a', 1000000);
	cr_expect(eq(str, (char *)hex(million, 1000000, buf),
		     "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
	free(million);
}
