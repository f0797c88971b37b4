/*
 * promtext: the pieces of the Prometheus text format 0.0.4 every renderer
 * of /metrics shares (containers, disk, logs, Zabbix): label value
 * escaping, label name sanitising, the HELP/TYPE header of a family and a
 * one-sample family. Kept apart from prom.c so that the other renderers
 * depend on these helpers only, never on each other.
 */
#ifndef BERTH_PROMTEXT_H
#define BERTH_PROMTEXT_H

#include "util/buf.h"

#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Escapes a label value per the text format (\\, \", \n). */
void prom_escape(buf *out, const char *s);
/* "# HELP name help" and "# TYPE name type" lines; help is written as is. */
void prom_family(buf *b, const char *name, const char *type, const char *help);
/* A family with one unlabelled sample: the self-monitoring series. */
void prom_scalar(buf *b, const char *name, const char *type, const char *help, double v);
/* Maps a Docker label key to a Prometheus label name suffix ([a-zA-Z0-9_]). */
void prom_sanitize_name(buf *out, const char *s);

#endif
