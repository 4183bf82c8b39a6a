/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * histmeta.h - one history entry's metadata (STATE_DIR/NNNNNN.meta, or
 * .pending before its load's commit point): the JSON, both ways.
 *
 * Pure. Parsing is strict because the file is input like any other (a
 * disk error, a hand edit, a copy): every field has a type and a range,
 * the entry number in the file is the one in its name, and an entry that
 * breaks a rule is junk, skipped and said, never half-read.
 */
#ifndef XDPLB_HISTMETA_H
#define XDPLB_HISTMETA_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* Entry numbers are 1..HIST_SEQ_MAX: 8 digits, far from any wrap (a load
 * a minute for 190 years); the file names are %06u, wider past 999999. */
#define HIST_SEQ_MAX 99999999u
/* Times: 0..year 9999, seconds since the epoch. */
#define HIST_TIME_MAX 253402300799LL

struct hist_entry {
	unsigned int seq;
	char digest[72]; /* "sha256:<hex>" */
	long long time; /* seconds since the epoch */
	char user[64];
	__u32 generation; /* the live generation this config became */
	char source[256]; /* the file it came from */
	char file_digest[72]; /* "sha256:<hex>" of that file's bytes, "" if not recorded */
	char host_source[256]; /* the host file it came with, "" if none */
	char host_file_digest[72]; /* "sha256:<hex>" of the host file's bytes, "" if none */
	char note[160]; /* "rollback to 3", "forced", ... */
	bool pending;
	/* recorded after the fact: a config loaded with --no-history, whose
	 * bytes were not kept (no NNNNNN.json) */
	bool no_config;
};

/* The entry number and kind of a file name: NNNNNN.meta (committed) or
 * NNNNNN.pending, digits only, 1..HIST_SEQ_MAX. 0, or -EINVAL: not the
 * name of an entry's metadata. */
int hist_meta_name(const char *name, unsigned int *seq, bool *pending);

/* The entry in text (len bytes) of the file `name`. 0, or -EINVAL with a
 * reason in why (naming the field). */
int hist_meta_parse(const char *name, const char *text, size_t len, struct hist_entry *e, char *why,
		    size_t why_len);

/* e as the JSON of its file (malloc'ed), or NULL: no memory. */
char *hist_meta_json(const struct hist_entry *e);

#endif
