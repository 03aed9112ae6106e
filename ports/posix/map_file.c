/* POSIX file mapping: mmap the whole file read-only, so that tensors are
 * paged in on first use and never copied. */
#include "port.h"
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

mdm_status mdm_port_map_file(const char *path, mdm_port_mapping *out) {
    memset(out, 0, sizeof *out);
    if (!path)
        return MDM_ERR_INVALID_ARG;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return MDM_ERR_IO;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0 ||
        (uint64_t)st.st_size > SIZE_MAX) {
        close(fd);
        return MDM_ERR_IO;
    }
    if (st.st_size == 0) { /* mmap refuses length 0; an empty view is valid */
        close(fd);
        return MDM_OK;
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd); /* the mapping keeps its own reference */
    if (p == MAP_FAILED)
        return MDM_ERR_IO;
    out->data = p;
    out->size = (size_t)st.st_size;
    out->handle = p;
    return MDM_OK;
}

void mdm_port_unmap_file(mdm_port_mapping *m) {
    if (m && m->handle)
        munmap(m->handle, m->size);
    if (m)
        memset(m, 0, sizeof *m);
}
