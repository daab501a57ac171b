/* Test plugin: claims ABI 99.0, so the loader must refuse it. */
#define GDFS_PLUGIN_BUILD
#include "transport.h"

static const struct gdfs_transport_ops ops = {
    .abi_version = 99u << 16,
    .name = "plugin_badabi",
};

const struct gdfs_transport_ops *gdfs_transport_entry(unsigned host_abi,
                                                      char *err, size_t errlen)
{
    (void)host_abi;
    (void)err;
    (void)errlen;
    return &ops;
}
