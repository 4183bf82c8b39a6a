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

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		err = -errno;
	close(fd);
	return err;
}

/* dir/name gets exactly these bytes, or keeps what it had: a temporary
 * file, fsync, rename, fsync of the directory. */
int history_write_file(const char *dir, const char *name, const void *data, size_t len)
{
	char tmp[700], path[700];
	const char *p = data;
	int fd, err = 0;

	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
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
	close(fd);
	if (rename(tmp, path))
		goto fail;
	return fsync_dir(dir);
fail_close:
	err = -errno;
	close(fd);
	unlink(tmp);
	goto out;
fail:
	err = -errno;
out:
	pr_warn("writing %s: %s\n", path, strerror(-err));
	return err;
}

static char *meta_json(const struct hist_entry *e)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	cJSON_AddNumberToObject(o, "seq", e->seq);
	cJSON_AddStringToObject(o, "digest", e->digest);
	cJSON_AddNumberToObject(o, "time", (double)e->time);
	cJSON_AddStringToObject(o, "user", e->user);
	cJSON_AddNumberToObject(o, "generation", e->generation);
	cJSON_AddStringToObject(o, "source", e->source);
	cJSON_AddStringToObject(o, "note", e->note);
	if (e->file_digest[0])
		cJSON_AddStringToObject(o, "file_digest", e->file_digest);
	if (e->host_source[0] || e->host_file_digest[0]) {
		cJSON_AddStringToObject(o, "host_source", e->host_source);
		cJSON_AddStringToObject(o, "host_file_digest", e->host_file_digest);
	}
	s = cJSON_Print(o);
	cJSON_Delete(o);
	return s;
}

static int parse_meta(const char *text, struct hist_entry *e)
{
	cJSON *o = cJSON_Parse(text), *j;

	if (!o)
		return -EINVAL;
	memset(e, 0, sizeof(*e));
#define STR(k, f)                                                 \
	if ((j = cJSON_GetObjectItem(o, k)) && cJSON_IsString(j)) \
		snprintf(e->f, sizeof(e->f), "%s", j->valuestring);
#define NUM(k, f, T)                                              \
	if ((j = cJSON_GetObjectItem(o, k)) && cJSON_IsNumber(j)) \
		e->f = (T)j->valuedouble;
	NUM("seq", seq, unsigned int)
	STR("digest", digest)
	NUM("time", time, long long)
	STR("user", user)
	NUM("generation", generation, __u32)
	STR("source", source)
	STR("note", note)
	STR("file_digest", file_digest)
	STR("host_source", host_source)
	STR("host_file_digest", host_file_digest)
#undef STR
#undef NUM
	cJSON_Delete(o);
	return 0;
}

