// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The exporter's request handling without the HTTP server: the input is
 * METHOD, a NUL, URL, a NUL, a --listen address (serve_req.h). */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "fuzz.h"
#include "serve_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size), *url = NULL, *listen = NULL;
	struct sockaddr_storage ss;
	enum serve_route r;
	socklen_t len;

	/* the pieces, each NUL-terminated by the one after it (or the end) */
	if (strlen(s) < size) {
		url = s + strlen(s) + 1;
		if ((size_t)(url - s) + strlen(url) < size)
			listen = url + strlen(url) + 1;
	}
	r = serve_route(s, url);
	FUZZ_ASSERT(r == SERVE_INDEX || r == SERVE_METRICS || r == SERVE_NOT_FOUND ||
		    r == SERVE_NOT_ALLOWED);
	FUZZ_ASSERT(r != SERVE_METRICS || (url && !strcmp(url, "/metrics")));
	if (!serve_parse_listen(listen ? listen : s, &ss, &len)) {
		FUZZ_ASSERT(ss.ss_family == AF_INET || ss.ss_family == AF_INET6);
		FUZZ_ASSERT(len <= sizeof(ss));
		FUZZ_ASSERT(((struct sockaddr_in *)&ss)->sin_port != 0);
	}
	free(s);
	return 0;
}
