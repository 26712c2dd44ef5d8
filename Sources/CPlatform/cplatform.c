#define _GNU_SOURCE
#include "cplatform.h"

#include <unistd.h>

int dsk_syncfs(int fd) { return syncfs(fd); }
