// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

/* Printable, no space: what a request target and a Host value may hold
 * without changing the request's shape. */
static int header_safe(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return 0;
	return 1;
}

int check_http_request(char *buf, size_t cap, const char *path, const char *host)
{
	int n;

	if (path[0] != '/' || !header_safe(path) || !host[0] || !header_safe(host))
		return -EINVAL;
	n = snprintf(buf, cap, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", path,
		     host);
	if (n < 0 || (size_t)n >= cap)
		return -ENAMETOOLONG;
	return n;
}

/* "HTTP/" digit "." digit SP: 11 bytes, then three digits and a byte that
 * ends the code (SP, CR or LF). '#' stands for a digit. */
static const char status_shape[] = "HTTP/#.# ###";

int check_http_status(const char *buf, size_t len, int *status)
{
	size_t shape = sizeof(status_shape) - 1;
	char end;

	for (size_t i = 0; i < len && i < shape; i++) {
		char want = status_shape[i], c = buf[i];

		if (want == '#' ? (c < '0' || c > '9') : c != want)
			return -EPROTO;
	}
	if (len <= shape)
		return 0;
	end = buf[shape];
	if (end != ' ' && end != '\r' && end != '\n')
		return -EPROTO;
	*status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	return 1;
}

double check_offset(__u32 i, __u32 n, double interval)
{
	return n ? interval * (double)(i % n) / n : 0;
}

double check_next_due(double due, double interval, double now)
{
	double next = due + interval;

	if (next > now)
		return next;
	/* late by whole intervals: the first slot of the grid after now */
	next = due + interval * (floor((now - due) / interval) + 1);
	return next > now ? next : next + interval;
}
