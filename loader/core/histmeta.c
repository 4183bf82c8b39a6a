// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * histmeta.c - a history entry's metadata, parsed strictly (histmeta.h).
 */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "histmeta.h"

int hist_meta_name(const char *name, unsigned int *seq, bool *pending)
{
	unsigned long long v = 0;
	const char *p = name;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	/* digits, at most 9: no overflow however many a name has */
	for (; *p >= '0' && *p <= '9'; p++)
		if ((v = v * 10 + (unsigned int)(*p - '0')) > HIST_SEQ_MAX)
			return -EINVAL;
	if (!v)
		return -EINVAL;
	if (!strcmp(p, ".meta"))
		*pending = false;
	else if (!strcmp(p, ".pending"))
		*pending = true;
	else
		return -EINVAL;
	*seq = (unsigned int)v;
	return 0;
}

static int junk(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* An integer in [lo, hi]: NaN, fractions and out-of-range values are not
 * (casting them is undefined behaviour, or a wrap). */
static bool int_in(const cJSON *j, double lo, double hi, long long *v)
{
	double d;

	if (!cJSON_IsNumber(j))
		return false;
	d = j->valuedouble;
	if (!(d >= lo && d <= hi) || (double)(long long)d != d)
		return false;
	*v = (long long)d;
	return true;
}

/* Optional string field k into buf: absent is "", anything else but a
 * string that fits is junk. */
static int str_field(const cJSON *o, const char *k, char *buf, size_t size, char *why,
		     size_t why_len)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);

	buf[0] = '\0';
	if (!j)
		return 0;
	if (!cJSON_IsString(j) || !j->valuestring)
		return junk(why, why_len, "%s: not a string", k);
	if (strlen(j->valuestring) >= size)
		return junk(why, why_len, "%s: longer than %zu bytes", k, size - 1);
	memcpy(buf, j->valuestring, strlen(j->valuestring) + 1);
	return 0;
}

static bool digest_ok(const char *s)
{
	if (strncmp(s, "sha256:", 7) || strlen(s) != 7 + 64)
		return false;
	for (s += 7; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

static int parse_obj(const cJSON *o, unsigned int name_seq, struct hist_entry *e, char *why,
		     size_t wl)
{
	const cJSON *j;
	long long v;
	int err;

	if (!cJSON_IsObject(o))
		return junk(why, wl, "not a JSON object");
	j = cJSON_GetObjectItemCaseSensitive(o, "seq");
	if (!int_in(j, 1, HIST_SEQ_MAX, &v))
		return junk(why, wl, "seq: not an entry number (an integer 1..%u)", HIST_SEQ_MAX);
	if ((unsigned int)v != name_seq)
		return junk(why, wl, "seq: %lld, but the file is entry %u", v, name_seq);
	e->seq = (unsigned int)v;
	j = cJSON_GetObjectItemCaseSensitive(o, "generation");
	if (!int_in(j, 0, 4294967295.0, &v))
		return junk(why, wl, "generation: not an integer 0..4294967295");
	e->generation = (__u32)v;
	j = cJSON_GetObjectItemCaseSensitive(o, "time");
	if (!int_in(j, 0, (double)HIST_TIME_MAX, &v))
		return junk(why, wl, "time: not seconds since the epoch (an integer 0..%lld)",
			    HIST_TIME_MAX);
	e->time = v;
	err = str_field(o, "digest", e->digest, sizeof(e->digest), why, wl);
	if (err)
		return err;
	if (!digest_ok(e->digest))
		return junk(why, wl, "digest: not \"sha256:\" and 64 lowercase hex digits");
	err = str_field(o, "user", e->user, sizeof(e->user), why, wl);
	if (!err)
		err = str_field(o, "source", e->source, sizeof(e->source), why, wl);
	if (!err)
		err = str_field(o, "note", e->note, sizeof(e->note), why, wl);
	/* the file's own digest and the host file (docs/fleet.md): optional */
	if (!err)
		err = str_field(o, "file_digest", e->file_digest, sizeof(e->file_digest), why, wl);
	if (!err)
		err = str_field(o, "host_source", e->host_source, sizeof(e->host_source), why, wl);
	if (!err)
		err = str_field(o, "host_file_digest", e->host_file_digest,
				sizeof(e->host_file_digest), why, wl);
	if (err)
		return err;
	if (e->file_digest[0] && !digest_ok(e->file_digest))
		return junk(why, wl, "file_digest: not \"sha256:\" and 64 lowercase hex digits");
	if (e->host_file_digest[0] && !digest_ok(e->host_file_digest))
		return junk(why, wl,
			    "host_file_digest: not \"sha256:\" and 64 lowercase hex digits");
	j = cJSON_GetObjectItemCaseSensitive(o, "no_config");
	if (j && !cJSON_IsBool(j))
		return junk(why, wl, "no_config: not true or false");
	e->no_config = cJSON_IsTrue(j);
	return 0;
}

int hist_meta_parse(const char *name, const char *text, size_t len, struct hist_entry *e, char *why,
		    size_t why_len)
{
	const char *end = NULL;
	unsigned int seq;
	bool pending;
	cJSON *o;
	int err;

	memset(e, 0, sizeof(*e));
	if (hist_meta_name(name, &seq, &pending))
		return junk(why, why_len, "not the name of an entry (NNNNNN.meta or .pending)");
	o = cJSON_ParseWithLengthOpts(text, len, &end, false);
	if (!o)
		return junk(why, why_len, "not JSON");
	/* the whole text, nothing but white space after the object */
	while (end < text + len && (*end == ' ' || *end == '\n' || *end == '\t' || *end == '\r'))
		end++;
	if (end != text + len) {
		cJSON_Delete(o);
		return junk(why, why_len, "not JSON: something after the object");
	}
	err = parse_obj(o, seq, e, why, why_len);
	cJSON_Delete(o);
	if (err) {
		memset(e, 0, sizeof(*e));
		return err;
	}
	e->pending = pending;
	return 0;
}

char *hist_meta_json(const struct hist_entry *e)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	if (!o)
		return NULL;
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
	if (e->no_config)
		cJSON_AddTrueToObject(o, "no_config");
	s = cJSON_Print(o);
	cJSON_Delete(o);
	return s;
}
