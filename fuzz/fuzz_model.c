/* libFuzzer: the forest model loader (every header count checked against
 * the limits and the file's size before allocating), and inference on a
 * model that loads. */
#include "fuzz/fuzz_mem.h"

#include <math.h>

#include "engine/forest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = fuzz_memfile(data, size, path, sizeof(path));
	struct error err = { 0 };
	struct forest *f = forest_load(path, &err);

	if (f) {
		size_t nf = forest_n_features(f);
		float *row = calloc(nf * 2, sizeof(float));
		double out[2];

		for (size_t i = 0; i < nf; i++)
			row[nf + i] = NAN;
		forest_predict_batch(f, row, 2, nf, out);
		free(row);
		forest_free(f);
	}
	close(fd);
	return 0;
}
