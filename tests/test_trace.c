/* Tests for common/trace.c: binary and CSV round trips, corruption,
 * malformed CSV rows reported by row and column. */
#include "common/trace.h"
#include "common/idmap.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "tests/check_main.h"
#include "tests/tmpdir.h"

static char path[128];

#define N 500
static struct event got[N];
static size_t n_got;

static int collect(void *ctx, const struct event *ev)
{
	(void)ctx;
	ck_assert_uint_lt(n_got, N);
	got[n_got++] = *ev;
	return 0;
}

static void make_events(struct event *ev)
{
	for (int i = 0; i < N; i++) {
		memset(&ev[i], 0, sizeof(ev[i]));
		ev[i].id = (uint64_t)i + 1;
		ev[i].emit_time = (simtime)i * 1000 + 7;
		ev[i].value = i % 3 == 0 ? -5 : (int64_t)i * 1000000;
		ev[i].type = (uint8_t)(1 + i % (EVENT_TYPE_COUNT - 1));
		ev[i].user = i % 4 == 0 ? EVENT_NONE : (uint32_t)i * 11;
		ev[i].show = i % 5 == 0 ? EVENT_NONE : (uint32_t)i;
		ev[i].creator = i % 5 == 0 ? EVENT_NONE : (uint32_t)i / 3;
		ev[i].session = i % 2 ? EVENT_NONE : (uint32_t)i;
		ev[i].topic = i % 5 == 0 ? UINT16_MAX : (uint16_t)(i % 16);
		ev[i].position = i % 7 ? UINT16_MAX : (uint16_t)(i % 10);
		ev[i].source = (uint8_t)(i % 5);
	}
}

static void round_trip(enum trace_format fmt, const char *name)
{
	static struct event ev[N];
	struct trace_writer *tw;
	struct trace_report rep;
	struct error err;

	make_events(ev);
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	tw = trace_writer_open(path, fmt, &err);
	ck_assert_ptr_nonnull(tw);
	for (int i = 0; i < N; i++)
		trace_writer_emit(tw, &ev[i]);
	ck_assert_uint_eq(trace_writer_count(tw), N);
	ck_assert_int_eq(access(path, F_OK), -1);     /* nothing visible before close */
	ck_assert_int_eq(trace_writer_close(tw, &err), 0);
	n_got = 0;
	ck_assert_int_eq(trace_read(path, collect, NULL, &rep, &err), 0);
	ck_assert_int_eq(rep.format, fmt);
	ck_assert_uint_eq(rep.accepted, N);
	ck_assert_uint_eq(rep.malformed, 0);
	ck_assert_uint_eq(n_got, N);
	ck_assert(memcmp(got, ev, sizeof(ev)) == 0);
}

START_TEST(binary_round_trip)
{
	round_trip(TRACE_BINARY, "t.bin");
}
END_TEST

START_TEST(csv_round_trip)
{
	round_trip(TRACE_CSV, "t.csv");
}
END_TEST

START_TEST(damaged_binary_is_refused)
{
	struct trace_report rep;
	struct error err;
	FILE *f;

	round_trip(TRACE_BINARY, "t.bin");
	f = fopen(path, "r+b");
	ck_assert_ptr_nonnull(f);
	fseek(f, 64 + 48 * 10 + 3, SEEK_SET);
	fputc(0x5a, f);
	fclose(f);
	n_got = 0;
	ck_assert_int_eq(trace_read(path, collect, NULL, &rep, &err), ERR_CORRUPT);
	ck_assert_ptr_nonnull(strstr(err.msg, "checksum"));
	ck_assert_uint_eq(n_got, 0);
	/* Truncated. */
	ck_assert_int_eq(truncate(path, 64 + 48 * 3 + 5), 0);
	ck_assert_int_eq(trace_read(path, collect, NULL, &rep, &err), ERR_INPUT);
	ck_assert_msg(strstr(err.msg, "field 'record count'"), "%s", err.msg);
}
END_TEST

