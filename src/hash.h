/* SHA-256 (OpenSSL libcrypto, SHA-NI accelerated here: ~2 GB/s) and hex.
 *
 * A file's checksum is SHA-256 over the concatenation of its chunks'
 * SHA-256s (a one-level hash list): verifying it costs 32 bytes of hashing
 * per chunk instead of a second pass over the data. */
#ifndef GDFS_HASH_H
#define GDFS_HASH_H

#include <stddef.h>
#include <stdint.h>

#define GDFS_HASH_LEN 32

/* One-shot SHA-256 of @len bytes at @p into @out. */
void gdfs_hash_sha256(const void *p, size_t len, uint8_t out[GDFS_HASH_LEN]);

/* Streaming SHA-256 (used for the file hash list). */
struct gdfs_hash {
    void *ctx; /* EVP_MD_CTX */
};
/* GDFS_OK or GDFS_ENOMEM. */
int gdfs_hash_init(struct gdfs_hash *h);
void gdfs_hash_update(struct gdfs_hash *h, const void *p, size_t len);
/* Writes the digest and frees the context. */
void gdfs_hash_final(struct gdfs_hash *h, uint8_t out[GDFS_HASH_LEN]);
/* Frees the context without a digest (error paths). NULL ctx is fine. */
void gdfs_hash_discard(struct gdfs_hash *h);

/* Lower-case hex of @len bytes into @out (2*len+1 bytes). */
void gdfs_hash_hex(const uint8_t *p, size_t len, char *out);

#endif
