// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * config_file.c - a config's bytes from a file: the one file reader of the
 * CLI, validation and the history.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int config_read_file(const char *path, char **text, size_t *len)
{
	/* standard input, as in `jq ... | xdplb validate -` (read once, closed) */
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;

	if (!f)
		return -errno;
	return config_read_stream(f, text, len);
}

int config_read_stream(FILE *f, char **text, size_t *len)
{
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int err;

	errno = 0;
	for (;;) {
		if (n > CONFIG_MAX_BYTES) { /* /dev/zero, a log file by mistake */
			free(buf);
			fclose(f);
			return -EFBIG;
		}
		if (n == cap) {
			char *nb = realloc(buf, (cap = cap ? cap * 2 : 65536) + 1);

			if (!nb) {
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			buf = nb;
		}
		size_t r = fread(buf + n, 1, cap - n, f);

		n += r;
		if (!r)
			break;
	}
	err = ferror(f) ? (errno ? -errno : -EIO) : 0; /* EISDIR says more than EIO */
	fclose(f);
	if (err) {
		free(buf);
		return err;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

const char *config_read_strerror(int err)
{
	if (err == -EFBIG)
		return "larger than 64 MiB, more than any config can be: not read";
	return strerror(-err);
}
