/* logs: the json-file parser, RFC 3339 times, UTF-8 checks, JSON fields and
 * string encoding, the disk buffer (including torn-tail recovery and
 * corruption), the tailer across rotation and copy-truncate, and the
 * pipeline's checkpoints across a restart. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "logs/lbuf.h"
#include "logs/lcrc.h"
#include "util/jsonw.h"
#include "logs/lout.h"
#include "logs/lparse.h"
#include "logs/lpipe.h"
#include "export/prom_logs.h"
#include "logs/ltail.h"
#include "agent/config.h"

static int jf(const char *line, char *out, lp_jline *jl)
{
    return lp_jsonfile(line, strlen(line), out, jl);
}

static void t_jsonfile_line(void **st)
{
    (void)st;
    char out[256];
    lp_jline jl;
    /* captured from docker 20.10 */
    const char *l = "{\"log\":\"hello \\u003cworld\\u003e \\\"q\\\" \\\\ tab\\t\\n\","
                    "\"stream\":\"stderr\",\"time\":\"2026-11-25T16:22:44.123456789Z\"}";
    assert_int_equal(jf(l, out, &jl), 0);
    assert_int_equal(jl.stream, LREC_STDERR);
    assert_int_equal(jl.partial, 0);
    assert_int_equal(jl.msg_len, strlen("hello <world> \"q\" \\ tab\t"));
    assert_memory_equal(out, "hello <world> \"q\" \\ tab\t", jl.msg_len);
    assert_true(jl.ts_ns == 1795623764123456789LL);
    /* keys in another order, unknown keys (attrs) skipped, partial line */
    l = "{\"time\":\"2026-11-25T16:22:44Z\",\"attrs\":{\"a\":[1,2,{\"b\":null}]},"
        "\"stream\":\"stdout\",\"log\":\"part\"}";
    assert_int_equal(jf(l, out, &jl), 0);
    assert_int_equal(jl.partial, 1);
    assert_int_equal(jl.stream, LREC_STDOUT);
    assert_int_equal(jl.msg_len, 4);
    assert_true(jl.ts_ns == 1795623764000000000LL);
    /* surrogate pair, lone surrogates become U+FFFD, \u0000 kept */
    l = "{\"log\":\"\\ud83d\\ude00 \\ud800x \\u0000\\n\"}";
    assert_int_equal(jf(l, out, &jl), 0);
    assert_memory_equal(out, "\xF0\x9F\x98\x80 \xEF\xBF\xBDx \0", jl.msg_len);
    assert_int_equal(jl.stream, 0);
    assert_int_equal(jl.ts_ns, 0);
    /* an empty line */
    assert_int_equal(jf("{\"log\":\"\\n\",\"stream\":\"stdout\"}", out, &jl), 0);
    assert_int_equal(jl.msg_len, 0);
    assert_int_equal(jl.partial, 0);
}

