/* POSIX and Linux calls that Swift's Glibc module does not import (they need _GNU_SOURCE). */
#ifndef DATASETKIT_CPLATFORM_H
#define DATASETKIT_CPLATFORM_H

/** syncfs(2): flush every dirty page of the file system holding fd. 0 or -1 with errno. */
int dsk_syncfs(int fd);

#endif
