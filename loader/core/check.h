/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * check.h - the pure parts of a health check (the probe engine, kernel/
 * probe.c, does the I/O): the HTTP request and the status line of its
 * answer, and when each target is due. Pure, so unit tests link it.
 */
#ifndef XDPLB_CHECK_H
#define XDPLB_CHECK_H

#include <stddef.h>

#include "xdplb_abi.h"

#define CHECK_REQ_MAX 1024 /* the request, with its headers */
#define CHECK_STATUS_MAX 128 /* bytes read for the status line, at most */

/*
 * "GET PATH HTTP/1.1\r\nHost: HOST\r\nConnection: close\r\n\r\n" into buf.
 * Connection: close, so that the server ends the exchange and keeps no
 * idle connection for a checker that never reuses it. Returns its length,
 * -EINVAL when path does not start with '/' or either has a control
 * character or space (a header injection), -ENAMETOOLONG when it does not
 * fit in cap.
 */
int check_http_request(char *buf, size_t cap, const char *path, const char *host);

/*
 * The status of "HTTP/1.x SSS ..." at the start of buf (len bytes so far):
 * 1 and *status once the code and the byte after it are in; 0 while what
 * came so far could still be one (a partial read); -EPROTO when it cannot.
 * The rest of the line, the headers and the body are not read.
 */
int check_http_status(const char *buf, size_t len, int *status);

/* The first start of target i of n with this interval, after the
 * schedule's start: evenly spread over [0, interval), so that n checks of
 * one interval never start together (no thundering herd). */
double check_offset(__u32 i, __u32 n, double interval);

/* The next start of a check that was due at `due`: due + k x interval,
 * the first after now. Runs missed (a late wake-up, a check that outlived
 * its interval) are skipped, not made up in a burst, and the spread of
 * the first starts is kept. */
double check_next_due(double due, double interval, double now);

#endif