static void t_jsonfile_bad(void **st)
{
    (void)st;
    char out[256];
    lp_jline jl;
    const char *bad[] = {
        "",
        "not json",
        "{}",
        "{\"stream\":\"stdout\"}",      /* no log */
        "{\"log\":5}",                  /* log not a string */
        "{\"log\":\"x\\n\"",            /* truncated */
        "{\"log\":\"x\\n\"} trailing",  /* garbage after */
        "{\"log\":\"bad \\q escape\"}", /* bad escape */
        "{\"log\":\"\\u12\"}",          /* short \u */
        "{\"log\":\"x\",}",             /* trailing comma */
        "[\"log\"]",                    /* not an object */
        "{\"log\":\"x\",\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
        "[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
        "]]]]]]]]]]]]]]]]]]]}", /* too deep */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(jf(bad[i], out, &jl), -EINVAL);
}

static void t_rfc3339(void **st)
{
    (void)st;
    int64_t ns;
    assert_int_equal(lp_rfc3339("1970-01-01T00:00:00Z", 20, &ns), 0);
    assert_true(ns == 0);
    assert_int_equal(lp_rfc3339("2000-02-29T12:00:00.5Z", 22, &ns), 0);
    assert_true(ns == 951825600500000000LL);
    assert_int_equal(lp_rfc3339("2000-02-29T13:00:00.5+01:00", 27, &ns), 0);
    assert_true(ns == 951825600500000000LL);
    assert_int_equal(lp_rfc3339("2026-11-25T16:22:44.1234567891Z", 31, &ns), 0);
    assert_true(ns == 1795623764123456789LL);
    assert_int_equal(lp_rfc3339("2026-13-25T16:22:44Z", 20, &ns), -EINVAL);
    /* past what 64-bit nanoseconds hold: refused, not wrapped */
    assert_int_equal(lp_rfc3339("9999-12-31T23:59:59Z", 20, &ns), -ERANGE);
    assert_int_equal(lp_rfc3339("2262-01-01T00:00:00Z", 20, &ns), 0);
    assert_int_equal(lp_rfc3339("2026-11-25T16:22:44", 19, &ns), -EINVAL);
    assert_int_equal(lp_rfc3339("2026-11-25T16:22:44.Z", 21, &ns), -EINVAL);
    assert_int_equal(lp_rfc3339("2026-11-25T16:22:44Zx", 21, &ns), -EINVAL);
}

static void t_utf8(void **st)
{
    (void)st;
    assert_int_equal(lp_utf8_bad("plain ascii text, long enough for words", 39), 0);
    assert_int_equal(lp_utf8_bad("h\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", 12), 0);
    assert_int_equal(lp_utf8_bad("\xFF", 1), 1);
    assert_int_equal(lp_utf8_bad("\xC3\x28", 2), 1);     /* bad continuation */
    assert_int_equal(lp_utf8_bad("\xC0\xAF", 2), 2);     /* overlong */
    assert_int_equal(lp_utf8_bad("\xED\xA0\x80", 3), 3); /* surrogate */
    assert_int_equal(lp_utf8_bad("abc\xE2\x82", 5), 2);  /* cut at the end: 2 bytes */
}

static void t_json_fields(void **st)
{
    (void)st;
    lrec_kv kv[8];
    const char *m = " {\"level\":\"warn\", \"n\": 3, \"o\":{\"a\":[1,\"}\"]}, \"t\":true} ";
    int n = lp_json_fields(m, strlen(m), kv, 8);
    assert_int_equal(n, 4);
    assert_int_equal(kv[0].key_len, 5);
    assert_memory_equal(kv[0].key, "level", 5);
    assert_int_equal(kv[0].val_len, 6);
    assert_memory_equal(kv[0].val, "\"warn\"", 6);
    assert_memory_equal(kv[2].val, "{\"a\":[1,\"}\"]}", kv[2].val_len);
    assert_memory_equal(kv[3].val, "true", 4);
    assert_int_equal(lp_json_fields("{\"a\":1} x", 9, kv, 8), -EINVAL);
    assert_int_equal(lp_json_fields("plain text", 10, kv, 8), -EINVAL);
    assert_int_equal(lp_json_fields("{}", 2, kv, 8), 0);
    /* more members than room: the first ones are kept */
    assert_int_equal(lp_json_fields("{\"a\":1,\"b\":2,\"c\":3}", 19, kv, 2), 2);
}

static void t_json_string(void **st)
{
    (void)st;
    buf b = BUF_INIT;
    size_t bad = jsonw_str(&b, "a\"b\\c\n\x01\xC3\xA9\xFF\0z", 12);
    assert_int_equal(bad, 1);
    assert_string_equal(b.data, "\"a\\\"b\\\\c\\n\\u0001\xC3\xA9\xEF\xBF\xBD\\u0000z\"");
    buf_reset(&b);
    jsonw_time(&b, 1795623764123456789LL);
    assert_string_equal(b.data, "2026-11-25T16:22:44.123456789Z");
    buf_free(&b);
}

static void t_json_time_matches_gmtime(void **st)
{
    (void)st;
    /* the hand-written civil date against the C library, across leap
     * years, centuries and before 1970 */
    long long samples[] = {0LL,      951782400LL,  951868799LL,  4102444800LL, -1LL,
                           -86401LL, 1795623764LL, 9000000000LL, -2000000000LL};
    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        time_t t = (time_t)samples[i];
        struct tm tm;
        gmtime_r(&t, &tm);
        char want[64];
        snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.000000007Z", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        buf b = BUF_INIT;
        jsonw_time(&b, samples[i] * 1000000000LL + 7);
        assert_string_equal(b.data, want);
        buf_free(&b);
    }
}