START_TEST(malformed_csv_rows_are_reported_and_counted)
{
	static const char text[] =
		TRACE_CSV_HEADER "\n"
		"1,100,app_open,5,,,0,,,none,0\n"
		"2,200,listen_start,5,3,1,0,4,2,home,0\n"
		"3,300,dance,5,3,1,0,4,2,home,0\n"           /* row 4: type */
		"4,300,like,5,x3,1,0,4,2,home,0\n"           /* row 5: show */
		"5,300,like,5,3,1,0,4\n"                      /* row 6: position missing */
		"2,400,like,5,3,1,0,4,2,home,0\n"            /* row 7: id not increasing */
		"6,150,like,5,3,1,0,4,2,home,0\n"            /* row 8: time backwards */
		"7,500,like,5,3,1,0,70000,2,home,0\n"        /* row 9: topic range */
		"8,500,like,5,3,1,0,4,2,radio,0\n"           /* row 10: source */
		"9,600,listen_end,5,3,1,0,4,2,home,60000000\n";
	struct trace_report rep;
	struct error err;
	FILE *f;

	snprintf(path, sizeof(path), "%s/t.csv", tmpdir);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	n_got = 0;
	ck_assert_int_eq(trace_read(path, collect, NULL, &rep, &err), ERR_INPUT);
	ck_assert_uint_eq(rep.rows, 10);
	ck_assert_uint_eq(rep.malformed, 7);
	ck_assert_uint_eq(rep.accepted, 3);
	ck_assert_uint_eq(n_got, 3);
	ck_assert_uint_eq(got[2].value, 60000000);
	ck_assert_uint_eq(rep.n_messages, 7);
	ck_assert_ptr_nonnull(strstr(rep.messages[0], ":4: column 'type'"));
	ck_assert_ptr_nonnull(strstr(rep.messages[1], ":5: column 'show'"));
	ck_assert_ptr_nonnull(strstr(rep.messages[2], ":6: column 'position'"));
	ck_assert_ptr_nonnull(strstr(rep.messages[3], ":7: column 'id'"));
	ck_assert_ptr_nonnull(strstr(rep.messages[4], ":8: column 'emit_time_us'"));
	ck_assert_ptr_nonnull(strstr(rep.messages[5], ":9: column 'topic'"));
	ck_assert_ptr_nonnull(strstr(rep.messages[6], ":10: column 'source'"));
	ck_assert_ptr_nonnull(strstr(err.msg, "7 malformed rows of 10"));
}
END_TEST

START_TEST(bad_header_and_missing_file)
{
	struct error err;
	FILE *f;

	snprintf(path, sizeof(path), "%s/t.csv", tmpdir);
	f = fopen(path, "w");
	fputs("id,time\n1,2\n", f);
	fclose(f);
	ck_assert_int_eq(trace_read(path, collect, NULL, NULL, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, ":1: bad header"));
	snprintf(path, sizeof(path), "%s/none.csv", tmpdir);
	ck_assert_int_eq(trace_read(path, collect, NULL, NULL, &err), ERR_IO);
	snprintf(path, sizeof(path), "%s/no/such/dir.csv", tmpdir);
	ck_assert_ptr_null(trace_writer_open(path, TRACE_CSV, &err));
	ck_assert_int_eq(err.code, ERR_IO);
}
END_TEST

/* Write events as a binary trace, unchecked (the writer copies them). */
static void write_binary(const char *name, const struct event *ev, size_t n)
{
	struct trace_writer *tw;
	struct error err;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	tw = trace_writer_open(path, TRACE_BINARY, &err);
	ck_assert_ptr_nonnull(tw);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(trace_writer_add(tw, &ev[i], &err), 0);
	ck_assert_int_eq(trace_writer_close(tw, &err), 0);
}

/* Issue 18: binary records skipped the field checks CSV rows get (an event
 * type of 200, a source of 99, an id of 0 were accepted); now each is
 * refused, counted and named by record, and nothing is handed on. */
