// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The history of applied configs: round trips, pending entries, pruning. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "history.h"
#include "overrides.h"
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

static void add_committed_in_dir(const char *text, __u32 gen)
{
	struct history h;

	cr_assert(eq(int, history_open(dir, &h), 0));
	add(&h, text, gen, true);
	history_free(&h);
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
	snprintf(e.digest, sizeof(e.digest), "sha256:%064d", 2);
	snprintf(e.host_source, sizeof(e.host_source), "/etc/xdplb/eth0.host.json");
	snprintf(e.host_file_digest, sizeof(e.host_file_digest),
		 "sha256:0000000000000000000000000000000000000000000000000000000000000000");
	snprintf(e.file_digest, sizeof(e.file_digest),
		 "sha256:1111111111111111111111111111111111111111111111111111111111111111");
	cr_assert(eq(int, history_begin(&h, cfg, strlen(cfg), host, strlen(host), NULL, &e), 0));
	cr_assert(eq(int, history_commit(&h, e.seq), 0));
	add(&h, "{\"two\": 2}", 2, true); /* no host file */
	history_free(&h);

	cr_assert(eq(int, history_open(dir, &again), 0));
	cr_expect(
		eq(str, (char *)history_find(&again, 1)->host_source, "/etc/xdplb/eth0.host.json"));
	cr_expect(eq(str, (char *)history_find(&again, 1)->host_file_digest,
		     "sha256:0000000000000000000000000000000000000000000000000000000000000000"));
	cr_expect(eq(str, (char *)history_find(&again, 1)->file_digest,
		     "sha256:1111111111111111111111111111111111111111111111111111111111111111"));
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

/* ------------------------------------------- a state dir no one else steers
 * (issue 14, items 3 and 4) */

static void put(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert(f != NULL, "%s", path);
	fputs(text, f);
	fclose(f);
}

static void target_path(char *buf, size_t len)
{
	snprintf(buf, len, "%s.target", dir);
}

static void mktarget(void)
{
	char t[128];

	mkstate();
	target_path(t, sizeof(t));
	FILE *f = fopen(t, "w");

	cr_assert(f != NULL);
	fputs("precious\n", f);
	fclose(f);
}

static void rmtarget(void)
{
	char t[128];

	target_path(t, sizeof(t));
	unlink(t);
	rmstate();
}

/* A symlink planted under every name a load writes: the file it points
 * to keeps its bytes (the old code opened the temporary name with O_CREAT
 * | O_TRUNC, through the link). */
Test(history, planted_symlinks_not_followed, .init = mktarget, .fini = rmtarget)
{
	static const char *const names[] = { ".000001.json.tmp", ".000001.pending.tmp",
					     ".overrides.json.tmp", "000001.json" };
	char t[128], link[256], buf[32] = "";
	struct overrides ov = { 0 };
	struct history h;
	FILE *f;

	target_path(t, sizeof(t));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(link, sizeof(link), "%s/%s", dir, names[i]);
		cr_assert(eq(int, symlink(t, link), 0));
	}
	cr_assert(eq(int, history_open(dir, &h), 0));
	add(&h, "{\"config\": 1}", 1, true);
	cr_assert(eq(int, overrides_set(&ov, "192.0.2.1:80/tcp", "198.51.100.1", 1, -1), 0));
	cr_expect(eq(int, history_overrides_write(dir, &ov), 0));
	overrides_free(&ov);
	history_free(&h);
	f = fopen(t, "r");
	cr_assert(f != NULL);
	cr_expect(fgets(buf, sizeof(buf), f) != NULL);
	fclose(f);
	cr_expect(eq(str, buf, "precious\n"), "the symlinks' target was written through");
}

/* A symlink or a FIFO named like an entry is skipped (and said), promptly:
 * the old code read the FIFO and waited for a writer for ever. */
