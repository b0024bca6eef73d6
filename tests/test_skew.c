/* Tests for eval/skew.c: a batch job run for three simulated days, pages
 * logged at set times with the batch features serving read then; the
 * as-known-at join gives back exactly what was served (no skew, nothing
 * written later leaks in), a served cell that disagrees is counted as skew
 * and replaced by the offline value, rows already joined are left alone,
 * and impressions before the first daily job find nothing. */
#include "eval/skew.h"

#include <check.h>
#include <math.h>
#include <string.h>

#include "common/calendar.h"
#include "engine/batchjob.h"
#include "engine/catalog.h"
#include "eval/implog.h"
#include "tests/catfix.h"
#include "tests/defaults.h"
#include "tests/check_main.h"
#include "tests/tmpdir.h"

#define USERS 10
#define SHOWS 6
#define STRIDE (BATCHJOB_USER_WIDTH + BATCHJOB_CREATOR_WIDTH + BATCHJOB_USER_TOPIC_WIDTH + \
		BATCHJOB_USER_CREATOR_WIDTH)

static const size_t offsets[SKEW_GROUPS] = {
	0, BATCHJOB_USER_WIDTH, BATCHJOB_USER_WIDTH + BATCHJOB_CREATOR_WIDTH,
	BATCHJOB_USER_WIDTH + BATCHJOB_CREATOR_WIDTH + BATCHJOB_USER_TOPIC_WIDTH,
};

struct fixture {
	struct calendar *cal;
	struct batchjob *bj;
	struct catalog *cat;
	struct implog *log;
	uint64_t next_id;
	uint32_t session;
};

static uint32_t creator_of(uint32_t show) { return show % 3; }
static uint16_t topic_of(uint32_t show) { return (uint16_t)(show % 2); }

static void accept(struct fixture *f, int type, simtime t, uint32_t user, uint32_t show,
		   uint32_t session, int64_t value)
{
	struct event e;

	memset(&e, 0, sizeof(e));
	e.id = ++f->next_id;
	e.type = (uint8_t)type;
	e.emit_time = t;
	e.user = user;
	e.show = show;
	e.creator = show == EVENT_NONE ? EVENT_NONE : creator_of(show);
	e.topic = show == EVENT_NONE ? UINT16_MAX : topic_of(show);
	e.session = session;
	e.position = UINT16_MAX;
	e.value = value;
	batchjob_accept(f->bj, &e);
}

static void hourly_end(void *ctx, uint64_t h, simtime now)
{
	struct fixture *f = ctx;
	uint32_t u = (uint32_t)(h % USERS), s = (uint32_t)(h % SHOWS);

	accept(f, EVENT_LISTEN_END, now, u, s, EVENT_NONE, 20 * SIMTIME_MIN);
}

/* Every hour: a user opens the app, listens 20 minutes to a show, likes
 * it every other hour, follows its creator every fifth. */
static void hourly(void *ctx, uint64_t h, simtime now)
{
	struct fixture *f = ctx;
	uint32_t u = (uint32_t)(h % USERS), s = (uint32_t)(h % SHOWS), sess = f->session++;

	accept(f, EVENT_APP_OPEN, now, u, EVENT_NONE, sess, 0);
	accept(f, EVENT_LISTEN_START, now, u, s, sess, 0);
	if (h % 2 == 0)
		accept(f, EVENT_LIKE, now, u, s, sess, 0);
	if (h % 5 == 0)
		accept(f, EVENT_FOLLOW, now, u, s, sess, 0);
	calendar_schedule(f->cal, now + 20 * SIMTIME_MIN, hourly_end, f, h);
	if (now + SIMTIME_HOUR < 3 * SIMTIME_DAY)
		calendar_schedule(f->cal, now + SIMTIME_HOUR, hourly, f, h + 1);
}

/* Log a page of every show for user (arg % USERS) with the batch features
 * serving reads right now, as eval/worldrun does. */
static void log_page(void *ctx, uint64_t arg, simtime now)
{
	struct fixture *f = ctx;
	uint32_t u = (uint32_t)(arg % USERS), sess = f->session++;
	float rows[SHOWS][STRIDE];
	const float *ptr[SHOWS];
	uint32_t shows[SHOWS];

	for (uint32_t s = 0; s < SHOWS; s++) {
		uint32_t c = creator_of(s);
		uint16_t t = topic_of(s);

		batchjob_user_features(f->bj, &u, 1, now, rows[s] + offsets[0]);
		batchjob_creator_features(f->bj, &c, 1, now, rows[s] + offsets[1]);
		batchjob_user_topic_features(f->bj, &u, &t, 1, now, rows[s] + offsets[2]);
		batchjob_user_creator_features(f->bj, &u, &c, 1, now, rows[s] + offsets[3]);
		ptr[s] = rows[s];
		shows[s] = s;
	}
	implog_page(f->log, u, sess, now, shows, ptr, SHOWS, false);
}

/* Pages at day 0 10:00 (before any daily job), day 1 10:00 (day 0's
 * features served, day 1's not yet written), day 2 23:00 (day 2's). */
