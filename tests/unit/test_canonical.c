// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The canonical digest of the shared part, host files and --shared
 * (docs/fleet.md, "Shared and host config"). */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "sha256.h"

#define FLEET_DIR XDPLB_SRCDIR "/tests/configs/fleet"

/* The digests of json (with host file host, or NULL); asserts it is valid. */
static void digests_of(const char *json, const char *host, __u8 digest[32], __u8 host_digest[32])
{
	struct config_opts o = { .mode = -1,
				 .host_text = host,
				 .host_len = host ? strlen(host) : 0,
				 .host_name = "host.json" };
	struct diags d = { 0 };
	struct checked c;
	int err = validate_text(json, strlen(json), &o, &c, &d);

	for (size_t i = 0; i < d.n; i++)
		cr_log_error("%s: %s: %s", d.v[i].file ? d.v[i].file : "config", d.v[i].path,
			     d.v[i].msg);
	cr_assert(eq(int, err, 0), "%s", json);
	memcpy(digest, c.cfg.digest, 32);
	if (host_digest)
		memcpy(host_digest, c.cfg.host_digest, 32);
	checked_free(&c);
	diags_free(&d);
}

#define HOST1 \
	"\"interface\": \"eth0\", \"next_hop_mac\": \"02:00:00:00:00:01\", \"source_v4\": \"192.0.2.1\", \"source_v6\": \"2001:db8::1\""
#define HOST2 \
	"\"interface\": \"ens3\", \"mode\": \"generic\", \"next_hop_mac\": \"02:00:00:00:00:02\", \"source_v4\": \"192.0.2.2\", \"source_v6\": \"2001:db8::100/120\", \"mtu\": 9000, \"conntrack_size\": 65536"

/* One service, written many ways. */
static const char *const same[] = {
	/* the reference */
	"{" HOST1
	", \"hash_seed\": 16, \"vips\": [{\"name\": \"web\", \"address\": \"203.0.113.10\", \"port\": 80,"
	" \"backends\": [{\"name\": \"a\", \"address\": \"198.51.100.1\"}, {\"name\": \"b\", \"address\": \"2001:db8:20::2\", \"weight\": 50}]}]}",
	/* jq -c, hash_seed in hex */
	"{" HOST1
	",\"hash_seed\":\"0x10\",\"vips\":[{\"name\":\"web\",\"address\":\"203.0.113.10\",\"port\":80,"
	"\"backends\":[{\"name\":\"a\",\"address\":\"198.51.100.1\"},{\"name\":\"b\",\"address\":\"2001:db8:20::2\",\"weight\":50}]}]}",
	/* keys reordered, backends reordered, an address spelled otherwise */
	"{\"vips\": [{\"backends\": [{\"weight\": 50, \"address\": \"2001:DB8:20:0:0:0:0:2\", \"name\": \"b\"}, {\"address\": \"198.51.100.1\", \"name\": \"a\"}],"
	" \"port\": 80, \"address\": \"203.0.113.10\", \"name\": \"web\"}], \"hash_seed\": \"16\", " HOST1
	"}",
	/* every default spelled out */
	"{" HOST1
	", \"mtu\": 1500, \"mode\": \"native\", \"conntrack_size\": 1048576, \"hash_seed\": 16, \"icmp_echo\": true,"
	" \"guards\": {\"max_share_error\": 0.01, \"max_flows_moved\": 0.5, \"min_active_backends\": 1},"
	" \"health_check\": {\"type\": \"none\"},"
	" \"vips\": [{\"name\": \"web\", \"address\": \"203.0.113.10\", \"port\": 80, \"protocol\": \"tcp\", \"table_size\": 65537,"
	" \"hash\": \"5tuple\", \"guards\": {\"max_backend_share\": 1},"
	" \"backends\": [{\"name\": \"a\", \"address\": \"198.51.100.1\", \"weight\": 100, \"state\": \"active\"},"
	" {\"name\": \"b\", \"address\": \"2001:db8:20::2\", \"weight\": 50, \"state\": \"active\"}]}]}",
	/* other host settings */
	"{" HOST2
	", \"hash_seed\": 16, \"vips\": [{\"name\": \"web\", \"address\": \"203.0.113.10\", \"port\": 80,"
	" \"backends\": [{\"name\": \"a\", \"address\": \"198.51.100.1\"}, {\"name\": \"b\", \"address\": \"2001:db8:20::2\", \"weight\": 50}]}]}",
};