static void t_crc32c(void **st)
{
    (void)st;
    /* the standard check value of CRC-32C */
    assert_int_equal(lcrc32c(0, "123456789", 9), 0xE3069283u);
    /* incremental == one shot */
    uint32_t c = lcrc32c(0, "1234", 4);
    assert_int_equal(lcrc32c(c, "56789", 5), 0xE3069283u);
}

/* ---------------------------------------------------------------- */

static char tmpdir[256];

static int mk_tmp(void **st)
{
    (void)st;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/berth-test-logs-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int rm_tmp(void **st)
{
    (void)st;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static lbuf *open_buf(const char *sub, const lbuf_pos *end, uint64_t seg_bytes)
{
    char dir[400], err[256];
    snprintf(dir, sizeof(dir), "%s/%s", tmpdir, sub);
    lbuf_opts o = {.dir = dir, .seg_bytes = seg_bytes, .sync = 0, .end = end};
    lbuf *b = NULL;
    assert_int_equal(lbuf_open(&o, &b, err, sizeof(err)), 0);
    return b;
}

static void append_n(lbuf *b, int from, int to, lbuf_pos *end)
{
    char err[256], rec[64];
    for (int i = from; i <= to; i++) {
        lbuf_maybe_roll(b, err, sizeof(err));
        int l = snprintf(rec, sizeof(rec), "L record %d", i);
        assert_int_equal(lbuf_append(b, rec, (size_t)l, err, sizeof(err)), 0);
    }
    assert_int_equal(lbuf_flush(b, end, err, sizeof(err)), 0);
    lbuf_publish(b, end);
}

/* Reads every committed frame from the cursor; returns the numbers seen in
 * order in nums, acks as it goes when ack. */
static int drain(lbuf *b, int *nums, int max, int ack)
{
    lbuf_pos cur = lbuf_cursor(b), next;
    buf raw = BUF_INIT;
    char err[256];
    int n = 0;
    for (int guard = 0; guard < 10000; guard++) {
        int ch;
        buf_reset(&raw);
        int r = lbuf_read(b, &cur, UINT64_MAX, &raw, 300, 5, &next, &ch, err, sizeof(err));
        assert_true(r >= 0);
        if (r == 0 && !ch && next.off == cur.off && next.seg == cur.seg)
            break;
        size_t q = 0;
        for (int i = 0; i < r; i++) {
            uint32_t len;
            memcpy(&len, raw.data + q, 4);
            int v = -1;
            char tmp[64];
            memcpy(tmp, raw.data + q + LBUF_HDR, len);
            tmp[len] = '\0';
            sscanf(tmp, "L record %d", &v);
            if (n < max)
                nums[n++] = v;
            q += LBUF_HDR + len;
        }
        cur = next;
        if (ack)
            assert_int_equal(lbuf_ack(b, &cur, err, sizeof(err)), 0);
    }
    buf_free(&raw);
    return n;
}

static void t_buffer_roundtrip(void **st)
{
    (void)st;
    lbuf_pos end;
    lbuf *b = open_buf("rt", NULL, 256); /* tiny segments: many rolls */
    append_n(b, 1, 100, &end);
    int nums[200];
    int n = drain(b, nums, 200, 0);
    assert_int_equal(n, 100);
    for (int i = 0; i < n; i++)
        assert_int_equal(nums[i], i + 1);
    /* ack half way by reading 50 with acks in a second reader pass */
    lbuf_close(b);
    b = open_buf("rt", &end, 256);
    n = drain(b, nums, 200, 1);
    assert_int_equal(n, 100); /* nothing was acked before */
    append_n(b, 101, 110, &end);
    n = drain(b, nums, 200, 1);
    assert_int_equal(n, 10);
    assert_int_equal(nums[0], 101);
    /* acknowledged segments are deleted */
    assert_true(lbuf_used(b) < 256 * 3);
    lbuf_close(b);
    /* after a restart the cursor is where it was: nothing again */
    b = open_buf("rt", &end, 256);
    assert_int_equal(drain(b, nums, 200, 1), 0);
    lbuf_close(b);
}

static void t_buffer_torn_tail(void **st)
{
    (void)st;
    lbuf_pos end;
    lbuf *b = open_buf("torn", NULL, 1 << 20);
    append_n(b, 1, 10, &end);
    lbuf_close(b);
    /* a crash in the middle of a write: half a frame at the end */
    char path[600];
    snprintf(path, sizeof(path), "%s/torn/seg-%016llu.log", tmpdir, (unsigned long long)end.seg);
    int fd = open(path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    const char torn[] = "\x40\x00\x00\x00\x12\x34\x56\x78L rec";
    assert_int_equal(write(fd, torn, sizeof(torn) - 1), (ssize_t)(sizeof(torn) - 1));
    close(fd);
    struct stat s1;
    stat(path, &s1);
    assert_true((uint64_t)s1.st_size > end.off);
    b = open_buf("torn", NULL, 1 << 20); /* no checkpoint: scan finds the tear */
    stat(path, &s1);
    assert_true((uint64_t)s1.st_size == end.off);
    int nums[20];
    assert_int_equal(drain(b, nums, 20, 1), 10);
    assert_int_equal(nums[9], 10);
    lbuf_close(b);
}

static void t_buffer_checkpoint_end(void **st)
{
    (void)st;
    /* frames written after the checkpoint's end are removed on recovery:
     * the inputs will read them again */
    lbuf_pos end1, end2;
    lbuf *b = open_buf("ck", NULL, 1 << 20);
    append_n(b, 1, 5, &end1);
    append_n(b, 6, 9, &end2);
    lbuf_close(b);
    b = open_buf("ck", &end1, 1 << 20);
    int nums[20];
    assert_int_equal(drain(b, nums, 20, 1), 5);
    assert_int_equal(nums[4], 5);
    lbuf_close(b);
}

static void t_buffer_corruption(void **st)
{
    (void)st;
    lbuf_pos end;
    lbuf *b = open_buf("bad", NULL, 1 << 20);
    append_n(b, 1, 10, &end);
    /* flip a byte of frame 4 on disk */
    char path[600];
    snprintf(path, sizeof(path), "%s/bad/seg-%016llu.log", tmpdir, (unsigned long long)end.seg);
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    char c;
    off_t at = 3 * (LBUF_HDR + 11) + LBUF_HDR + 2;
    assert_int_equal(pread(fd, &c, 1, at), 1);
    c ^= 0x20;
    assert_int_equal(pwrite(fd, &c, 1, at), 1);
    close(fd);
    int nums[20];
    int n = drain(b, nums, 20, 1);
    assert_int_equal(n, 3); /* the rest of the segment is skipped */
    assert_int_equal(lbuf_corrupt(b), 1);
    lbuf_close(b);
}

static void t_buffer_rewind(void **st)
{
    (void)st;
    /* a failed cycle is undone: back to the last published end, across a
     * segment roll, and the reader sees only what was kept */
    lbuf_pos end1, end2;
    char err[256];
    lbuf *b = open_buf("rew", NULL, 200);
    append_n(b, 1, 5, &end1);
    append_n(b, 6, 40, &end2);
    assert_true(end2.seg > end1.seg);
    assert_int_equal(lbuf_rewind(b, &end1, err, sizeof(err)), 0);
    lbuf_publish(b, &end1);
    lbuf_pos end3;
    append_n(b, 100, 101, &end3);
    int nums[100];
    int n = drain(b, nums, 100, 1);
    assert_int_equal(n, 7);
    assert_int_equal(nums[4], 5);
    assert_int_equal(nums[5], 100);
    assert_int_equal(nums[6], 101);
    lbuf_close(b);
}

static void t_buffer_drop_oldest(void **st)
{
    (void)st;
    lbuf_pos end;
    lbuf *b = open_buf("drop", NULL, 200);
    append_n(b, 1, 50, &end);
    uint64_t before = lbuf_used(b), bytes;
    uint64_t n = lbuf_drop_oldest(b, &bytes);
    assert_true(n > 0 && bytes > 0);
    assert_true(lbuf_used(b) == before - bytes);
    int nums[100];
    int got = drain(b, nums, 100, 1);
    assert_int_equal((uint64_t)got + n, 50);
    assert_int_equal(nums[got - 1], 50);
    lbuf_close(b);
}

/* ---------------------------------------------------------------- */

static void write_file(const char *path, const char *mode, const char *text)
{
    FILE *f = fopen(path, mode);
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int pop_all(ltail *t, char *out, size_t outlen)
{
    int n = 0;
    out[0] = '\0';
    for (int guard = 0; guard < 100; guard++) {
        const char *l;
        size_t len;
        int k;
        while ((k = ltail_line(t, &l, &len)) > 0) {
            strncat(out, l, len < outlen - strlen(out) - 2 ? len : 0);
            strcat(out, "|");
            n++;
        }
        long r = ltail_fill(t, 7); /* tiny reads: lines cross reads */
        if (r > 0)
            continue;
        int c = ltail_check(t);
        if (c == 0)
            break;
    }
    return n;
}

static void t_tail_rotation(void **st)
{
    (void)st;
    char path[400], p1[410], p2[410], got[1024];
    snprintf(path, sizeof(path), "%s/app.log", tmpdir);
    snprintf(p1, sizeof(p1), "%s.1", path);
    snprintf(p2, sizeof(p2), "%s.2", path);
    write_file(path, "w", "a1\na2\n");
    ltail t;
    ltail_init(&t, path, 1 << 20);
    assert_int_equal(ltail_open(&t), 0);
    assert_int_equal(pop_all(&t, got, sizeof(got)), 2);
    assert_string_equal(got, "a1|a2|");
    /* more lines, then two rotations before berth looks again */
    write_file(path, "a", "a3\n");
    rename(path, p1);
    write_file(path, "w", "b1\n");
    rename(p1, p2);
    rename(path, p1);
    write_file(path, "w", "c1\nc2\n");
    assert_int_equal(pop_all(&t, got, sizeof(got)), 4);
    assert_string_equal(got, "a3|b1|c1|c2|");
    assert_int_equal(t.rotations, 2);
    /* copy-truncate */
    write_file(path, "w", "d1\n");
    assert_int_equal(pop_all(&t, got, sizeof(got)), 1);
    assert_string_equal(got, "d1|");
    assert_int_equal(t.copytruncates, 1);
    /* a checkpoint resumes; a reused inode with another head does not */
    ltail_pos pos;
    ltail_safe_pos(&t, &pos);
    ltail t2;
    ltail_init(&t2, path, 1 << 20);
    assert_int_equal(ltail_resume(&t2, &pos), 0);
    write_file(path, "a", "d2\n");
    assert_int_equal(pop_all(&t2, got, sizeof(got)), 1);
    assert_string_equal(got, "d2|");
    ltail_free(&t2);
    pos.fp ^= 1;
    ltail_init(&t2, path, 1 << 20);
    assert_int_equal(ltail_resume(&t2, &pos), -ENOENT);
    ltail_free(&t2);
    ltail_free(&t);
}

static void t_tail_resume_deleted(void **st)
{
    (void)st;
    /* a removed container: its file is gone from the directory, but the
     * descriptor opened at start still reaches it, at the checkpoint */
    char path[400], got[256];
    snprintf(path, sizeof(path), "%s/gone.log", tmpdir);
    write_file(path, "w", "g1\ng2\n");
    ltail t;
    ltail_init(&t, path, 1 << 20);
    assert_int_equal(ltail_open(&t), 0);
    const char *l;
    size_t len;
    ltail_fill(&t, 3); /* "g1\n" */
    assert_int_equal(ltail_line(&t, &l, &len), LTAIL_LINE);
    ltail_pos pos;
    ltail_safe_pos(&t, &pos);
    assert_true(pos.off == 3);
    int fd = open(path, O_RDONLY);
    write_file(path, "a", "g3\n");
    unlink(path);
    ltail t2;
    ltail_init(&t2, path, 1 << 20);
    assert_int_equal(ltail_resume(&t2, &pos), -ENOENT); /* not by path */
    assert_int_equal(ltail_resume_fd(&t2, fd, &pos), 0);
    assert_int_equal(pop_all(&t2, got, sizeof(got)), 2);
    assert_string_equal(got, "g2|g3|");
    ltail_free(&t2);
    ltail_free(&t);
}

static void t_tail_oldest_after_gap(void **st)
{
    (void)st;
    /* the checkpointed file was rotated away while berth was stopped:
     * go on with the oldest file left and follow the chain to PATH */
    char path[400], p1[410], p2[410], got[256];
    snprintf(path, sizeof(path), "%s/chain.log", tmpdir);
    snprintf(p1, sizeof(p1), "%s.1", path);
    snprintf(p2, sizeof(p2), "%s.2", path);
    write_file(p2, "w", "o1\n");
    write_file(p1, "w", "o2\n");
    write_file(path, "w", "o3\n");
    ltail t;
    ltail_init(&t, path, 1 << 20);
    assert_int_equal(ltail_open_oldest(&t), 0);
    assert_int_equal(pop_all(&t, got, sizeof(got)), 3);
    assert_string_equal(got, "o1|o2|o3|");
    ltail_free(&t);
}

static void t_tail_long_line(void **st)
{
    (void)st;
    char path[400];
    snprintf(path, sizeof(path), "%s/long.log", tmpdir);
    FILE *f = fopen(path, "w");
    for (int i = 0; i < 5000; i++)
        fputc('x', f);
    fputs("\nok\n", f);
    fclose(f);
    ltail t;
    ltail_init(&t, path, 1000);
    assert_int_equal(ltail_open(&t), 0);
    const char *l;
    size_t len;
    int kinds[4], n = 0;
    size_t lens[4];
    for (int guard = 0; guard < 100 && n < 2; guard++) {
        int k;
        while (n < 4 && (k = ltail_line(&t, &l, &len)) > 0) {
            kinds[n] = k;
            lens[n++] = len;
        }
        if (ltail_fill(&t, 700) <= 0)
            break;
    }
    assert_int_equal(n, 2);
    assert_int_equal(kinds[0], LTAIL_CUT);
    assert_int_equal(lens[0], 1000);
    assert_int_equal(kinds[1], LTAIL_LINE);
    assert_int_equal(lens[1], 2);
    ltail_free(&t);
}

/* ---------------------------------------------------------------- */

/* A record torn by SIGKILL or a failed write is cut when the file output
 * opens its file again, so the next batch does not glue to it. */
static void t_file_output_cuts_torn_tail(void **st)
{
    (void)st;
    char path[400], err[256];
    snprintf(path, sizeof(path), "%s/torn.ndjson", tmpdir);
    const char *before = "{\"message\":\"a\"}\n{\"message\":\"b\"}\n{\"mess";
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(before, fp);
    fclose(fp);
    lout_cfg c;
    char line[500];
    snprintf(line, sizeof(line), "f file path=%s fsync=0", path);
    assert_int_equal(lpipe_parse_output(line, &c, err, sizeof(err)), 0);
    void *state = NULL;
    const lout_ops *ops = lout_find("file");
    assert_int_equal(ops->create(&c, &state, err, sizeof(err)), 0);
    lrec r = {.ts_ns = 1, .stream = LREC_STDOUT, .msg = "c", .msg_len = 1, .host = "h"};
    uint8_t status = 9;
    assert_int_equal(ops->send(state, &r, 1, &status, err, sizeof(err)), 0);
    assert_int_equal(status, LOUT_OK);
    ops->destroy(state);
    char got[1024] = "";
    fp = fopen(path, "r");
    assert_non_null(fp);
    size_t n = fread(got, 1, sizeof(got) - 1, fp);
    fclose(fp);
    got[n] = '\0';
    /* the two whole lines, then the new record on a line of its own */
    const char *want = "{\"message\":\"a\"}\n{\"message\":\"b\"}\n{\"time\"";
    assert_int_equal(strncmp(got, want, strlen(want)), 0);
    assert_non_null(strstr(got, "\"message\":\"c\"}\n"));
    assert_null(strstr(got, "{\"mess{"));
    /* a file holding only a torn record is emptied before the write */
    fp = fopen(path, "w");
    fputs("{\"torn", fp);
    fclose(fp);
    assert_int_equal(ops->create(&c, &state, err, sizeof(err)), 0);
    assert_int_equal(ops->send(state, &r, 1, &status, err, sizeof(err)), 0);
    ops->destroy(state);
    fp = fopen(path, "r");
    n = fread(got, 1, sizeof(got) - 1, fp);
    fclose(fp);
    got[n] = '\0';
    assert_int_equal(strncmp(got, "{\"time\"", 7), 0);
}

static void t_output_config(void **st)
{
    (void)st;
    lout_cfg c;
    char err[256];
    assert_int_equal(lpipe_parse_output("es elasticsearch url=http://127.0.0.1:9200 index=l-%Y", &c,
                                        err, sizeof(err)),
                     0);
    assert_string_equal(c.name, "es");
    assert_string_equal(c.type, "elasticsearch");
    assert_int_equal(c.nopts, 2);
    assert_string_equal(lout_opt(&c, "index"), "l-%Y");
    assert_int_equal(lpipe_parse_output("onlyname", &c, err, sizeof(err)), -EINVAL);
    assert_int_equal(lpipe_parse_output("a file novalue", &c, err, sizeof(err)), -EINVAL);
    assert_int_equal(lpipe_parse_output("bad/name file", &c, err, sizeof(err)), -EINVAL);
    /* the file output checks its options */
    void *state = NULL;
    assert_int_equal(lpipe_parse_output("f file nope=1", &c, err, sizeof(err)), 0);
    assert_int_equal(lout_find("file")->create(&c, &state, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "nope"));
    assert_null(lout_find("carrier-pigeon"));

    cfg k;
    cfg_defaults(&k);
    assert_int_equal(k.logs.enabled, 0);
    assert_int_equal(cfg_set(&k, "logs_buffer_max", "64M", err, sizeof(err)), 0);
    assert_true(k.logs.buffer_max == 64u << 20);
    assert_int_equal(cfg_set(&k, "logs_buffer_max", "12X", err, sizeof(err)), -EINVAL);
    assert_int_equal(cfg_set(&k, "logs_full_policy", "drop_oldest", err, sizeof(err)), 0);
    assert_int_equal(k.logs.full_policy, 1);
    assert_int_equal(cfg_set(&k, "log_output", "a file path=/x", err, sizeof(err)), 0);
    assert_int_equal(cfg_set(&k, "log_output", "b", err, sizeof(err)), -EINVAL);
    assert_int_equal(k.logs.n_outputs, 1);
    assert_int_equal(cfg_set(&k, "only", "logs", err, sizeof(err)), 0);
    assert_int_equal(k.logs.enabled, 1);
}

/* The whole pipeline on a plain file, stopped and started: each line is in
 * the output once, and the checkpoint and the buffer agree. */
static int count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int n = 0, c;
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

static void run_pipe(const char *glob, const char *bufdir, const char *outline, int want,
                     const char *outpath)
{
    lpipe_opts o = {0};
    opt_defaults(&lpipe_opt_table, &o); /* line_max and the rest as the keys say */
    o.use_docker = 0;
    snprintf(o.buffer_dir, sizeof(o.buffer_dir), "%s", bufdir);
    o.buffer_max = 64u << 20;
    snprintf(o.files, sizeof(o.files), "%s", glob);
    snprintf(o.outputs[0], sizeof(o.outputs[0]), "%s", outline);
    o.n_outputs = 1;
    o.poll_ms = 10;
    o.sync = 0;
    lpipe *p = NULL;
    char err[256];
    assert_int_equal(lpipe_start(&o, &p, err, sizeof(err)), 0);
    for (int i = 0; i < 500 && count_lines(outpath) < want; i++)
        usleep(10000);
    usleep(50000);
    buf m = BUF_INIT;
    lpipe_stats ls = {0};
    assert_int_equal(lpipe_get_stats(p, &ls), 0);
    prom_render_logs(&ls, &m);
    lpipe_stats_free(&ls);
    assert_non_null(strstr(m.data, "berth_logs_output_records_sent_total{output=\"o\""));
    buf_free(&m);
    lpipe_stop(p);
}

static void t_pipeline_restart(void **st)
{
    (void)st;
    char in[400], glob[410], bufdir[400], out[400], outline[600];
    snprintf(in, sizeof(in), "%s/pipe-in.log", tmpdir);
    snprintf(glob, sizeof(glob), "%s/pipe-*.log", tmpdir);
    snprintf(bufdir, sizeof(bufdir), "%s/pipebuf", tmpdir);
    snprintf(out, sizeof(out), "%s/pipe-out.ndjson", tmpdir);
    snprintf(outline, sizeof(outline), "o file path=%s fsync=0", out);
    FILE *f = fopen(in, "w");
    for (int i = 1; i <= 1000; i++)
        fprintf(f, "line %d\n", i);
    fclose(f);
    run_pipe(glob, bufdir, outline, 1000, out);
    assert_int_equal(count_lines(out), 1000);
    f = fopen(in, "a");
    for (int i = 1001; i <= 1500; i++)
        fprintf(f, "line %d\n", i);
    fclose(f);
    run_pipe(glob, bufdir, outline, 1500, out);
    assert_int_equal(count_lines(out), 1500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_jsonfile_line),
        cmocka_unit_test(t_jsonfile_bad),
        cmocka_unit_test(t_rfc3339),
        cmocka_unit_test(t_utf8),
        cmocka_unit_test(t_json_fields),
        cmocka_unit_test(t_json_string),
        cmocka_unit_test(t_json_time_matches_gmtime),
        cmocka_unit_test(t_crc32c),
        cmocka_unit_test(t_buffer_roundtrip),
        cmocka_unit_test(t_buffer_torn_tail),
        cmocka_unit_test(t_buffer_checkpoint_end),
        cmocka_unit_test(t_buffer_corruption),
        cmocka_unit_test(t_buffer_rewind),
        cmocka_unit_test(t_buffer_drop_oldest),
        cmocka_unit_test(t_tail_rotation),
        cmocka_unit_test(t_tail_resume_deleted),
        cmocka_unit_test(t_tail_oldest_after_gap),
        cmocka_unit_test(t_tail_long_line),
        cmocka_unit_test(t_output_config),
        cmocka_unit_test(t_file_output_cuts_torn_tail),
        cmocka_unit_test(t_pipeline_restart),
    };
    return cmocka_run_group_tests_name("logs", tests, mk_tmp, rm_tmp);
}