static int cmp_seq(const void *a, const void *b)
{
	const struct hist_entry *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int history_open(const char *dir, struct history *h)
{
	struct dirent *de;
	size_t cap = 16;
	DIR *d;
	int err = mkdir_p(dir);

	memset(h, 0, sizeof(*h));
	if (err) {
		pr_warn("creating the state dir %s: %s\n", dir, strerror(-err));
		return err;
	}
	snprintf(h->dir, sizeof(h->dir), "%s", dir);
	h->e = calloc(cap, sizeof(*h->e));
	d = opendir(dir);
	if (!h->e || !d) {
		err = h->e ? -errno : -ENOMEM;
		pr_warn("reading the state dir %s: %s\n", dir, strerror(-err));
		if (d)
			closedir(d);
		return err;
	}
	while ((de = readdir(d))) {
		const char *dot = strrchr(de->d_name, '.');
		bool pending = dot && !strcmp(dot, ".pending");
		char path[800], *text;
		size_t len;

		if (de->d_name[0] == '.' || !dot || (strcmp(dot, ".meta") && !pending))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (config_read_file(path, &text, &len))
			continue;
		if (h->n == cap) {
			struct hist_entry *ne = reallocarray(h->e, cap * 2, sizeof(*ne));

			if (!ne) {
				free(text);
				break;
			}
			h->e = ne;
			cap *= 2;
		}
		if (!parse_meta(text, &h->e[h->n])) {
			h->e[h->n].pending = pending;
			h->n++;
		}
		free(text);
	}
	closedir(d);
	qsort(h->e, h->n, sizeof(*h->e), cmp_seq);
	return 0;
}

void history_free(struct history *h)
{
	free(h->e);
	memset(h, 0, sizeof(*h));
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
	char path[700];

	snprintf(path, sizeof(path), "%s/%06u.json", h->dir, seq);
	return config_read_file(path, text, len);
}

int history_read_host(const struct history *h, unsigned int seq, char **text, size_t *len)
{
	char path[700];

	snprintf(path, sizeof(path), "%s/%06u.host.json", h->dir, seq);
	return config_read_file(path, text, len);
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

int history_begin(struct history *h, const char *text, size_t len, const char *host,
		  size_t host_len, const char *overrides, struct hist_entry *meta)
{
	char name[40], *js;
	int err;

	meta->seq = h->n ? h->e[h->n - 1].seq + 1 : 1;
	meta->pending = true;
	snprintf(name, sizeof(name), "%06u.json", meta->seq);
	err = history_write_file(h->dir, name, text, len);
	/* the host file beside it, so that a rollback restores both */
	snprintf(name, sizeof(name), "%06u.host.json", meta->seq);
	if (!err && host)
		err = history_write_file(h->dir, name, host, host_len);
	/* the overrides it goes live with: before the entry exists */
	snprintf(name, sizeof(name), "%06u.overrides.json", meta->seq);
	if (!err && overrides)
		err = history_write_file(h->dir, name, overrides, strlen(overrides));
	fault_point("history-config-written");
	js = meta_json(meta);
	if (!err && !js)
		err = -ENOMEM;
	snprintf(name, sizeof(name), "%06u.pending", meta->seq);
	if (!err)
		err = history_write_file(h->dir, name, js, strlen(js));
	free(js);
	if (err)
		return err;
	fault_point("history-pending-written");
	struct hist_entry *ne = reallocarray(h->e, h->n + 1, sizeof(*ne));

	if (!ne)
		return -ENOMEM;
	h->e = ne;
	h->e[h->n++] = *meta;
	return 0;
}

int history_commit(struct history *h, unsigned int seq)
{
	char from[700], to[700];

	snprintf(from, sizeof(from), "%s/%06u.pending", h->dir, seq);
	snprintf(to, sizeof(to), "%s/%06u.meta", h->dir, seq);
	if (rename(from, to)) {
		int err = -errno;

		pr_warn("committing history entry %u: %s\n", seq, strerror(errno));
		return err;
	}
	for (size_t i = 0; i < h->n; i++)
		if (h->e[i].seq == seq)
			h->e[i].pending = false;
	return fsync_dir(h->dir);
}

int history_drop(struct history *h, unsigned int seq)
{
	char path[700];
	size_t k = 0;

	snprintf(path, sizeof(path), "%s/%06u.pending", h->dir, seq);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%06u.meta", h->dir, seq);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%06u.json", h->dir, seq);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%06u.overrides.json", h->dir, seq);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%06u.host.json", h->dir, seq);
	unlink(path);
	for (size_t i = 0; i < h->n; i++)
		if (h->e[i].seq != seq)
			h->e[k++] = h->e[i];
	h->n = k;
	return fsync_dir(h->dir);
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

/* overrides from a file; none (ENOENT) is an empty set */
static int read_overrides(const char *path, struct overrides *o)
{
	struct diags d = { 0 };
	char *text;
	size_t len;
	int err = config_read_file(path, &text, &len);

	memset(o, 0, sizeof(*o));
	if (err == -ENOENT)
		return 0;
	if (err) {
		pr_warn("reading %s: %s\n", path, strerror(-err));
		return err;
	}
	err = overrides_parse(text, len, o, &d);
	for (size_t i = 0; err && i < d.n; i++)
		pr_warn("%s: %s: %s\n", path, d.v[i].path, d.v[i].msg);
	diags_free(&d);
	free(text);
	return err;
}

int history_overrides_read(const char *dir, struct overrides *o)
{
	char path[700];

	snprintf(path, sizeof(path), "%s/overrides.json", dir);
	return read_overrides(path, o);
}

int history_overrides_write(const char *dir, const struct overrides *o)
{
	char path[700], *js;
	int err;

	if (!o->n) {
		snprintf(path, sizeof(path), "%s/overrides.json", dir);
		if (unlink(path) && errno != ENOENT)
			return -errno;
		return fsync_dir(dir);
	}
	js = overrides_json(o);
	if (!js)
		return -ENOMEM;
	err = history_write_file(dir, "overrides.json", js, strlen(js));
	free(js);
	return err;
}

int history_entry_overrides(const struct history *h, unsigned int seq, struct overrides *o)
{
	char path[700];

	snprintf(path, sizeof(path), "%s/%06u.overrides.json", h->dir, seq);
	return read_overrides(path, o);
}
