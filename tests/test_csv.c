/* Tests for common/csv.c: the record reader (strict and quoted forms, huge
 * fields, random round trips) and numeric CSV with header, quotes, missing
 * values, errors. */
#include "common/csv.h"
#include "common/strbuf.h"

#include <check.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/check_main.h"
#include "tests/tmpdir.h"

static struct csv *parse(const char *text, struct error *err)
{
	return csv_parse(text, strlen(text), "t.csv", err);
}

START_TEST(reads_header_and_numbers)
{
	struct error err = { 0 };
	struct csv *c = parse("a, b ,c\n1,2.5,-3e2\n4,5,6\n", &err);

	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(csv_n_rows(c), 2);
	ck_assert_uint_eq(csv_n_cols(c), 3);
	ck_assert_str_eq(csv_col_name(c, 1), "b");
	ck_assert_int_eq(csv_col_index(c, "c"), 2);
	ck_assert_int_eq(csv_col_index(c, "zz"), -1);
	ck_assert(csv_value(c, 0, 1) == 2.5);
	ck_assert(csv_value(c, 0, 2) == -300);
	ck_assert(csv_row(c, 1)[0] == 4);
	csv_free(c);
}
END_TEST

START_TEST(missing_values_are_nan)
{
	struct error err = { 0 };
	struct csv *c = parse("a,b,c,d,e\n,NA,nan,null,N/A\n1,\"\",\" 7 \",na,2\n", &err);

	ck_assert_ptr_nonnull(c);
	for (size_t j = 0; j < 5; j++)
		ck_assert(isnan(csv_value(c, 0, j)));
	ck_assert(isnan(csv_value(c, 1, 1)));
	ck_assert(csv_value(c, 1, 2) == 7);
	ck_assert(isnan(csv_value(c, 1, 3)));
	csv_free(c);
}
END_TEST

START_TEST(quotes_crlf_bom_blank_lines)
{
	struct error err = { 0 };
	struct csv *c = parse("\xEF\xBB\xBF\"x, \"\"the\"\" one\",y\r\n\r\n\"1\",2\r\n\n3,4", &err);

	ck_assert_msg(c != NULL, "%s", err.msg);
	ck_assert_str_eq(csv_col_name(c, 0), "x, \"the\" one");
	ck_assert_uint_eq(csv_n_rows(c), 2);
	ck_assert(csv_value(c, 0, 0) == 1 && csv_value(c, 1, 1) == 4);
	csv_free(c);
}
END_TEST

START_TEST(bad_value_names_file_row_column)
{
	struct error err = { 0 };
	struct csv *c = parse("a,b,c\n1,2,3\n\n4,five,6\n", &err);

	ck_assert_ptr_null(c);
	ck_assert_int_eq(err.code, ERR_INPUT);
	ck_assert_str_eq(err.msg,
			 "t.csv:4: row 2, column 2 ('b'): cannot parse 'five' as a number");
}
END_TEST

START_TEST(wrong_field_count_is_an_error)
{
	struct error err = { 0 };

	ck_assert_ptr_null(parse("a,b\n1,2\n3\n", &err));
	ck_assert_int_eq(err.code, ERR_INPUT);
	ck_assert_msg(strstr(err.msg, "t.csv:3: row 2 has 1 fields") != NULL, "%s", err.msg);
	ck_assert_ptr_null(parse("a,b\n1,2,3\n", &err));
	ck_assert_msg(strstr(err.msg, "t.csv:2: row 1 has more than") != NULL, "%s", err.msg);
}
END_TEST

START_TEST(malformed_text_is_an_error)
{
	struct error err = { 0 };

	ck_assert_ptr_null(parse("a,b\n1,\"2\n", &err));
	ck_assert_msg(strstr(err.msg, "t.csv:2: unterminated quoted field") != NULL, "%s",
		      err.msg);
	ck_assert_ptr_null(parse("", &err));
	ck_assert_msg(strstr(err.msg, "empty file") != NULL, "%s", err.msg);
	ck_assert_ptr_null(parse("a,a\n1,2\n", &err));
	ck_assert_msg(strstr(err.msg, "duplicate column name 'a'") != NULL, "%s", err.msg);
	ck_assert_ptr_null(parse("a,,b\n1,2,3\n", &err));
	ck_assert_msg(strstr(err.msg, "column 2 has an empty name") != NULL, "%s", err.msg);
	ck_assert_ptr_null(parse("a\n1e999\n", &err));
	ck_assert_msg(strstr(err.msg, "cannot parse '1e999'") != NULL, "%s", err.msg);
}
END_TEST

