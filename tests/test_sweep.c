/* Tests for eval/sweep.c: grid axes parsed (keys joined by '+'), a tiny
 * 2 x 2 sweep's cells in order (the first axis slowest) with the CSV, the
 * database and the cheapest cell meeting the SLO, and bad grids or cells
 * refused before anything is created.  (The refusals moved here from
 * test_scenarios.c, which keeps the capacity-sweep scenario's outcome.) */
#include "eval/sweep.h"

#include <check.h>
#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/xalloc.h"
#include "tests/check_main.h"
#include "tests/tmpdir.h"

START_TEST(axes_parse_keys_and_values)
{
	struct sweep_axis ax;
	struct error err;

	ck_assert_int_eq(sweep_axis_parse(&ax, "endpoint.min_instances=1,2,4", &err), 0);
	ck_assert_str_eq(ax.key, "endpoint.min_instances");
	ck_assert_uint_eq(ax.n, 3);
	ck_assert_str_eq(ax.values[0], "1");
	ck_assert_str_eq(ax.values[2], "4");
	sweep_axis_release(&ax);
	ck_assert_int_eq(sweep_axis_parse(&ax, "a.b+c.d=30s", &err), 0);
	ck_assert_str_eq(ax.key, "a.b+c.d");
	ck_assert_uint_eq(ax.n, 1);
	ck_assert_str_eq(ax.values[0], "30s");
	sweep_axis_release(&ax);
}
END_TEST

