/* One pacer: keeps a flow of bytes (repair copies, scrub reads) at a
 * rate, with a bounded burst after idle time.
 *
 * The rule. Each byte costs 1/rate seconds. The pacer remembers when the
 * bytes granted so far are paid for (`next`). Bytes asked for at time
 * `now` may start at start = max(next, now - burst): at once if earlier
 * bytes are paid for, else when they are; then next = start + cost. So
 * over any stretch the flow stays at `rate`, plus at most `burst` worth
 * of time saved from an idle period (never more, however long the idle
 * period was), plus the one request in hand. A rate of 0 means
 * unlimited: every request may start at once.
 *
 * Pure: time comes in as an argument (milliseconds, as gdfs_clock_ms()
 * gives them), as in core/group.c, so the rule is unit-tested without
 * sleeping (tests/unit/test_pace.c). Not thread-safe: callers hold their
 * own lock. Byte counts and rates of any size are safe: costs saturate
 * instead of overflowing. */
#ifndef GDFS_PACE_H
#define GDFS_PACE_H

#include <stdint.h>

struct gdfs_pace {
    uint64_t rate;     /* bytes per second; 0 = unlimited */
    uint64_t burst_us; /* unused time credited after an idle period */
    uint64_t next_us;  /* when the bytes granted so far are paid for */
};

/* Start pacing at @rate bytes per second (0 = unlimited), crediting at
 * most @burst_ms of idle time, with nothing owed and no credit at
 * @now_ms. Also used to start afresh (a new pass). */
void gdfs_pace_init(struct gdfs_pace *p, uint64_t rate, uint64_t burst_ms,
                    uint64_t now_ms);

/* Ask for @bytes at @now_ms: returns how many milliseconds to wait before
 * they may move (0: at once), and counts them as granted. Callers that
 * stop early simply do not move them. */
uint64_t gdfs_pace_take(struct gdfs_pace *p, uint64_t bytes, uint64_t now_ms);

#endif
