/* libFuzzer: the records of a binary trace behind a header made valid for
 * them (count, record size, checksum), so every input reaches the field
 * and order checks binary records share with CSV rows. */
#include "fuzz/fuzz_mem.h"

#include <string.h>

#include "common/event.h"
#include "common/trace.h"
#include "common/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count(void *ctx, const struct event *ev)
{
	(void)ev;
	(*(size_t *)ctx)++;
	return 0;
}

static void put(unsigned char *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = size / sizeof(struct event), len = 64 + n * sizeof(struct event);
	unsigned char *file = xcalloc(len, 1);
	uint64_t h = 1469598103934665603ULL;
	struct trace_report rep;
	struct error err = { 0 };
	char path[64];
	size_t got = 0;
	int fd;

	memcpy(file, "AIRTRACE", 8);
	put(file + 8, 1, 4);
	put(file + 12, 0x01020304, 4);
	put(file + 16, sizeof(struct event), 4);
	put(file + 24, n, 8);
	memcpy(file + 64, data, n * sizeof(struct event));
	for (size_t i = 0; i < n * sizeof(struct event); i++)
		h = (h ^ data[i]) * 1099511628211ULL;
	put(file + 32, h, 8);
	fd = fuzz_memfile(file, len, path, sizeof(path));
	if (trace_read(path, count, &got, &rep, &err) == 0 && got != n)
		abort();   /* a file that reads must hand on every record */
	close(fd);
	free(file);
	return 0;
}
