// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * serve_req.c - the exporter's routing and --listen parsing (serve_req.h).
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "serve_req.h"

enum serve_route serve_route(const char *method, const char *url)
{
	if (!method || (strcmp(method, "GET") && strcmp(method, "HEAD")))
		return SERVE_NOT_ALLOWED;
	if (!url)
		return SERVE_NOT_FOUND;
	if (!strcmp(url, "/"))
		return SERVE_INDEX;
	return strcmp(url, "/metrics") ? SERVE_NOT_FOUND : SERVE_METRICS;
}

int serve_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	unsigned long port;
	char *end;
	size_t hl;

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	/* digits only: strtoul would take " 80", "+80" and "-1" */
	if (colon[1] < '0' || colon[1] > '9')
		return -1;
	port = strtoul(colon + 1, &end, 10);
	if (*end || !port || port > 65535)
		return -1;
	hl = (size_t)(colon - s);
	memset(ss, 0, sizeof(*ss));
	if (!hl) { /* ":PORT": the IPv6 wildcard, dual-stack (serve's open_listener) */
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		a6->sin6_addr = in6addr_any;
		*len = sizeof(*a6);
		return 0;
	}
	memcpy(host, s, hl);
	host[hl] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[' && hl > 1 && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a6);
		return inet_pton(AF_INET6, host + 1, &a6->sin6_addr) == 1 ? 0 : -1;
	}
	a4->sin_family = AF_INET;
	a4->sin_port = htons((uint16_t)port);
	*len = sizeof(*a4);
	return inet_pton(AF_INET, host, &a4->sin_addr) == 1 ? 0 : -1;
}