static size_t count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;
	int c;

	ck_assert_ptr_nonnull(f);
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* 300 users for 1 + 1 days per cell; two endpoint sizes x two forests. */
START_TEST(a_tiny_grid_runs_every_cell_in_order)
{
	static const char *const sets[] = {
		"world.users=300", "world.creators=50", "run.warmup_days=1", "run.experiment_days=1",
		"model.sample_sessions=100%", "spike.promo.magnitude=100", "report.plots=false",
	};
	struct sweep_spec spec = { 0 };
	struct sweep_result res;
	struct error err;
	char *out = tmpdir_path("sweep"), *csv, *db;
	long cheapest = -1;
	sqlite3 *sq;
	sqlite3_stmt *st;
	int rows = 0;

	spec.scenario = "scenarios/default.ini";
	spec.sets = sets;
	spec.n_sets = sizeof(sets) / sizeof(sets[0]);
	ck_assert_int_eq(sweep_axis_parse(&spec.axes[0],
					  "endpoint.min_instances+endpoint.initial_instances=1,2",
					  &err), 0);
	ck_assert_int_eq(sweep_axis_parse(&spec.axes[1], "model.trees=4,6", &err), 0);
	spec.n_axes = 2;
	spec.out = out;
	ck_assert_msg(sweep_execute(&spec, &res, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(res.n_cells, 4);
	ck_assert_str_eq(res.cells[0].overrides,
			 "endpoint.min_instances+endpoint.initial_instances=1 model.trees=4");
	ck_assert_str_eq(res.cells[1].overrides,
			 "endpoint.min_instances+endpoint.initial_instances=1 model.trees=6");
	ck_assert_str_eq(res.cells[2].overrides,
			 "endpoint.min_instances+endpoint.initial_instances=2 model.trees=4");
	/* the cheapest cell meeting the SLO, by instance-hours */
	for (size_t i = 0; i < res.n_cells; i++) {
		const struct sweep_cell *c = &res.cells[i];

		ck_assert(c->meets_slo == (c->p99_ms < SWEEP_SLO_P99_US / 1000 &&
					   c->availability >= SWEEP_SLO_AVAILABILITY));
		/* ties by lower p99 (with endpoint variability two cells of the
		 * same fleet bill the same hours but differ in p99) */
		if (c->meets_slo &&
		    (cheapest < 0 || c->instance_hours < res.cells[cheapest].instance_hours ||
		     (c->instance_hours == res.cells[cheapest].instance_hours &&
		      c->p99_ms < res.cells[cheapest].p99_ms)))
			cheapest = (long)i;
		ck_assert(c->cheapest == ((long)i == res.cheapest));
	}
	ck_assert_int_eq(res.cheapest, cheapest);
	/* every cell's quality beside its cost: the primary's lift inside its
	 * interval, the guardrails' states, the decision */
	for (size_t i = 0; i < res.n_cells; i++) {
		const struct sweep_cell *c = &res.cells[i];

		ck_assert_msg(c->quality && !strncmp(c->quality, "engagement_actions ", 19),
			      "cell %zu: %s", i, c->quality);
		ck_assert_ptr_nonnull(strstr(c->quality, "; sessions "));
		ck_assert_ptr_nonnull(strstr(c->quality, ", notify_enables "));
		ck_assert(c->verdict >= 0 && c->verdict <= 2);
		ck_assert(c->primary_lo <= c->primary_rel && c->primary_rel <= c->primary_hi);
		ck_assert_int_eq(c->same_as, -1);   /* the forests differ */
	}
	csv = xasprintf("%s/sweep.csv", out);
	ck_assert_uint_eq(count_lines(csv), 5);
	db = xasprintf("%s/results.db", out);
	ck_assert_int_eq(sqlite3_open_v2(db, &sq, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(sq, "SELECT COUNT(*) FROM sweep_cells", -1, &st, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	rows = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(sq);
	ck_assert_int_eq(rows, 4);
	sweep_result_release(&res);
	for (size_t a = 0; a < spec.n_axes; a++)
		sweep_axis_release(&spec.axes[a]);
	free(csv);
	free(db);
	free(out);
}
END_TEST

/* Cells whose figures are all equal (a key that changes nothing simulated)
 * are flagged: the second names the first. */
START_TEST(identical_cells_are_flagged)
{
	static const char *const sets[] = {
		"world.users=300", "world.creators=50", "run.warmup_days=1", "run.experiment_days=1",
		"model.sample_sessions=100%", "spike.promo.magnitude=100", "report.plots=false",
	};
	struct sweep_spec spec = { 0 };
	struct sweep_result res;
	struct error err;
	char *out = tmpdir_path("sweep");

	spec.scenario = "scenarios/default.ini";
	spec.sets = sets;
	spec.n_sets = sizeof(sets) / sizeof(sets[0]);
	ck_assert_int_eq(sweep_axis_parse(&spec.axes[0], "report.formats=html,md", &err), 0);
	spec.n_axes = 1;
	spec.out = out;
	ck_assert_msg(sweep_execute(&spec, &res, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(res.n_cells, 2);
	ck_assert_int_eq(res.cells[0].same_as, -1);
	ck_assert_int_eq(res.cells[1].same_as, 0);
	ck_assert_str_eq(res.cells[0].quality, res.cells[1].quality);
	sweep_result_release(&res);
	sweep_axis_release(&spec.axes[0]);
	free(out);
}
END_TEST

START_TEST(sweep_refuses_a_bad_grid)
{
	struct sweep_axis ax;
	struct error err;

	ck_assert_int_eq(sweep_axis_parse(&ax, "endpoint.min_instances", &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "section.key=value1,value2"));
	ck_assert_int_eq(sweep_axis_parse(&ax, "endpoint.min_instances=1,,2", &err), ERR_INPUT);
	ck_assert_int_eq(sweep_axis_parse(&ax, "min_instances=1", &err), ERR_INPUT);
}
END_TEST

/* A grid key the scenario does not know fails before anything is written. */
START_TEST(sweep_unknown_key_leaves_nothing)
{
	static const char *const sets[] = { "world.users=500" };
	struct sweep_spec spec = { 0 };
	struct sweep_result res;
	struct error err;
	char out[128];
	struct stat st;

	snprintf(out, sizeof(out), "%s/bad", tmpdir);
	spec.scenario = "scenarios/capacity-sweep.ini";
	spec.sets = sets;
	spec.n_sets = 1;
	ck_assert_int_eq(sweep_axis_parse(&spec.axes[0], "endpoint.min_instancez=1,2", &err), 0);
	spec.n_axes = 1;
	spec.out = out;
	ck_assert_int_eq(sweep_execute(&spec, &res, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "min_instancez"));
	ck_assert_int_ne(stat(out, &st), 0);
	sweep_axis_release(&spec.axes[0]);
}
END_TEST

/* A cell whose overrides a module refuses stops the sweep before any cell
 * runs: the message names the cell and the --set that gave the value, and
 * nothing is created. */
START_TEST(sweep_bad_cell_stops_before_anything_runs)
{
	static const char *const sets[] = { "world.users=500" };
	struct sweep_spec spec = { 0 };
	struct sweep_result res;
	struct error err;
	char out[128];
	DIR *d;
	struct dirent *de;

	snprintf(out, sizeof(out), "%s/bad", tmpdir);
	spec.scenario = "scenarios/capacity-sweep.ini";
	spec.sets = sets;
	spec.n_sets = 1;
	ck_assert_int_eq(sweep_axis_parse(&spec.axes[0], "endpoint.min_instances=1,30", &err), 0);
	spec.n_axes = 1;
	spec.out = out;
	ck_assert_int_eq(sweep_execute(&spec, &res, &err), ERR_INPUT);
	/* The file writes initial_instances = 1 (line 41): the rule is told
	 * from its side, naming the cell's override as the other origin. */
	ck_assert_str_eq(err.msg, "sweep cell 1 (endpoint.min_instances=30): "
				  "scenarios/capacity-sweep.ini:41: value '1' out of range for "
				  "[endpoint] initial_instances: must be at least [endpoint] "
				  "min_instances = 30 (--set endpoint.min_instances=30)");
	d = opendir(tmpdir);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		ck_assert_msg(!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."),
			      "'%s' left in %s", de->d_name, tmpdir);
	closedir(d);
	sweep_axis_release(&spec.axes[0]);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_test(tc, axes_parse_keys_and_values);
	tcase_add_test(tc, a_tiny_grid_runs_every_cell_in_order);
	tcase_add_test(tc, identical_cells_are_flagged);
	tcase_add_test(tc, sweep_refuses_a_bad_grid);
	tcase_add_test(tc, sweep_unknown_key_leaves_nothing);
	tcase_add_test(tc, sweep_bad_cell_stops_before_anything_runs);
}

CHECK_MAIN("sweep", add_tests, 120)
