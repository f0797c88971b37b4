/*
 * tmpl: the file template syntax of launch specs (tmpl_*). Pure; fuzzed
 * (fuzz/fuzz_tmpl.c); documented in docs/env.md.
 *
 *   {{KEY}}            the value of KEY (blanks inside the braces allowed)
 *   {{KEY|default}}    the value, or the text after '|' when KEY is unset
 *   \{{                a literal "{{"
 *
 * KEY is an environment-variable name (envl_key_valid). The default is
 * everything after the first '|' up to the first "}}", taken literally (it
 * may be empty); a KEY set to "" is set, so its default is not used. A
 * backslash not followed by "{{" is literal, and "}}" outside a placeholder
 * is text.
 *
 * Anything else between "{{" and "}}", or a "{{" never closed, is an error
 * naming the line and column (1-based, in bytes) of that "{{". A KEY that is
 * unset and has no default is an error naming it. Errors return -EINVAL with
 * err filled ("line 3, column 7: ..."). Linear time in len.
 */
#ifndef BERTH_RELEASE_ENV_TMPL_H
#define BERTH_RELEASE_ENV_TMPL_H

#include <stddef.h>

#include "util/buf.h"

/* Returns the value of key (NUL-terminated, borrowed) and its length, or
 * NULL when unset. */
typedef const char *(*tmpl_lookup)(const char *key, size_t *len, void *arg);

/* Appends the rendered text to out (values may hold NUL bytes: their
 * length is the lookup's). On error out is left as it was. */
int tmpl_render(const char *t, size_t len, tmpl_lookup look, void *arg, buf *out, char *err,
                size_t errlen);
/* Calls cb with each KEY the template names, in order (repeats included),
 * without rendering: runplan uses it to know which keys a file uses. */
int tmpl_keys(const char *t, size_t len, void (*cb)(const char *key, void *arg), void *arg,
              char *err, size_t errlen);

#endif
