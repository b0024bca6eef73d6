/* libFuzzer: the CSV reader (records, strict and lenient) and the numeric
 * table on top of it (header, duplicate columns, numbers). */
#include "fuzz/fuzz_mem.h"

#include "common/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct error err = { 0 };
	struct csv *c = csv_parse((const char *)data, size, "fuzz.csv", &err);

	if (c) {
		for (size_t i = 0; i < csv_n_rows(c) && i < 4; i++)
			(void)csv_row(c, i);
		csv_free(c);
	}
	for (unsigned flags = 0; flags < 8; flags += 7) {
		struct csv_reader *r = csv_reader_new_mem((const char *)data, size, "fuzz.csv", flags);
		struct csv_record rec;

		while (csv_reader_next(r, &rec, &err) == 1)
			;
		csv_reader_free(r);
	}
	return 0;
}
