// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* A history entry's metadata: strict parsing (issue 14, item 4). */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "histmeta.h"

#define DG "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* A meta file of entry 5 with one field's JSON replaced (NULL: as is). */
static int parse5(const char *seq, const char *gen, const char *time, const char *digest,
		  struct hist_entry *e, char *why)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "{\"seq\": %s, \"digest\": %s, \"time\": %s, \"user\": \"alice\", "
		 "\"generation\": %s, \"source\": \"/etc/lb.json\", \"note\": \"\"}",
		 seq ? seq : "5", digest ? digest : "\"" DG "\"", time ? time : "1700000000",
		 gen ? gen : "7");
	return hist_meta_parse("000005.meta", text, strlen(text), e, why, 160);
}

Test(histmeta, valid)
{
	struct hist_entry e;
	char why[160] = "";

	cr_assert(eq(int, parse5(NULL, NULL, NULL, NULL, &e, why), 0), "%s", why);
	cr_expect(eq(u32, e.seq, 5));
	cr_expect(eq(u32, e.generation, 7));
	cr_expect(eq(i64, e.time, 1700000000));
	cr_expect(eq(str, e.digest, DG));
	cr_expect(eq(str, e.user, "alice"));
	cr_expect(eq(str, e.source, "/etc/lb.json"));
	cr_expect(not(e.pending));
	cr_expect(not(e.no_config));
	cr_expect(eq(int, parse5(NULL, "0", NULL, NULL, &e, why), 0),
		  "generation 0: before any load");
	cr_expect(eq(int, parse5(NULL, "4294967295", NULL, NULL, &e, why), 0));
	cr_expect(eq(u32, e.generation, 4294967295u));
}

/* seq -5 was UB (a negative double cast to unsigned), 4294967295 wrapped
 * the next entry to 0, 1.5 and "5" were read as something */
Test(histmeta, seq_out_of_range)
{
	static const char *const bad[] = { "-5",    "0",   "4294967295", "4294967296",
					   "1e300", "5.5", "\"5\"",	 "null",
					   "true",  "[5]", "100000000",	 "-0.5" };
	struct hist_entry e;
	char why[160];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect(eq(int, parse5(bad[i], NULL, NULL, NULL, &e, why), -EINVAL), "seq %s",
			  bad[i]);
		cr_expect(eq(u32, e.seq, 0), "nothing half-read (seq %s)", bad[i]);
	}
	cr_expect(eq(int, parse5("-5", NULL, NULL, NULL, &e, why), -EINVAL));
	cr_expect(eq(str, why, "seq: not an entry number (an integer 1..99999999)"));
}

Test(histmeta, seq_must_be_the_names)
{
	struct hist_entry e;
	char why[160];

	cr_expect(eq(int, parse5("6", NULL, NULL, NULL, &e, why), -EINVAL),
		  "a copy of entry 6 named 5 is not entry 5 (nor a second live one)");
	cr_expect(eq(str, why, "seq: 6, but the file is entry 5"));
}

Test(histmeta, other_fields)
{
	static const char *const gens[] = { "-1", "4294967296", "1.5", "\"7\"", "null" };
	static const char *const times[] = { "-1", "1e20", "0.5", "\"now\"" };
	static const char *const digests[] = {
		"\"sha256:00\"", "\"md5:" DG "\"", "7", "null",
		"\"sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\""
	};
	struct hist_entry e;
	char why[160];

	for (size_t i = 0; i < sizeof(gens) / sizeof(gens[0]); i++)
		cr_expect(eq(int, parse5(NULL, gens[i], NULL, NULL, &e, why), -EINVAL),
			  "generation %s", gens[i]);
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++)
		cr_expect(eq(int, parse5(NULL, NULL, times[i], NULL, &e, why), -EINVAL), "time %s",
			  times[i]);
	for (size_t i = 0; i < sizeof(digests) / sizeof(digests[0]); i++)
		cr_expect(eq(int, parse5(NULL, NULL, NULL, digests[i], &e, why), -EINVAL),
			  "digest %s", digests[i]);
}

