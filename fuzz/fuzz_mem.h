#ifndef AIRTIME_FUZZ_MEM_H
#define AIRTIME_FUZZ_MEM_H
/* Helpers of the libFuzzer harnesses: an input as a file the readers can
 * open by path, in memory (memfd, /proc/self/fd/N: no disk writes). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* Write data into a fresh memfd; its path into path.  The fd to close. */
static inline int fuzz_memfile(const uint8_t *data, size_t size, char *path, size_t n)
{
	int fd = memfd_create("airtime-fuzz", MFD_CLOEXEC);

	if (fd < 0)
		abort();
	for (size_t off = 0; off < size;) {
		ssize_t k = write(fd, data + off, size - off);

		if (k <= 0)
			abort();
		off += (size_t)k;
	}
	snprintf(path, n, "/proc/self/fd/%d", fd);
	return fd;
}

#endif