static const simtime page_at[] = { 10 * SIMTIME_HOUR, SIMTIME_DAY + 10 * SIMTIME_HOUR,
				   2 * SIMTIME_DAY + 23 * SIMTIME_HOUR };

static void fixture_run(struct fixture *f)
{
	struct batchjob_config cfg;
	struct error err;

	memset(f, 0, sizeof(*f));
	cfg = test_defaults()->batch;
	f->cal = calendar_new(0, 256);
	f->bj = batchjob_new(&cfg, tmpdir, f->cal, NULL, NULL, NULL, &err);
	ck_assert_msg(f->bj != NULL, "%s", err.msg);
	f->cat = catalog_new(SHOWS);
	for (uint32_t s = 0; s < SHOWS; s++)
		catfix_schedule(f->cat, s, creator_of(s), topic_of(s), 0);
	f->log = implog_new(STRIDE, 1000, 1.0, 1);
	calendar_schedule(f->cal, 0, hourly, f, 0);
	for (size_t i = 0; i < 3; i++)
		for (uint64_t u = 0; u < USERS; u++)
			calendar_schedule(f->cal, page_at[i], log_page, f, u);
	calendar_run_until(f->cal, 3 * SIMTIME_DAY);
	ck_assert_uint_ge(batchjob_successes(f->bj), 3);
	ck_assert_uint_eq(implog_rows(f->log), 3 * USERS * SHOWS);
}

static void fixture_free(struct fixture *f)
{
	implog_free(f->log);
	catalog_free(f->cat);
	batchjob_free(f->bj);
	calendar_free(f->cal);
}

START_TEST(the_join_gives_back_what_was_served)
{
	struct fixture f;
	struct skew_report rep;
	struct error err;
	static float before[3 * USERS * SHOWS * STRIDE];
	size_t rows_per_page = USERS * SHOWS;

	fixture_run(&f);
	memcpy(before, implog_features(f.log), sizeof(before));
	ck_assert_msg(skew_join(f.log, 0, f.bj, f.cat, offsets, &rep, &err) == 0, "%s", err.msg);
	for (int g = 0; g < SKEW_GROUPS; g++) {
		ck_assert_ptr_nonnull(rep.group[g]);
		ck_assert_uint_gt(rep.cells[g], 0);
		ck_assert_msg(rep.mismatched[g] == 0, "%s: %llu cells differ", rep.group[g],
			      (unsigned long long)rep.mismatched[g]);
		ck_assert_uint_gt(rep.found[g], 0);
		ck_assert_double_eq(rep.abs_diff_sum[g], 0);
	}
	ck_assert_str_eq(rep.group[0], "user");
	/* the training rows now hold the joined values: the same bits */
	for (size_t i = 0; i < 3 * rows_per_page * STRIDE; i++) {
		float a = before[i], b = implog_features(f.log)[i];

		ck_assert(memcmp(&a, &b, sizeof(a)) == 0 || (isnan(a) && isnan(b)));
	}
	/* before the first daily job there was nothing to serve or to find */
	for (size_t i = 0; i < rows_per_page * STRIDE; i++)
		ck_assert(isnan(implog_features(f.log)[i]));
	fixture_free(&f);
}
END_TEST

/* A served value the offline store contradicts is skew: counted in its
 * group with its absolute difference, and the training row gets the
 * as-known-at value.  Rows before first_row are not touched again. */
START_TEST(a_disagreeing_cell_is_skew_and_is_replaced)
{
	struct fixture f;
	struct skew_report rep;
	struct error err;
	size_t row = USERS * SHOWS + 3, col = offsets[1] + 2;   /* a creator feature, day 1 */
	float *cell, truth, junk = -12345;

	fixture_run(&f);
	cell = &implog_features_mut(f.log)[row * STRIDE + col];
	truth = *cell;
	ck_assert(!isnan(truth));
	*cell = truth + 1;
	implog_features_mut(f.log)[0] = junk;                    /* row 0: day 0, skipped */
	ck_assert_int_eq(skew_join(f.log, USERS * SHOWS, f.bj, f.cat, offsets, &rep, &err), 0);
	ck_assert_uint_eq(rep.mismatched[1], 1);
	ck_assert_double_eq(rep.abs_diff_sum[1], 1);
	ck_assert_uint_eq(rep.mismatched[0] + rep.mismatched[2] + rep.mismatched[3], 0);
	ck_assert_uint_eq(rep.cells[0], 2 * USERS * SHOWS * BATCHJOB_USER_WIDTH);
	ck_assert(*cell == truth);
	ck_assert(implog_features(f.log)[0] == junk);
	/* nothing left to join */
	ck_assert_int_eq(skew_join(f.log, implog_rows(f.log), f.bj, f.cat, offsets, &rep, &err), 0);
	ck_assert_uint_eq(rep.cells[0], 0);
	fixture_free(&f);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_test(tc, the_join_gives_back_what_was_served);
	tcase_add_test(tc, a_disagreeing_cell_is_skew_and_is_replaced);
}

CHECK_MAIN("skew", add_tests, 60)
