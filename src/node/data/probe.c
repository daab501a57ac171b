/* Probes and the stale read's search; see probe.h. */
#define GDFS_LOG_MODULE "probe"
#include "node/data/probe.h"

#include <stdio.h>
#include <string.h>

#include "files/newest.h"
#include "log.h"
#include "net.h"
#include "node/records/records.h"
#include "node/rpc.h"
#include "store/store.h"

int gdfs_probe_handle(struct gdfs_session *s, const struct gdfs_msg *m)
{
    struct gdfs_msg r = {.type = GDFS_MSG_NDTOCL_PROBE, .reqid = m->reqid};
    const struct gdfs_version *v = &m->u.rget.version;
    bool tomb = false;
    char name[256];
    int rc;

    rc = gdfs_store_probe(s->st, m->u.rget.name.p, m->u.rget.name.len,
                          v->seq != 0 ? v : NULL, &r.u.probe_reply.have,
                          &r.u.probe_reply.newest, &tomb);
    if (rc != GDFS_OK) {
        gdfs_log_name(&m->u.rget.name, name, sizeof(name));
        return gdfs_reply_error(s, m->reqid, rc, "probe %s on %s: %s", name,
                                s->cfg->node_id, gdfs_store_errmsg(s->st));
    }
    r.u.probe_reply.flags = tomb ? GDFS_PROBE_TOMBSTONE : 0;
    return gdfs_net_send_msg(s->conn, &r, s->out, s->outcap,
                             gdfs_session_io_ms(s));
}

int gdfs_probe_ask(struct gdfs_rpc *rpc, const char *addr, const uint8_t *name,
                   size_t namelen, const struct gdfs_version *v, int io_ms,
                   struct gdfs_probe_result *out, char *why, size_t whylen)
{
    struct gdfs_msg req = {.type = GDFS_MSG_NDTOND_PROBE}, r;
    struct gdfs_rpc_conn *c;
    int rc;

    if (v != NULL)
        req.u.rget.version = *v;
    req.u.rget.name.p = name;
    req.u.rget.name.len = namelen;
    rc = gdfs_rpc_call(rpc, addr, &req, GDFS_MSG_NDTOCL_PROBE, &r, &c, io_ms,
                       why, whylen);
    if (rc != GDFS_OK)
        return rc;
    out->have = r.u.probe_reply.have;
    out->newest = r.u.probe_reply.newest;
    out->tombstone = (r.u.probe_reply.flags & GDFS_PROBE_TOMBSTONE) != 0;
    gdfs_rpc_close(rpc, c);
    return GDFS_OK;
}

/* ---- get --stale-ok -------------------------------------------------------- */

int gdfs_probe_stale_plan(struct gdfs_session *s,
                          const struct gdfs_bytes *name, uint64_t seq,
                          struct gdfs_meta *meta,
                          char (*addrs)[GDFS_ADDR_MAX + 1], char *why,
                          size_t whylen)
{
    struct gdfs_rpc *rpc = gdfs_records_rpc(s->records);
    const char *self = s->cfg->node_id;
    struct gdfs_meta rec;
    struct gdfs_probe_result pr;
    struct gdfs_newest b;
    char self_addr[GDFS_ADDR_MAX + 1], err[512], pname[256];
    bool have_rec;
    int rc;

    gdfs_newest_init(&b);
    gdfs_log_name(name, pname, sizeof(pname));
    rc = gdfs_store_meta_get(s->st, name->p, name->len, &rec);
    if (rc != GDFS_OK && rc != GDFS_ENOENT) {
        snprintf(why, whylen, "record: %s", gdfs_store_errmsg(s->st));
        return rc;
    }
    have_rec = rc == GDFS_OK;
    if (!gdfs_records_member(s->records, self, self_addr, NULL))
        snprintf(self_addr, sizeof(self_addr), "%s", s->cfg->advertise);
    if (seq != 0) {
        /* --version N: no choice to make; this node, then the record's
         * replicas, are tried in turn. */
        struct gdfs_version want = {seq, 0};

        gdfs_newest_add(&b, &want, false, self, self_addr);
        for (unsigned i = 0; have_rec && i < rec.nreplicas; i++) {
            char addr[GDFS_ADDR_MAX + 1];

            if (gdfs_records_member(s->records, rec.replica[i], addr, NULL))
                gdfs_newest_add(&b, &want, false, rec.replica[i], addr);
        }
        goto done;
    }
    /* This node's record and copies first. */
    if (have_rec && rec.tombstone)
        gdfs_newest_add(&b, &rec.version, true, self, self_addr);
    rc = gdfs_store_probe(s->st, name->p, name->len,
                          have_rec && !rec.tombstone ? &rec.version : NULL,
                          &pr.have, &pr.newest, &pr.tombstone);
    if (rc != GDFS_OK) {
        snprintf(why, whylen, "%s", gdfs_store_errmsg(s->st));
        return rc;
    }
    if (pr.have == GDFS_PROBE_COMPLETE)
        gdfs_newest_add(&b, &rec.version, false, self, self_addr);
    gdfs_newest_add(&b, &pr.newest, pr.tombstone, self, self_addr);
    /* Then the replicas the record names, as far as they answer. */
    for (unsigned i = 0; have_rec && i < rec.nreplicas; i++) {
        char addr[GDFS_ADDR_MAX + 1];

        if (strcmp(rec.replica[i], self) == 0 ||
            !gdfs_records_member(s->records, rec.replica[i], addr, NULL))
            continue;
        rc = gdfs_probe_ask(rpc, addr, name->p, name->len,
                            rec.tombstone ? NULL : &rec.version,
                            gdfs_session_io_ms(s), &pr, err, sizeof(err));
        if (rc != GDFS_OK) {
            gdfs_log(GDFS_LOG_INFO, "stale get %s: replica %s: %s", pname,
                     rec.replica[i], err);
            continue;
        }
        if (pr.have == GDFS_PROBE_COMPLETE)
            gdfs_newest_add(&b, &rec.version, false, rec.replica[i], addr);
        gdfs_newest_add(&b, &pr.newest, pr.tombstone, rec.replica[i], addr);
    }
    if (b.v.seq != 0 && b.tombstone) {
        snprintf(why, whylen,
                 "no such file (removed in version %llu, as far as the "
                 "replicas reachable from node %s know)",
                 (unsigned long long)b.v.seq, self);
        return GDFS_ENOENT;
    }
done:
    if (b.n == 0) {
        snprintf(why, whylen,
                 "no such file: neither node %s nor a replica it can reach "
                 "holds it",
                 self);
        return GDFS_ENOENT;
    }
    memset(meta, 0, sizeof(*meta));
    meta->namelen = name->len;
    memcpy(meta->name, name->p, name->len);
    meta->version = b.v;
    meta->nreplicas = (uint8_t)(b.n < GDFS_REPLICAS ? b.n : GDFS_REPLICAS);
    for (unsigned i = 0; i < meta->nreplicas; i++) {
        snprintf(meta->replica[i], sizeof(meta->replica[i]), "%s", b.id[i]);
        snprintf(addrs[i], GDFS_ADDR_MAX + 1, "%s", b.addr[i]);
    }
    return GDFS_OK;
}
