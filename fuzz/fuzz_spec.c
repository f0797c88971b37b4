/* libFuzzer target: release/env/spec. The input is a launch spec (JSON or
 * YAML, as the first non-blank byte says). Checked with abort():
 *  - an error has a message and leaves the struct zeroed;
 *  - a parsed spec hashes, and the hash is a pure function of the struct
 *    (the same twice);
 *  - the invariants the validator promises: an image, ports in range,
 *    proto and host_ip set, absolute targets, unique file names, each
 *    file with a template or a key, modes <= 0777, the dirs filled in;
 *  - a tiny error buffer is never overrun.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "release/env/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const app_spec *s)
{
    if (!s->image || !s->files_dir || !s->secrets_dir || s->files_dir[0] != '/' ||
        s->secrets_dir[0] != '/')
        abort();
    for (size_t i = 0; i < s->n_ports; i++) {
        const spec_port *p = &s->ports[i];
        if (p->container == 0 || (strcmp(p->proto, "tcp") && strcmp(p->proto, "udp")) ||
            !p->host_ip[0])
            abort();
    }
    for (size_t i = 0; i < s->n_volumes; i++) {
        const spec_volume *v = &s->volumes[i];
        if (!v->target || v->target[0] != '/' || (v->tmpfs ? v->source != NULL : !v->source))
            abort();
    }
    for (size_t i = 0; i < s->n_files; i++) {
        const spec_file *f = &s->files[i];
        if (!f->name || strchr(f->name, '/') || !f->template == !f->key || f->mode > 0777)
            abort();
        for (size_t j = 0; j < i; j++)
            if (!strcmp(f->name, s->files[j].name))
                abort();
    }
    for (size_t i = 0; i < s->n_labels; i++)
        if (!strncmp(s->labels[i].key, "berth.", 6))
            abort();
    if (s->n_ports > SPEC_MAX_ITEMS || s->n_volumes > SPEC_MAX_ITEMS ||
        s->n_files > SPEC_MAX_ITEMS || s->n_env_keys > SPEC_MAX_ITEMS)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const app_spec zero;
    app_spec s;
    char err[256];
    err[0] = '\0';
    int rc = spec_parse((const char *)data, size, &s, err, sizeof(err));
    if (rc != 0) {
        if (!err[0] || memcmp(&s, &zero, sizeof(s)) != 0)
            abort();
    } else {
        check(&s);
        char h1[65], h2[65];
        if (spec_hash(&s, h1) != 0 || spec_hash(&s, h2) != 0 || strcmp(h1, h2) != 0 ||
            strlen(h1) != 64)
            abort();
    }
    spec_clear(&s);

    char tiny[4];
    if (spec_parse((const char *)data, size, &s, tiny, sizeof(tiny)) == 0)
        spec_clear(&s);
    else if (strlen(tiny) >= sizeof(tiny))
        abort();
    return 0;
}
