// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpffs.h"
#include "config.h"
#include "fault.h"
#include "history.h"
#include "overrides.h"
#include "log.h"
#include "histmeta.h"
#include "sha256.h"

/* The history outlives the pins (a reboot): it is keyed by something that
 * survives one where there is such a thing. The host's namespace: the
 * interface's name. A named namespace (ip netns): IFACE@NAME, which the
 * same setup gives it again after a reboot. Any other: nothing survives
 * a reboot, so its history lives under /run (gone with the boot), keyed by
 * the namespace's cookie like its pins: a later namespace, which may reuse
 * the inode number, never finds it. XDPLB_STATE_DIR moves every history,
 * like XDPLB_BPFFS moves the pins. */
void history_default_dir(const char *ifname, char *buf, size_t len)
{
	const char *base = getenv("XDPLB_STATE_DIR");
	char suffix[40], name[200];

	if (!base || !*base)
		base = "/var/lib/xdplb";
	netns_suffix(suffix, sizeof(suffix));
	if (!suffix[0])
		snprintf(buf, len, "%s/%s", base, ifname);
	else if (netns_name(name, sizeof(name)))
		snprintf(buf, len, "%s/%s@%s", base, ifname, name);
	else if (getenv("XDPLB_STATE_DIR") && *getenv("XDPLB_STATE_DIR"))
		snprintf(buf, len, "%s/%s%s", base, ifname, suffix);
	else
		snprintf(buf, len, "%s/state/%s%s",
			 getenv("XDPLB_RUN_DIR") ? getenv("XDPLB_RUN_DIR") : "/run/xdplb", ifname,
			 suffix);
}

const char *history_source(const char *path, char *buf)
{
	return path && realpath(path, buf) ? buf : path;
}

const char *history_user(char *buf, size_t len)
{
	const char *s = getenv("SUDO_USER");
	struct passwd *pw;

	if (s && *s)
		snprintf(buf, len, "%s", s);
	else if ((pw = getpwuid(getuid())))
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "uid %u", (unsigned int)getuid());
	return buf;
}

/* ------------------------------------------------------- the state dir */

static const char *file_kind(mode_t m)
{
	return S_ISDIR(m)  ? "a directory" :
	       S_ISFIFO(m) ? "a FIFO" :
	       S_ISLNK(m)  ? "a symbolic link" :
	       S_ISSOCK(m) ? "a socket" :
	       S_ISCHR(m)  ? "a character device" :
	       S_ISBLK(m)  ? "a block device" :
			     "not a regular file";
}

/* Whoever may write in a directory may replace what is in it: the state
 * dir must be root's (or the caller's), writable by nobody else, and so
 * must every directory above it, but for sticky ones (/tmp), where no one
 * renames what another owns. Checked on the directories the fd leads to,
 * up through "..", so a symlink anywhere in the path is judged by where
 * it points. */
