// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* diff: what changes, and how many new flows move, on the real tables. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <stdio.h>

#include "render.h"
#include "diff.h"
#include "helpers.h"

/* web with backends 198.51.100.N for each N in list; seed and table size */
static void cfg(const char *list, const char *extra, struct checked *c)
{
	char json[4096], *o = json;
	struct diags d;
	int i = 0;

	o += sprintf(
		o,
		"{" BASE_TOP "%s%s, \"vips\": ["
		"{ \"name\": \"web\", \"address\": \"203.0.113.10\", \"port\": 80, \"backends\": [",
		extra,
		strstr(extra, "\"guards\"") ? "" : ", \"guards\": { \"max_backend_share\": 1 }");
	for (const char *s = list; *s;) {
		char *end;
		long n = strtol(s, &end, 10);
		const char *w = *end == ':' ? end + 1 : NULL;

		o += sprintf(
			o,
			"%s{ \"name\": \"b%ld\", \"address\": \"198.51.100.%ld\", \"weight\": %ld }",
			i++ ? ", " : "", n, n, w ? strtol(w, &end, 10) : 100);
		s = *end == ',' ? end + 1 : end;
	}
	sprintf(o, "] } ] }");
	cr_assert(eq(int, check_str(json, c, &d), 0), "%s: %s", json, d.n ? d.v[0].msg : "");
}

static struct diff run(const char *a_list, const char *a_extra, const char *b_list,
		       const char *b_extra, struct checked *a, struct checked *b)
{
	struct diff d;

	cfg(a_list, a_extra, a);
	cfg(b_list, b_extra, b);
	cr_assert(eq(int, diff_compute(a, b, &d), 0));
	return d;
}

static void done(struct diff *d, struct checked *a, struct checked *b)
{
	diff_free(d);
	checked_free(a);
	checked_free(b);
}

Test(diff, identical_configs)
{
	struct checked a, b;
	struct diff d = run("1,2,3", "", "3,2,1", "", &a, &b); /* order does not matter */

	cr_expect(diff_empty(&d));
	cr_expect(eq(dbl, d.v[0].moved, 0));
	cr_expect(not(d.v[0].estimated));
	done(&d, &a, &b);
}

/* Adding a fourth backend moves its quarter, plus Maglev's small cascade. */
Test(diff, add_one_backend_moves_its_share)
{
	struct checked a, b;
	struct diff d = run("1,2,3", "", "1,2,3,4", "", &a, &b);
	struct diags g = { 0 };

	cr_expect(not(diff_empty(&d)));
	cr_expect(ge(dbl, d.v[0].moved, 0.25 - 0.001));
	cr_expect(le(dbl, d.v[0].moved, 0.28), "moved %.4f", d.v[0].moved);
	cr_expect(not(d.v[0].estimated), "same seed and size: exact");
	cr_expect(eq(int, diff_guard(&d, &g), 0), "a quarter is within the default 0.5");
	done(&d, &a, &b);
}

Test(diff, remove_one_backend_moves_at_least_its_share)
{
	struct checked a, b;
	struct diff d = run("1,2,3,4", "", "1,2,4", "", &a, &b);

	cr_expect(ge(dbl, d.v[0].moved, 0.25 - 0.001));
	cr_expect(le(dbl, d.v[0].moved, 0.28), "moved %.4f", d.v[0].moved);
	done(&d, &a, &b);
}

/* Removing either of two equal backends passes the default max_flows_moved
 * (0.5), although one of them has one slot more than half of the table. */
Test(diff, remove_either_of_two_passes_the_default_guard)
{
	struct checked a, b;
	struct diags g = { 0 };
	struct diff d = run("1,2", "", "2", "", &a, &b);

	cr_expect(eq(int, diff_guard(&d, &g), 0), "removing b1: moved %.6f: %s", d.v[0].moved,
		  g.n ? g.v[0].msg : "");
	diags_free(&g);
	done(&d, &a, &b);
	d = run("1,2", "", "1", "", &a, &b);
	cr_expect(eq(int, diff_guard(&d, &g), 0), "removing b2: moved %.6f: %s", d.v[0].moved,
		  g.n ? g.v[0].msg : "");
	diags_free(&g);
	done(&d, &a, &b);
}

/* Doubling one of two weights: its share goes from 1/2 to 2/3, so a sixth
 * of the flows move to it. */
Test(diff, weight_change)
{
	struct checked a, b;
	struct diff d = run("1,2", "", "1:200,2", "", &a, &b);

	cr_expect(ge(dbl, d.v[0].moved, 1.0 / 6 - 0.002));
	cr_expect(le(dbl, d.v[0].moved, 1.0 / 6 + 0.03), "moved %.4f", d.v[0].moved);
	done(&d, &a, &b);
}

