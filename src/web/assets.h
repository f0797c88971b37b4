/*
 * assets: the dashboard's files (under web/), built into the binary.
 *
 * The table is generated at build time by scripts/webgen.c from web/ (see
 * the Makefile's web rules): each file's bytes, its gzip -9n bytes when
 * smaller, its Content-Type and a strong ETag. Nothing here is hand-written
 * data, and nothing generated is committed.
 */
#ifndef BERTH_WEB_ASSETS_H
#define BERTH_WEB_ASSETS_H

#include <stddef.h>

typedef struct web_asset {
    const char *path; /* "/app.js" */
    const char *ctype;
    const unsigned char *data;
    size_t len;
    const unsigned char *gz; /* NULL when gzip would not be smaller */
    size_t gzlen;
    const char *etag; /* "\"<16 hex>\"", quoted as sent */
} web_asset;

extern const web_asset web_assets[];
extern const unsigned web_n_assets;

#endif
