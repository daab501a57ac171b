/* Status code messages; the list itself is in err.h. */
#include "err.h"

const char *gdfs_strerror(int rc)
{
    switch (rc) {
#define GDFS_ERR_MSG(name, num, msg)                                        \
    case num:                                                               \
        return msg;
        GDFS_ERR_LIST(GDFS_ERR_MSG)
#undef GDFS_ERR_MSG
    }
    return "unknown error";
}

const char *gdfs_errname(int rc)
{
    switch (rc) {
#define GDFS_ERR_NAME(name, num, msg)                                       \
    case num:                                                               \
        return #name;
        GDFS_ERR_LIST(GDFS_ERR_NAME)
#undef GDFS_ERR_NAME
    }
    return "GDFS_E?";
}
