/* Tests for cli/features_tool.c (airtime features export): TIME parsing,
 * PIT-correct export of a feature store written by engine/batchjob-style
 * daily writes, as-known-at, bad input. */
#include "engine/featurestore.h"
#include "cli/features_tool.h"

#include "tests/check_main.h"
#include "tests/tmpdir.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define D SIMTIME_DAY
#define H SIMTIME_HOUR


START_TEST(parse_time_forms)
{
	struct error err;
	simtime at;
	int64_t epoch = 19114; /* 2022-05-02 */

	ck_assert_int_eq(features_tool_parse_time("9d12h", epoch, &at, &err), 0);
	ck_assert_int_eq(at, 9 * D + 12 * H);
	ck_assert_int_eq(features_tool_parse_time("90min", epoch, &at, &err), 0);
	ck_assert_int_eq(at, 90 * SIMTIME_MIN);
	ck_assert_int_eq(features_tool_parse_time("0s", epoch, &at, &err), 0);
	ck_assert_int_eq(at, 0);
	ck_assert_int_eq(features_tool_parse_time("2022-05-11T12:00Z", epoch, &at, &err), 0);
	ck_assert_int_eq(at, 9 * D + 12 * H);
	ck_assert_int_eq(features_tool_parse_time("2022-05-11 12:00:30", epoch, &at, &err), 0);
	ck_assert_int_eq(at, 9 * D + 12 * H + 30 * SIMTIME_S);
	ck_assert_int_eq(features_tool_parse_time("2022-05-03", epoch, &at, &err), 0);
	ck_assert_int_eq(at, D);
	ck_assert_int_eq(features_tool_parse_time("2022-04-30", epoch, &at, &err), 0);
	ck_assert_int_eq(at, -2 * D);
	ck_assert_int_eq(features_tool_parse_time("9", epoch, &at, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "'9'"));
	ck_assert_int_eq(features_tool_parse_time("9d12", epoch, &at, &err), ERR_INPUT);
	ck_assert_int_eq(features_tool_parse_time("", epoch, &at, &err), ERR_INPUT);
	ck_assert_int_eq(features_tool_parse_time("2022-13-01", epoch, &at, &err), ERR_INPUT);
	ck_assert_int_eq(features_tool_parse_time("2022-05-11T25:00", epoch, &at, &err), ERR_INPUT);
	ck_assert_int_eq(features_tool_parse_time("2022-05-11x", epoch, &at, &err), ERR_INPUT);
	/* a date needs the store's epoch */
	ck_assert_int_eq(features_tool_parse_time("2022-05-11", INT64_MIN, &at, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "epoch"));
}
END_TEST

static const char *const feats[] = { "a", "b" };

/* Entity 1: day 0 (written late, at 5d), day 1; entity 2: day 0 only. */
static void make_store(void)
{
	char path[128];
	struct error err;
	struct featurestore *fs;
	int g;
	int64_t e1[] = { 1 }, e2[] = { 1, 2 };
	double v0[] = { 10, 11, 20, 21 }, v1[] = { 12, 13 };

	snprintf(path, sizeof(path), "%s/features.db", tmpdir);
	fs = featurestore_open(path, &err);
	ck_assert_msg(fs, "%s", err.msg);
	g = featurestore_define(fs, "user_history", 1, feats, 2, 0, &err);
	ck_assert_int_ge(g, 0);
	ck_assert_int_eq(featurestore_set_meta(fs, "epoch_date", "2022-05-02", &err), 0);
	ck_assert_int_eq(featurestore_write(fs, g, e2 + 1, NULL, 21 * H, v0 + 2, 1, 22 * H, &err), 0);
	ck_assert_int_eq(featurestore_write(fs, g, e1, NULL, D + 21 * H, v1, 1, D + 22 * H, &err), 0);
	/* a late backfill of entity 1's day 0 */
	ck_assert_int_eq(featurestore_write(fs, g, e1, NULL, 21 * H, v0, 1, 5 * D, &err), 0);
	featurestore_free(fs);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	static char buf[4096];
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static char *export_to(const char *at, bool known, const char *group, struct error *err, int *rc)
{
	static char out[128];
	struct features_export_opts o = { tmpdir, at, group, known, out };

	snprintf(out, sizeof(out), "%s/out.csv", tmpdir);
	unlink(out);
	*rc = features_tool_export(&o, stdout, err);
	return *rc ? NULL : slurp(out);
}

START_TEST(export_is_point_in_time)
{
	struct error err;
	char tmp[160];
	int rc;

	tmpdir_setup();
	make_store();
	/* at day 1 23:00: entity 1's day-1 row, entity 2's day-0 row */
	ck_assert_str_eq(export_to("1d23h", false, "user_history", &err, &rc),
			 "entity,event_time,a,b\n1,162000000000,12,13\n2,75600000000,20,21\n");
	/* same instant as a date-time */
	ck_assert_str_eq(export_to("2022-05-03T23:00Z", false, "user_history", &err, &rc),
			 "entity,event_time,a,b\n1,162000000000,12,13\n2,75600000000,20,21\n");
	/* at 22:30 on day 0, entity 1's backfill (written at 5d) counts for
	 * PIT but not as known at that time */
	ck_assert_str_eq(export_to("22h30min", false, "user_history", &err, &rc),
			 "entity,event_time,a,b\n1,75600000000,10,11\n2,75600000000,20,21\n");
	ck_assert_str_eq(export_to("22h30min", true, "user_history", &err, &rc),
			 "entity,event_time,a,b\n1,,,\n2,75600000000,20,21\n");
	/* before everything: entities kept, features empty */
	ck_assert_str_eq(export_to("1h", false, NULL, &err, &rc),
			 "# group user_history v1\nentity,event_time,a,b\n1,,,\n2,,,\n");
	/* bad input: nothing written, not even the temporary file */
	ck_assert_ptr_null(export_to("soon", false, NULL, &err, &rc));
	ck_assert_int_eq(rc, ERR_INPUT);
	ck_assert_ptr_null(export_to("1d", false, "nope", &err, &rc));
	ck_assert_int_eq(rc, ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "'nope'"));
	snprintf(tmp, sizeof(tmp), "%s/out.csv", tmpdir);
	ck_assert_int_ne(access(tmp, F_OK), 0);
	snprintf(tmp, sizeof(tmp), "%s/out.csv.tmp", tmpdir);
	ck_assert_int_ne(access(tmp, F_OK), 0);
	tmpdir_teardown();
}
END_TEST

START_TEST(missing_store_names_the_path)
{
	struct features_export_opts o = { "/nonexistent-run", "1d", NULL, false, NULL };
	struct error err;

	ck_assert_int_eq(features_tool_export(&o, stdout, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent-run/features.db"));
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, parse_time_forms);
	tcase_add_test(tc, export_is_point_in_time);
	tcase_add_test(tc, missing_store_names_the_path);
}

CHECK_MAIN("features_tool", add_tests, 30)
