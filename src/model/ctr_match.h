/*
 * ctr_match: the one rule by which a key (what a user types, or a URL path
 * segment) names a container, given (id, name) pairs.
 *
 * The rule, strongest tier first:
 *   1. an exact Docker name (names are compared whole, never as prefixes);
 *   2. a full 64-digit id;
 *   3. an id prefix of at least CTR_MATCH_MIN_PREFIX characters.
 * The strongest tier that matches anything decides: one match there is the
 * answer (so a name beats an id prefix it happens to look like), two or more
 * are ambiguous (-EEXIST), none at all is missing (-ENOENT). A key shorter
 * than the minimum only ever matches a name.
 *
 * Pure and allocation-free: callers feed candidates one at a time (a store
 * array, a Docker list, anything) to a ctr_matcher on the stack, or pass an
 * array of ctr_ref to ctr_match(). Which containers are candidates (running
 * ones only, ones with metadata, ...) is the caller's choice.
 *
 * Why 3: the JSON API and `berth ps NAME` accept 3 characters and up today;
 * `berth df NAME`, the Zabbix items and the dashboard's log route differ
 * (any length, names only, any length) and change if they switch to this
 * rule: 1 and 2 character prefixes stop naming a container there.
 */
#ifndef BERTH_CTR_MATCH_H
#define BERTH_CTR_MATCH_H

#include <stddef.h>

#define CTR_MATCH_MIN_PREFIX 3

/* How strongly a key names one (id, name) pair; higher wins. */
enum ctr_tier { CTR_NONE, CTR_PREFIX, CTR_ID, CTR_NAME };

/* The tier at which key names (id, name). name may be NULL or "" (no name:
 * only the id tiers apply). */
enum ctr_tier ctr_match_tier(const char *key, const char *id, const char *name);

/* Incremental form: init, add every candidate with its index, then result.
 * Borrows key until the last call. */
typedef struct ctr_matcher {
    const char *key;
    enum ctr_tier best; /* strongest tier seen so far */
    size_t at;          /* index of the first candidate at tier best */
    size_t count;       /* candidates at tier best */
} ctr_matcher;

void ctr_matcher_init(ctr_matcher *m, const char *key);
void ctr_matcher_add(ctr_matcher *m, size_t index, const char *id, const char *name);
/* The index of the one candidate key names, -ENOENT or -EEXIST. */
long ctr_matcher_result(const ctr_matcher *m);

/* Array form. */
typedef struct ctr_ref {
    const char *id, *name;
} ctr_ref;
long ctr_match(const char *key, const ctr_ref *v, size_t n);

#endif
