/* gdfs status codes: one list, stable numbers, shared by node, CLI, plugins
 * and the wire (an ERROR frame carries one of these numbers).
 *
 * A function that can fail returns int: 0 = GDFS_OK, else a positive GDFS_E*
 * code. GDFS_EAGAIN is a state ("try again when the fd is ready"), not an
 * error. Never renumber: add new codes at the end. */
#ifndef GDFS_ERR_H
#define GDFS_ERR_H

#include <stddef.h>

/* X(name, number, message) */
#define GDFS_ERR_LIST(X)                                                      \
    X(GDFS_OK, 0, "success")                                                  \
    X(GDFS_EAGAIN, 1, "operation would block")                                \
    X(GDFS_ENOMEM, 2, "out of memory")                                        \
    X(GDFS_EINVAL, 3, "invalid argument")                                     \
    X(GDFS_ECONFIG, 4, "configuration error")                                 \
    X(GDFS_EIO, 5, "I/O error")                                               \
    X(GDFS_ENET, 6, "network error")                                          \
    X(GDFS_ECLOSED, 7, "connection closed")                                   \
    X(GDFS_ETIMEDOUT, 8, "timed out")                                         \
    X(GDFS_EPROTO, 9, "protocol error")                                       \
    X(GDFS_ECORRUPT, 10, "checksum mismatch (data corrupt)")                  \
    X(GDFS_ENOENT, 11, "no such file")                                        \
    X(GDFS_ENAME, 12, "invalid file name")                                    \
    X(GDFS_ESTORE, 13, "storage error")                                       \
    X(GDFS_ENOSPC, 14, "no space left on device")                             \
    X(GDFS_EBUSY, 15, "node busy")                                            \
    X(GDFS_ESHUTDOWN, 16, "node shutting down")                               \
    X(GDFS_ENOQUORUM, 17, "quorum unreachable")                               \
    X(GDFS_ENOTLEADER, 18, "not the leader")                                  \
    X(GDFS_ENOREPLICA, 19, "no replica reachable")                            \
    X(GDFS_EPLUGIN, 20, "transport plugin error")                             \
    X(GDFS_EVERSION, 21, "version mismatch")                                  \
    X(GDFS_EGROUP, 22, "group membership error")                              \
    X(GDFS_ETOOBIG, 23, "too large")                                          \
    X(GDFS_EUNKNOWN, 24, "outcome unknown")                                   \
    X(GDFS_ESTALE, 25, "stale term (a newer leader exists)")                  \
    X(GDFS_EAUTH, 26, "authentication failed")                                \
    X(GDFS_EPERM, 27, "permission denied")

enum gdfs_status {
#define GDFS_ERR_ENUM(name, num, msg) name = num,
    GDFS_ERR_LIST(GDFS_ERR_ENUM)
#undef GDFS_ERR_ENUM
};

/* Message for @rc; a static string, never NULL (unknown codes get a generic
 * text). */
const char *gdfs_strerror(int rc);

/* Symbolic name ("GDFS_ENOENT") for @rc; static string, never NULL. */
const char *gdfs_errname(int rc);

/* A reason (@why) written for GDFS_ENOQUORUM opens with this text ("no
 * quorum: node n1 knows no leader ..."): the user reads it as it is. */
#define GDFS_ERR_NOQUORUM_WHY "no quorum: "

/* Write "no quorum: " and the reason @fmt formats into @why (at most
 * @whylen bytes, NUL-terminated) and return GDFS_ENOQUORUM: the code and
 * the text come from one call, so a caller decides by the code. */
int gdfs_err_noquorum(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The reason in @why without the words its code @rc already says: for
 * GDFS_ENOQUORUM, what follows GDFS_ERR_NOQUORUM_WHY (a @why written by
 * gdfs_err_noquorum, here or on the node that answered); else @why. For a
 * caller that words the failure itself (get --stale-ok's "no quorum
 * (...)"): it goes by the code, never by matching the text. Returns a
 * pointer into @why. */
const char *gdfs_err_reason(int rc, const char *why);

#endif
