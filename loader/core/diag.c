// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

void diag_add(struct diags *d, const char *path, const char *fmt, ...)
{
	struct diag *nv;
	va_list ap;
	char *msg;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;

		nv = realloc(d->v, cap * sizeof(*nv));
		if (!nv)
			abort(); /* out of memory while reporting errors: nothing sane left */
		d->v = nv;
		d->cap = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	d->v[d->n].path = strdup(path);
	d->v[d->n].msg = msg;
	d->v[d->n].guard = 0;
	d->v[d->n].file = NULL;
	if (!d->v[d->n].path)
		abort();
	d->n++;
}

void diag_mark_guard(struct diags *d)
{
	if (d->n)
		d->v[d->n - 1].guard = 1;
}

void diags_set_file(struct diags *d, size_t from, const char *file)
{
	for (size_t i = from; file && i < d->n; i++) {
		free(d->v[i].file);
		d->v[i].file = strdup(file);
		if (!d->v[i].file)
			abort();
	}
}

const char *diag_file(const struct diag *v, const char *file)
{
	return v->file ? v->file : file;
}

size_t diags_errors(const struct diags *d)
{
	size_t n = 0;

	for (size_t i = 0; i < d->n; i++)
		n += !d->v[i].guard;
	return n;
}

void diags_free(struct diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].path);
		free(d->v[i].msg);
		free(d->v[i].file);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}

void diags_print(const struct diags *d, const char *file, FILE *out)
{
	for (size_t i = 0; i < d->n; i++) {
		const char *f = diag_file(&d->v[i], file);

		if (!strcmp(d->v[i].path, "(syntax)"))
			fprintf(out, "%s:%s\n", f, d->v[i].msg);
		else
			fprintf(out, "%s: %s: %s\n", f, d->v[i].path, d->v[i].msg);
	}
}

const struct diag *diag_find(const struct diags *d, const char *path)
{
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->v[i].path, path))
			return &d->v[i];
	return NULL;
}
