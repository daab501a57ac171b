/* Seed corpus for fuzz_proto: writes one or more valid frames of every
 * message type into the directory given as argv[1], one frame per file
 * ("NN-TYPE.bin"). Built and run by tests/fuzz/run.sh. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

static const char *dir;
static uint8_t buf[GDFS_PROTO_HDR_LEN + GDFS_PROTO_MAX_PAYLOAD];
static int nseeds;

static struct gdfs_bytes bs(const char *s)
{
    struct gdfs_bytes b = {(const uint8_t *)s, strlen(s)};
    return b;
}

static __attribute__((noreturn)) void die(const char *what, int rc)
{
    fprintf(stderr, "seeds: %s: %s\n", what, gdfs_strerror(rc));
    exit(1);
}

static void save(size_t len)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%02d-%s.bin", dir, nseeds++,
             gdfs_proto_type_name(buf[5]));
    f = fopen(path, "wb");
    if (f == NULL || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static void emit(const struct gdfs_msg *m)
{
    size_t len = 0;
    int rc = gdfs_proto_encode(m, buf, sizeof(buf), &len);

    if (rc != GDFS_OK)
        die(gdfs_proto_type_name(m->type), rc);
    save(len);
}

static void emit_lists(void)
{
    struct gdfs_proto_writer w;
    struct gdfs_msg m;
    size_t len = 0;
    int rc = GDFS_OK;

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOCL_LIST;
    m.reqid = 11;
    if (gdfs_proto_writer_begin(&w, buf, sizeof(buf), &m) != GDFS_OK)
        die("list", GDFS_EINVAL);
    for (int i = 0; i < 3 && rc == GDFS_OK; i++) {
        struct gdfs_list_entry e = {bs(i == 0   ? "a"
                                       : i == 1 ? "b/c"
                                                : "z z"),
                                    (uint64_t)i * 5000,
                                    {(uint64_t)i + 1, 2},
                                    3};
        rc = gdfs_proto_add_list(&w, &e);
    }
    if (rc != GDFS_OK || gdfs_proto_writer_finish(&w, true, &len) != GDFS_OK)
        die("list", rc);
    save(len);

    m.type = GDFS_MSG_NDTOCL_LOCATE;
    m.reqid = 13;
    m.u.locate_reply.version.seq = 7;
    m.u.locate_reply.version.term = 2;
    m.u.locate_reply.size = 70000;
    if (gdfs_proto_writer_begin(&w, buf, sizeof(buf), &m) != GDFS_OK)
        die("locate", GDFS_EINVAL);
    for (int i = 0; i < 3 && rc == GDFS_OK; i++) {
        struct gdfs_replica_entry e = {bs(i == 0   ? "n1"
                                          : i == 1 ? "n2"
                                                   : "n3"),
                                       bs(i == 0   ? "127.0.0.1:7001"
                                          : i == 1 ? "127.0.0.1:7002"
                                                   : "127.0.0.1:7003"),
                                       {7, 2},
                                       (uint8_t)i,
                                       (uint8_t)(i + 1)};
        rc = gdfs_proto_add_replica(&w, &e);
    }
    if (rc != GDFS_OK || gdfs_proto_writer_finish(&w, false, &len) != GDFS_OK)
        die("locate", rc);
    save(len);

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOCL_STATUS;
    m.reqid = 15;
    m.u.status_reply.id = bs("n2");
    m.u.status_reply.group = bs("demo");
    m.u.status_reply.leader = bs("n1");
    m.u.status_reply.term = 4;
    m.u.status_reply.role = 3;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            m.u.status_reply.leader = bs(""); /* no leader known */
            m.u.status_reply.role = 4;
        }
        if (gdfs_proto_writer_begin(&w, buf, sizeof(buf), &m) != GDFS_OK)
            die("status", GDFS_EINVAL);
        for (int i = 0; i < 3 && rc == GDFS_OK; i++) {
            struct gdfs_member_entry e = {bs(i == 0   ? "n1"
                                             : i == 1 ? "n2"
                                                      : "n3"),
                                          bs(i == 0   ? "127.0.0.1:7001"
                                             : i == 1 ? "127.0.0.1:7002"
                                                      : "127.0.0.1:7003"),
                                          (uint8_t)(3 - i), (uint8_t)i};

            /* a node with no leader vouches only for itself */
            if (pass == 1 && i > 0)
                e.state = GDFS_MEMBER_UNKNOWN;
            rc = gdfs_proto_add_member(&w, &e);
        }
        if (pass == 1 && rc == GDFS_OK) {
            /* the health and scrub tail */
            struct gdfs_health_figures h = {.known = true,
                                            .under = 1,
                                            .nnames = 1,
                                            .done = 3};
            struct gdfs_scrub_figures sc = {false, 2, 0, 0, 1, 1};

            h.names[0] = bs("dir/file.txt");
            rc = gdfs_proto_writer_status_tail(&w, &h, &sc);
        }
        if (rc != GDFS_OK ||
            gdfs_proto_writer_finish(&w, false, &len) != GDFS_OK)
            die("status", rc);
        save(len);
    }

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOCL_VERSIONS;
    m.reqid = 17;
    if (gdfs_proto_writer_begin(&w, buf, sizeof(buf), &m) != GDFS_OK)
        die("versions", GDFS_EINVAL);
    for (int i = 0; i < 3 && rc == GDFS_OK; i++) {
        struct gdfs_version_entry e = {{(uint64_t)i + 1, 1}, 100, i == 2};
        rc = gdfs_proto_add_version(&w, &e);
    }
    if (rc != GDFS_OK || gdfs_proto_writer_finish(&w, false, &len) != GDFS_OK)
        die("versions", rc);
    save(len);
}

