/* Tests for engine/bus.c: fan-out to every subscription of a topic, type
 * filters, refusals counted and reported, publish latency min + Exp(mean)
 * reproducible per seed and independent across subscriptions. */
#include "engine/bus.h"

#include <check.h>
#include <math.h>
#include <string.h>

#include "tests/check_main.h"

#define MAX_SEEN 64

struct sink {
	int refuse;                 /* return this code (0: accept) */
	size_t n;
	uint64_t ids[MAX_SEEN];
	simtime delays[MAX_SEEN];
	double sum_delay, sum_sq;   /* over every delivery */
	size_t deliveries;
};

static int deliver(void *ctx, const struct event *ev, simtime now, simtime delay)
{
	struct sink *s = ctx;

	(void)now;
	if (s->refuse)
		return s->refuse;
	if (s->n < MAX_SEEN) {
		s->ids[s->n] = ev->id;
		s->delays[s->n] = delay;
		s->n++;
	}
	s->sum_delay += (double)delay;
	s->sum_sq += (double)delay * (double)delay;
	s->deliveries++;
	return 0;
}

static struct event ev_of(uint64_t id, int type)
{
	struct event e = { .id = id, .emit_time = 0, .type = (uint8_t)type,
			   .user = EVENT_NONE, .show = EVENT_NONE };

	return e;
}

START_TEST(fans_out_to_every_subscription_of_the_topic)
{
	struct bus *b = bus_new(1);
	struct bus_latency fixed = { 5 * SIMTIME_MS, 0 };
	struct sink a = { 0 }, c = { 0 }, other = { 0 };
	struct error err;
	struct event e = ev_of(7, EVENT_LIKE);

	ck_assert_int_eq(bus_subscribe(b, 0, 0, fixed, deliver, &a, &err), 0);
	ck_assert_int_eq(bus_subscribe(b, 0, 0, fixed, deliver, &c, &err), 1);
	ck_assert_int_eq(bus_subscribe(b, 1, 0, fixed, deliver, &other, &err), 2);
	ck_assert_uint_eq(bus_sub_count(b), 3);
	ck_assert_int_eq(bus_publish(b, 0, &e, 100), 0);
	ck_assert_uint_eq(a.n, 1);
	ck_assert_uint_eq(c.n, 1);
	ck_assert_uint_eq(other.n, 0);           /* another topic */
	ck_assert_uint_eq(a.ids[0], 7);
	ck_assert(a.delays[0] == 5 * SIMTIME_MS); /* no exponential part: exactly min */
	ck_assert_uint_eq(bus_published(b), 1);
	ck_assert_uint_eq(bus_sub_stats(b, 0)->delivered, 1);
	ck_assert_uint_eq(bus_sub_stats(b, 2)->delivered, 0);
	bus_free(b);
}
END_TEST

START_TEST(filters_by_event_type)
{
	struct bus *b = bus_new(1);
	struct bus_latency zero = { 0, 0 };
	struct sink likes = { 0 };
	struct error err;
	uint32_t mask = bus_type_bit(EVENT_LIKE) | bus_type_bit(EVENT_FOLLOW);
	static const int types[] = { EVENT_LIKE, EVENT_APP_OPEN, EVENT_FOLLOW, EVENT_IMPRESSION,
				     EVENT_LIKE };

	ck_assert_int_eq(bus_subscribe(b, 0, mask, zero, deliver, &likes, &err), 0);
	for (size_t i = 0; i < 5; i++) {
		struct event e = ev_of(i + 1, types[i]);

		ck_assert_int_eq(bus_publish(b, 0, &e, 0), 0);
	}
	ck_assert_uint_eq(likes.n, 3);
	ck_assert_uint_eq(likes.ids[0], 1);
	ck_assert_uint_eq(likes.ids[1], 3);
	ck_assert_uint_eq(likes.ids[2], 5);
	ck_assert_uint_eq(bus_sub_stats(b, 0)->delivered, 3);
	ck_assert_uint_eq(bus_sub_stats(b, 0)->filtered, 2);
	bus_free(b);
}
END_TEST

/* A refusal is reported and counted, and the other subscriptions still get
 * the event: nothing is dropped silently. */
START_TEST(refusals_are_counted_and_others_still_delivered)
{
	struct bus *b = bus_new(1);
	struct bus_latency zero = { 0, 0 };
	struct sink full = { .refuse = ERR_FULL }, ok = { 0 };
	struct error err;
	struct event e = ev_of(1, EVENT_LIKE);

	ck_assert_int_eq(bus_subscribe(b, 0, 0, zero, deliver, &full, &err), 0);
	ck_assert_int_eq(bus_subscribe(b, 0, 0, zero, deliver, &ok, &err), 1);
	ck_assert_int_eq(bus_publish(b, 0, &e, 0), ERR_FULL);
	ck_assert_int_eq(bus_publish(b, 0, &e, 0), ERR_FULL);
	ck_assert_uint_eq(bus_sub_stats(b, 0)->refused, 2);
	ck_assert_uint_eq(bus_sub_stats(b, 0)->delivered, 0);
	ck_assert_uint_eq(bus_sub_stats(b, 1)->delivered, 2);
	ck_assert_uint_eq(ok.n, 2);
	bus_free(b);
}
END_TEST

