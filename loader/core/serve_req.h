/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * serve_req.h - what the exporter (`xdplb serve`, kernel/serve.c) makes of
 * a request and of its --listen address: pure, so that it can be fuzzed
 * without an HTTP server (tests/fuzz/fuzz_serve.c).
 */
#ifndef XDPLB_SERVE_REQ_H
#define XDPLB_SERVE_REQ_H

#include <sys/socket.h>

enum serve_route {
	SERVE_INDEX, /* GET / : a page that links /metrics */
	SERVE_METRICS, /* GET /metrics */
	SERVE_NOT_FOUND, /* any other path: 404 */
	SERVE_NOT_ALLOWED, /* a method but GET and HEAD: 405 */
};

/* The answer to METHOD URL (as the HTTP server parsed them; NULL is
 * neither a method nor a path). HEAD is GET without the body. */
enum serve_route serve_route(const char *method, const char *url);

/* "HOST:PORT" or "[V6]:PORT", numeric addresses only, port 1..65535.
 * 0, or -1: not such an address. */
int serve_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len);

#endif
