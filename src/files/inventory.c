/* One member's copy inventory as the leader knows it; see inventory.h. */
#include "files/inventory.h"

#include <stdlib.h>
#include <string.h>

static int key_cmp(const void *a, const void *b)
{
    return memcmp(a, b, GDFS_INV_KEY_LEN);
}

static bool key_in(const struct gdfs_inv_key *set, unsigned n,
                   const struct gdfs_inv_key *k)
{
    return n > 0 && bsearch(k, set, n, sizeof(*set), key_cmp) != NULL;
}

/* Append @k to the array *@a (*n used of *cap), growing it up to @max
 * entries: GDFS_OK, GDFS_ETOOBIG when @max is reached, GDFS_ENOMEM. */
static int push(struct gdfs_inv_key **a, unsigned *n, unsigned *cap,
                unsigned max, const struct gdfs_inv_key *k)
{
    if (*n >= max)
        return GDFS_ETOOBIG;
    if (*n == *cap) {
        unsigned ncap = *cap < 64 ? 64 : *cap * 2;
        struct gdfs_inv_key *p;

        if (ncap > max)
            ncap = max;
        p = realloc(*a, (size_t)ncap * sizeof(*p));
        if (p == NULL)
            return GDFS_ENOMEM;
        *a = p;
        *cap = ncap;
    }
    (*a)[(*n)++] = *k;
    return GDFS_OK;
}

static void end_listing(struct gdfs_inv *iv)
{
    free(iv->got);
    free(iv->next);
    iv->got = iv->next = NULL;
    iv->ngot = iv->capgot = iv->nnext = iv->capnext = 0;
    iv->listing = 0;
    iv->over = false;
    iv->truncated = false;
}

void gdfs_inv_init(struct gdfs_inv *iv, const struct gdfs_inv_cfg *cfg)
{
    memset(iv, 0, sizeof(*iv));
    iv->cfg = cfg;
}

void gdfs_inv_close(struct gdfs_inv *iv)
{
    gdfs_inv_forget(iv);
}

void gdfs_inv_forget(struct gdfs_inv *iv)
{
    const struct gdfs_inv_cfg *cfg = iv->cfg;

    end_listing(iv);
    free(iv->lacking);
    gdfs_inv_init(iv, cfg);
}

uint64_t gdfs_inv_on_sum(struct gdfs_inv *iv, uint64_t incarnation,
                         const struct gdfs_inv_member *at, uint64_t diff)
{
    /* Another incarnation, or a member that left and joined again: what
     * the last one held or lacked says nothing of this one (an emptied
     * disk, a replaced one). */
    if (!iv->seen || incarnation != iv->incarnation ||
        at->entered != iv->at.entered) {
        gdfs_inv_forget(iv);
        iv->incarnation = incarnation;
        iv->at.entered = at->entered;
        iv->seen = true;
    }
    if (at->inc > iv->at.inc)
        iv->at.inc = at->inc;
    end_listing(iv);
    if (diff == 0) {
        free(iv->lacking);
        iv->lacking = NULL;
        iv->nlacking = 0;
        iv->verified = true;
        iv->complete = true;
        return 0;
    }
    iv->listing = diff;
    return diff;
}

int gdfs_inv_on_page(struct gdfs_inv *iv, uint64_t incarnation, uint64_t mask,
                     const struct gdfs_inv_key *keys, unsigned n)
{
    if (!iv->seen || incarnation != iv->incarnation || iv->listing == 0 ||
        mask != iv->listing)
        return GDFS_EINVAL;
    for (unsigned i = 0; i < n && !iv->over; i++) {
        int rc = push(&iv->got, &iv->ngot, &iv->capgot, iv->cfg->report_max,
                      &keys[i]);

        if (rc != GDFS_OK) {
            /* Past the bound (or out of memory): this round cannot tell
             * held from lacking; drop what it collected. */
            iv->over = true;
            free(iv->got);
            iv->got = NULL;
            iv->ngot = iv->capgot = 0;
            return rc == GDFS_ENOMEM ? GDFS_ENOMEM : GDFS_OK;
        }
    }
    return GDFS_OK;
}

bool gdfs_inv_listing(const struct gdfs_inv *iv, uint64_t *mask)
{
    if (mask != NULL)
        *mask = iv->listing;
    return iv->listing != 0;
}

void gdfs_inv_finish_begin(struct gdfs_inv *iv)
{
    if (iv->ngot > 1)
        qsort(iv->got, iv->ngot, sizeof(*iv->got), key_cmp);
    free(iv->next);
    iv->next = NULL;
    iv->nnext = iv->capnext = 0;
}

void gdfs_inv_claim(struct gdfs_inv *iv, const struct gdfs_inv_key *k)
{
    if (iv->listing == 0 || iv->over || iv->truncated ||
        key_in(iv->got, iv->ngot, k))
        return;
    /* Beyond lacking_max the rest stays unknown: the copies remembered are
     * repaired first, and a later round finds the others. */
    if (push(&iv->next, &iv->nnext, &iv->capnext, iv->cfg->lacking_max, k) !=
        GDFS_OK)
        iv->truncated = true;
}

void gdfs_inv_finish_end(struct gdfs_inv *iv, unsigned *lacking)
{
    if (iv->listing == 0) {
        if (lacking != NULL)
            *lacking = iv->nlacking;
        return;
    }
    free(iv->lacking);
    iv->lacking = NULL;
    iv->nlacking = 0;
    if (iv->over) {
        /* DESIGN.md invariant 8: what cannot be known is not counted as
         * verified. */
        iv->verified = false;
        iv->complete = false;
    } else {
        if (iv->nnext > 1)
            qsort(iv->next, iv->nnext, sizeof(*iv->next), key_cmp);
        iv->lacking = iv->next;
        iv->nlacking = iv->nnext;
        iv->next = NULL;
        iv->verified = true;
        iv->complete = !iv->truncated;
    }
    if (lacking != NULL)
        *lacking = iv->nlacking;
    end_listing(iv);
}

enum gdfs_inv_answer gdfs_inv_holds(const struct gdfs_inv *iv,
                                    const struct gdfs_inv_member *now,
                                    const struct gdfs_inv_key *k)
{
    if (!iv->verified || now->inc > iv->at.inc ||
        now->entered != iv->at.entered)
        return GDFS_INV_UNKNOWN;
    if (key_in(iv->lacking, iv->nlacking, k))
        return GDFS_INV_LACKS;
    return iv->complete ? GDFS_INV_HELD : GDFS_INV_UNKNOWN;
}

void gdfs_inv_repaired(struct gdfs_inv *iv, const struct gdfs_inv_key *k)
{
    struct gdfs_inv_key *p;

    if (iv->nlacking == 0)
        return;
    p = bsearch(k, iv->lacking, iv->nlacking, sizeof(*p), key_cmp);
    if (p == NULL)
        return;
    memmove(p, p + 1,
            (size_t)(iv->lacking + iv->nlacking - (p + 1)) * sizeof(*p));
    iv->nlacking--;
}