START_TEST(load_from_file_and_missing_file)
{
	char path[128];
	struct error err = { 0 };
	struct csv *c;
	FILE *fp;

	tmpdir_setup();
	snprintf(path, sizeof(path), "%s/d.csv", tmpdir);
	fp = fopen(path, "w");
	fputs("p,q\n1,2\n3,x\n", fp);
	fclose(fp);
	ck_assert_ptr_null(csv_load(path, &err));
	ck_assert_msg(strstr(err.msg, "d.csv:3: row 2, column 2 ('q')") != NULL, "%s", err.msg);
	fp = fopen(path, "w");
	fputs("p,q\n1,2\n", fp);
	fclose(fp);
	c = csv_load(path, &err);
	ck_assert_ptr_nonnull(c);
	ck_assert(csv_value(c, 0, 1) == 2);
	csv_free(c);
	remove(path);
	ck_assert_ptr_null(csv_load(path, &err));
	ck_assert_int_eq(err.code, ERR_IO);
	tmpdir_teardown();
}
END_TEST

/* ---- the record reader ---- */

/* Read every record of text into "f1|f2;f1;..." form (fields joined with
 * '|', records with ';', line numbers checked against `lines`). */
static int read_all(struct csv_reader *r, char *out, size_t size, const size_t *lines,
		    struct error *err)
{
	struct csv_record rec;
	size_t k = 0, nrec = 0;
	int rc;

	out[0] = '\0';
	while ((rc = csv_reader_next(r, &rec, err)) == 1) {
		if (lines)
			ck_assert_uint_eq(rec.line, lines[nrec]);
		nrec++;
		for (size_t i = 0; i < rec.n; i++)
			k += (size_t)snprintf(out + k, size - k, "%s%s", i ? "|" : "", rec.field[i]);
		k += (size_t)snprintf(out + k, size - k, ";");
	}
	return rc;
}

START_TEST(strict_records_split_every_comma_and_line)
{
	static const char text[] = "\xEF\xBB\xBF" "a,b\n\n\"x\",y\r\n,\n last \r\r";
	static const size_t lines[] = { 1, 2, 3, 4, 5 };
	struct error err = { 0 };
	struct csv_reader *r = csv_reader_new_mem(text, strlen(text), "t.csv", 0);
	char out[256];

	ck_assert_int_eq(read_all(r, out, sizeof(out), lines, &err), 0);
	/* blank line: one empty field; quotes are text; CRs before a line end
	 * dropped, other blanks kept */
	ck_assert_str_eq(out, "a|b;;\"x\"|y;|; last ;");
	csv_reader_free(r);
}
END_TEST

START_TEST(quoted_records_span_lines)
{
	static const char text[] =
		"\"multi\nline\", \"say \"\"hi\"\"\" \r\n\n \r \n  next , 1\n\"\"\n";
	static const size_t lines[] = { 1, 5, 6 };
	struct error err = { 0 };
	struct csv_reader *r = csv_reader_new_mem(text, strlen(text), "t.csv",
						  CSV_QUOTES | CSV_TRIM | CSV_SKIP_BLANK);
	char out[256];

	ck_assert_int_eq(read_all(r, out, sizeof(out), lines, &err), 0);
	ck_assert_str_eq(out, "multi\nline|say \"hi\";next|1;;");
	csv_reader_free(r);
}
END_TEST

