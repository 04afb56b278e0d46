#ifndef CFILESYNC_H
#define CFILESYNC_H
#include <stdint.h>

/// Starts the writeback of a file's byte range to disk without waiting for it (Linux's
/// sync_file_range with SYNC_FILE_RANGE_WRITE); a no-op elsewhere. Returns 0 or -1.
int baton_start_writeback(int fd, int64_t offset, int64_t length);

/// Flushes the file system that holds `fd` (Linux's syncfs: every dirty page and the
/// journal, in one call); fsync of `fd` elsewhere. Returns 0 or -1.
int baton_sync_file_system(int fd);

#endif
