/* Logging to stderr; see log.h. */
#include "log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int gdfs_log_min_level = GDFS_LOG_INFO;
static char log_node_id[72] = "-";

static const char *const level_names[] = {"debug", "info", "notice", "warn",
                                          "error"};

void gdfs_log_init(const char *node_id, int min_level)
{
    if (node_id != NULL)
        snprintf(log_node_id, sizeof(log_node_id), "%s", node_id);
    gdfs_log_min_level = min_level;
}

int gdfs_log_level_parse(const char *s)
{
    for (int i = 0; i < (int)(sizeof(level_names) / sizeof(level_names[0]));
         i++)
        if (strcmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

void gdfs_log_vwrite(int level, const char *module, const char *fmt,
                     va_list ap)
{
    char line[2048];
    struct timespec ts;
    struct tm tm;
    size_t n;
    int k;

    if (level < GDFS_LOG_DEBUG || level > GDFS_LOG_ERROR)
        level = GDFS_LOG_ERROR;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    k = snprintf(line, sizeof(line),
                 "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-6s [%s] %s: ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
                 level_names[level], log_node_id, module);
    n = k < 0 ? 0 : (size_t)k;
    if (n < sizeof(line)) {
        k = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
        if (k > 0)
            n += (size_t)k;
    }
    if (n > sizeof(line) - 2)
        n = sizeof(line) - 2;
    line[n++] = '\n';
    /* One write per line keeps lines from different threads whole. */
    if (write(STDERR_FILENO, line, n) < 0)
        return;
}

void gdfs_log_write(int level, const char *module, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    gdfs_log_vwrite(level, module, fmt, ap);
    va_end(ap);
}