Test(canonical, same_service_same_digest)
{
	__u8 ref[32], d[32];

	digests_of(same[0], NULL, ref, NULL);
	for (size_t i = 1; i < sizeof(same) / sizeof(same[0]); i++) {
		digests_of(same[i], NULL, d, NULL);
		cr_expect(eq(u8[32], d, ref), "variant %zu has another digest", i);
	}
}

/* One shared change each, to the reference. */
static const char *const changed[] = {
	"\"hash_seed\": 17",
	"\"icmp_echo\": false, \"hash_seed\": 16",
	"\"weight\": 51",
	"\"state\": \"drain\"",
	"\"name\": \"c\"",
	"\"port\": 81",
	"\"protocol\": \"udp\"",
	"\"table_size\": 65521",
	"\"hash\": \"source\"",
	"\"guards\": {\"max_share_error\": 0.02}",
	"\"health_check\": {\"type\": \"tcp\"}",
	"\"address\": \"198.51.100.3\"",
};

/* The reference with one backend member (or a VIP member) replaced. */
static void build_changed(const char *change, char *out, size_t len)
{
	const char *key_end = strchr(change + 1, '"');
	char key[32];
	bool backend;

	snprintf(key, sizeof(key), "%.*s", (int)(key_end - change - 1), change + 1);
	backend = !strcmp(key, "weight") || !strcmp(key, "state") || !strcmp(key, "name") ||
		  !strcmp(key, "address");
	if (!strcmp(key, "hash_seed") || !strcmp(key, "icmp_echo")) {
		snprintf(
			out, len,
			"{" HOST1
			", %s, \"vips\": [{\"name\": \"web\", \"address\": \"203.0.113.10\", \"port\": 80,"
			" \"backends\": [{\"name\": \"a\", \"address\": \"198.51.100.1\"}, {\"name\": \"b\", \"address\": \"2001:db8:20::2\", \"weight\": 50}]}]}",
			change);
	} else if (backend) {
		/* on backend b (its own address stays unless that is the change) */
		snprintf(
			out, len,
			"{" HOST1
			", \"hash_seed\": 16, \"vips\": [{\"name\": \"web\", \"address\": \"203.0.113.10\", \"port\": 80,"
			" \"backends\": [{\"name\": \"a\", \"address\": \"198.51.100.1\"}, {%s%s%s%s}]}]}",
			change, strcmp(key, "name") ? ", \"name\": \"b\"" : "",
			strcmp(key, "address") ? ", \"address\": \"2001:db8:20::2\"" : "",
			strcmp(key, "weight") ? ", \"weight\": 50" : "");
	} else {
		snprintf(
			out, len,
			"{" HOST1
			", \"hash_seed\": 16, \"vips\": [{\"name\": \"web\", \"address\": \"203.0.113.10\", %s%s,"
			" \"backends\": [{\"name\": \"a\", \"address\": \"198.51.100.1\"}, {\"name\": \"b\", \"address\": \"2001:db8:20::2\", \"weight\": 50}]}]}",
			change, strcmp(key, "port") ? ", \"port\": 80" : "");
	}
}

Test(canonical, any_shared_change_another_digest)
{
	__u8 ref[32], d[32];
	char json[2048];

	digests_of(same[0], NULL, ref, NULL);
	for (size_t i = 0; i < sizeof(changed) / sizeof(changed[0]); i++) {
		build_changed(changed[i], json, sizeof(json));
		digests_of(json, NULL, d, NULL);
		cr_expect(not(eq(u8[32], d, ref)), "%s: same digest", changed[i]);
	}
}

/* Host settings from a host file or inline: the same two digests. A host
 * change moves the host digest only. */