START_TEST(bad_subscriptions_are_refused)
{
	struct bus *b = bus_new(1);
	struct bus_latency zero = { 0, 0 }, neg = { -1, 0 };
	struct sink s = { 0 };
	struct error err;

	ck_assert_int_eq(bus_subscribe(b, 0, 0, neg, deliver, &s, &err), ERR_INPUT);
	ck_assert_int_eq(bus_subscribe(b, 0, 0, zero, NULL, &s, &err), ERR_INPUT);
	for (int i = 0; i < BUS_MAX_SUBS; i++)
		ck_assert_int_eq(bus_subscribe(b, 0, 0, zero, deliver, &s, &err), i);
	ck_assert_int_eq(bus_subscribe(b, 0, 0, zero, deliver, &s, &err), ERR_FULL);
	ck_assert_ptr_nonnull(strstr(err.msg, "subscriptions"));
	ck_assert_uint_eq(bus_sub_count(b), BUS_MAX_SUBS);
	bus_free(b);
}
END_TEST

/* Delay = min + Exp(mean): over N = 20,000 draws the sample mean of the
 * exponential part has sd mean / sqrt(N) = 0.7 % of the mean; we allow
 * 5 sd (3.5 %).  Its sd equals its mean (coefficient of variation 1); the
 * sample sd has relative sd sqrt((kurtosis - 1) / 4N) = sqrt(2 / N) = 1 %
 * (an exponential's kurtosis is 9): we allow 5 sd (5 %). */
START_TEST(latency_is_min_plus_exponential)
{
	struct bus *b = bus_new(42);
	struct bus_latency lat = { 2 * SIMTIME_MS, 10 * SIMTIME_MS };
	struct sink s = { 0 };
	struct error err;
	const size_t n = 20000;
	double mean, sd;

	ck_assert_int_eq(bus_subscribe(b, 3, 0, lat, deliver, &s, &err), 0);
	for (size_t i = 0; i < n; i++) {
		struct event e = ev_of(i + 1, EVENT_LISTEN_START);

		ck_assert_int_eq(bus_publish(b, 3, &e, (simtime)i), 0);
	}
	ck_assert_uint_eq(s.deliveries, n);
	for (size_t i = 0; i < s.n; i++)
		ck_assert(s.delays[i] >= lat.min);
	mean = s.sum_delay / (double)n - (double)lat.min;
	sd = sqrt(s.sum_sq / (double)n - (s.sum_delay / (double)n) * (s.sum_delay / (double)n));
	ck_assert_msg(fabs(mean / (double)lat.mean_extra - 1) < 0.035, "mean extra %g us", mean);
	ck_assert_msg(fabs(sd / (double)lat.mean_extra - 1) < 0.05, "sd %g us", sd);
	bus_free(b);
}
END_TEST

/* Same seed, same delays; another subscription beside it does not move a
 * subscription's draws (each has its own stream); another seed differs. */
START_TEST(latency_draws_are_reproducible_and_independent)
{
	struct bus_latency lat = { 0, SIMTIME_MS };
	struct sink a1 = { 0 }, a2 = { 0 }, extra = { 0 }, a3 = { 0 };
	struct bus *b1 = bus_new(9), *b2 = bus_new(9), *b3 = bus_new(10);
	struct error err;

	ck_assert_int_eq(bus_subscribe(b1, 0, 0, lat, deliver, &a1, &err), 0);
	ck_assert_int_eq(bus_subscribe(b2, 0, 0, lat, deliver, &a2, &err), 0);
	ck_assert_int_eq(bus_subscribe(b2, 0, 0, lat, deliver, &extra, &err), 1);
	ck_assert_int_eq(bus_subscribe(b3, 0, 0, lat, deliver, &a3, &err), 0);
	for (uint64_t i = 1; i <= MAX_SEEN; i++) {
		struct event e = ev_of(i, EVENT_LIKE);

		bus_publish(b1, 0, &e, 0);
		bus_publish(b2, 0, &e, 0);
		bus_publish(b3, 0, &e, 0);
	}
	ck_assert(memcmp(a1.delays, a2.delays, sizeof(a1.delays)) == 0);
	ck_assert(memcmp(a1.delays, extra.delays, sizeof(a1.delays)) != 0);
	ck_assert(memcmp(a1.delays, a3.delays, sizeof(a1.delays)) != 0);
	bus_free(b1);
	bus_free(b2);
	bus_free(b3);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, fans_out_to_every_subscription_of_the_topic);
	tcase_add_test(tc, filters_by_event_type);
	tcase_add_test(tc, refusals_are_counted_and_others_still_delivered);
	tcase_add_test(tc, bad_subscriptions_are_refused);
	tcase_add_test(tc, latency_is_min_plus_exponential);
	tcase_add_test(tc, latency_draws_are_reproducible_and_independent);
}

CHECK_MAIN("bus", add_tests, 60)