static int dir_trusted(const char *dir, const struct stat *st, int level)
{
	uid_t me = geteuid();
	char where[600];

	if (level)
		snprintf(where, sizeof(where), "%s: the directory %d level%s above it", dir, level,
			 level > 1 ? "s" : "");
	else
		snprintf(where, sizeof(where), "%s", dir);
	if (st->st_uid != 0 && st->st_uid != me) {
		pr_warn("state dir %s is owned by uid %u, not root%s: refused: another user could replace the history xdplb writes and reads (chown root it)\n",
			where, (unsigned int)st->st_uid, me ? " or the user running xdplb" : "");
		return -EPERM;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(level && (st->st_mode & S_ISVTX))) {
		pr_warn("state dir %s has mode %04o, writable by other users: refused: they could replace the history xdplb writes and reads (chmod go-w it)\n",
			where, (unsigned int)(st->st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

static int dir_check(const char *dir, int fd)
{
	struct stat st, up;
	int cur = fd, err = 0;

	if (fstat(fd, &st))
		return -errno;
	err = dir_trusted(dir, &st, 0);
	/* at most 64 levels up: "/" is its own parent */
	for (int level = 1; !err && level <= 64; level++) {
		int p = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (p < 0 || fstat(p, &up)) {
			err = -errno;
			if (p >= 0)
				close(p);
			break;
		}
		if (cur != fd)
			close(cur);
		cur = p;
		if (up.st_dev == st.st_dev && up.st_ino == st.st_ino)
			break;
		err = dir_trusted(dir, &up, level);
		st = up;
	}
	if (cur != fd)
		close(cur);
	return err;
}

int history_dir_open(const char *dir, bool create)
{
	int fd, err;

	if (create) {
		err = mkdir_p(dir);
		if (err) {
			pr_warn("creating the state dir %s: %s\n", dir, strerror(-err));
			return err;
		}
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		if (err != -ENOENT || create)
			pr_warn("opening the state dir %s: %s\n", dir, strerror(-err));
		return err;
	}
	err = dir_check(dir, fd);
	if (err) {
		if (err != -EPERM)
			pr_warn("checking the state dir %s: %s\n", dir, strerror(-err));
		close(fd);
		return err;
	}
	return fd;
}

/* name in the state dir, whole: a regular file only, never through a
 * symlink, and never waiting on a FIFO (O_NONBLOCK, then fstat). -ENOENT
 * silently; -EINVAL for anything but a regular file (said). */
static int read_at(int dfd, const char *dir, const char *name, char **text, size_t *len)
{
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), err;
	struct stat st;
	FILE *f;

	if (fd < 0) {
		err = -errno;
		if (err == -ELOOP) {
			pr_warn("%s/%s is a symbolic link: refused (the history follows none)\n",
				dir, name);
			return -EINVAL;
		}
		return err;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		close(fd);
		return err;
	}
	if (!S_ISREG(st.st_mode)) {
		pr_warn("%s/%s is %s, not a regular file: refused\n", dir, name,
			file_kind(st.st_mode));
		close(fd);
		return -EINVAL;
	}
	f = fdopen(fd, "rb");
	if (!f) {
		err = -errno;
		close(fd);
		return err;
	}
	return config_read_stream(f, text, len);
}

/* dir/name gets exactly these bytes, or keeps what it had: a new
 * temporary file (O_EXCL: nothing planted under its name is written
 * through), fsync, rename (which replaces a name, never follows it),
 * fsync of the directory. */
static int write_atomic(int dfd, const char *dir, const char *name, const void *data, size_t len)
{
	char tmp[300];
	const char *p = data;
	int fd, err = 0;

	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	/* a killed load's leftover (unlinkat removes a symlink, not its target) */
	unlinkat(dfd, tmp, 0);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		goto fail;
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			goto fail_close;
		}
		p += w;
		len -= (size_t)w;
	}
	if (fsync(fd))
		goto fail_close;
	if (close(fd)) {
		fd = -1;
		goto fail_close;
	}
	if (renameat(dfd, tmp, dfd, name))
		goto fail_unlink;
	if (fsync(dfd))
		goto fail;
	return 0;
fail_close:
	err = -errno;
	if (fd >= 0)
		close(fd);
	unlinkat(dfd, tmp, 0);
	goto out;
fail_unlink:
	err = -errno;
	unlinkat(dfd, tmp, 0);
	goto out;
fail:
	err = -errno;
out:
	pr_warn("writing %s/%s: %s\n", dir, name, strerror(-err));
	return err;
}

int history_write_file(const char *dir, const char *name, const void *data, size_t len)
{
	int dfd = history_dir_open(dir, true), err;

	if (dfd < 0)
		return dfd;
	err = write_atomic(dfd, dir, name, data, len);
	close(dfd);
	return err;
}

static int fsync_dir(const struct history *h)
{
	return fsync(h->dfd) ? -errno : 0;
}

/* ------------------------------------------------------------ entries */

static int cmp_seq(const void *a, const void *b)
{
	const struct hist_entry *x = a, *y = b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return (int)x->pending - (int)y->pending; /* N.meta before N.pending */
}

static bool entry_suffix(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot && (!strcmp(dot, ".meta") || !strcmp(dot, ".pending"));
}

/* One entry file into h (grown as needed); junk is counted and said. */
static int read_entry(struct history *h, const char *name, size_t *cap)
{
	char why[160], *text;
	struct hist_entry e;
	unsigned int seq;
	bool pending;
	size_t len;
	int err;

	if (hist_meta_name(name, &seq, &pending)) {
		pr_warn("history: %s/%s skipped: not the name of an entry (NNNNNN.meta or .pending)\n",
			h->dir, name);
		h->junk++;
		return 0;
	}
	if (seq > h->max_seq)
		h->max_seq = seq; /* new entries go above even a junk one */
	err = read_at(h->dfd, h->dir, name, &text, &len);
	if (err == -ENOENT)
		return 0; /* gone since readdir */
	if (err) {
		if (err != -EINVAL)
			pr_warn("history: reading %s/%s: %s: skipped\n", h->dir, name,
				config_read_strerror(err));
		h->junk++;
		return 0;
	}
	err = hist_meta_parse(name, text, len, &e, why, sizeof(why));
	free(text);
	if (err) {
		pr_warn("history: %s/%s skipped: %s\n", h->dir, name, why);
		h->junk++;
		return 0;
	}
	if (h->n == *cap) {
		struct hist_entry *ne = reallocarray(h->e, *cap * 2, sizeof(*ne));

		if (!ne)
			return -ENOMEM;
		h->e = ne;
		*cap *= 2;
	}
	h->e[h->n++] = e;
	return 0;
}

/* N.meta and N.pending both: the commit's rename cannot leave that, so
 * the pending one is junk. */
static void drop_doubles(struct history *h)
{
	size_t k = 0;

	for (size_t i = 0; i < h->n; i++) {
		if (k && h->e[k - 1].seq == h->e[i].seq) {
			pr_warn("history: %s/%06u.pending skipped: entry %u is committed already\n",
				h->dir, h->e[i].seq, h->e[i].seq);
			h->junk++;
			continue;
		}
		h->e[k++] = h->e[i];
	}
	h->n = k;
}

int history_open(const char *dir, struct history *h)
{
	struct dirent *de;
	size_t cap = 16;
	int fd, dfd, err = 0;
	DIR *d;

	memset(h, 0, sizeof(*h));
	h->dfd = -1;
	dfd = history_dir_open(dir, true);
	if (dfd < 0)
		return dfd;
	snprintf(h->dir, sizeof(h->dir), "%s", dir);
	h->dfd = dfd;
	h->e = calloc(cap, sizeof(*h->e));
	fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!h->e || !d) {
		err = h->e ? -errno : -ENOMEM;
		pr_warn("reading the state dir %s: %s\n", dir, strerror(-err));
		if (d)
			closedir(d);
		else if (fd >= 0)
			close(fd);
		history_free(h);
		return err;
	}
	while (!err && (de = readdir(d)))
		if (de->d_name[0] != '.' && entry_suffix(de->d_name))
			err = read_entry(h, de->d_name, &cap);
	closedir(d);
	if (err) {
		pr_warn("reading the state dir %s: %s\n", dir, strerror(-err));
		history_free(h);
		return err;
	}
	qsort(h->e, h->n, sizeof(*h->e), cmp_seq);
	drop_doubles(h);
	return 0;
}

