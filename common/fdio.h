#ifndef AIRTIME_FDIO_H
#define AIRTIME_FDIO_H
/*
 * Writing to a pipe whose reader may die: a worker process (dist/local.c),
 * gnuplot (render/plot.c).
 */
#include <stddef.h>

/* Write all len bytes of buf to fd with SIGPIPE blocked in the calling
 * thread, retrying short writes and EINTR: a reader that died is EPIPE,
 * returned, not a signal that kills the process (a SIGPIPE this write
 * caused is consumed before the mask is restored; one pending before is
 * left alone).  Returns 0 or the errno of the failed write. */
int fdio_write_all(int fd, const void *buf, size_t len);

#endif