START_TEST(reader_quote_errors_name_the_line)
{
	struct error err = { 0 };
	struct csv_record rec;
	struct csv_reader *r;

	r = csv_reader_new_mem("a\n\"open\nstill\n", 14, "q.csv", CSV_QUOTES);
	ck_assert_int_eq(csv_reader_next(r, &rec, &err), 1);
	ck_assert_int_eq(csv_reader_next(r, &rec, &err), ERR_INPUT);
	ck_assert_str_eq(err.msg, "q.csv:2: unterminated quoted field");
	csv_reader_free(r);
	r = csv_reader_new_mem("\"a\"b,c\n", 7, "q.csv", CSV_QUOTES);
	ck_assert_int_eq(csv_reader_next(r, &rec, &err), ERR_INPUT);
	ck_assert_str_eq(err.msg, "q.csv:1: unexpected text after a quoted field");
	csv_reader_free(r);
}
END_TEST

/* A 3 MB field (over many read chunks), quoted with quotes and newlines
 * inside, then one with NUL bytes, from a file. */
START_TEST(huge_fields_from_a_file)
{
	enum { BIG = 3 << 20 };
	char *big = malloc(BIG + 1), path[128];
	struct error err = { 0 };
	struct csv_record rec;
	struct csv_reader *r;
	FILE *fp;

	tmpdir_setup();
	snprintf(path, sizeof(path), "%s/big.csv", tmpdir);
	fp = fopen(path, "wb");
	for (size_t i = 0; i < BIG; i++)
		big[i] = i % 1000 == 999 ? '\n' : i % 100 == 99 ? '"' : (char)('a' + i % 26);
	big[BIG] = '\0';
	fputs("h1,h2\n\"", fp);
	for (size_t i = 0; i < BIG; i++) {
		if (big[i] == '"')
			fputc('"', fp);
		fputc(big[i], fp);
	}
	fwrite("\",tail\nx\0y,z\n", 1, 13, fp);
	fwrite("end", 1, 3, fp);
	fclose(fp);
	fp = fopen(path, "rb");
	r = csv_reader_new(fp, path, CSV_QUOTES);
	ck_assert_int_eq(csv_reader_next(r, &rec, &err), 1);
	ck_assert_uint_eq(rec.n, 2);
	ck_assert_int_eq(csv_reader_next(r, &rec, &err), 1);
	ck_assert_uint_eq(rec.line, 2);
	ck_assert_uint_eq(rec.n, 2);
	ck_assert_uint_eq(rec.len[0], BIG);
	ck_assert(memcmp(rec.field[0], big, BIG) == 0);
	ck_assert_str_eq(rec.field[1], "tail");
	ck_assert_int_eq(csv_reader_next(r, &rec, &err), 1);
	ck_assert_uint_eq(rec.line, 2 + BIG / 1000 + 1);
	ck_assert_uint_eq(rec.len[0], 3);   /* "x\0y": the NUL is kept */
	ck_assert(memcmp(rec.field[0], "x\0y", 4) == 0);
	ck_assert_int_eq(csv_reader_next(r, &rec, &err), 1);
	ck_assert_str_eq(rec.field[0], "end");
	ck_assert_int_eq(csv_reader_next(r, &rec, &err), 0);
	csv_reader_free(r);
	fclose(fp);
	free(big);
	tmpdir_teardown();
}
END_TEST

/* Random records over an alphabet of troublemakers, written with quotes
 * where needed and read back from memory and from a file: the same
 * fields, byte for byte. */
