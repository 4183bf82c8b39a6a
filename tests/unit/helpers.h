/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Shared helpers of the unit tests. */
#ifndef XDPLB_TEST_HELPERS_H
#define XDPLB_TEST_HELPERS_H

#include <string.h>

#include "validate.h"

#ifndef XDPLB_SRCDIR
#define XDPLB_SRCDIR "."
#endif

/* The valid base most tests change one thing of. */
#define BASE_TOP                                                             \
	"\"interface\": \"eth0\", \"next_hop_mac\": \"02:00:00:00:00:01\", " \
	"\"source_v4\": \"192.0.2.1\", \"source_v6\": \"2001:db8::1\""

static inline int check_str(const char *json, struct checked *c, struct diags *d)
{
	struct config_opts o = { .mode = -1 };

	memset(d, 0, sizeof(*d));
	return validate_text(json, strlen(json), &o, c, d);
}

#endif