void history_free(struct history *h)
{
	if (h->dir[0] && h->dfd >= 0)
		close(h->dfd);
	free(h->e);
	memset(h, 0, sizeof(*h));
	h->dfd = -1;
}

const struct hist_entry *history_last(const struct history *h)
{
	for (size_t i = h->n; i > 0; i--)
		if (!h->e[i - 1].pending)
			return &h->e[i - 1];
	return NULL;
}

const struct hist_entry *history_find(const struct history *h, unsigned int seq)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->e[i].seq == seq && !h->e[i].pending)
			return &h->e[i];
	return NULL;
}

int history_read_config(const struct history *h, unsigned int seq, char **text, size_t *len)
{
	const struct hist_entry *e = history_find(h, seq);
	char name[40];

	if (e && e->no_config) {
		pr_warn("history entry %u was loaded with --no-history: its config was not kept\n",
			seq);
		return -ENODATA;
	}
	snprintf(name, sizeof(name), "%06u.json", seq);
	return read_at(h->dfd, h->dir, name, text, len);
}

int history_read_host(const struct history *h, unsigned int seq, char **text, size_t *len)
{
	char name[40];

	snprintf(name, sizeof(name), "%06u.host.json", seq);
	return read_at(h->dfd, h->dir, name, text, len);
}

