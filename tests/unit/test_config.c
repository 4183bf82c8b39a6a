// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Config validation: the bad-config corpus, good configs, defaults, all errors at once. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "sha256.h"

#define BAD_DIR XDPLB_SRCDIR "/tests/configs/bad"
#define GOOD_DIR XDPLB_SRCDIR "/tests/configs/good"
#define FLEET_DIR XDPLB_SRCDIR "/tests/configs/fleet"

struct bad_case {
	char file[96];
	char path[96];
	char frag[160];
};

/* tests/configs/bad/expected.tsv: FILE <tab> JSON path <tab> message fragment */
static size_t read_expected(struct bad_case *out, size_t max)
{
	FILE *f = fopen(BAD_DIR "/expected.tsv", "r");
	char line[512];
	size_t n = 0;

	cr_assert(not(eq(ptr, f, NULL)), "cannot open %s/expected.tsv", BAD_DIR);
	while (n < max && fgets(line, sizeof(line), f)) {
		char *file = strtok(line, "\t"), *path = strtok(NULL, "\t"),
		     *frag = strtok(NULL, "\n");

		if (!file || !path || !frag)
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		snprintf(out[n].file, sizeof(out[n].file), "%s", file);
		snprintf(out[n].path, sizeof(out[n].path), "%s", path);
		snprintf(out[n].frag, sizeof(out[n].frag), "%s", frag);
		n++;
	}
	fclose(f);
	return n;
}

ParameterizedTestParameters(config, bad_corpus)
{
	static struct bad_case cases[256];
	size_t n = read_expected(cases, 256);
	struct bad_case *p = cr_malloc(n * sizeof(*p));

	memcpy(p, cases, n * sizeof(*p));
	return cr_make_param_array(struct bad_case, p, n);
}

/* Each bad config has exactly one error, at the expected path, saying the
 * expected thing, and validation reports it without touching anything. */
ParameterizedTest(struct bad_case *bc, config, bad_corpus)
{
	char file[256];
	struct config_opts o = { .mode = -1 };
	struct checked c;
	struct diags d = { 0 };
	int err;

	size_t n = strlen(bc->file);
	/* NAME.host.json: a host file, beside the fleet's good shared file;
	 * its error must be said as the host file's */
	bool host = n > 10 && !strcmp(bc->file + n - 10, ".host.json");
	char *text = NULL;
	size_t len;

	snprintf(file, sizeof(file), "%s/%s", BAD_DIR, bc->file);
	if (host) {
		cr_assert(eq(int, config_read_file(file, &text, &len), 0));
		o.host_text = text;
		o.host_len = len;
		o.host_name = bc->file;
		snprintf(file, sizeof(file), "%s/shared.json", FLEET_DIR);
	}
	err = validate_file(file, &o, &c, &d);
	free(text);
	cr_assert(eq(int, err, -EINVAL), "%s: validated (err %d)", bc->file, err);
	if (host && d.n)
		cr_expect(d.v[0].file && !strcmp(d.v[0].file, bc->file),
			  "%s: the error is not said as the host file's", bc->file);
	for (size_t i = 0; i < d.n; i++)
		cr_log_info("%s: %s: %s", bc->file, d.v[i].path, d.v[i].msg);
	cr_expect(eq(sz, d.n, 1), "%s: %zu errors, want exactly 1", bc->file, d.n);
	cr_assert(ge(sz, d.n, 1));
	cr_expect(eq(str, d.v[0].path, bc->path), "%s: path", bc->file);
	cr_expect(not(eq(ptr, strstr(d.v[0].msg, bc->frag), NULL)),
		  "%s: message \"%s\" lacks \"%s\"", bc->file, d.v[0].msg, bc->frag);
	diags_free(&d);
}

/* Every file of the corpus has its line in expected.tsv, and it has >= 40. */
Test(config, corpus_is_complete)
{
	static struct bad_case cases[256];
	size_t n = read_expected(cases, 256), files = 0;
	DIR *dir = opendir(BAD_DIR);
	struct dirent *de;

	cr_assert(not(eq(ptr, dir, NULL)));
	while ((de = readdir(dir))) {
		size_t len = strlen(de->d_name), k;

		if (len < 5 || strcmp(de->d_name + len - 5, ".json"))
			continue;
		files++;
		for (k = 0; k < n && strcmp(cases[k].file, de->d_name); k++)
			;
		cr_expect(lt(sz, k, n), "%s has no line in expected.tsv", de->d_name);
	}
	closedir(dir);
	cr_expect(eq(sz, files, n), "%zu files, %zu lines", files, n);
	cr_expect(ge(sz, n, 40));
}

