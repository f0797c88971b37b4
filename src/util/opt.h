/*
 * opt: options as tables. One row per key says everything berth knows about
 * it: its type, where it is stored (an offset into a struct), its bounds,
 * its default as text, its help and its flag aliases. The config file, the
 * flags, the defaults, the dump, `berth agent --help` and the table in
 * docs/config.md are all generated from the rows, so adding an option is
 * one row (and the field it writes).
 *
 * A table belongs to a subsystem and sits in its folder (disk/dt_opt.c,
 * logs/lpipe_opt.c, ...), beside the options struct it describes: a row's
 * offset is into that struct (OPT_FIELD(dt_opts, interval_ms)), so the
 * subsystem reads its options where the file and the flags wrote them and
 * its defaults are the rows' (opt_defaults). A program made of several
 * subsystems lists their tables with where each struct sits in its own
 * composition (opt_part; the agent's is agent/config.c), and util/config.c
 * parses a file against such a list. The generic setters keep the exact
 * error texts berth always printed: "KEY: want WANT, got 'VALUE'".
 */
#ifndef BERTH_OPT_H
#define BERTH_OPT_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

typedef enum opt_type {
    OPT_BOOL,     /* int: on/off, yes/no, true/false */
    OPT_DURATION, /* int64_t (or unsigned with unit_ms 1000): "500ms", "1s", "10m", "1h" */
    OPT_SIZE,     /* uint64_t: "1073741824", "512k", "64M", "1G" (powers of 1024) */
    OPT_INT,      /* signed integer field of `size` bytes, decimal, bounded */
    OPT_UINT,     /* unsigned integer field of `size` bytes, decimal, bounded */
    OPT_STR,      /* char[size] */
    OPT_ENUM,     /* int: index into names */
    OPT_LIST,     /* char[size] split at ", " into const char *[max] at list_off, count at n_off */
    OPT_REPEAT,   /* char[max][size]: one value per occurrence, count at n_off */
} opt_type;

typedef struct opt_row opt_row;

/* A row's own check, run before the generic store: returns -EINVAL (err
 * filled), 0 to let the generic store go on with *v (which the check may
 * point elsewhere, e.g. "off" -> ""), or 1 when it stored the value itself.
 * base is the table's struct (what the rows' offsets are into). */
typedef int (*opt_check_fn)(void *base, const opt_row *r, const char **v, char *err, size_t errlen);
/* A row's own dump of its value (file format, no key, no newline). */
typedef void (*opt_dump_fn)(const void *base, const opt_row *r, buf *out);

struct opt_row {
    const char *key;
    opt_type type;
    size_t off;               /* where the value is stored, from the table's base */
    size_t size;              /* field size (numbers) or capacity (strings, one REPEAT value) */
    int64_t min, max;         /* bounds: ms, bytes or the number; LIST/REPEAT: max = most values */
    int zero_ok;              /* DURATION: 0 is allowed below min ("0 = never") */
    int unit_ms;              /* DURATION: stored in units of this many ms (0 or 1: ms) */
    const char *def;          /* default in file format; NULL: empty, 0 or off */
    const char *arg;          /* --help's value name: "DURATION", "ADDR:PORT" */
    const char *help;         /* --help's line */
    const char *want;         /* the error text after "want " */
    const char *doc;          /* docs/config.md's meaning (markdown) */
    const char *doc_def;      /* docs/config.md's default when not `def` (markdown) */
    const char *empty;        /* dump of an empty STR ("off"); NULL: the key is written commented */
    const char *neg;          /* BOOL: flag that sets it off ("--no-docker"), or NULL */
    const char *noun;         /* LIST/REPEAT: "at most MAX NOUN" ("labels", "outputs") */
    const char *const *names; /* ENUM: NULL-terminated, index = stored value */
    size_t list_off, n_off;   /* LIST: the pointer array; LIST/REPEAT: the count (size_t) */
    opt_check_fn check;
    opt_dump_fn dump;
};

typedef struct opt_table {
    const char *name;  /* the subsystem: "disk", "logs" */
    const char *group; /* docs/config.md's generated region it is shown in */
    const opt_row *rows;
    size_t n;
} opt_table;

#define OPT_NROWS(a) (sizeof(a) / sizeof((a)[0]))
/* A row's storage in the table's struct: OPT_FIELD(dt_opts, interval_ms). */
#define OPT_FIELD(type, f) .off = offsetof(type, f), .size = sizeof(((type *)0)->f)

/* One table of a composition and where its struct sits in the composed
 * struct: {&dt_opt_table, offsetof(cfg, disk)}. A list ends with {NULL, 0}. */
typedef struct opt_part {
    const opt_table *t;
    size_t off;
} opt_part;

/* Stores every row's default into base (which the caller zeroed): the only
 * defaults of the keys, for the agent (util/config.c) and for a subsystem
 * started without it (berth df, tests). */
void opt_defaults(const opt_table *t, void *base);
/* The row of key, or NULL. */
const opt_row *opt_find(const opt_table *t, const char *key);
/* Parses v as r's type and stores it: 0 or -EINVAL with err naming the key. */
int opt_set(const opt_row *r, void *base, const char *v, char *err, size_t errlen);
/* Appends "key value\n" for every row (a REPEAT key once per value; an empty
 * string as "# key" unless the row has an `empty` spelling): text that
 * opt_set reads back to the same values. */
void opt_dump(const opt_table *t, const void *base, buf *out);
/* Appends the value of one row in file format. */
void opt_dump_value(const opt_row *r, const void *base, buf *out);
/* Appends --help lines, "  --key-name ARG   help (default D)". */
void opt_help(const opt_table *t, buf *out);
/* Appends docs/config.md's rows, "| `key` | default | meaning |". */
void opt_markdown(const opt_table *t, buf *out);
/* Writes the flag spelling of key ("--disk-max-dirs") into out. */
void opt_flag_name(const char *key, char *out, size_t outlen);

/* "500ms", "1s", "10m", "1h" -> milliseconds; -EINVAL when malformed. */
int opt_parse_duration(const char *s, int64_t *ms);
/* "1073741824", "512k", "64M", "1G" (powers of 1024) -> bytes. */
int opt_parse_size(const char *s, uint64_t *out);
/* Decimal integer in [min, max], nothing after it. */
int opt_parse_long(const char *s, long min, long max, long *out);

#endif