/* A RECORD: @i picks 3 replicas (one address unknown), a tombstone
 * without replicas, or 1 replica at the field limits. */
static void make_record(int i, struct gdfs_record *rec)
{
    static const char *const ids[] = {"n1", "n2", "n3"};
    static const char *const addrs[] = {"127.0.0.1:7001", "",
                                        "127.0.0.1:7003"};

    memset(rec, 0, sizeof(*rec));
    rec->version.seq = 12 + (uint64_t)i;
    rec->version.term = 4;
    switch (i) {
    case 0:
        rec->name = bs("dir/file.txt");
        rec->size = 131073;
        rec->chunk_size = 65536;
        rec->nchunks = 3;
        rec->sha256[0] = 0xab;
        rec->acked = 5;
        rec->nreplicas = 3;
        break;
    case 1:
        rec->name = bs("gone");
        rec->tombstone = true;
        break;
    default:
        rec->name = bs("z");
        rec->version.seq = GDFS_VERSION_MAX;
        rec->size = GDFS_SIZE_MAX;
        rec->chunk_size = GDFS_CHUNK_MAX;
        rec->nchunks = UINT32_MAX;
        rec->acked = 1;
        rec->nreplicas = 1;
        break;
    }
    for (uint8_t k = 0; k < rec->nreplicas; k++) {
        rec->replica[k].id = bs(ids[k]);
        rec->replica[k].addr = bs(addrs[k]);
    }
}