/* Every config under tests/configs/good and examples/ validates, but for
 * examples/postmortem.json, which must not (next test). */
Test(config, good_configs_validate)
{
	const char *dirs[] = { GOOD_DIR, XDPLB_SRCDIR "/examples" };
	size_t seen = 0;

	for (int k = 0; k < 2; k++) {
		DIR *dir = opendir(dirs[k]);
		struct dirent *de;

		cr_assert(not(eq(ptr, dir, NULL)), "%s", dirs[k]);
		while ((de = readdir(dir))) {
			size_t len = strlen(de->d_name);
			struct config_opts o = { .mode = -1 };
			char file[512];
			struct checked c;
			struct diags d = { 0 };
			int err;

			if (len < 5 || strcmp(de->d_name + len - 5, ".json") ||
			    !strcmp(de->d_name, "postmortem.json"))
				continue;
			snprintf(file, sizeof(file), "%s/%s", dirs[k], de->d_name);
			err = validate_file(file, &o, &c, &d);
			for (size_t i = 0; i < d.n; i++)
				cr_log_error("%s: %s: %s", de->d_name, d.v[i].path, d.v[i].msg);
			cr_expect(eq(int, err, 0), "%s does not validate", file);
			if (!err)
				checked_free(&c);
			diags_free(&d);
			seen++;
		}
		closedir(dir);
	}
	cr_expect(ge(sz, seen, 5));
}

/* The README's example of the outage's shape: one backend of five at 80%
 * is refused by the default guards, with the override named; --force
 * turns the refusal into a warning. */
Test(config, example_postmortem_is_refused)
{
	const char *file = XDPLB_SRCDIR "/examples/postmortem.json";
	struct config_opts o = { .mode = -1 };
	struct diags d = { 0 };
	struct checked c;

	cr_assert(not(eq(int, validate_file(file, &o, &c, &d), 0)));
	cr_assert(eq(sz, d.n, 1));
	cr_expect(eq(str, d.v[0].path, "vips[0].backends[2]"));
	cr_expect(not(eq(ptr, strstr(d.v[0].msg, "would take 80.0% of new flows"), NULL)), "%s",
		  d.v[0].msg);
	cr_expect(not(eq(ptr, strstr(d.v[0].msg, "\"max_backend_share\": 0.81"), NULL)), "%s",
		  d.v[0].msg);
	diags_free(&d);
	o.force = true;
	cr_expect(eq(int, validate_file(file, &o, &c, &d), 0), "forced: a warning only");
	checked_free(&c);
	diags_free(&d);
}

/* validate reports every error, not the first one. */
Test(config, all_errors_at_once)
{
	const char *json =
		"{ \"interface\": \"eth0\", \"next_hop_mac\": \"02:00:00:00:00:01\","
		" \"source_v4\": \"192.0.2.1\", \"mtu\": 99999, \"mode\": \"fast\","
		" \"vips\": [ { \"name\": \"web\", \"address\": \"203.0.113.10\", \"port\": 80,"
		" \"backends\": [ { \"name\": \"a\", \"address\": \"198.51.100.1\", \"weight\": -3 },"
		" { \"name\": \"b\", \"address\": \"198.51.100.2\", \"wieght\": 1 } ] },"
		" { \"name\": \"web\", \"address\": \"203.0.113.10\", \"port\": 80,"
		" \"backends\": [ { \"name\": \"c\", \"address\": \"198.51.100.3\" } ] } ] }";
	const char *want[] = { "mtu",
			       "mode",
			       "vips[0].backends[0].weight",
			       "vips[0].backends[1].wieght",
			       "vips[1]",
			       "vips[1].name" };
	struct checked c;
	struct diags d;

	cr_assert(eq(int, check_str(json, &c, &d), -EINVAL));
	cr_expect(eq(sz, d.n, sizeof(want) / sizeof(want[0])));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_expect(not(eq(ptr, (void *)diag_find(&d, want[i]), NULL)), "no error at %s",
			  want[i]);
	cr_expect(eq(str, diag_find(&d, "vips[0].backends[0].weight")->msg,
		     "must be 0..65535, got -3"));
	cr_expect(eq(str, diag_find(&d, "vips[0].backends[1].wieght")->msg,
		     "unknown key (did you mean \"weight\"?)"));
	diags_free(&d);
}

