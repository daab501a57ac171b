/* Test plugin: exports no gdfs_transport_entry, so the loader must refuse
 * it. */
__attribute__((visibility("default"))) int not_the_entry(void);

int not_the_entry(void)
{
    return 0;
}
