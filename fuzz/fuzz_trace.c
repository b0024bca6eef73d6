/* libFuzzer: trace files, both formats (trace_read detects the format
 * from the first bytes; fuzz/corpus/trace seeds each), read plain and as
 * `run --trace` reads them (text or sparse ids mapped, absolute times),
 * and the replay's checks on top (the ids that size a world). */
#include "fuzz/fuzz_mem.h"

#include "common/trace.h"
#include "eval/replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count(void *ctx, const struct event *ev)
{
	(void)ev;
	(*(size_t *)ctx)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = fuzz_memfile(data, size, path, sizeof(path));
	struct trace_report rep;
	struct error err = { 0 };
	struct trace_options opts = { .map_ids = true, .epoch_day = 19114 };   /* 2022-05-02 */
	struct replay *r;
	size_t n = 0;

	trace_read(path, count, &n, &rep, &err);
	if ((r = replay_open(path, &opts, &err)) != NULL) {
		replay_beyond(r, 1000000);
		replay_free(r);
	}
	close(fd);
	return 0;
}