Test(histmeta, not_an_object)
{
	static const char *const bad[] = {
		"",
		"[]",
		"5",
		"{",
		"{\"seq\": 5}",
		"{\"seq\": 5, \"digest\": \"" DG "\", \"time\": 1, \"generation\": 1} trailing"
	};
	struct hist_entry e;
	char why[160];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect(eq(int,
			     hist_meta_parse("000005.meta", bad[i], strlen(bad[i]), &e, why,
					     sizeof(why)),
			     -EINVAL),
			  "%s", bad[i]);
}

Test(histmeta, strings)
{
	char text[2048], longer[300], why[160];
	struct hist_entry e;

	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	snprintf(text, sizeof(text),
		 "{\"seq\": 5, \"digest\": \"" DG
		 "\", \"time\": 1, \"generation\": 1, \"source\": \"%s\"}",
		 longer);
	cr_expect(eq(int, hist_meta_parse("000005.meta", text, strlen(text), &e, why, sizeof(why)),
		     -EINVAL));
	cr_expect(eq(str, why, "source: longer than 255 bytes"));
	snprintf(text, sizeof(text),
		 "{\"seq\": 5, \"digest\": \"" DG
		 "\", \"time\": 1, \"generation\": 1, \"user\": 5}");
	cr_expect(eq(int, hist_meta_parse("000005.meta", text, strlen(text), &e, why, sizeof(why)),
		     -EINVAL));
	/* user, source and note may be absent: an entry recorded afterwards */
	snprintf(text, sizeof(text),
		 "{\"seq\": 5, \"digest\": \"" DG "\", \"time\": 1, \"generation\": 1}");
	cr_expect(eq(int,
		     hist_meta_parse("000005.pending", text, strlen(text), &e, why, sizeof(why)),
		     0));
	cr_expect(e.pending);
}

Test(histmeta, names)
{
	static const struct {
		const char *name;
		int err;
		unsigned int seq;
		bool pending;
	} cases[] = {
		{ "000005.meta", 0, 5, false },
		{ "000005.pending", 0, 5, true },
		{ "5.meta", 0, 5, false },
		{ "1234567.meta", 0, 1234567, false },
		{ "99999999.meta", 0, 99999999, false },
		{ "100000000.meta", -EINVAL },
		{ "4294967297.meta", -EINVAL },
		{ "000000.meta", -EINVAL },
		{ "-5.meta", -EINVAL },
		{ "00000a.meta", -EINVAL },
		{ "000005.json", -EINVAL },
		{ "000005.meta.tmp", -EINVAL },
		{ ".meta", -EINVAL },
		{ "00000000000000000000000000000000000000000000000000000000000000001.meta", 0, 1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned int seq = 0;
		bool pending = false;

		cr_expect(eq(int, hist_meta_name(cases[i].name, &seq, &pending), cases[i].err),
			  "%s", cases[i].name);
		if (!cases[i].err) {
			cr_expect(eq(u32, seq, cases[i].seq), "%s", cases[i].name);
			cr_expect(eq(int, pending, cases[i].pending), "%s", cases[i].name);
		}
	}
}

Test(histmeta, round_trip)
{
	struct hist_entry e, back;
	char why[160], *js;

	memset(&e, 0, sizeof(e)); /* padding too: compared whole */
	e.seq = 42;
	e.time = 1700000000;
	e.generation = 4294967295u;
	e.no_config = true;
	snprintf(e.digest, sizeof(e.digest), "%s", DG);
	snprintf(e.user, sizeof(e.user), "bob");
	snprintf(e.note, sizeof(e.note), "rollback to 3");
	js = hist_meta_json(&e);
	cr_assert(js != NULL);
	cr_assert(eq(int, hist_meta_parse("000042.meta", js, strlen(js), &back, why, sizeof(why)),
		     0),
		  "%s", why);
	cr_expect(eq(int, memcmp(&e, &back, sizeof(e)), 0));
	free(js);
}