/* The replication messages (20..29), one with the FORWARDED flag. */
static void emit_replication(void)
{
    struct gdfs_proto_writer w;
    struct gdfs_record rec;
    struct gdfs_msg m;
    size_t len = 0;
    int rc = GDFS_OK;

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOND_ALLOC;
    m.reqid = 20;
    m.u.put.name = bs("dir/file.txt");
    emit(&m);
    m.flags = GDFS_FLAG_FORWARDED;
    emit(&m);

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOCL_PLACE;
    m.reqid = 21;
    m.u.place.version.seq = 12;
    m.u.place.version.term = 4;
    m.u.place.chunk_size = 65536;
    m.u.place.nreplicas = 3;
    m.u.place.replica[0].id = bs("n1");
    m.u.place.replica[0].addr = bs("127.0.0.1:7001");
    m.u.place.replica[1].id = bs("n2");
    m.u.place.replica[1].addr = bs("127.0.0.1:7002");
    m.u.place.replica[2].id = bs("n3");
    m.u.place.replica[2].addr = bs("127.0.0.1:7003");
    emit(&m);

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOND_RPUT;
    m.reqid = 22;
    m.u.rput.version.seq = 12;
    m.u.rput.version.term = 4;
    m.u.rput.chunk_size = 65536;
    m.u.rput.name = bs("dir/file.txt");
    emit(&m);
    m.u.rput.version = (struct gdfs_version){0, 0}; /* version later */
    emit(&m);

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOND_RPUT_VERSION;
    m.reqid = 56;
    m.u.put_end.version = (struct gdfs_version){12, 4};
    m.u.put_end.size = 70000;
    m.u.put_end.nchunks = 2;
    memset(m.u.put_end.sha256, 0x5a, sizeof(m.u.put_end.sha256));
    emit(&m);

    for (int i = 0; i < 3; i++) {
        memset(&m, 0, sizeof(m));
        m.type = i == 0 ? GDFS_MSG_NDTOND_COMMIT : GDFS_MSG_NDTOCL_RECORD;
        m.reqid = 23;
        make_record(i, &m.u.record.rec);
        emit(&m);
    }

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOND_LOOKUP;
    m.reqid = 27;
    m.u.get.name = bs("dir/file.txt");
    emit(&m);

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOND_RGET;
    m.reqid = 29;
    m.u.rget.version.seq = 12;
    m.u.rget.version.term = 4;
    m.u.rget.name = bs("dir/file.txt");
    emit(&m);

    m.type = GDFS_MSG_NDTOND_RGET_FROM;
    m.reqid = 31;
    m.u.rget.first = 3;
    emit(&m);

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOND_REPLICATE;
    m.reqid = 30;
    make_record(0, &m.u.replicate.rec);
    m.u.replicate.nsrc = 2;
    m.u.replicate.src[0] = bs("127.0.0.1:7001");
    m.u.replicate.src[1] = bs("127.0.0.1:7002");
    emit(&m);

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOND_DRAIN;
    m.reqid = 32;
    m.u.drain.id = bs("n3");
    emit(&m);

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_CLTOND_ENROL;
    m.reqid = 48;
    m.u.drain.id = bs("n4");
    emit(&m);

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_CLTOND_FORGET;
    m.reqid = 52;
    m.u.drain.id = bs("n3");
    emit(&m);

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOCL_ENROL;
    m.reqid = 49;
    memset(m.u.enrol.key, 0x5a, sizeof(m.u.enrol.key));
    m.u.enrol.group = bs("0123456789abcdef");
    emit(&m);

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOND_HEALTH;
    m.reqid = 33;
    emit(&m);

    m.type = GDFS_MSG_NDTOCL_HEALTH;
    m.u.health.known = true;
    m.u.health.under = 2;
    m.u.health.nnames = 2;
    m.u.health.names[0] = bs("dir/file.txt");
    m.u.health.names[1] = bs("gone");
    m.u.health.done = 4;
    m.u.health.bytes = 131073;
    emit(&m);

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOND_PROBE;
    m.reqid = 35;
    m.u.rget.version.seq = 12;
    m.u.rget.version.term = 4;
    m.u.rget.name = bs("dir/file.txt");
    emit(&m);

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOCL_PROBE;
    m.reqid = 36;
    m.u.probe_reply.have = GDFS_PROBE_COMPLETE;
    m.u.probe_reply.newest.seq = 12;
    m.u.probe_reply.newest.term = 4;
    emit(&m);

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOCL_STALE;
    m.reqid = 37;
    m.u.stale.msg = bs("get f: may be stale: no quorum (no leader)");
    emit(&m);

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_CLTOND_GET;
    m.flags = GDFS_FLAG_STALE_OK;
    m.reqid = 7;
    m.u.get.name = bs("dir/file.txt");
    emit(&m);

    {
        static uint8_t sums[GDFS_META_SUMS_LEN];

        for (size_t k = 0; k < sizeof(sums); k++)
            sums[k] = (uint8_t)k;
        memset(&m, 0, sizeof(m));
        m.type = GDFS_MSG_NDTOND_META_SUM;
        m.reqid = 45;
        m.u.meta_sum.term = 5;
        m.u.meta_sum.sums.p = sums;
        m.u.meta_sum.sums.len = sizeof(sums);
        emit(&m);
    }
    {
        uint8_t entry[4096];
        struct gdfs_log_entry le;
        size_t elen;

        memset(&m, 0, sizeof(m));
        m.type = GDFS_MSG_NDTOND_LOG_APPEND;
        m.reqid = 53;
        m.u.log_append.term = 5;
        m.u.log_append.prev_index = 3;
        m.u.log_append.prev_term = 4;
        m.u.log_append.commit = 3;
        if (gdfs_proto_writer_begin(&w, buf, sizeof(buf), &m) != GDFS_OK)
            die("log_append", GDFS_EINVAL);
        rc = gdfs_proto_encode_entry(GDFS_ENTRY_NOOP, NULL, entry,
                                     sizeof(entry), &elen);
        le = (struct gdfs_log_entry){5, entry, elen};
        if (rc == GDFS_OK)
            rc = gdfs_proto_add_log_entry(&w, &le);
        make_record(1, &rec);
        if (rc == GDFS_OK)
            rc = gdfs_proto_encode_entry(GDFS_ENTRY_RECORD, &rec, entry,
                                         sizeof(entry), &elen);
        le = (struct gdfs_log_entry){5, entry, elen};
        if (rc == GDFS_OK)
            rc = gdfs_proto_add_log_entry(&w, &le);
        if (rc != GDFS_OK ||
            gdfs_proto_writer_finish(&w, false, &len) != GDFS_OK)
            die("log_append", rc);
        save(len);
    }
    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOND_LOG_SNAP;
    m.reqid = 55;
    m.u.log_snap.term = 5;
    m.u.log_snap.index = 40;
    m.u.log_snap.index_term = 4;
    emit(&m);
    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOCL_LOG_ACK;
    m.reqid = 54;
    m.u.log_ack.term = 5;
    m.u.log_ack.last_index = 9;
    m.u.log_ack.conflict_term = 4;
    m.u.log_ack.conflict_from = 2;
    emit(&m);

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOCL_META_DIFF;
    m.reqid = 46;
    m.u.meta_diff.mask = 0x11;
    emit(&m);

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOND_META_SYNC;
    m.reqid = 47;
    m.u.meta_sync.term = 5;
    m.u.meta_sync.complete = 0x8000000000000001ull;
    rc = GDFS_OK;
    if (gdfs_proto_writer_begin(&w, buf, sizeof(buf), &m) != GDFS_OK)
        die("meta_sync", GDFS_EINVAL);
    for (int i = 0; i < 2 && rc == GDFS_OK; i++) {
        make_record(i, &rec);
        rc = gdfs_proto_add_record(&w, &rec);
    }
    if (rc != GDFS_OK || gdfs_proto_writer_finish(&w, false, &len) != GDFS_OK)
        die("meta_sync", rc);
    save(len);

    {
        static uint8_t sums[GDFS_META_SUMS_LEN];

        for (size_t k = 0; k < sizeof(sums); k++)
            sums[k] = (uint8_t)(k * 3);
        memset(&m, 0, sizeof(m));
        m.type = GDFS_MSG_NDTOND_INV_SUM;
        m.reqid = 50;
        m.u.inv_sum.incarnation = 3;
        m.u.inv_sum.member_inc = 2;
        m.u.inv_sum.sums.p = sums;
        m.u.inv_sum.sums.len = sizeof(sums);
        emit(&m);
    }
    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOND_INV_LIST;
    m.reqid = 51;
    m.u.inv_list.incarnation = 3;
    m.u.inv_list.mask = 0x8000000000000001ull;
    rc = GDFS_OK;
    if (gdfs_proto_writer_begin(&w, buf, sizeof(buf), &m) != GDFS_OK)
        die("inv_list", GDFS_EINVAL);
    for (uint64_t i = 1; i <= 2 && rc == GDFS_OK; i++) {
        struct gdfs_copy_entry c = {bs(i == 1 ? "a" : "dir/b"), {i, 2}};

        rc = gdfs_proto_add_copy(&w, &c);
    }
    if (rc != GDFS_OK || gdfs_proto_writer_finish(&w, true, &len) != GDFS_OK)
        die("inv_list", rc);
    save(len);
}

