/* JSON strings and the progress bar of gdfs-cli; see output.h. */
#include "cli/output.h"

#include <string.h>
#include <time.h>

#include "clock.h"
#include "proto.h"

/* Length of the valid UTF-8 sequence at @p (1..4), or 0 if invalid. */
static size_t utf8_len(const uint8_t *p, size_t n)
{
    size_t len;
    uint32_t cp;

    if (p[0] < 0x80)
        return 1;
    if ((p[0] & 0xe0) == 0xc0) {
        len = 2;
        cp = p[0] & 0x1f;
    } else if ((p[0] & 0xf0) == 0xe0) {
        len = 3;
        cp = p[0] & 0x0f;
    } else if ((p[0] & 0xf8) == 0xf0) {
        len = 4;
        cp = p[0] & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    /* Overlong forms, surrogates and values past U+10FFFF are invalid. */
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
        (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

void output_json_string(FILE *f, const uint8_t *p, size_t len)
{
    size_t i = 0;

    fputc('"', f);
    while (i < len) {
        size_t n = utf8_len(p + i, len - i);

        if (n == 0) {
            fprintf(f, "\\u%04x", p[i]);
            i++;
            continue;
        }
        if (n == 1) {
            uint8_t b = p[i];
            if (b == '"' || b == '\\')
                fprintf(f, "\\%c", b);
            else if (b < 0x20 || b == 0x7f)
                fprintf(f, "\\u%04x", b);
            else
                fputc(b, f);
        } else {
            fwrite(p + i, 1, n, f);
        }
        i += n;
    }
    fputc('"', f);
}

void output_raw(FILE *f, const uint8_t *p, size_t len)
{
    fwrite(p, 1, len, f);
}

const char *output_size(uint64_t bytes, char *buf, size_t len)
{
    static const char *const units[] = {"KiB", "MiB", "GiB",
                                        "TiB", "PiB", "EiB"};
    double v = (double)bytes;
    size_t u = 0;

    if (bytes < 1024) {
        snprintf(buf, len, "%u B", (unsigned)bytes);
        return buf;
    }
    v /= 1024;
    while (v >= 1023.95 && u + 1 < sizeof(units) / sizeof(units[0])) {
        v /= 1024;
        u++;
    }
    snprintf(buf, len, "%.1f %s", v, units[u]);
    return buf;
}

const char *output_state_name(int state)
{
    switch (state) {
    case GDFS_MEMBER_ALIVE:
        return "alive";
    case GDFS_MEMBER_SUSPECT:
        return "suspect";
    case GDFS_MEMBER_FAILED:
        return "failed";
    case GDFS_MEMBER_LEFT:
        return "left";
    case GDFS_MEMBER_UNKNOWN:
        return "unknown";
    }
    return "unknown";
}

const char *output_copy_name(int copy)
{
    switch (copy) {
    case GDFS_COPY_HELD:
        return "held";
    case GDFS_COPY_LACKING:
        return "lacking";
    case GDFS_COPY_UNACKED:
        return "unacked";
    }
    return "unverified";
}

static void draw(struct progress *p, int final)
{
    double el = (double)gdfs_clock_ms() / 1e3 - p->start;
    double mib = (double)p->done / 1048576.0;
    double rate = el > 0 ? mib / el : 0;
    char bar[32];

    if (p->total != UINT64_MAX) {
        int pct = p->total ? (int)(p->done * 100 / p->total) : 100;
        int fill = pct * 20 / 100;

        memset(bar, '#', (size_t)fill);
        memset(bar + fill, '.', (size_t)(20 - fill));
        bar[20] = '\0';
        fprintf(stderr, "\r%s [%s] %3d%% %.1f/%.1f MiB %.1f MiB/s", p->label,
                bar, pct, mib, (double)p->total / 1048576.0, rate);
    } else {
        fprintf(stderr, "\r%s %.1f MiB %.1f MiB/s", p->label, mib, rate);
    }
    fputs(final ? "\n" : "\033[K", stderr);
    fflush(stderr);
}

void progress_start(struct progress *p, int enabled, const char *label,
                    uint64_t total)
{
    p->enabled = enabled;
    p->label = label;
    p->total = total;
    p->done = 0;
    p->start = p->last = (double)gdfs_clock_ms() / 1e3;
}

void progress_add(struct progress *p, uint64_t n)
{
    double t;

    p->done += n;
    if (!p->enabled)
        return;
    t = (double)gdfs_clock_ms() / 1e3;
    if (t - p->last >= 0.1) {
        p->last = t;
        draw(p, 0);
    }
}

void progress_end(struct progress *p, int ok)
{
    if (!p->enabled)
        return;
    if (ok)
        draw(p, 1);
    else
        fputs("\r\033[K", stderr);
}