Test(history, fifo_and_symlink_entries_skipped, .init = mktarget, .fini = rmtarget, .timeout = 10)
{
	char path[256], t[128], *text = NULL;
	struct history h;
	size_t len;

	add_committed_in_dir("{\"config\": 1}", 1);
	snprintf(path, sizeof(path), "%s/000002.meta", dir);
	cr_assert(eq(int, mkfifo(path, 0600), 0));
	snprintf(path, sizeof(path), "%s/000003.meta", dir);
	target_path(t, sizeof(t));
	cr_assert(eq(int, symlink(t, path), 0));
	/* entry 1's config replaced by a FIFO */
	snprintf(path, sizeof(path), "%s/000001.json", dir);
	cr_assert(eq(int, unlink(path), 0));
	cr_assert(eq(int, mkfifo(path, 0600), 0));

	cr_assert(eq(int, history_open(dir, &h), 0));
	cr_expect(eq(sz, h.n, 1));
	cr_expect(eq(sz, h.junk, 2));
	cr_expect(eq(int, history_read_config(&h, 1, &text, &len), -EINVAL));
	cr_expect(eq(u32, h.max_seq, 3), "a new entry goes above the junk");
	history_free(&h);
	free(text);
}

/* seq -5 (UB in the old code), a wrap at 4294967295, a copy of entry 1
 * under another number: skipped, said, never listed, never "live". */
Test(history, junk_metadata_skipped, .init = mkstate, .fini = rmstate)
{
	const char *dg = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	char text[512];
	struct history h;

	snprintf(text, sizeof(text),
		 "{\"seq\": 1, \"digest\": \"%s\", \"time\": 1, \"generation\": 3}", dg);
	put("000001.meta", text);
	put("000002.meta", text); /* a copy: it says entry 1 */
	snprintf(text, sizeof(text),
		 "{\"seq\": -5, \"digest\": \"%s\", \"time\": 1, \"generation\": 3}", dg);
	put("000003.meta", text);
	snprintf(text, sizeof(text),
		 "{\"seq\": 4294967295, \"digest\": \"%s\", \"time\": 1, \"generation\": 3}", dg);
	put("000004.meta", text);
	put("000005.meta", "{\"seq\": 5, \"generation\": 1e300}");
	put("-5.meta", "{}");

	cr_assert(eq(int, history_open(dir, &h), 0));
	cr_expect(eq(sz, h.n, 1));
	cr_expect(eq(sz, h.junk, 5));
	cr_expect(eq(u32, h.e[0].seq, 1));
	unsigned int s = add(&h, "{\"config\": 2}", 4, true);

	cr_expect(eq(u32, s, 6), "above every entry file, junk too: none is overwritten");
	history_free(&h);
}

static void state_dir_mode(mode_t mode)
{
	cr_assert(eq(int, chmod(dir, mode), 0));
}

Test(history, refuses_world_writable_dir, .init = mkstate, .fini = rmstate)
{
	struct overrides ov;
	struct history h;

	state_dir_mode(0777);
	cr_expect(eq(int, history_open(dir, &h), -EPERM));
	history_free(&h);
	cr_expect(eq(int, history_overrides_read(dir, &ov), -EPERM));
	state_dir_mode(0770);
	cr_expect(eq(int, history_open(dir, &h), -EPERM), "group-writable");
	history_free(&h);
	state_dir_mode(01777);
	cr_expect(eq(int, history_open(dir, &h), -EPERM),
		  "sticky is not enough for the dir itself");
	history_free(&h);
	state_dir_mode(0755);
	cr_expect(eq(int, history_open(dir, &h), 0));
	history_free(&h);
}

Test(history, refuses_dir_of_another_user, .init = mkstate, .fini = rmstate)
{
	struct history h;

	cr_assert(eq(int, chown(dir, 65534, 65534), 0));
	cr_expect(eq(int, history_open(dir, &h), -EPERM));
	history_free(&h);
	cr_assert(eq(int, chown(dir, 0, 0), 0));
}

/* A dir of root's in a directory another user may write (not sticky):
 * they could rename it away and put their own (or a symlink) there. */
Test(history, refuses_dir_under_writable_parent, .init = mkstate, .fini = rmstate)
{
	char sub[128];
	struct history h;

	snprintf(sub, sizeof(sub), "%s/state", dir);
	state_dir_mode(0777);
	cr_expect(eq(int, history_open(sub, &h), -EPERM));
	history_free(&h);
	state_dir_mode(01777); /* like /tmp */
	cr_expect(eq(int, history_open(sub, &h), 0));
	history_free(&h);
	cr_expect(eq(int, rmdir(sub), 0));
	state_dir_mode(0700);
}
