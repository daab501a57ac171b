/* SHA-256 through OpenSSL's EVP interface; see hash.h. */
#include "hash.h"

#include <openssl/evp.h>

#include "err.h"

void gdfs_hash_sha256(const void *p, size_t len, uint8_t out[GDFS_HASH_LEN])
{
    unsigned int n = GDFS_HASH_LEN;

    EVP_Digest(p, len, out, &n, EVP_sha256(), NULL);
}

int gdfs_hash_init(struct gdfs_hash *h)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();

    h->ctx = ctx;
    if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        h->ctx = NULL;
        return GDFS_ENOMEM;
    }
    return GDFS_OK;
}

void gdfs_hash_update(struct gdfs_hash *h, const void *p, size_t len)
{
    EVP_DigestUpdate(h->ctx, p, len);
}

void gdfs_hash_final(struct gdfs_hash *h, uint8_t out[GDFS_HASH_LEN])
{
    unsigned int n = GDFS_HASH_LEN;

    EVP_DigestFinal_ex(h->ctx, out, &n);
    EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
}

void gdfs_hash_discard(struct gdfs_hash *h)
{
    EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
}

void gdfs_hash_hex(const uint8_t *p, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * len] = '\0';
}