/* A new hash seed rehashes every flow: with four equal backends about
 * 1 - 1/4 of them land elsewhere. Estimated from synthetic flows. */
Test(diff, seed_change_is_estimated)
{
	struct checked a, b;
	struct diff d =
		run("1,2,3,4", ", \"hash_seed\": 1", "1,2,3,4", ", \"hash_seed\": 2", &a, &b);
	struct diags g = { 0 };

	cr_expect(d.v[0].estimated);
	cr_expect(ge(dbl, d.v[0].moved, 0.72), "moved %.4f", d.v[0].moved);
	cr_expect(le(dbl, d.v[0].moved, 0.78), "moved %.4f", d.v[0].moved);
	cr_expect(eq(sz, d.n_global, 1));
	cr_expect(eq(int, diff_guard(&d, &g), 1), "75%% moved is above the default 0.5");
	cr_expect(eq(str, g.v[0].path, "vips[0]"));
	cr_expect(g.v[0].guard);
	cr_expect(not(eq(ptr, strstr(g.v[0].msg, "max_flows_moved"), NULL)), "%s", g.v[0].msg);
	cr_expect(not(eq(ptr, strstr(g.v[0].msg, "--force"), NULL)));
	diags_free(&g);
	done(&d, &a, &b);
}

/* Replacing most of a pool is refused by default, allowed when the config
 * raises max_flows_moved. */
Test(diff, replacing_the_pool_is_refused)
{
	struct checked a, b;
	struct diff d = run("1,2,3,4", "", "1,5,6,7", "", &a, &b);
	struct diags g = { 0 };
	char msg[128];

	cr_expect(ge(dbl, d.v[0].moved, 0.74));
	cr_assert(eq(int, diff_guard(&d, &g), 1));
	snprintf(msg, sizeof(msg),
		 "moves %.1f%% of the new flows of VIP \"web\" at 203.0.113.10:80/tcp",
		 100 * d.v[0].moved);
	cr_expect(not(eq(ptr, strstr(g.v[0].msg, msg), NULL)), "%s", g.v[0].msg);
	diags_free(&g);
	done(&d, &a, &b);

	d = run("1,2,3,4", "", "1,5,6,7",
		", \"guards\": { \"max_flows_moved\": 1, \"max_backend_share\": 1 }", &a, &b);
	cr_expect(eq(int, diff_guard(&d, &g), 0));
	done(&d, &a, &b);
}

Test(diff, table_size_change_is_estimated)
{
	struct checked a, b;
	struct diff d;

	cfg("1,2,3", "", &a);
	cfg("1,2,3", "", &b);
	b.cfg.vips[0].table_size = 1009; /* as if the config said so: rebuild */
	tables_free(&b.tables);
	cr_assert(eq(int, tables_build(&b.cfg, &b.tables), 0));
	cr_assert(eq(int, diff_compute(&a, &b, &d), 0));
	cr_expect(d.v[0].estimated);
	/* two tables of thirds agree on a flow a third of the time, about */
	cr_expect(ge(dbl, d.v[0].moved, 0.6), "moved %.4f", d.v[0].moved);
	cr_expect(le(dbl, d.v[0].moved, 0.73), "moved %.4f", d.v[0].moved);
	done(&d, &a, &b);
}

Test(diff, vip_added_and_removed)
{
	const char *one =
		"{" BASE_TOP ", \"vips\": [ { \"name\": \"a\", \"address\": \"203.0.113.1\","
		" \"port\": 80, \"backends\": [ { \"name\": \"x\", \"address\": \"198.51.100.1\" } ] } ] }";
	const char *other =
		"{" BASE_TOP ", \"vips\": [ { \"name\": \"b\", \"address\": \"203.0.113.2\","
		" \"port\": 80, \"backends\": [ { \"name\": \"x\", \"address\": \"198.51.100.1\" } ] } ] }";
	struct checked a, b;
	struct diags g = { 0 }, dg;
	struct diff d;
	cJSON *j;

	cr_assert(eq(int, check_str(one, &a, &dg), 0));
	cr_assert(eq(int, check_str(other, &b, &dg), 0));
	cr_assert(eq(int, diff_compute(&a, &b, &d), 0));
	cr_assert(eq(sz, d.n, 2));
	cr_expect(eq(int, d.v[0].b, -1), "a removed");
	cr_expect(eq(int, d.v[1].a, -1), "b added");
	cr_expect(eq(int, diff_guard(&d, &g), 0), "no flows of a new or gone VIP can move");
	j = diff_json(&d);
	cr_expect(eq(str,
		     cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "vips"), 0),
					 "change")
			     ->valuestring,
		     "removed"));
	cJSON_Delete(j);
	done(&d, &a, &b);
}

