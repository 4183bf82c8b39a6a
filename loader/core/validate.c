// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <string.h>

#include "guards.h"
#include "validate.h"

static int finish(int err, bool force, struct checked *c, struct diags *d)
{
	if (err)
		return err;
	err = tables_build(&c->cfg, &c->tables);
	if (err) {
		config_free(&c->cfg);
		return err;
	}
	if (guards_check(&c->cfg, &c->tables, d) && !force) {
		checked_free(c);
		return -EINVAL;
	}
	return 0;
}

int validate_file(const char *path, const struct config_opts *o, struct checked *c, struct diags *d)
{
	memset(c, 0, sizeof(*c));
	return finish(config_load_file(path, o, &c->cfg, d), o && o->force, c, d);
}

int validate_text(const char *text, size_t len, const struct config_opts *o, struct checked *c,
		  struct diags *d)
{
	memset(c, 0, sizeof(*c));
	return finish(config_parse(text, len, o, &c->cfg, d), o && o->force, c, d);
}

void checked_free(struct checked *c)
{
	tables_free(&c->tables);
	config_free(&c->cfg);
}
