// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Config validation (schema, rules, tables, guards) on any bytes: every
 * input is valid or invalid with a reason, never a crash, a leak or UB. */
#include <errno.h>

#include "fuzz.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_opts o = { .mode = -1 };
	char *text = fuzz_str(data, size);
	struct diags d = { 0 };
	struct checked c;
	int err = validate_text(text, size, &o, &c, &d);

	FUZZ_ASSERT(err == 0 || err == -EINVAL || err == -ENOMEM);
	FUZZ_ASSERT(err != -EINVAL || d.n > 0); /* invalid says why */
	if (!err)
		checked_free(&c);
	diags_free(&d);
	free(text);
	return 0;
}