START_TEST(random_round_trip)
{
	static const char alphabet[] = { 'a', 'b', ',', '"', '\n', '\r', ' ', '\t', 'z', '\0' };
	enum { RECORDS = 3000, MAXF = 6, MAXLEN = 12 };
	char *fields = calloc(RECORDS * MAXF, MAXLEN);
	size_t *flen = calloc(RECORDS * MAXF, sizeof(*flen)), nf[RECORDS];
	char path[128];
	unsigned seed = 4242;
	FILE *fp;

	tmpdir_setup();
	snprintf(path, sizeof(path), "%s/r.csv", tmpdir);
	fp = fopen(path, "wb");
	for (size_t i = 0; i < RECORDS; i++) {
		nf[i] = 1 + (seed = seed * 1103515245 + 12345) % MAXF;
		for (size_t j = 0; j < nf[i]; j++) {
			char *f = fields + (i * MAXF + j) * MAXLEN;
			size_t len = (seed = seed * 1103515245 + 12345) >> 16 & 7;
			bool quote = false;

			for (size_t c = 0; c < len; c++) {
				f[c] = alphabet[((seed = seed * 1103515245 + 12345) >> 16) % 10];
				quote |= f[c] == ',' || f[c] == '"' || f[c] == '\n' || f[c] == '\r';
			}
			flen[i * MAXF + j] = len;
			if (j)
				fputc(',', fp);
			if (quote)
				fputc('"', fp);
			for (size_t c = 0; c < len; c++) {
				if (quote && f[c] == '"')
					fputc('"', fp);
				fputc(f[c], fp);
			}
			if (quote)
				fputc('"', fp);
		}
		fputc('\n', fp);
	}
	fclose(fp);
	for (int from_file = 0; from_file < 2; from_file++) {
		struct error err = { 0 };
		struct csv_record rec;
		struct csv_reader *r;
		char *text = NULL;
		size_t n = 0, i = 0;

		fp = fopen(path, "rb");
		if (from_file) {
			r = csv_reader_new(fp, path, CSV_QUOTES);
		} else {
			text = malloc(1 << 20);
			n = fread(text, 1, 1 << 20, fp);
			r = csv_reader_new_mem(text, n, path, CSV_QUOTES);
		}
		while (csv_reader_next(r, &rec, &err) == 1) {
			ck_assert_uint_lt(i, RECORDS);
			ck_assert_uint_eq(rec.n, nf[i]);
			for (size_t j = 0; j < rec.n; j++) {
				ck_assert_uint_eq(rec.len[j], flen[i * MAXF + j]);
				ck_assert(memcmp(rec.field[j], fields + (i * MAXF + j) * MAXLEN,
						 rec.len[j]) == 0);
			}
			i++;
		}
		ck_assert_int_eq(err.code, 0);
		ck_assert_uint_eq(i, RECORDS);
		csv_reader_free(r);
		free(text);
		fclose(fp);
	}
	free(fields);
	free(flen);
	tmpdir_teardown();
}
END_TEST

/* Issue 18: the duplicate-column check was quadratic (100k columns took
 * 14.7 s); 300k columns, a duplicate at the end and none, stay well
 * inside the suite's 30 s timeout only when the check is linear. */
START_TEST(duplicate_check_is_linear)
{
	enum { COLS = 300000 };
	struct strbuf sb = STRBUF_INIT;
	struct error err = { 0 };
	struct csv *c;

	for (size_t j = 0; j < COLS; j++)
		strbuf_addf(&sb, "%sc%zu", j ? "," : "", j);
	strbuf_addstr(&sb, "\n");
	c = csv_parse(sb.buf, sb.len, "wide.csv", &err);
	ck_assert_msg(c != NULL, "%s", err.msg);
	ck_assert_uint_eq(csv_n_cols(c), COLS);
	csv_free(c);
	strbuf_reset(&sb);
	for (size_t j = 0; j < COLS; j++)
		strbuf_addf(&sb, "%sc%zu", j ? "," : "", j);
	strbuf_addstr(&sb, ",c12345\n");
	c = csv_parse(sb.buf, sb.len, "wide.csv", &err);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err.msg, "wide.csv:1: duplicate column name 'c12345'"), "%s", err.msg);
	strbuf_release(&sb);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, reads_header_and_numbers);
	tcase_add_test(tc, missing_values_are_nan);
	tcase_add_test(tc, quotes_crlf_bom_blank_lines);
	tcase_add_test(tc, bad_value_names_file_row_column);
	tcase_add_test(tc, wrong_field_count_is_an_error);
	tcase_add_test(tc, malformed_text_is_an_error);
	tcase_add_test(tc, load_from_file_and_missing_file);
	tcase_add_test(tc, strict_records_split_every_comma_and_line);
	tcase_add_test(tc, quoted_records_span_lines);
	tcase_add_test(tc, reader_quote_errors_name_the_line);
	tcase_add_test(tc, huge_fields_from_a_file);
	tcase_add_test(tc, random_round_trip);
	tcase_add_test(tc, duplicate_check_is_linear);
}

CHECK_MAIN("csv", add_tests, 30)
