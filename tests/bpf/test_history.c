// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The history of applied configs: round trips, pending entries, pruning. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "sha256.h"

static char dir[64];

static void mkstate(void)
{
	snprintf(dir, sizeof(dir), "/tmp/xdplb-hist.XXXXXX");
	cr_assert(mkdtemp(dir) != NULL);
}

static void rmstate(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_expect(eq(int, system(cmd), 0));
}

static unsigned int add(struct history *h, const char *text, __u32 gen, bool commit)
{
	struct hist_entry e = { .generation = gen, .time = 1000 + gen };
	__u8 d[32];

	sha256(text, strlen(text), d);
	digest_str(d, e.digest);
	snprintf(e.user, sizeof(e.user), "alice");
	snprintf(e.source, sizeof(e.source), "/etc/xdplb/lb%u.json", gen);
	cr_assert(eq(int, history_begin(h, text, strlen(text), NULL, 0, NULL, &e), 0));
	if (commit)
		cr_assert(eq(int, history_commit(h, e.seq), 0));
	return e.seq;
}

static size_t files(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	while ((de = readdir(d)))
		n += de->d_name[0] != '.'; /* no leftover temporary file either */
	closedir(d);
	return n;
}

Test(history, round_trip, .init = mkstate, .fini = rmstate)
{
	struct history h, again;
	char *text;
	size_t len;

	cr_assert(eq(int, history_open(dir, &h), 0));
	cr_expect(eq(ptr, (void *)history_last(&h), NULL));
	add(&h, "{\"one\": 1}", 1, true);
	add(&h, "{\"two\": 2}\n", 2, true);
	history_free(&h);

	cr_assert(eq(int, history_open(dir, &again), 0));
	cr_assert(eq(sz, again.n, 2));
	cr_expect(eq(u32, history_last(&again)->seq, 2));
	cr_expect(eq(u32, history_last(&again)->generation, 2));
	cr_expect(eq(str, (char *)history_last(&again)->user, "alice"));
	cr_expect(eq(str, (char *)history_last(&again)->source, "/etc/xdplb/lb2.json"));
	cr_assert(eq(int, history_read_config(&again, 1, &text, &len), 0));
	cr_expect(eq(str, text, "{\"one\": 1}"), "the bytes as applied");
	cr_expect(eq(sz, len, 10));
	free(text);
	cr_expect(eq(sz, files(), 4), "N.json and N.meta per entry, nothing else");
	history_free(&again);
}

/* A crash between the pending write and the commit: the next reader keeps
 * the entry if it is what went live, drops it otherwise. */
Test(history, pending_entries_resolved_by_what_is_live, .init = mkstate, .fini = rmstate)
{
	struct history h;
	__u8 d[32];

	cr_assert(eq(int, history_open(dir, &h), 0));
	add(&h, "old", 1, true);
	add(&h, "went-live", 2, false);
	history_free(&h);

	cr_assert(eq(int, history_open(dir, &h), 0));
	cr_expect(eq(u32, history_last(&h)->seq, 1), "a pending entry is not the last committed");
	sha256("went-live", 9, d);
	cr_assert(eq(int, history_resolve(&h, 2, d), 0));
	cr_expect(eq(u32, history_last(&h)->seq, 2));
	history_free(&h);

	cr_assert(eq(int, history_open(dir, &h), 0));
	add(&h, "never-live", 3, false);
	cr_assert(eq(int, history_resolve(&h, 2, d), 0)); /* live is still generation 2 */
	cr_expect(eq(u32, history_last(&h)->seq, 2));
	cr_expect(eq(sz, h.n, 2));
	cr_expect(eq(sz, files(), 4));
	history_free(&h);
}

Test(history, bounded, .init = mkstate, .fini = rmstate)
{
	struct history h;

	cr_assert(eq(int, history_open(dir, &h), 0));
	for (__u32 g = 1; g <= 8; g++) {
		char text[32];

		snprintf(text, sizeof(text), "config %u", g);
		add(&h, text, g, true);
		cr_assert(eq(int, history_prune(&h, 5), 0));
	}
	cr_expect(eq(sz, h.n, 5));
	cr_expect(eq(u32, h.e[0].seq, 4), "the oldest kept");
	cr_expect(eq(u32, history_last(&h)->seq, 8));
	cr_expect(eq(sz, files(), 10));
	history_free(&h);
}

/* An entry with a host file (--host): kept beside the config, read back
 * with it, its source and both SHA-256 in the meta, and dropped with it. */
Test(history, host_file_beside_the_config, .init = mkstate, .fini = rmstate)
{
	const char *cfg = "{\"vips\": []}", *host = "{\"interface\": \"eth0\"}";
	struct hist_entry e = { .generation = 1 };
	struct history h, again;
	char *text, *htext;
	size_t len, hlen;

	cr_assert(eq(int, history_open(dir, &h), 0));
	snprintf(e.host_source, sizeof(e.host_source), "/etc/xdplb/eth0.host.json");
	snprintf(e.host_file_digest, sizeof(e.host_file_digest), "sha256:00");
	snprintf(e.file_digest, sizeof(e.file_digest), "sha256:11");
	cr_assert(eq(int, history_begin(&h, cfg, strlen(cfg), host, strlen(host), NULL, &e), 0));
	cr_assert(eq(int, history_commit(&h, e.seq), 0));
	add(&h, "{\"two\": 2}", 2, true); /* no host file */
	history_free(&h);

	cr_assert(eq(int, history_open(dir, &again), 0));
	cr_expect(
		eq(str, (char *)history_find(&again, 1)->host_source, "/etc/xdplb/eth0.host.json"));
	cr_expect(eq(str, (char *)history_find(&again, 1)->host_file_digest, "sha256:00"));
	cr_expect(eq(str, (char *)history_find(&again, 1)->file_digest, "sha256:11"));
	cr_expect(eq(str, (char *)history_find(&again, 2)->host_source, ""));
	cr_assert(eq(int, history_read_entry(&again, 1, &text, &len, &htext, &hlen), 0));
	cr_expect(eq(str, text, (char *)cfg));
	cr_assert(not(eq(ptr, htext, NULL)));
	cr_expect(eq(str, htext, (char *)host));
	free(text);
	free(htext);
	cr_assert(eq(int, history_read_entry(&again, 2, &text, &len, &htext, &hlen), 0));
	cr_expect(eq(ptr, htext, NULL), "no host file: none read");
	free(text);
	cr_expect(eq(sz, files(), 5), "N.json, N.host.json and N.meta; N.json and N.meta");
	cr_assert(eq(int, history_drop(&again, 1), 0));
	cr_expect(eq(sz, files(), 2), "the host file goes with its entry");
	history_free(&again);
}
