// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* A history entry's metadata: the input is a file name, a newline, the
 * file's bytes. What parses must print and parse back to itself. */
#include "fuzz.h"
#include "histmeta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t ln = nl ? (size_t)(nl - data) : 0;
	char *name = nl ? fuzz_str(data, ln) : fuzz_str((const uint8_t *)"000001.meta", 11);
	const uint8_t *body = nl ? nl + 1 : data;
	size_t blen = nl ? size - ln - 1 : size;
	char *text = fuzz_str(body, blen), why[160], *js;
	struct hist_entry e, back;
	unsigned int seq;
	bool pending;

	if (!hist_meta_name(name, &seq, &pending))
		FUZZ_ASSERT(seq >= 1 && seq <= HIST_SEQ_MAX);
	if (!hist_meta_parse(name, text, blen, &e, why, sizeof(why))) {
		FUZZ_ASSERT(e.seq == seq && e.pending == pending);
		js = hist_meta_json(&e);
		FUZZ_ASSERT(js);
		FUZZ_ASSERT(!hist_meta_parse(name, js, strlen(js), &back, why, sizeof(why)));
		FUZZ_ASSERT(back.seq == e.seq && back.generation == e.generation &&
			    back.time == e.time && back.no_config == e.no_config &&
			    !strcmp(back.digest, e.digest) && !strcmp(back.user, e.user) &&
			    !strcmp(back.source, e.source) && !strcmp(back.note, e.note));
		free(js);
	} else {
		FUZZ_ASSERT(why[0]); /* junk says why */
	}
	free(name);
	free(text);
	return 0;
}
