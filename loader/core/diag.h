/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * diag.h - a list of validation errors, each with the JSON path it is about.
 * Validation collects every error instead of stopping at the first.
 */
#ifndef XDPLB_DIAG_H
#define XDPLB_DIAG_H

#include <stddef.h>
#include <stdio.h>

struct diag {
	char *path; /* "vips[2].backends[0].weight", "(root)", "(syntax)" */
	char *msg; /* "must be 0..65535, got -3" */
	int guard; /* a guard's refusal (--force can override), not a schema error */
	char *file; /* the file it is about when not the config's own (a host file), or NULL */
};

struct diags {
	struct diag *v;
	size_t n, cap;
};

void diag_add(struct diags *d, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Marks the last diagnostic added as a guard's. */
void diag_mark_guard(struct diags *d);
/* Says that diagnostics [from, d->n) are about file (a host file). */
void diags_set_file(struct diags *d, size_t from, const char *file);
/* The file a diagnostic is about: its own, else the config's (file). */
const char *diag_file(const struct diag *v, const char *file);
/* How many are schema errors (not guards). */
size_t diags_errors(const struct diags *d);
void diags_free(struct diags *d);
/* "FILE: PATH: MSG" per line; syntax errors carry their own position. */
void diags_print(const struct diags *d, const char *file, FILE *out);
/* The first diagnostic at exactly this path, or NULL. */
const struct diag *diag_find(const struct diags *d, const char *path);

#endif
