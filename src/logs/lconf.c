/*
 * lconf: the log pipeline's configuration: the "NAME TYPE k=v ..." output
 * lines (lpipe_parse_output, pure and unit-tested), the pipeline's own
 * per-output options (batch_records, batch_bytes, retry_max) taken out
 * before the output sees the rest, and the
 * creation of the outputs at start.
 *
 * Invariants: runs on the thread calling lpipe_start, before any pipeline
 * thread exists, so it takes no lock. On an error it leaves p->nout outputs
 * created and the next one (if any) with ops set and maybe state, which is
 * what lpipe_stop frees.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logs/lpipe_int.h"

int lpipe_parse_output(const char *line, lout_cfg *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof(*c));
    char tmp[4096];
    if (strlen(line) >= sizeof(tmp)) {
        snprintf(err, errlen, "log_output: line too long");
        return -EINVAL;
    }
    snprintf(tmp, sizeof(tmp), "%s", line);
    char *save = NULL;
    char *name = strtok_r(tmp, " \t", &save);
    char *type = name ? strtok_r(NULL, " \t", &save) : NULL;
    if (!name || !type) {
        snprintf(err, errlen, "log_output: want NAME TYPE key=value..., got '%s'", line);
        return -EINVAL;
    }
    if (strlen(name) >= sizeof(c->name) || strlen(type) >= sizeof(c->type)) {
        snprintf(err, errlen, "log_output: name or type too long");
        return -EINVAL;
    }
    for (const char *q = name; *q; q++)
        if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
              *q == '-' || *q == '_')) {
            snprintf(err, errlen, "log_output: name '%s': use letters, digits, - and _", name);
            return -EINVAL;
        }
    snprintf(c->name, sizeof(c->name), "%s", name);
    snprintf(c->type, sizeof(c->type), "%s", type);
    for (char *kv = strtok_r(NULL, " \t", &save); kv; kv = strtok_r(NULL, " \t", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq || eq == kv) {
            snprintf(err, errlen, "log_output %s: want key=value, got '%s'", name, kv);
            return -EINVAL;
        }
        *eq = '\0';
        if (c->nopts == LOUT_MAX_OPTS || strlen(kv) >= sizeof(c->key[0]) ||
            strlen(eq + 1) >= sizeof(c->val[0])) {
            snprintf(err, errlen, "log_output %s: too many or too long options", name);
            return -EINVAL;
        }
        snprintf(c->key[c->nopts], sizeof(c->key[0]), "%s", kv);
        snprintf(c->val[c->nopts], sizeof(c->val[0]), "%s", eq + 1);
        c->nopts++;
    }
    return 0;
}

/* Takes the pipeline's own options (batch_records, batch_bytes, retry_max)
 * out of c so that the output's create() sees only its own. */
static int take_pipeline_opts(lsend *s, char *err, size_t errlen)
{
    lout_cfg *c = &s->cfg;
    s->batch_records = 5000;
    s->batch_bytes = 4u << 20;
    s->retry_max_ms = 30000;
    size_t j = 0;
    for (size_t i = 0; i < c->nopts; i++) {
        const char *k = c->key[i], *v = c->val[i];
        char *end;
        if (strcmp(k, "batch_records") == 0 || strcmp(k, "batch_bytes") == 0 ||
            strcmp(k, "retry_max") == 0) {
            unsigned long long n = strtoull(v, &end, 10);
            if (end == v || *end || n == 0 || n > (1ull << 30)) {
                snprintf(err, errlen, "log_output %s: %s: want a positive number, got '%s'",
                         c->name, k, v);
                return -EINVAL;
            }
            if (k[0] == 'r')
                s->retry_max_ms = (int64_t)n;
            else if (k[6] == 'r')
                s->batch_records = (size_t)n;
            else
                s->batch_bytes = (size_t)n;
            continue;
        }
        if (j != i) {
            memcpy(c->key[j], c->key[i], sizeof(c->key[0]));
            memcpy(c->val[j], c->val[i], sizeof(c->val[0]));
        }
        j++;
    }
    c->nopts = j;
    return 0;
}

int lconf_outputs(lpipe *p, const lpipe_opts *o, char *err, size_t errlen)
{
    int rc = 0;
    char defline[700];
    const char *lines[LPIPE_MAX_OUT];
    size_t nl = o->n_outputs;
    for (size_t i = 0; i < nl && i < LPIPE_MAX_OUT; i++)
        lines[i] = o->outputs[i];
    if (!nl) {
        snprintf(defline, sizeof(defline), "file file path=%s/out.ndjson", p->dir);
        lines[0] = defline;
        nl = 1;
    }
    if (nl > LPIPE_MAX_OUT) {
        snprintf(err, errlen, "at most %d log outputs", LPIPE_MAX_OUT);
        return -EINVAL;
    }
    for (size_t i = 0; i < nl; i++) {
        lsend *s = &p->out[i];
        s->p = p;
        s->idx = (int)i;
        if ((rc = lpipe_parse_output(lines[i], &s->cfg, err, errlen)) < 0)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(p->out[j].cfg.name, s->cfg.name) == 0) {
                snprintf(err, errlen, "log_output %s: name used twice", s->cfg.name);
                return -EINVAL;
            }
        if ((rc = take_pipeline_opts(s, err, errlen)) < 0)
            return rc;
        s->ops = lout_find(s->cfg.type);
        if (!s->ops) {
            snprintf(err, errlen, "log_output %s: no output type '%s'", s->cfg.name, s->cfg.type);
            return -EINVAL;
        }
        char e2[400];
        if ((rc = s->ops->create(&s->cfg, &s->state, e2, sizeof(e2))) < 0) {
            snprintf(err, errlen, "log_output %s: %s", s->cfg.name, e2);
            return rc;
        }
        p->nout++;
    }
    return 0;
}
