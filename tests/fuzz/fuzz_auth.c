/* libFuzzer target for what the authenticated channel reads from a peer
 * that has not proved anything yet: the first input byte picks
 *   0  gdfs_cred_identity_parse (the PSK identity of a ClientHello),
 *   1  gdfs_cred_parse (a credential line: join tokens, key files),
 *   2  the accepting side of the handshake (gdfs_channel_accept), fed the
 *      rest of the input as the bytes the dialler sent, over an in-memory
 *      transport; what the node sends back is dropped.
 * Seeds: tests/fuzz/corpus/fuzz_auth (real ClientHellos of a member and a
 * client, prefixed with 2). Build: see tests/fuzz/run.sh. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/channel.h"
#include "auth/cred.h"
#include "transport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- an in-memory connection: reads the input, swallows writes ---------- */

struct mem {
    const uint8_t *p;
    size_t len, off;
};

static int mem_send(struct gdfs_conn *c, const void *buf, size_t len,
                    size_t *nsent)
{
    (void)c;
    (void)buf;
    *nsent = len;
    return GDFS_OK;
}

static int mem_recv(struct gdfs_conn *c, void *buf, size_t len, size_t *nread)
{
    struct mem *m = c->impl;
    size_t n = m->len - m->off;

    *nread = 0;
    if (n == 0)
        return GDFS_ECLOSED;
    /* Odd-sized reads: records split across calls must work. */
    if (n > len)
        n = len;
    if (n > 1 + (m->off % 97))
        n = 1 + (m->off % 97);
    memcpy(buf, m->p + m->off, n);
    m->off += n;
    *nread = n;
    return GDFS_OK;
}

static int mem_events(struct gdfs_conn *c, int want, int *fd, int *mask)
{
    (void)c;
    *fd = -1; /* never waited on: mem_recv never says EAGAIN */
    *mask = want;
    return GDFS_OK;
}

static void mem_close(struct gdfs_conn *c)
{
    c->impl = NULL;
}

static const struct gdfs_transport_ops mem_ops = {
    .abi_version = GDFS_TRANSPORT_ABI,
    .name = "mem",
    .send = mem_send,
    .recv = mem_recv,
    .events = mem_events,
    .close = mem_close,
};

static const uint8_t gk[GDFS_GROUP_KEY_LEN] = {7, 7, 7};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    switch (data[0] % 3) {
    case 0: {
        enum gdfs_cred_role role;
        char id[GDFS_CRED_ID_MAX + 1];

        if (gdfs_cred_identity_parse(data + 1, size - 1, &role, id) ==
            GDFS_OK) {
            char back[GDFS_IDENTITY_MAX + 1];

            /* What parses prints back the same. */
            gdfs_cred_identity(role, id, back, sizeof(back));
            if (strlen(back) != size - 1 || memcmp(back, data + 1, size - 1))
                abort();
        }
        break;
    }
    case 1: {
        char *line = malloc(size);
        struct gdfs_cred c;
        char err[256];

        if (line == NULL)
            return 0;
        memcpy(line, data + 1, size - 1);
        line[size - 1] = '\0';
        if (gdfs_cred_parse(line, &c, err, sizeof(err)) == GDFS_OK &&
            (c.role < GDFS_CRED_NODE || c.role > GDFS_CRED_ADMIN ||
             !gdfs_cred_id_valid(c.id, strlen(c.id))))
            abort();
        free(line);
        break;
    }
    default: {
        struct gdfs_transport t = {.ops = &mem_ops};
        struct mem m = {data + 1, size - 1, 0};
        struct gdfs_conn c = {.t = &t, .impl = &m};
        struct gdfs_auth_peer peer;

        snprintf(c.peer, sizeof(c.peer), "fuzz");
        /* Without the group key's proof no handshake may succeed. */
        if (gdfs_channel_accept(&c, gk, 1000, &peer) == GDFS_OK)
            abort();
        gdfs_conn_close(&c);
        break;
    }
    }
    return 0;
}
