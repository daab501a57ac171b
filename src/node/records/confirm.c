/* Confirmations: the second phase of a record on a member.
 *
 * A member keeps a leader's META_PUT as an accepted record only
 * (gdfs_store_meta_accept): the leader may fail to reach a majority, and
 * then the record never commits. Once the leader has it on a majority and
 * persisted it (gdfs_records_commit) it queues it here, and this thread
 * sends the queued records to every live member as META_SYNC pages (each
 * page once, to all members at the same time; complete mask 0), which
 * the member applies as committed: its copy of the version becomes its
 * newest, older ones beyond keep_versions go, a tombstone drops the
 * file's older copies.
 *
 * Best effort, off the put's path: the client has its answer before its
 * record is confirmed. A member that misses a confirmation (down, slow,
 * queue overflow, a leader change) has a committed table that differs
 * from the leader's, so record sync (sync.c) sends it the record. */
#define GDFS_LOG_MODULE "confirm"
#include "node/records/confirm.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "node/rpc.h"
#include "node/group/grouphost.h"
#include "node/records/records.h"
#include "store/store.h"

#define QUEUE_MAX 4096 /* records waiting; more are left to record sync */
#define GATHER_MS 1000 /* longest wait for a member's OK */
/* One META_SYNC page: as large as members take (proto.h). */
#define PAGE_BYTES (GDFS_PROTO_HDR_LEN + GDFS_META_PAGE_MAX)

struct entry {
    struct entry *next;
    uint64_t term;
    struct gdfs_meta m;
};

struct gdfs_confirm {
    struct gdfs_records *records;
    struct gdfs_grouphost *group;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    struct entry *head, *tail;
    unsigned n;
    uint64_t dropped; /* records not queued (full), not yet logged */
    uint8_t *frame;
    size_t framecap;
};

static void on_commit(void *ctx, uint64_t term, const struct gdfs_meta *m)
{
    struct gdfs_confirm *c = ctx;
    struct entry *e = NULL;

    pthread_mutex_lock(&c->mu);
    if (c->n < QUEUE_MAX && (e = malloc(sizeof(*e))) != NULL) {
        e->next = NULL;
        e->term = term;
        e->m = *m;
        if (c->tail != NULL)
            c->tail->next = e;
        else
            c->head = e;
        c->tail = e;
        c->n++;
        pthread_cond_signal(&c->cv);
    } else {
        c->dropped++;
    }
    pthread_mutex_unlock(&c->mu);
}

/* Under c->mu: encode queued records of the head's term into one page
 * and take them off the queue. *term gets their term; 0 records if the
 * queue is empty. */
static int take_page(struct gdfs_confirm *c, uint64_t *term, size_t *len,
                     unsigned *count)
{
    struct gdfs_msg msg = {.type = GDFS_MSG_NDTOND_META_SYNC};
    struct gdfs_proto_writer w;
    int rc;

    *count = 0;
    if (c->head == NULL)
        return GDFS_OK;
    *term = c->head->term;
    msg.u.meta_sync.term = *term;
    if ((rc = gdfs_proto_writer_begin(&w, c->frame, c->framecap, &msg)) !=
        GDFS_OK)
        return rc;
    while (c->head != NULL && c->head->term == *term) {
        char addrs[GDFS_REPLICAS][GDFS_ADDR_MAX + 1];
        struct gdfs_record r;
        struct entry *e = c->head;

        gdfs_records_to_record(NULL, &e->m, addrs, &r);
        rc = gdfs_proto_add_record(&w, &r);
        if (rc == GDFS_ETOOBIG && w.count > 0)
            break; /* the next page's */
        /* Taken (added, or one that can never be sent: record sync
         * settles it). */
        c->head = e->next;
        if (c->head == NULL)
            c->tail = NULL;
        c->n--;
        free(e);
    }
    *count = w.count;
    return w.count > 0 ? gdfs_proto_writer_finish(&w, false, len) : GDFS_OK;
}