START_TEST(binary_records_pass_the_csv_field_checks)
{
	static struct event ev[N];
	struct trace_report rep;
	struct error err = { 0 };

	make_events(ev);
	ev[3].type = 200;
	ev[7].source = 99;
	ev[9].id = 0;
	ev[20].emit_time = -1;
	ev[30].id = ev[29].id;
	write_binary("bad.bin", ev, N);
	n_got = 0;
	ck_assert_int_eq(trace_read(path, collect, NULL, &rep, &err), ERR_INPUT);
	ck_assert_uint_eq(n_got, 0);
	ck_assert_uint_eq(rep.malformed, 5);
	ck_assert_msg(strstr(err.msg, "5 malformed records of 500"), "%s", err.msg);
	ck_assert_msg(strstr(rep.messages[0], "record 4: field 'type': unknown event type"), "%s",
		      rep.messages[0]);
	ck_assert_msg(strstr(rep.messages[1], "record 8: field 'source'"), "%s", rep.messages[1]);
	ck_assert_msg(strstr(rep.messages[2], "record 10: field 'id': id must be > 0"), "%s",
		      rep.messages[2]);
	ck_assert_msg(strstr(rep.messages[3], "record 21: field 'emit_time_us'"), "%s",
		      rep.messages[3]);
	ck_assert_msg(strstr(rep.messages[4], "record 31: field 'id': id not increasing"), "%s",
		      rep.messages[4]);
	/* every id 0 */
	make_events(ev);
	for (int i = 0; i < N; i++)
		ev[i].id = 0;
	write_binary("zero.bin", ev, N);
	ck_assert_int_eq(trace_read(path, collect, NULL, &rep, &err), ERR_INPUT);
	ck_assert_uint_eq(rep.malformed, N);
	/* the CSV reader refuses the same values */
	snprintf(path, sizeof(path), "%s/bad.csv", tmpdir);
	{
		FILE *f = fopen(path, "w");

		fprintf(f, "%s\n1,5,app_open,1,,,0,,,none,0\n2,6,like,1,2,3,,,,bogus,0\n"
			"0,7,like,1,2,3,,,,none,0\n", TRACE_CSV_HEADER);
		fclose(f);
	}
	ck_assert_int_eq(trace_read(path, collect, NULL, &rep, &err), ERR_INPUT);
	ck_assert_uint_eq(rep.malformed, 2);
}
END_TEST

/* Issue 18: a header count of n + 2^60 wrapped the size check (count * 48)
 * and ended in "short read", exit 1; it is a bad header field (ERR_INPUT,
 * exit 2) naming the file and the field. */
START_TEST(a_wrapping_record_count_is_a_bad_header_field)
{
	static struct event ev[N];
	struct trace_report rep;
	struct error err = { 0 };
	unsigned char c[8];
	uint64_t count = (uint64_t)N + (1ULL << 60);
	FILE *f;

	make_events(ev);
	write_binary("wrap.bin", ev, N);
	for (int i = 0; i < 8; i++)
		c[i] = (unsigned char)(count >> (8 * i));
	f = fopen(path, "r+b");
	ck_assert_ptr_nonnull(f);
	fseek(f, 24, SEEK_SET);
	fwrite(c, 1, 8, f);
	fclose(f);
	n_got = 0;
	ck_assert_int_eq(trace_read(path, collect, NULL, &rep, &err), ERR_INPUT);
	ck_assert_msg(strstr(err.msg, "wrap.bin") && strstr(err.msg, "field 'record count' is "
							      "1152921504606847476"), "%s", err.msg);
	ck_assert_uint_eq(n_got, 0);
}
END_TEST

/* Issue 18: a killed export left FILE.tmp behind.  A dead writer's
 * FILE.tmp (no lock) is taken over by the next export to FILE and gone
 * once it commits; a live writer's (flock'ed) is refused, not clobbered. */
START_TEST(a_dead_exports_tmp_is_taken_over_a_live_ones_refused)
{
	struct event ev = { .id = 1, .emit_time = 5, .type = EVENT_APP_OPEN, .user = 1,
			    .show = EVENT_NONE, .creator = EVENT_NONE, .session = 0,
			    .topic = UINT16_MAX, .position = UINT16_MAX };
	char tmp[160];
	struct trace_writer *tw;
	struct trace_report rep;
	struct error err;
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%s/t.bin", tmpdir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");                       /* a killed export's leftover */
	ck_assert_ptr_nonnull(f);
	fputs("half a trace", f);
	ck_assert_int_eq(fclose(f), 0);
	tw = trace_writer_open(path, TRACE_BINARY, &err);
	ck_assert_msg(tw != NULL, "%s", err.msg);
	trace_writer_emit(tw, &ev);
	ck_assert_int_eq(trace_writer_close(tw, &err), 0);
	ck_assert_int_eq(access(tmp, F_OK), -1);
	n_got = 0;
	ck_assert_int_eq(trace_read(path, collect, NULL, &rep, &err), 0);
	ck_assert_uint_eq(n_got, 1);
	/* a live one: its FILE.tmp locked */
	fd = open(tmp, O_RDWR | O_CREAT, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
	ck_assert_ptr_null(trace_writer_open(path, TRACE_BINARY, &err));
	ck_assert_int_eq(err.code, ERR_INPUT);
	ck_assert_msg(strstr(err.msg, "being written by another process"), "%s", err.msg);
	close(fd);
	tw = trace_writer_open(path, TRACE_CSV, &err);   /* its writer died: free again */
	ck_assert_msg(tw != NULL, "%s", err.msg);
	trace_writer_abort(tw);
	ck_assert_int_eq(access(tmp, F_OK), -1);
}
END_TEST

