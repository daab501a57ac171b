/* Logging: gdfs_log() is the only code that writes diagnostics to stderr.
 * Every line carries time, level, node id and module tag. Thread-safe: a
 * line is formatted into a local buffer and written with one write(2). */
#ifndef GDFS_LOG_H
#define GDFS_LOG_H

#include <stdarg.h>

enum gdfs_log_level {
    GDFS_LOG_DEBUG = 0,
    GDFS_LOG_INFO = 1,
    GDFS_LOG_NOTICE = 2,
    GDFS_LOG_WARN = 3,
    GDFS_LOG_ERROR = 4,
};

extern int gdfs_log_min_level;

/* Set the node id shown on every line (copied) and the lowest level logged. */
void gdfs_log_init(const char *node_id, int min_level);

/* Parse "debug", "info", "notice", "warn", "error"; -1 if none of them. */
int gdfs_log_level_parse(const char *s);

void gdfs_log_write(int level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void gdfs_log_vwrite(int level, const char *module, const char *fmt,
                     va_list ap);

/* Checks the level before evaluating the arguments. Each .c file that logs
 * defines GDFS_LOG_MODULE ("store", "node", ...) before including this. */
#ifndef GDFS_LOG_MODULE
#define GDFS_LOG_MODULE "gdfs"
#endif
#define gdfs_log(level, ...)                                                  \
    do {                                                                      \
        if ((level) >= gdfs_log_min_level)                                    \
            gdfs_log_write((level), GDFS_LOG_MODULE, __VA_ARGS__);            \
    } while (0)

#endif
