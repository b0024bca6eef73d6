/* Tests for common/csv.c: numeric CSV with header, quotes, missing values, errors. */
#include "common/csv.h"

#include <check.h>
#include <math.h>
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

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, reads_header_and_numbers);
	tcase_add_test(tc, missing_values_are_nan);
	tcase_add_test(tc, quotes_crlf_bom_blank_lines);
	tcase_add_test(tc, bad_value_names_file_row_column);
	tcase_add_test(tc, wrong_field_count_is_an_error);
	tcase_add_test(tc, malformed_text_is_an_error);
	tcase_add_test(tc, load_from_file_and_missing_file);
}

CHECK_MAIN("csv", add_tests, 30)