Test(config, defaults)
{
	const char *json =
		"{" BASE_TOP ", \"vips\": [ { \"name\": \"v\", \"address\": \"203.0.113.1\","
		" \"port\": 0, \"backends\": [ { \"name\": \"b\", \"address\": \"2001:db8::7\" } ] } ] }";
	struct checked c;
	struct diags d;

	cr_assert(eq(int, check_str(json, &c, &d), 0));
	cr_expect(eq(u32, c.cfg.mtu, 1500));
	cr_expect(eq(u32, c.cfg.ct_size, XDPLB_DEFAULT_CT_SIZE));
	cr_expect(eq(int, c.cfg.mode, XDPLB_MODE_NATIVE));
	cr_expect(eq(u32, c.cfg.hash_seed, 0));
	cr_expect(c.cfg.icmp_echo, "icmp_echo is on by default");
	cr_expect(eq(u8, c.cfg.vips[0].proto, 6));
	cr_expect(eq(u32, c.cfg.vips[0].table_size, 65537));
	cr_expect(eq(u8, c.cfg.vips[0].hash, CFG_HASH_5TUPLE));
	cr_expect(eq(u32, config_vip_hash_flags(&c.cfg.vips[0]), 0));
	cr_expect(eq(u32, c.cfg.vips[0].backends[0].weight, 100));
	cr_expect(eq(u8, c.cfg.vips[0].backends[0].state, XDPLB_BE_ACTIVE));
	cr_expect(eq(u8, c.cfg.vips[0].backends[0].family, XDPLB_AF_INET6));
	checked_free(&c);
}

/* 700 backends do not fit 65537 slots at 100 per backend: the default grows. */
Test(config, default_table_size_grows)
{
	cr_expect(eq(u32, table_size_default(1), 65537));
	cr_expect(eq(u32, table_size_default(655), 65537));
	cr_expect(eq(u32, table_size_default(656), 131071));
	cr_expect(eq(u32, table_size_default(10485), 1048573));
	cr_expect(eq(u32, table_size_default(10486), 0));
	cr_expect(is_prime(131071) && is_prime(262147) && is_prime(524309) && is_prime(655373) &&
		  is_prime(1048573) && is_prime(65537) && !is_prime(65536));
}

Test(config, hash_seed_forms)
{
	const char *forms[][2] = { { "\"0x5eed\"", "24301" },
				   { "\"12345\"", "12345" },
				   { "4294967295", "4294967295" },
				   { "\"0XFFFFFFFF\"", "4294967295" } };

	for (int i = 0; i < 4; i++) {
		char json[512];
		struct checked c;
		struct diags d;

		snprintf(json, sizeof(json), "{" BASE_TOP ", \"hash_seed\": %s, \"vips\": [] }",
			 forms[i][0]);
		cr_assert(eq(int, check_str(json, &c, &d), 0), "%s", forms[i][0]);
		cr_expect(eq(u32, c.cfg.hash_seed, (__u32)strtoul(forms[i][1], NULL, 10)));
		checked_free(&c);
	}
}

Test(config, source_prefix_varies_host_bits)
{
	const char *json =
		"{ \"interface\": \"eth0\", \"next_hop_mac\": \"02:00:00:00:00:01\","
		" \"source_v4\": \"198.51.100.16/28\", \"source_v6\": \"2001:db8::/112\","
		" \"vips\": [] }";
	struct checked c;
	struct diags d;

	cr_assert(eq(int, check_str(json, &c, &d), 0));
	cr_expect(eq(int, c.cfg.src_v4_plen, 28));
	cr_expect(eq(int, c.cfg.src_v6_plen, 112));
	checked_free(&c);
}

/* --iface supplies (or overrides) the interface; --mode the mode. */
Test(config, command_line_overrides)
{
	const char *json = "{ \"next_hop_mac\": \"02:00:00:00:00:01\", \"vips\": [] }";
	struct config_opts o = { .iface = "lb0", .mode = XDPLB_MODE_GENERIC };
	struct checked c;
	struct diags d = { 0 };

	cr_assert(eq(int, validate_text(json, strlen(json), &o, &c, &d), 0));
	cr_expect(eq(str, c.cfg.interface, "lb0"));
	cr_expect(eq(int, c.cfg.mode, XDPLB_MODE_GENERIC));
	checked_free(&c);
	o.iface = NULL;
	cr_assert(eq(int, validate_text(json, strlen(json), &o, &c, &d), -EINVAL));
	cr_expect(eq(str, d.v[0].path, "interface"));
	diags_free(&d);
}