Test(canonical, host_file_or_inline)
{
	__u8 d1[32], h1[32], d2[32], h2[32], d3[32], h3[32];
	const char *shared =
		"{\"vips\": [{\"name\": \"web\", \"address\": \"203.0.113.10\", \"port\": 80,"
		" \"backends\": [{\"name\": \"a\", \"address\": \"198.51.100.1\"}, {\"name\": \"b\", \"address\": \"2001:db8:20::2\", \"weight\": 50}]}],"
		" \"hash_seed\": 16}";

	digests_of(same[0], NULL, d1, h1);
	digests_of(shared, "{" HOST1 "}", d2, h2);
	digests_of(shared, "{" HOST2 "}", d3, h3);
	cr_expect(eq(u8[32], d1, d2));
	cr_expect(eq(u8[32], h1, h2));
	cr_expect(eq(u8[32], d1, d3));
	cr_expect(not(eq(u8[32], h1, h3)));
}

/* The fixtures of the e2e test: two LBs, one service. */
Test(canonical, fleet_fixtures)
{
	char *shared, *h1, *h2;
	size_t n;
	__u8 d1[32], d2[32], x1[32], x2[32];

	cr_assert(eq(int, config_read_file(FLEET_DIR "/shared.json", &shared, &n), 0));
	cr_assert(eq(int, config_read_file(FLEET_DIR "/lb1.host.json", &h1, &n), 0));
	cr_assert(eq(int, config_read_file(FLEET_DIR "/lb2.host.json", &h2, &n), 0));
	digests_of(shared, h1, d1, x1);
	digests_of(shared, h2, d2, x2);
	cr_expect(eq(u8[32], d1, d2));
	cr_expect(not(eq(u8[32], x1, x2)));
	free(shared);
	free(h1);
	free(h2);
}

/* The file's own bytes are still hashed, for the history. */
Test(canonical, file_digest_is_sha256_of_text)
{
	const char *json =
		"{\"interface\":\"eth0\",\"next_hop_mac\":\"02:00:00:00:00:01\",\"vips\":[]}";
	__u8 want[32];
	struct checked c;
	struct diags d;

	cr_assert(eq(int, check_str(json, &c, &d), 0));
	sha256(json, strlen(json), want);
	cr_expect(eq(u8[32], c.cfg.file_digest, want));
	cr_expect(not(eq(u8[32], c.cfg.digest, want)));
	checked_free(&c);
}

/* Every key name a name set (recursively) must hold. */
static bool has_key(const cJSON *j, const char *key)
{
	for (const cJSON *c = j->child; c; c = c->next)
		if ((c->string && !strcmp(c->string, key)) || has_key(c, key))
			return true;
	return false;
}

/* Every shared key of the schema is in the canonical form, and no host
 * key: a new shared key without its place in canonical.c fails here. */
Test(canonical, covers_every_key)
{
	static const char *const nested[] = { "name",
					      "address",
					      "port",
					      "protocol",
					      "table_size",
					      "hash",
					      "backends",
					      "weight",
					      "state",
					      "max_backend_share",
					      "max_share_error",
					      "max_flows_moved",
					      "min_active_backends",
					      "type",
					      "through",
					      "path",
					      "host",
					      "expect",
					      "interval",
					      "timeout",
					      "rise",
					      "fall",
					      "max_out",
					      "out",
					      NULL };
	/* hash "source", icmp_echo false, udp_timeout 10, icmp_rate 5: later keys are in the canonical form
	 * only when not their default (canonical.c) */
	const char *json =
		"{" HOST1
		", \"health_check\": {\"type\": \"http\"}, \"icmp_echo\": false, \"udp_timeout\": 10,"
		" \"icmp_rate\": 5,"
		" \"vips\": [{\"name\": \"web\", \"address\": \"203.0.113.10\", \"port\": 80,"
		" \"hash\": \"source\","
		" \"backends\": [{\"name\": \"a\", \"address\": \"198.51.100.1\"}]}]}";
	struct checked c;
	struct diags d;
	char *s;
	cJSON *j;

	cr_assert(eq(int, check_str(json, &c, &d), 0));
	s = config_canonical(&c.cfg);
	cr_assert(not(eq(ptr, s, NULL)));
	cr_log_info("%s", s);
	j = cJSON_Parse(s);
	cr_assert(not(eq(ptr, j, NULL)));
	for (const struct config_key *k = config_top_keys; k->name; k++)
		cr_expect(eq(int, has_key(j, k->name), k->scope == CFG_SHARED), "%s", k->name);
	for (int i = 0; nested[i]; i++)
		cr_expect(has_key(j, nested[i]), "%s", nested[i]);
	cJSON_Delete(j);
	free(s);
	checked_free(&c);
}