/* A trace recorded elsewhere: text and sparse ids mapped to dense ones in
 * order of first appearance (dense integers kept), absolute times from
 * the epoch day, propensity columns packed into the impression's value. */
START_TEST(text_ids_absolute_times_and_propensities)
{
	static const char text[] =
		"id,emit_time,type,user,show,creator,session,topic,position,source,value,"
		"propensity,propensity_marginal\n"
		"1,2022-05-02T00:00:01Z,app_open,alice,,,s-9,,,none,0,,\n"
		"2,2022-05-02 02:00:01.5+02:00,impression,alice,show-x,900000000001,s-9,7,0,home,0,0.25,0.125\n"
		"3,1651449602.25,impression,bob,show-y,900000000001,s-9,7,1,home,0,,\n"
		"4,1651449603,listen_start,alice,show-x,17,s-9,7,0,home,0\n";
	struct trace_options opts = { .map_ids = true, .epoch_day = 19114 };   /* 2022-05-02 */
	struct trace_report rep;
	struct trace_ids ids = { 0 };
	struct error err;
	char desc[256];
	double c, m;
	FILE *f;

	snprintf(path, sizeof(path), "%s/t.csv", tmpdir);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	n_got = 0;
	/* row 5 has 11 columns where the header says 13 */
	ck_assert_int_eq(trace_read_ext(path, &opts, collect, NULL, &rep, &ids, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(rep.messages[0], ":5: column 'propensity'"));
	trace_ids_release(&ids);
	f = fopen(path, "w");
	fputs(text, f);
	fputs("", f);
	fclose(f);
	{
		/* the same rows, the last with both extra columns */
		char fixed[sizeof(text) + 8];

		snprintf(fixed, sizeof(fixed), "%.*s,,\n", (int)(sizeof(text) - 2), text);
		f = fopen(path, "w");
		fputs(fixed, f);
		fclose(f);
	}
	n_got = 0;
	ck_assert_msg(trace_read_ext(path, &opts, collect, NULL, &rep, &ids, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(n_got, 4);
	trace_ids_finish(&ids);
	for (size_t i = 0; i < n_got; i++)
		trace_ids_apply(&ids, &got[i]);
	ck_assert_int_eq(got[0].emit_time, 1000000);
	ck_assert_int_eq(got[1].emit_time, 1500000);    /* 02:00:01.5 at +02:00 */
	ck_assert_int_eq(got[2].emit_time, 2250000);
	ck_assert_int_eq(got[3].emit_time, 3000000);
	ck_assert_uint_eq(got[0].user, 0);               /* alice */
	ck_assert_uint_eq(got[2].user, 1);               /* bob */
	ck_assert_uint_eq(got[1].show, 0);
	ck_assert_uint_eq(got[2].show, 1);
	ck_assert_uint_eq(got[1].creator, 0);            /* sparse: mapped */
	ck_assert_uint_eq(got[3].creator, 1);
	ck_assert(ids.mapped[TRACE_ID_CREATOR] && ids.mapped[TRACE_ID_USER]);
	ck_assert(!ids.mapped[TRACE_ID_TOPIC]);          /* dense integers: kept */
	ck_assert_uint_eq(got[1].topic, 7);
	event_propensities(got[1].value, &c, &m);
	ck_assert(c == 0.25 && m == 0.125);
	event_propensities(got[2].value, &c, &m);
	ck_assert(isnan(c) && isnan(m));
	trace_ids_describe(&ids, desc, sizeof(desc));
	ck_assert_msg(strstr(desc, "users mapped from text (2)") && strstr(desc, "absolute times") &&
		      strstr(desc, "creators mapped from sparse integers (2)"), "%s", desc);
	snprintf(path, sizeof(path), "%s/ids.csv", tmpdir);
	ck_assert_int_eq(trace_ids_write_csv(&ids, path, &err), 0);
	trace_ids_release(&ids);
	/* absolute times need an epoch: the plain reader refuses them */
	snprintf(path, sizeof(path), "%s/t.csv", tmpdir);
	ck_assert_int_eq(trace_read(path, collect, NULL, NULL, &err), ERR_INPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "start date"));
}
END_TEST

START_TEST(times_before_the_epoch_and_bad_times_are_malformed)
{
	static const char text[] =
		"id,emit_time,type,user,show,creator,session,topic,position,source,value\n"
		"1,2022-05-01T23:59:59Z,app_open,a,,,s,,,none,0\n"
		"2,2022-13-02T00:00:00Z,app_open,a,,,s,,,none,0\n"
		"3,yesterday,app_open,a,,,s,,,none,0\n"
		"4,2022-05-02T00:00:00+2:00,app_open,a,,,s,,,none,0\n";
	struct trace_options opts = { .map_ids = true, .epoch_day = 19114 };
	struct trace_report rep;
	struct trace_ids ids = { 0 };
	struct error err;
	FILE *f;

	snprintf(path, sizeof(path), "%s/t.csv", tmpdir);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	ck_assert_int_eq(trace_read_ext(path, &opts, collect, NULL, &rep, &ids, &err), ERR_INPUT);
	ck_assert_uint_eq(rep.malformed, 4);
	ck_assert_ptr_nonnull(strstr(rep.messages[0], ":2: column 'emit_time': before the scenario's start date"));
	ck_assert_ptr_nonnull(strstr(rep.messages[1], ":3: column 'emit_time'"));
	ck_assert_ptr_nonnull(strstr(rep.messages[3], "UTC offset"));
	trace_ids_release(&ids);
}
END_TEST

/* The id map through the doublings of its table (1,024 slots to 131,072): dense ids in order of
 * first appearance, every text found again after growth, the numeric
 * flag and the largest value kept (asserts only on a failure: Check marks
 * every passing assertion). */
START_TEST(idmap_keeps_every_id_through_growth)
{
	enum { IDS = 50000 };
	struct idmap *m = idmap_new();
	char buf[32];
	size_t bad = 0;

	for (uint32_t i = 0; i < IDS; i++) {
		int len = snprintf(buf, sizeof(buf), "%u", i * 7u);

		bad += idmap_get(m, buf, (size_t)len) != i;
	}
	ck_assert_uint_eq(bad, 0);
	ck_assert_uint_eq(idmap_count(m), IDS);
	ck_assert(idmap_all_numeric(m));
	ck_assert_uint_eq(idmap_max(m), (uint64_t)(IDS - 1) * 7);
	for (uint32_t i = 0; i < IDS; i += 3) {
		int len = snprintf(buf, sizeof(buf), "%u", i * 7u);

		bad += idmap_get(m, buf, (size_t)len) != i || strcmp(idmap_text(m, i), buf) != 0;
	}
	ck_assert_uint_eq(bad, 0);
	/* the length counts, not the NUL: "7" of "70" is id 1 (7 = 1 x 7) */
	ck_assert_uint_eq(idmap_get(m, "70", 1), 1);
	ck_assert_uint_eq(idmap_get(m, "u_8f3a", 6), IDS);
	ck_assert_uint_eq(idmap_get(m, "u_8f3a", 6), IDS);
	ck_assert(!idmap_all_numeric(m));
	idmap_free(m);
	idmap_free(NULL);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_test(tc, binary_round_trip);
	tcase_add_test(tc, idmap_keeps_every_id_through_growth);
	tcase_add_test(tc, csv_round_trip);
	tcase_add_test(tc, damaged_binary_is_refused);
	tcase_add_test(tc, malformed_csv_rows_are_reported_and_counted);
	tcase_add_test(tc, bad_header_and_missing_file);
	tcase_add_test(tc, binary_records_pass_the_csv_field_checks);
	tcase_add_test(tc, a_wrapping_record_count_is_a_bad_header_field);
	tcase_add_test(tc, a_dead_exports_tmp_is_taken_over_a_live_ones_refused);
	tcase_add_test(tc, text_ids_absolute_times_and_propensities);
	tcase_add_test(tc, times_before_the_epoch_and_bad_times_are_malformed);
}

CHECK_MAIN("trace", add_tests, 60)