/* Renames, states and weights show up even when no slot moves. */
Test(diff, backend_changes_without_moves)
{
	struct checked a, b;
	struct diff d;
	FILE *f = tmpfile();
	char out[4096] = "";

	cfg("1,2", "", &a);
	cfg("1,2", "", &b);
	snprintf(b.cfg.vips[0].backends[0].name, XDPLB_NAME_LEN, "renamed");
	cr_assert(eq(int, diff_compute(&a, &b, &d), 0));
	cr_expect(eq(dbl, d.v[0].moved, 0));
	cr_expect(not(diff_empty(&d)));
	diff_print(&d, f);
	rewind(f);
	fread(out, 1, sizeof(out) - 1, f);
	fclose(f);
	cr_expect(not(eq(ptr, strstr(out, "renamed from b1"), NULL)), "%s", out);
	done(&d, &a, &b);
}

/* Two VIPs of four backends, web's hash given: a change of web's mode is a
 * change that moves flows, estimated (slots do not say it: every flow is
 * hashed anew), about 3/4 of them, refused by the default guard, allowed
 * with max_flows_moved raised; the other VIP does not change. */
static void hash_cfg(const char *web_hash, const char *guards, struct checked *c)
{
	char json[4096];
	struct diags d;

	snprintf(
		json, sizeof(json),
		"{" BASE_TOP ", \"vips\": ["
		"{ \"name\": \"web\", \"address\": \"203.0.113.10\", \"port\": 80, %s %s"
		"  \"backends\": [ { \"name\": \"b1\", \"address\": \"198.51.100.1\" },"
		"  { \"name\": \"b2\", \"address\": \"198.51.100.2\" }, { \"name\": \"b3\", \"address\": \"198.51.100.3\" },"
		"  { \"name\": \"b4\", \"address\": \"198.51.100.4\" } ] },"
		"{ \"name\": \"ssh\", \"address\": \"203.0.113.10\", \"port\": 22, \"hash\": \"source\","
		"  \"backends\": [ { \"name\": \"b1\", \"address\": \"198.51.100.1\" },"
		"  { \"name\": \"b2\", \"address\": \"198.51.100.2\" } ] } ] }",
		web_hash, guards);
	cr_assert(eq(int, check_str(json, c, &d), 0), "%s: %s", json, d.n ? d.v[0].msg : "");
}

Test(diff, hash_mode_change_moves_flows)
{
	static const char *const modes[][2] = { { "", "\"hash\": \"source\"," },
						{ "\"hash\": \"source\",",
						  "\"hash\": \"5tuple\"," } };

	for (int m = 0; m < 2; m++) {
		struct checked a, b, c;
		struct diags g = { 0 };
		struct diff d;
		char *text = NULL;
		size_t len = 0;
		FILE *f;

		hash_cfg(modes[m][0], "", &a);
		hash_cfg(modes[m][1], "", &b);
		cr_assert(eq(int, diff_compute(&a, &b, &d), 0));
		cr_expect(not(diff_empty(&d)));
		cr_expect(d.v[0].changed);
		cr_expect(d.v[0].estimated, "another hash: estimated from flows");
		cr_expect(ge(dbl, d.v[0].moved, 0.70), "moved %.4f", d.v[0].moved);
		cr_expect(le(dbl, d.v[0].moved, 0.80), "moved %.4f", d.v[0].moved);
		cr_expect(not(d.v[1].changed), "ssh keeps its mode");
		cr_expect(eq(dbl, d.v[1].moved, 0));
		cr_expect(eq(int, diff_guard(&d, &g), 1));
		cr_expect(eq(str, g.v[0].path, "vips[0]"));
		f = open_memstream(&text, &len);
		diff_print(&d, f);
		fclose(f);
		cr_expect(not(eq(ptr,
				 strstr(text,
					m ? "hash: source -> 5tuple" : "hash: 5tuple -> source"),
				 NULL)),
			  "%s", text);
		free(text);
		diags_free(&g);
		diff_free(&d);
		/* the same change, allowed by the config */
		hash_cfg(modes[m][1], "\"guards\": { \"max_flows_moved\": 0.9 },", &c);
		cr_assert(eq(int, diff_compute(&a, &c, &d), 0));
		cr_expect(eq(int, diff_guard(&d, &g), 0));
		diags_free(&g);
		done(&d, &a, &b);
		checked_free(&c);
	}
}