/* Send the page in c->frame to every live member but us, all at once. */
static void send_page(struct gdfs_confirm *c, uint64_t term, size_t len,
                      unsigned count)
{
    struct gdfs_group_status *gs = malloc(sizeof(*gs));
    struct gdfs_msg *replies = malloc(sizeof(*replies) * GDFS_GROUP_MAX);
    struct gdfs_rpc_conn *cs[GDFS_GROUP_MAX] = {NULL};
    struct gdfs_rpc *rpc = gdfs_records_rpc(c->records);
    int rcs[GDFS_GROUP_MAX];
    unsigned n = 0, ok;

    if (gs == NULL || replies == NULL)
        goto out;
    gdfs_grouphost_status(c->group, gs);
    /* A leader of another term now: it has the records it collected and
     * its record sync brings the members in line. */
    if (gs->role != GDFS_ROLE_LEADER || gs->term != term)
        goto out;
    for (uint32_t i = 0; i < gs->n; i++) {
        char err[256];

        if (gs->m[i].state != GDFS_MEMBER_ALIVE ||
            strcmp(gs->m[i].id, gs->self) == 0)
            continue;
        if (gdfs_rpc_open(rpc, gs->m[i].addr, &cs[n], err, sizeof(err)) !=
            GDFS_OK) {
            gdfs_log(GDFS_LOG_DEBUG, "confirm to %s: %s", gs->m[i].id, err);
            continue;
        }
        if (gdfs_rpc_send_raw(cs[n], c->frame, len, gdfs_rpc_io_ms(rpc)) !=
            GDFS_OK) {
            gdfs_rpc_close(rpc, cs[n]);
            cs[n] = NULL;
            continue;
        }
        n++;
    }
    /* A member slower than GATHER_MS is left to record sync: one slow
     * member must not hold every member's confirmations back. */
    ok = gdfs_rpc_gather(cs, n, GDFS_MSG_NDTOCL_OK, n,
                         gdfs_rpc_io_ms(rpc) < GATHER_MS ? gdfs_rpc_io_ms(rpc)
                                                         : GATHER_MS,
                         rcs, replies);
    if (ok < n)
        gdfs_log(GDFS_LOG_DEBUG,
                 "confirm of %u records (term %llu): %u of %u members "
                 "answered; record sync settles the others",
                 count, (unsigned long long)term, ok, n);
    for (unsigned i = 0; i < n; i++)
        gdfs_rpc_close(rpc, cs[i]);
out:
    free(gs);
    free(replies);
}

static void *confirm_main(void *arg)
{
    struct gdfs_confirm *c = arg;

    pthread_mutex_lock(&c->mu);
    while (!c->stop) {
        uint64_t term = 0, dropped;
        unsigned count = 0;
        size_t len = 0;
        int rc;

        if (c->head == NULL && c->dropped == 0) {
            pthread_cond_wait(&c->cv, &c->mu);
            continue;
        }
        dropped = c->dropped;
        c->dropped = 0;
        rc = take_page(c, &term, &len, &count);
        pthread_mutex_unlock(&c->mu);
        if (dropped > 0)
            gdfs_log(GDFS_LOG_WARN,
                     "%llu committed records not confirmed to members (queue "
                     "full): record sync brings them in line",
                     (unsigned long long)dropped);
        if (rc != GDFS_OK)
            gdfs_log(GDFS_LOG_WARN, "confirm: cannot encode a page: %s",
                     gdfs_strerror(rc));
        else if (count > 0)
            send_page(c, term, len, count);
        pthread_mutex_lock(&c->mu);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

int gdfs_confirm_start(struct gdfs_records *records, struct gdfs_grouphost *g,
                       struct gdfs_confirm **out, char *err, size_t errlen)
{
    struct gdfs_confirm *c = calloc(1, sizeof(*c));

    if (c == NULL || (c->frame = malloc(PAGE_BYTES)) == NULL) {
        free(c);
        snprintf(err, errlen, "out of memory");
        return GDFS_ENOMEM;
    }
    c->framecap = PAGE_BYTES;
    c->records = records;
    c->group = g;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    if (pthread_create(&c->thread, NULL, confirm_main, c) != 0) {
        snprintf(err, errlen, "cannot start the confirmation thread");
        pthread_mutex_destroy(&c->mu);
        pthread_cond_destroy(&c->cv);
        free(c->frame);
        free(c);
        return GDFS_ENOMEM;
    }
    gdfs_records_on_commit(records, on_commit, c);
    *out = c;
    return GDFS_OK;
}

void gdfs_confirm_stop(struct gdfs_confirm *c)
{
    if (c == NULL)
        return;
    gdfs_records_on_commit(c->records, NULL, NULL);
    pthread_mutex_lock(&c->mu);
    c->stop = true;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    while (c->head != NULL) {
        struct entry *e = c->head;

        c->head = e->next;
        free(e);
    }
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    free(c->frame);
    free(c);
}
