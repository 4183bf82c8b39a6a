// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The exporter's routing and --listen parsing (core/serve_req.c). */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "serve_req.h"

Test(serve_req, routes)
{
	cr_expect(eq(int, serve_route("GET", "/metrics"), SERVE_METRICS));
	cr_expect(eq(int, serve_route("HEAD", "/metrics"), SERVE_METRICS));
	cr_expect(eq(int, serve_route("GET", "/"), SERVE_INDEX));
	cr_expect(eq(int, serve_route("GET", "/metrics/"), SERVE_NOT_FOUND));
	cr_expect(eq(int, serve_route("GET", "/metricsx"), SERVE_NOT_FOUND));
	cr_expect(eq(int, serve_route("GET", ""), SERVE_NOT_FOUND));
	cr_expect(eq(int, serve_route("GET", NULL), SERVE_NOT_FOUND));
	cr_expect(eq(int, serve_route("POST", "/metrics"), SERVE_NOT_ALLOWED));
	cr_expect(eq(int, serve_route("get", "/metrics"), SERVE_NOT_ALLOWED),
		  "methods are case-sensitive");
	cr_expect(eq(int, serve_route(NULL, "/metrics"), SERVE_NOT_ALLOWED));
}

/* ":PORT" is every address: the IPv6 wildcard (dual-stack when bound) */
Test(serve_req, listen_any)
{
	struct sockaddr_storage ss;
	socklen_t len;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&ss;

	cr_assert(eq(int, serve_parse_listen(":9435", &ss, &len), 0));
	cr_expect(eq(int, ss.ss_family, AF_INET6));
	cr_expect(eq(int, ntohs(a6->sin6_port), 9435));
	cr_expect(eq(int, IN6_IS_ADDR_UNSPECIFIED(&a6->sin6_addr) ? 1 : 0, 1), "the wildcard");
	cr_expect(eq(sz, (size_t)len, sizeof(*a6)));
}

Test(serve_req, listen)
{
	static const char *const bad[] = { "",
					   ":",
					   ":0",
					   "127.0.0.1",
					   "127.0.0.1:",
					   "127.0.0.1:0",
					   "127.0.0.1:65536",
					   "127.0.0.1:+80",
					   "127.0.0.1: 80",
					   "127.0.0.1:-1",
					   "localhost:80",
					   "[::1:80",
					   "::1:80",
					   "[]:80",
					   "[:80",
					   "127.0.0.1:80x" };
	struct sockaddr_storage ss;
	socklen_t len;

	cr_assert(eq(int, serve_parse_listen("127.0.0.1:9100", &ss, &len), 0));
	cr_expect(eq(int, ss.ss_family, AF_INET));
	cr_expect(eq(u16, ntohs(((struct sockaddr_in *)&ss)->sin_port), 9100));
	cr_assert(eq(int, serve_parse_listen("[::1]:65535", &ss, &len), 0));
	cr_expect(eq(int, ss.ss_family, AF_INET6));
	cr_expect(eq(u32, len, sizeof(struct sockaddr_in6)));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect(eq(int, serve_parse_listen(bad[i], &ss, &len), -1), "%s", bad[i]);
}
