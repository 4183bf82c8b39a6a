/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * history.h - the configs an interface has run, in its state dir.
 *
 * Entry N is two files: N.json, the config's bytes as applied, and N.meta
 * (JSON: digest, time, user, generation, source, note). A load writes
 * N.json and N.pending before its commit point and renames N.pending to
 * N.meta after it, each file written to a temporary name, fsynced and
 * renamed. A pending entry left by a crash is resolved against what is
 * live: committed if the live generation and digest are its own, dropped
 * otherwise. So the newest committed entry is always the live config.
 */
#ifndef XDPLB_HISTORY_H
#define XDPLB_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "histmeta.h"

#define HISTORY_KEEP 50 /* entries kept; older ones are pruned */

struct history {
	char dir[512]; /* "" until open */
	int dfd; /* the state dir, checked: every file is opened at it */
	struct hist_entry *e; /* oldest first */
	size_t n;
	size_t junk; /* entry files skipped (each said): unreadable, malformed */
	unsigned int max_seq; /* the highest number of any entry file, junk too */
};

/* The default state dir of an interface (history.c says why): /var/lib/xdplb/IFACE,
 * IFACE@NAME in a named network namespace, /run/xdplb/state/IFACE@ns<cookie>
 * in an unnamed one. */
void history_default_dir(const char *ifname, char *buf, size_t len);
/* dir/name gets exactly these bytes, or keeps what it had (a new temporary
 * file, fsync, rename), dir checked as history_dir_open() does: for the
 * state dir's other files (announce.c). */
int history_write_file(const char *dir, const char *name, const void *data, size_t len);

/* The state dir dir, opened (created if create) and checked: owned by
 * root or the euid, writable by no one else, nor any directory above it
 * but sticky ones. The fd, or -errno: -EPERM refused (said), -ENOENT not
 * there (said if create). */
int history_dir_open(const char *dir, bool create);

/* Reads the entries of dir (creating it, checking it: history_dir_open).
 * Files are opened at the checked dir's fd, never through a symlink, and
 * only regular ones read; an entry that is not one, or whose metadata is
 * malformed, is skipped and said (histmeta.h). */
int history_open(const char *dir, struct history *h);
void history_free(struct history *h);
/* The newest committed entry, or NULL. */
const struct hist_entry *history_last(const struct history *h);
const struct hist_entry *history_find(const struct history *h, unsigned int seq);
/* The config bytes of an entry (malloc'ed, NUL-terminated). */
int history_read_config(const struct history *h, unsigned int seq, char **text, size_t *len);

/* The host file's bytes of an entry; -ENOENT when it had none. */
int history_read_host(const struct history *h, unsigned int seq, char **text, size_t *len);
/* Both, said when the config cannot be read: *host NULL when the entry
 * had no host file. */
int history_read_entry(const struct history *h, unsigned int seq, char **text, size_t *len,
		       char **host, size_t *host_len);

/* Writes a pending entry (config bytes, host file bytes (host NULL: none)
 * and the overrides it goes live with (NULL: none) first, then its meta);
 * meta->seq gets its number. */
int history_begin(struct history *h, const char *text, size_t len, const char *host,
		  size_t host_len, const char *overrides, struct hist_entry *meta);
/* Records the live config (generation, digest, load time) as a committed
 * entry without bytes (no_config) unless the newest entry is it already:
 * what a load with --no-history left unrecorded. */
int history_record_live(struct history *h, __u32 generation, const __u8 digest[32],
			long long load_time);
/* Turns the pending entry into a committed one. */
int history_commit(struct history *h, unsigned int seq);
/* Drops an entry (a pending one whose load failed). */
int history_drop(struct history *h, unsigned int seq);
/* Resolves pending entries left by a crash, against the live state. */
int history_resolve(struct history *h, __u32 live_generation, const __u8 live_digest[32]);
/* Keeps the newest `keep` committed entries. */
int history_prune(struct history *h, size_t keep);

/* The overrides of the state dir dir (overrides.json; none: an empty
 * set), and of a history entry. 0 or -errno (said). */
struct overrides;
int history_overrides_read(const char *dir, struct overrides *o);
int history_overrides_write(const char *dir, const struct overrides *o);
int history_entry_overrides(const struct history *h, unsigned int seq, struct overrides *o);

/* The user who ran xdplb: $SUDO_USER, else the login name, else the uid. */
const char *history_user(char *buf, size_t len);
/* A file's absolute path for an entry's source (buf: PATH_MAX bytes), or
 * path as given when it cannot be resolved; NULL stays NULL. */
const char *history_source(const char *path, char *buf);

#endif
