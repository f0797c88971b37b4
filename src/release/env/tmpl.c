/*
 * tmpl: the file template syntax of launch specs (tmpl.h).
 *
 * One scanner (tok_next) cuts the template into tokens, literal text or a
 * placeholder, and both tmpl_render and tmpl_keys walk it, so the two agree
 * on what is valid by construction.
 *
 * Linear time whatever the input: the scanner only moves forward, a
 * placeholder's body is read once when its "}}" is found, and the line and
 * column of an error are counted once, on the error path, from the start.
 * Positions are 1-based and count bytes (a tab is one column).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "release/env/layers.h"
#include "release/env/tmpl.h"

enum { TOK_END, TOK_TEXT, TOK_PH };

typedef struct tmpl_tok {
    const char *p; /* TOK_TEXT: the text to copy */
    size_t n;
    char key[ENVL_KEY_MAX + 1]; /* TOK_PH: the KEY, NUL-terminated */
    const char *def;            /* TOK_PH: the default, NULL when none */
    size_t def_len;
    size_t at; /* TOK_PH: offset of its "{{", for messages */
} tmpl_tok;

/* Line and column of t[off]; only called on the way out with an error. */
static void tmpl_pos(const char *t, size_t off, size_t *line, size_t *col)
{
    size_t l = 1, start = 0;
    for (size_t i = 0; i < off; i++)
        if (t[i] == '\n') {
            l++;
            start = i + 1;
        }
    *line = l;
    *col = off - start + 1;
}

static int tmpl_fail(const char *t, size_t at, const char *what, char *err, size_t errlen)
{
    size_t line, col;
    tmpl_pos(t, at, &line, &col);
    if (err && errlen)
        snprintf(err, errlen, "line %zu, column %zu: %s", line, col, what);
    return -EINVAL;
}

static int tmpl_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Reads the body t[b..e) of the placeholder whose "{{" is at `at`. */
static int tmpl_body(const char *t, size_t at, size_t b, size_t e, tmpl_tok *k, char *err,
                     size_t errlen)
{
    char why[400];
    size_t i = b;
    while (i < e && tmpl_blank(t[i]))
        i++;
    size_t ks = i;
    while (i < e && !tmpl_blank(t[i]) && t[i] != '|')
        i++;
    size_t kn = i - ks;
    if (kn == 0)
        return tmpl_fail(t, at, "no KEY: want {{KEY}} or {{KEY|default}}", err, errlen);
    /* envl_key_valid reads a C string: a NUL would hide the rest */
    if (memchr(t + ks, '\0', kn))
        return tmpl_fail(t, at, "KEY holds a NUL byte: want an environment variable name", err,
                         errlen);
    /* one byte over the limit is enough for envl_key_valid to refuse it */
    size_t cp = kn > ENVL_KEY_MAX + 1 ? ENVL_KEY_MAX + 1 : kn;
    char key[ENVL_KEY_MAX + 2];
    memcpy(key, t + ks, cp);
    key[cp] = '\0';
    char kerr[300];
    if (envl_key_valid(key, kerr, sizeof(kerr)) < 0)
        return tmpl_fail(t, at, kerr, err, errlen);
    memcpy(k->key, key, kn + 1);

    while (i < e && tmpl_blank(t[i]))
        i++;
    k->def = NULL;
    k->def_len = 0;
    if (i < e) {
        if (t[i] != '|') {
            snprintf(why, sizeof(why), "after KEY '%s' want '|' or \"}}\"", k->key);
            return tmpl_fail(t, at, why, err, errlen);
        }
        /* taken literally: blanks, braces and '|' included */
        k->def = t + i + 1;
        k->def_len = e - i - 1;
    }
    k->at = at;
    return 0;
}

/* The next token from *pos. Returns TOK_END, TOK_TEXT, TOK_PH or -EINVAL. */
static int tok_next(const char *t, size_t len, size_t *pos, tmpl_tok *k, char *err, size_t errlen)
{
    size_t i = *pos, j = i;
    if (i >= len)
        return TOK_END;
    while (j < len) {
        if (t[j] == '{' && j + 1 < len && t[j + 1] == '{')
            break;
        if (t[j] == '\\' && j + 2 < len && t[j + 1] == '{' && t[j + 2] == '{')
            break;
        j++;
    }
    if (j > i) {
        k->p = t + i;
        k->n = j - i;
        *pos = j;
        return TOK_TEXT;
    }
    if (t[i] == '\\') {
        /* \{{ : the "{{" as text */
        k->p = t + i + 1;
        k->n = 2;
        *pos = i + 3;
        return TOK_TEXT;
    }
    /* "{{" at i: the body runs to the first "}}" */
    size_t e = i + 2;
    while (e + 1 < len && !(t[e] == '}' && t[e + 1] == '}'))
        e++;
    if (e + 1 >= len)
        return tmpl_fail(t, i, "\"{{\" without a closing \"}}\"", err, errlen);
    int rc = tmpl_body(t, i, i + 2, e, k, err, errlen);
    if (rc < 0)
        return rc;
    *pos = e + 2;
    return TOK_PH;
}

int tmpl_render(const char *t, size_t len, tmpl_lookup look, void *arg, buf *out, char *err,
                size_t errlen)
{
    size_t pos = 0, start = out->len;
    tmpl_tok k;
    int rc;
    while ((rc = tok_next(t, len, &pos, &k, err, errlen)) > 0) {
        if (rc == TOK_TEXT) {
            buf_append(out, k.p, k.n);
            continue;
        }
        size_t vlen = 0;
        const char *v = look(k.key, &vlen, arg);
        if (v) {
            /* set to "" is set: the default is only for unset */
            buf_append(out, v, vlen);
        } else if (k.def) {
            buf_append(out, k.def, k.def_len);
        } else {
            char why[ENVL_KEY_MAX + 64];
            snprintf(why, sizeof(why), "KEY '%s' is unset and has no default", k.key);
            rc = tmpl_fail(t, k.at, why, err, errlen);
            break;
        }
    }
    if (rc < 0 && out->data) {
        /* a caller never sees half a file */
        out->len = start;
        out->data[start] = '\0';
    }
    return rc < 0 ? rc : 0;
}

int tmpl_keys(const char *t, size_t len, void (*cb)(const char *key, void *arg), void *arg,
              char *err, size_t errlen)
{
    size_t pos = 0;
    tmpl_tok k;
    int rc;
    while ((rc = tok_next(t, len, &pos, &k, err, errlen)) > 0)
        if (rc == TOK_PH)
            cb(k.key, arg);
    return rc < 0 ? rc : 0;
}
