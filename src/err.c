/* Status code messages; the list itself is in err.h. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *gdfs_strerror(int rc)
{
    switch (rc) {
#define GDFS_ERR_MSG(name, num, msg)                                          \
    case num:                                                                 \
        return msg;
        GDFS_ERR_LIST(GDFS_ERR_MSG)
#undef GDFS_ERR_MSG
    }
    return "unknown error";
}

const char *gdfs_errname(int rc)
{
    switch (rc) {
#define GDFS_ERR_NAME(name, num, msg)                                         \
    case num:                                                                 \
        return #name;
        GDFS_ERR_LIST(GDFS_ERR_NAME)
#undef GDFS_ERR_NAME
    }
    return "GDFS_E?";
}

int gdfs_err_noquorum(char *why, size_t whylen, const char *fmt, ...)
{
    size_t n = sizeof(GDFS_ERR_NOQUORUM_WHY) - 1;
    va_list ap;

    if (whylen == 0)
        return GDFS_ENOQUORUM;
    snprintf(why, whylen, "%s", GDFS_ERR_NOQUORUM_WHY);
    if (whylen > n) {
        va_start(ap, fmt);
        vsnprintf(why + n, whylen - n, fmt, ap);
        va_end(ap);
    }
    return GDFS_ENOQUORUM;
}

const char *gdfs_err_reason(int rc, const char *why)
{
    size_t n = sizeof(GDFS_ERR_NOQUORUM_WHY) - 1;

    /* The length only guards a reply cut short: the code decides. */
    if (rc == GDFS_ENOQUORUM && strlen(why) >= n)
        return why + n;
    return why;
}
