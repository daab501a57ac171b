/* gdfs-cli output helpers: JSON strings and the progress bar. */
#ifndef GDFS_CLI_OUTPUT_H
#define GDFS_CLI_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Write @p/@len as a JSON string (quotes included). Valid UTF-8 passes
 * through; control bytes are escaped; a byte that is not part of valid
 * UTF-8 is written as \u00XX. */
void output_json_string(FILE *f, const uint8_t *p, size_t len);

/* Write @p/@len for a human: bytes as they are. */
void output_raw(FILE *f, const uint8_t *p, size_t len);

/* @bytes for a human, in binary units with one decimal ("512 B",
 * "1.2 GiB"), into @buf (@len >= 16); returns @buf. */
const char *output_size(uint64_t bytes, char *buf, size_t len);

/* Human name of a member/replica state ("alive"). */
const char *output_state_name(int state);
/* A replica's copy as the leader knows it (enum gdfs_copy_state): "held",
 * "lacking", "unacked" or "unverified". */
const char *output_copy_name(int copy);

/* Progress bar on stderr, at most ten updates a second. @total is
 * UINT64_MAX when unknown (stdin). */
struct progress {
    int enabled;
    const char *label;
    uint64_t total;
    uint64_t done;
    double start;
    double last;
};
void progress_start(struct progress *p, int enabled, const char *label,
                    uint64_t total);
void progress_add(struct progress *p, uint64_t n);
/* Final line (or clearing the bar on failure: @ok = 0). */
void progress_end(struct progress *p, int ok);

#endif