/* One group message of every kind, and the member set's edge cases. */
static void emit_groups(void)
{
    static struct gdfs_gmsg g; /* large: not on the stack */
    size_t len = 0;
    int rc;

    for (int k = GDFS_GMSG_HEARTBEAT; k <= GDFS_GMSG_LEAVE + 2; k++) {
        memset(&g, 0, sizeof(g));
        g.type = (uint8_t)(k <= GDFS_GMSG_LEAVE ? k : GDFS_GMSG_APPEND);
        snprintf(g.from, sizeof(g.from), "n2");
        snprintf(g.group_id, sizeof(g.group_id), "6f1e2d3c");
        g.term = 7;
        switch (g.type) {
        case GDFS_GMSG_HEARTBEAT:
            g.u.heartbeat.incarnation = 3;
            break;
        case GDFS_GMSG_APPEND:
            /* k == APPEND: 3 members; then 0 members; then GDFS_GROUP_MAX */
            g.u.append.sent_at = 1000;
            g.u.append.committed = (struct gdfs_version){4, 7};
            snprintf(g.u.append.set.group_id, sizeof(g.u.append.set.group_id),
                     "6f1e2d3c");
            g.u.append.set.version = (struct gdfs_version){5, 7};
            g.u.append.set.n = k == GDFS_GMSG_APPEND      ? 3
                               : k == GDFS_GMSG_LEAVE + 1 ? 0
                                                          : GDFS_GROUP_MAX;
            for (uint32_t i = 0; i < g.u.append.set.n; i++) {
                struct gdfs_member *mb = &g.u.append.set.m[i];
                snprintf(mb->id, sizeof(mb->id), "n%u", i + 1);
                snprintf(mb->addr, sizeof(mb->addr), "127.0.0.1:%u", 7001 + i);
                mb->state = (uint8_t)(i % 4);
                mb->incarnation = i;
                mb->since = 900 + i;
            }
            /* the leader's placement exclusions, with the most members */
            g.u.append.hint = g.u.append.set.n == GDFS_GROUP_MAX;
            g.u.append.full = g.u.append.hint ? 0x11 : 0;
            g.u.append.drain = g.u.append.hint ? 1ull << 63 : 0;
            break;
        case GDFS_GMSG_APPEND_ACK:
            g.u.append_ack.sent_at = 1000;
            g.u.append_ack.version = (struct gdfs_version){5, 7};
            g.u.append_ack.incarnation = 2;
            break;
        case GDFS_GMSG_VOTE:
            g.u.vote.pre = true;
            g.u.vote.version = (struct gdfs_version){5, 7};
            break;
        case GDFS_GMSG_VOTE_ACK:
            g.u.vote_ack.pre = true;
            g.u.vote_ack.granted = true;
            break;
        case GDFS_GMSG_SUSPECT:
            snprintf(g.u.suspect.target, sizeof(g.u.suspect.target), "n3");
            g.u.suspect.incarnation = 1;
            break;
        case GDFS_GMSG_JOIN:
            g.group_id[0] = '\0'; /* not a member yet */
            snprintf(g.u.join.addr, sizeof(g.u.join.addr), "127.0.0.1:7004");
            break;
        }
        rc = gdfs_proto_encode_group(&g, buf, sizeof(buf), &len);
        if (rc != GDFS_OK)
            die("group", rc);
        save(len);
    }
}