int history_read_entry(const struct history *h, unsigned int seq, char **text, size_t *len,
		       char **host, size_t *host_len)
{
	int err = history_read_config(h, seq, text, len);

	*host = NULL;
	*host_len = 0;
	if (!err) {
		err = history_read_host(h, seq, host, host_len);
		if (err == -ENOENT)
			err = 0;
		else if (err)
			free(*text);
	}
	if (err)
		pr_warn("reading history entry %u: %s\n", seq, strerror(-err));
	return err;
}

static int next_seq(const struct history *h, unsigned int *seq)
{
	unsigned int last = h->n ? h->e[h->n - 1].seq : 0;

	*seq = (h->max_seq > last ? h->max_seq : last) + 1;
	if (*seq > HIST_SEQ_MAX) {
		pr_warn("the history in %s is full (entry %u): move its entries away\n", h->dir,
			HIST_SEQ_MAX);
		return -EOVERFLOW;
	}
	return 0;
}

static int add_entry(struct history *h, const struct hist_entry *e)
{
	struct hist_entry *ne = reallocarray(h->e, h->n + 1, sizeof(*ne));

	if (!ne)
		return -ENOMEM;
	h->e = ne;
	h->e[h->n++] = *e;
	if (e->seq > h->max_seq)
		h->max_seq = e->seq;
	return 0;
}

int history_begin(struct history *h, const char *text, size_t len, const char *host,
		  size_t host_len, const char *overrides, struct hist_entry *meta)
{
	char name[40], *js;
	int err = next_seq(h, &meta->seq);

	if (err)
		return err;
	meta->pending = true;
	snprintf(name, sizeof(name), "%06u.json", meta->seq);
	err = write_atomic(h->dfd, h->dir, name, text, len);
	/* the host file beside it, so that a rollback restores both */
	snprintf(name, sizeof(name), "%06u.host.json", meta->seq);
	if (!err && host)
		err = write_atomic(h->dfd, h->dir, name, host, host_len);
	/* the overrides it goes live with: before the entry exists */
	snprintf(name, sizeof(name), "%06u.overrides.json", meta->seq);
	if (!err && overrides)
		err = write_atomic(h->dfd, h->dir, name, overrides, strlen(overrides));
	fault_point("history-config-written");
	js = hist_meta_json(meta);
	if (!err && !js)
		err = -ENOMEM;
	snprintf(name, sizeof(name), "%06u.pending", meta->seq);
	if (!err)
		err = write_atomic(h->dfd, h->dir, name, js, strlen(js));
	free(js);
	if (err) {
		history_drop(h, meta->seq); /* what of it was written */
		return err;
	}
	fault_point("history-pending-written");
	return add_entry(h, meta);
}

int history_record_live(struct history *h, __u32 generation, const __u8 digest[32],
			long long load_time)
{
	struct hist_entry e = { .generation = generation, .time = load_time, .no_config = true };
	const struct hist_entry *last = history_last(h);
	char name[40], *js;
	int err;

	digest_str(digest, e.digest);
	if (last && last->generation == generation && !strcmp(last->digest, e.digest))
		return 0; /* recorded already */
	err = next_seq(h, &e.seq);
	if (err)
		return err;
	snprintf(e.user, sizeof(e.user), "?");
	snprintf(e.note, sizeof(e.note), "loaded with --no-history; recorded afterwards");
	js = hist_meta_json(&e);
	if (!js)
		return -ENOMEM;
	snprintf(name, sizeof(name), "%06u.meta", e.seq);
	err = write_atomic(h->dfd, h->dir, name, js, strlen(js));
	free(js);
	if (err)
		return err;
	pr_warn("history: the live config (generation %u, %s), loaded with --no-history, is now entry %u (its bytes were not kept)\n",
		generation, e.digest, e.seq);
	return add_entry(h, &e);
}