/* A host setting in both files names both; --shared takes a shared file
 * alone and refuses a host key in it. */
Test(canonical, host_in_both_and_shared)
{
	const char *cfg = "{" HOST1 ", \"vips\": []}";
	const char *shared =
		"{\"vips\": [{\"name\": \"web\", \"address\": \"203.0.113.10\", \"port\": 80,"
		" \"backends\": [{\"name\": \"a\", \"address\": \"198.51.100.1\"}]}]}";
	struct config_opts o = { .mode = -1,
				 .host_text = "{\"mtu\": 9000, \"interface\": \"eth1\"}",
				 .host_name = "h.json",
				 .name = "lb.json" };
	struct diags d = { 0 };
	struct checked c;

	o.host_len = strlen(o.host_text);
	cr_assert(eq(int, validate_text(cfg, strlen(cfg), &o, &c, &d), -EINVAL));
	cr_assert(eq(sz, d.n, 1));
	cr_expect(eq(str, d.v[0].path, "interface"));
	cr_expect(eq(str, d.v[0].file, "h.json"));
	cr_expect(not(eq(ptr, strstr(d.v[0].msg, "also set in lb.json (interface)"), NULL)), "%s",
		  d.v[0].msg);
	diags_free(&d);

	o = (struct config_opts){ .mode = -1, .shared = true };
	cr_expect(eq(int, validate_text(shared, strlen(shared), &o, &c, &d), 0));
	checked_free(&c);
	cr_expect(eq(int, validate_text(cfg, strlen(cfg), &o, &c, &d), -EINVAL));
	cr_expect(eq(sz, d.n, 4)); /* interface, next_hop_mac, source_v4, source_v6 */
	cr_expect(diag_find(&d, "next_hop_mac") != NULL);
	diags_free(&d);
}

/* The default hash is left out of the canonical form (a config written
 * before the key keeps its digest); "source" is in it, by name. */
Test(canonical, hash_only_when_not_default)
{
	const char *json = "{" HOST1 ", \"vips\": ["
			   "{\"name\": \"web\", \"address\": \"203.0.113.10\", \"port\": 80, %s"
			   " \"backends\": [{\"name\": \"a\", \"address\": \"198.51.100.1\"}]}]}";
	const char *const hashes[] = { "", "\"hash\": \"5tuple\",", "\"hash\": \"source\"," };
	char buf[1024], *s[3];
	struct checked c;
	struct diags d;

	for (int i = 0; i < 3; i++) {
		snprintf(buf, sizeof(buf), json, hashes[i]);
		cr_assert(eq(int, check_str(buf, &c, &d), 0), "%s", buf);
		s[i] = config_canonical(&c.cfg);
		cr_assert(not(eq(ptr, s[i], NULL)));
		checked_free(&c);
	}
	cr_expect(eq(str, s[0], s[1]));
	cr_expect(eq(ptr, strstr(s[0], "\"hash\""), NULL), "%s", s[0]);
	cr_expect(not(eq(ptr, strstr(s[2], "\"hash\":\"source\""), NULL)), "%s", s[2]);
	for (int i = 0; i < 3; i++)
		free(s[i]);
}

/* udp_timeout came after the digest: at its default it leaves a config's
 * digest as it was, any other value changes it. */
Test(canonical, udp_timeout_default_keeps_digest)
{
	const char *base = "{" HOST1 ", \"vips\": []}";
	const char *dflt = "{" HOST1 ", \"udp_timeout\": 30, \"vips\": []}";
	const char *other = "{" HOST1 ", \"udp_timeout\": 31, \"vips\": []}";
	struct checked a, b, c;
	struct diags d;

	cr_assert(eq(int, check_str(base, &a, &d), 0));
	cr_assert(eq(int, check_str(dflt, &b, &d), 0));
	cr_assert(eq(int, check_str(other, &c, &d), 0));
	cr_expect(eq(int, memcmp(a.cfg.digest, b.cfg.digest, 32), 0), "30 is the default");
	cr_expect(not(eq(int, memcmp(a.cfg.digest, c.cfg.digest, 32), 0)), "31 is a change");
	checked_free(&a);
	checked_free(&b);
	checked_free(&c);
}
