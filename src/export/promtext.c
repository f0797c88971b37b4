/* promtext: shared Prometheus text format helpers. See promtext.h. */
#include "export/promtext.h"

void prom_escape(buf *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\')
            buf_puts(out, "\\\\");
        else if (*s == '"')
            buf_puts(out, "\\\"");
        else if (*s == '\n')
            buf_puts(out, "\\n");
        else
            buf_putc(out, *s);
    }
}

void prom_sanitize_name(buf *out, const char *s)
{
    for (; *s; s++) {
        char c = *s;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        buf_putc(out, ok ? c : '_');
    }
}

void prom_family(buf *b, const char *name, const char *type, const char *help)
{
    buf_puts(b, "# HELP ");
    buf_puts(b, name);
    buf_putc(b, ' ');
    buf_puts(b, help);
    buf_puts(b, "\n# TYPE ");
    buf_puts(b, name);
    buf_putc(b, ' ');
    buf_puts(b, type);
    buf_putc(b, '\n');
}

void prom_scalar(buf *b, const char *name, const char *type, const char *help, double v)
{
    prom_family(b, name, type, help);
    buf_puts(b, name);
    buf_putc(b, ' ');
    buf_put_double(b, v);
    buf_putc(b, '\n');
}