int main(int argc, char **argv)
{
    static const uint8_t sha[GDFS_SHA256_LEN] = {1, 2, 3, 4, 5, 6, 7, 8};
    struct gdfs_msg m;

    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    dir = argv[1];

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOCL_ERROR;
    m.reqid = 1;
    m.u.error.status = GDFS_ENOENT;
    m.u.error.msg = bs("no such file");
    emit(&m);

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOCL_OK;
    m.reqid = 2;
    m.u.ok.version.seq = 5;
    m.u.ok.version.term = 1;
    emit(&m);

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_CLTOND_PUT;
    m.reqid = 3;
    m.u.put.name = bs("dir/file.txt");
    emit(&m);
    m.type = GDFS_MSG_CLTOND_REMOVE;
    emit(&m);
    m.type = GDFS_MSG_CLTOND_LOCATE;
    emit(&m);
    m.type = GDFS_MSG_CLTOND_VERSIONS;
    emit(&m);

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOCL_PUT_READY;
    m.reqid = 4;
    m.u.put_ready.chunk_size = 65536;
    m.u.put_ready.version.seq = 6;
    m.u.put_ready.version.term = 1;
    emit(&m);

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_CHUNK;
    m.reqid = 5;
    m.u.chunk.idx = 2;
    memcpy(m.u.chunk.sha256, sha, sizeof(sha));
    m.u.chunk.data = bs("chunk bytes");
    emit(&m);

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_CLTOND_PUT_END;
    m.reqid = 6;
    m.u.put_end.size = 131073;
    m.u.put_end.nchunks = 3;
    memcpy(m.u.put_end.sha256, sha, sizeof(sha));
    emit(&m);

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_CLTOND_GET;
    m.reqid = 7;
    m.u.get.seq = 5;
    m.u.get.name = bs("dir/file.txt");
    emit(&m);

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_NDTOCL_GET_INFO;
    m.reqid = 8;
    m.u.get_info.version.seq = 5;
    m.u.get_info.version.term = 1;
    m.u.get_info.size = 131073;
    m.u.get_info.chunk_size = 65536;
    m.u.get_info.nchunks = 3;
    memcpy(m.u.get_info.sha256, sha, sizeof(sha));
    emit(&m);

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_CLTOND_LIST;
    m.reqid = 10;
    m.u.list.scope = GDFS_LIST_HERE;
    m.u.list.max = 100;
    m.u.list.after = bs("b");
    emit(&m);

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_CLTOND_STATUS;
    m.reqid = 14;
    emit(&m);

    memset(&m, 0, sizeof(m));
    m.type = GDFS_MSG_CLTOND_LEAVE;
    m.reqid = 19;
    emit(&m);

    emit_lists();
    emit_groups();
    emit_replication();
    printf("seeds: %d frames in %s\n", nseeds, dir);
    return 0;
}
