/* The byte pacer; the rule is in pace.h. */
#include "pace.h"

/* Times are kept far below UINT64_MAX so that sums never wrap. */
#define PACE_CAP_US (UINT64_MAX / 4)

static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a >= PACE_CAP_US || b >= PACE_CAP_US - a ? PACE_CAP_US : a + b;
}

static uint64_t us_of_ms(uint64_t ms)
{
    return ms >= PACE_CAP_US / 1000 ? PACE_CAP_US : ms * 1000;
}

/* Microseconds that @bytes cost at @rate bytes per second (rate > 0). */
static uint64_t cost_us(uint64_t bytes, uint64_t rate)
{
    uint64_t whole = bytes / rate, part = bytes % rate;

    if (whole >= PACE_CAP_US / 1000000)
        return PACE_CAP_US;
    /* part < rate: its cost is under a second, exact enough in double */
    return whole * 1000000 +
           (uint64_t)((double)part * 1e6 / (double)rate + 0.5);
}

void gdfs_pace_init(struct gdfs_pace *p, uint64_t rate, uint64_t burst_ms,
                    uint64_t now_ms)
{
    p->rate = rate;
    p->burst_us = us_of_ms(burst_ms);
    p->next_us = us_of_ms(now_ms);
}

uint64_t gdfs_pace_take(struct gdfs_pace *p, uint64_t bytes, uint64_t now_ms)
{
    uint64_t now = us_of_ms(now_ms);
    uint64_t start = p->next_us;

    if (p->rate == 0)
        return 0;
    if (now > p->burst_us && start < now - p->burst_us)
        start = now - p->burst_us; /* idle: credit at most the burst */
    p->next_us = add_sat(start, cost_us(bytes, p->rate));
    return start > now ? (start - now + 999) / 1000 : 0;
}