/* "hash" per VIP: its two values, to the flags the data path reads; any
 * other value or type is an error at vips[N].hash naming both. */
Test(config, vip_hash)
{
	const char *json =
		"{" BASE_TOP ", \"vips\": ["
		" { \"name\": \"a\", \"address\": \"203.0.113.1\", \"port\": 80, \"hash\": \"source\","
		"   \"backends\": [ { \"name\": \"b\", \"address\": \"198.51.100.1\" } ] },"
		" { \"name\": \"c\", \"address\": \"203.0.113.1\", \"port\": 81, \"hash\": \"5tuple\","
		"   \"backends\": [ { \"name\": \"b\", \"address\": \"198.51.100.1\" } ] },"
		" { \"name\": \"d\", \"address\": \"203.0.113.1\", \"port\": 82, \"hash\": %s,"
		"   \"backends\": [ { \"name\": \"b\", \"address\": \"198.51.100.1\" } ] } ] }";
	static const char *const bad[][2] = {
		{ "\"Source\"", "must be \"5tuple\" or \"source\", got \"Source\"" },
		{ "\"source_port\"", "must be \"5tuple\" or \"source\", got \"source_port\"" },
		{ "\"\"", "must be \"5tuple\" or \"source\", got \"\"" },
		{ "true", "must be \"5tuple\" or \"source\", got true" },
		{ "[\"source\"]", "must be \"5tuple\" or \"source\", got array" },
	};
	char buf[1024];
	struct checked c;
	struct diags d;

	snprintf(buf, sizeof(buf), json, "\"source\"");
	cr_assert(eq(int, check_str(buf, &c, &d), 0));
	cr_expect(eq(u8, c.cfg.vips[0].hash, CFG_HASH_SOURCE));
	cr_expect(eq(u32, config_vip_hash_flags(&c.cfg.vips[0]), XDPLB_VIP_F_HASH_SOURCE));
	cr_expect(eq(u8, c.cfg.vips[1].hash, CFG_HASH_5TUPLE));
	cr_expect(eq(u32, config_vip_hash_flags(&c.cfg.vips[1]), 0));
	checked_free(&c);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), json, bad[i][0]);
		cr_assert(eq(int, check_str(buf, &c, &d), -EINVAL), "%s", bad[i][0]);
		cr_assert(eq(sz, d.n, 1), "%s", bad[i][0]);
		cr_expect(eq(str, d.v[0].path, "vips[2].hash"));
		cr_expect(not(eq(ptr, strstr(d.v[0].msg, bad[i][1]), NULL)), "%s: %s", bad[i][0],
			  d.v[0].msg);
		diags_free(&d);
	}
}

/* `load` compares mtu with the interface's MTU: above it, a warning that
 * names both figures and the two ways out; at or below it, nothing. */
Test(config, mtu_against_the_interface)
{
	const char *json = "{" BASE_TOP ", \"mtu\": 1600, \"vips\": [] }";
	struct checked c;
	struct diags d;
	char msg[512] = "";

	cr_assert(eq(int, check_str(json, &c, &d), 0));
	cr_expect(eq(int, config_mtu_check(&c.cfg, 1600, msg, sizeof(msg)), 0), "equal: fits");
	cr_expect(eq(int, config_mtu_check(&c.cfg, 9000, msg, sizeof(msg)), 0), "below: fits");
	cr_expect(eq(int, config_mtu_check(&c.cfg, -19, msg, sizeof(msg)), 0), "unknown: silent");
	cr_expect(eq(str, msg, ""));
	cr_assert(eq(int, config_mtu_check(&c.cfg, 1500, msg, sizeof(msg)), 1));
	cr_log_info("%s", msg);
	cr_expect(not(eq(ptr, strstr(msg, "mtu 1600 is above the MTU of eth0 (1500)"), NULL)), "%s",
		  msg);
	cr_expect(not(eq(ptr, strstr(msg, "1501 to 1600 bytes"), NULL)), "%s", msg);
	cr_expect(not(eq(ptr, strstr(msg, "too_big"), NULL)), "%s", msg);
	cr_expect(not(eq(ptr, strstr(msg, "lower \"mtu\" to 1500"), NULL)), "%s", msg);
	cr_expect(not(eq(ptr, strstr(msg, "ip link set eth0 mtu 1600"), NULL)), "%s", msg);
	checked_free(&c);
}
