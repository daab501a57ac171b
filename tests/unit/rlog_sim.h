/* A simulated group of record logs (tests/unit/rlog_sim.c): 3 or 5 nodes
 * over rlog_mem.h storage, a network that drops, duplicates and reorders,
 * partitions, crashes and restarts, compaction, and a small election model
 * (a candidate leads a new term once a majority of reachable nodes grant,
 * each only if the candidate's log passes gdfs_rlog_up_to_date against its
 * own). After every step it checks the Raft paper's Figure 3 properties. */
#ifndef GDFS_TEST_RLOG_SIM_H
#define GDFS_TEST_RLOG_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "core/rlog.h"

/* Which property a schedule broke. */
enum sim_check {
    SIM_OK = 0,
    SIM_ELECTION_SAFETY,      /* two leaders in one term */
    SIM_LOG_MATCHING,         /* same index and term, different prefix */
    SIM_LEADER_COMPLETENESS,  /* a leader lacks a committed entry */
    SIM_STATE_MACHINE_SAFETY, /* two different entries applied at an index */
    SIM_HOSTILE,              /* an honest message was refused */
};

struct sim_opts {
    unsigned n;               /* nodes: 3 or 5 */
    unsigned steps;           /* steps per schedule */
    struct gdfs_rlog_cfg cfg; /* with its test switches */
    bool break_election;      /* a candidate may lead a term it shares */
    bool break_restriction;   /* votes ignore the election restriction */
    bool no_noop;             /* a new leader appends nothing at once */
    int only;                 /* nonzero: run only this SIM_* check */
};

/* What the schedules did, summed over sim_run calls: so that a test can
 * show they were not idle. */
struct sim_stats {
    uint64_t committed; /* highest committed index, summed */
    uint64_t installed; /* snapshots installed from a leader */
    uint64_t truncated; /* follower entries removed by a conflict */
    uint64_t elections; /* elections won */
};
extern struct sim_stats sim_stats;

/* Run the schedule of @seed; returns the first property broken (SIM_OK if
 * none) and writes why into @why (@len bytes). */
int sim_run(uint64_t seed, const struct sim_opts *o, char *why, size_t len);

#endif
