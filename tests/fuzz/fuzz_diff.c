// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* diff of two configs: the input is config A, a NUL byte, config B. When
 * both are valid, their diff, its guard and the diff of A with itself
 * (which must be empty) run. */
#include "diff.h"
#include "fuzz.h"
#include "validate.h"

static bool valid(const char *text, size_t len, struct checked *c)
{
	struct config_opts o = { .mode = -1, .force = true };
	struct diags d = { 0 };
	int err = validate_text(text, len, &o, c, &d);

	diags_free(&d);
	return !err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t la = nul ? (size_t)(nul - data) : size;
	char *a = fuzz_str(data, la);
	char *b = nul ? fuzz_str(nul + 1, size - la - 1) : fuzz_str(data, 0);
	struct checked ca, cb;

	if (valid(a, la, &ca)) {
		if (valid(b, strlen(b), &cb)) {
			struct diags g = { 0 };
			struct diff df;

			if (!diff_compute(&ca, &cb, &df)) {
				diff_guard(&df, &g);
				diff_free(&df);
			}
			diags_free(&g);
			checked_free(&cb);
		}
		struct diff same;

		if (!diff_compute(&ca, &ca, &same)) {
			FUZZ_ASSERT(diff_empty(&same));
			diff_free(&same);
		}
		checked_free(&ca);
	}
	free(a);
	free(b);
	return 0;
}