int history_commit(struct history *h, unsigned int seq)
{
	char from[40], to[40];

	snprintf(from, sizeof(from), "%06u.pending", seq);
	snprintf(to, sizeof(to), "%06u.meta", seq);
	if (renameat(h->dfd, from, h->dfd, to)) {
		int err = -errno;

		pr_warn("committing history entry %u in %s: %s\n", seq, h->dir, strerror(errno));
		return err;
	}
	for (size_t i = 0; i < h->n; i++)
		if (h->e[i].seq == seq)
			h->e[i].pending = false;
	return fsync_dir(h);
}

int history_drop(struct history *h, unsigned int seq)
{
	static const char *const sfx[] = { "pending", "meta", "json", "overrides.json",
					   "host.json" };
	char name[40];
	size_t k = 0;

	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(name, sizeof(name), "%06u.%s", seq, sfx[i]);
		unlinkat(h->dfd, name, 0);
	}
	for (size_t i = 0; i < h->n; i++)
		if (h->e[i].seq != seq)
			h->e[k++] = h->e[i];
	h->n = k;
	return fsync_dir(h);
}

int history_resolve(struct history *h, __u32 live_generation, const __u8 live_digest[32])
{
	char dg[80];
	int err = 0;

	digest_str(live_digest, dg);
	for (size_t i = 0; i < h->n && !err; i++) {
		struct hist_entry *e = &h->e[i];

		if (!e->pending)
			continue;
		if (e->generation == live_generation && !strcmp(e->digest, dg)) {
			pr_info("history: entry %u was applied by a load that did not finish: kept\n",
				e->seq);
			err = history_commit(h, e->seq);
		} else {
			pr_info("history: entry %u belongs to a load that never went live: dropped\n",
				e->seq);
			err = history_drop(h, e->seq);
			i--;
		}
	}
	return err;
}

int history_prune(struct history *h, size_t keep)
{
	size_t committed = 0;

	for (size_t i = 0; i < h->n; i++)
		committed += !h->e[i].pending;
	while (committed > keep) {
		for (size_t i = 0; i < h->n; i++) {
			if (!h->e[i].pending) {
				int err = history_drop(h, h->e[i].seq);

				if (err)
					return err;
				break;
			}
		}
		committed--;
	}
	return 0;
}

/* overrides from a file of a state dir; none (ENOENT) is an empty set */
static int read_overrides(int dfd, const char *dir, const char *name, struct overrides *o)
{
	struct diags d = { 0 };
	char *text;
	size_t len;
	int err = read_at(dfd, dir, name, &text, &len);

	memset(o, 0, sizeof(*o));
	if (err == -ENOENT)
		return 0;
	if (err) {
		if (err != -EINVAL)
			pr_warn("reading %s/%s: %s\n", dir, name, config_read_strerror(err));
		return err;
	}
	err = overrides_parse(text, len, o, &d);
	for (size_t i = 0; err && i < d.n; i++)
		pr_warn("%s/%s: %s: %s\n", dir, name, d.v[i].path, d.v[i].msg);
	diags_free(&d);
	free(text);
	return err;
}

int history_overrides_read(const char *dir, struct overrides *o)
{
	int dfd = history_dir_open(dir, false), err;

	memset(o, 0, sizeof(*o));
	if (dfd == -ENOENT)
		return 0; /* no state dir yet: no overrides */
	if (dfd < 0)
		return dfd;
	err = read_overrides(dfd, dir, "overrides.json", o);
	close(dfd);
	return err;
}

int history_overrides_write(const char *dir, const struct overrides *o)
{
	int dfd = history_dir_open(dir, true), err;
	char *js;

	if (dfd < 0)
		return dfd;
	if (!o->n) {
		err = unlinkat(dfd, "overrides.json", 0) && errno != ENOENT ? -errno : 0;
		if (!err && fsync(dfd))
			err = -errno;
		if (err)
			pr_warn("removing %s/overrides.json: %s\n", dir, strerror(-err));
		close(dfd);
		return err;
	}
	js = overrides_json(o);
	err = js ? write_atomic(dfd, dir, "overrides.json", js, strlen(js)) : -ENOMEM;
	free(js);
	close(dfd);
	return err;
}

int history_entry_overrides(const struct history *h, unsigned int seq, struct overrides *o)
{
	char name[40];

	snprintf(name, sizeof(name), "%06u.overrides.json", seq);
	return read_overrides(h->dfd, h->dir, name, o);
}
