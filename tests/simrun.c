/* Logged test simulations; see simrun.h. */
#include "tests/simrun.h"

#include <check.h>

#include "common/calendar.h"
#include "tests/defaults.h"

size_t simrun_page(void *ctx, uint32_t user, uint32_t session, simtime now, uint32_t *out,
		   size_t k)
{
	struct simrun_ranker *r = ctx;
	const struct world *w = sim_world(r->sim);
	uint32_t ns = world_n_shows(w);
	size_t n = 0;

	(void)user;
	(void)session;
	for (uint32_t i = 0; i < ns && n < k; i++) {
		uint32_t s = r->reverse ? ns - 1 - i : i;

		if (world_show_status(w, s, now) == WORLD_SHOW_LIVE ||
		    (r->reverse && world_show_status(w, s, now) == WORLD_SHOW_UPCOMING))
			out[n++] = s;
	}
	return n;
}

void simrun_small_params(struct sim_params *p)
{
	*p = test_defaults()->sim;
	p->seed = 5;
	p->horizon = 2 * SIMTIME_DAY;
	p->world.n_users = 2000;
	p->world.n_creators = 100;
	p->spikes[0] = test_default_spike("s");
	p->spikes[0].magnitude = 300;
	p->spikes[0].start = 20 * SIMTIME_HOUR;
	p->n_spikes = 1;
	/* exogenous sessions only ([retention] off): the sim tests compare them */
	p->behaviour.return_rate = 0;
	p->behaviour.notify_sessions = false;
}

void simrun_log(const struct sim_params *p, bool reverse, struct eventlog *l)
{
	struct calendar *cal = calendar_new(0, 1024);
	struct simrun_ranker lr = { NULL, reverse };
	struct sim_ranker r = { &lr, simrun_page };
	struct error err;
	struct sim *s = sim_new(p, cal, eventlog_record, l, &err);

	ck_assert_msg(s != NULL, "%s", err.msg);
	lr.sim = s;
	sim_set_ranker(s, &r);
	calendar_run_until(cal, p->horizon + SIMTIME_DAY);
	ck_assert_uint_eq(sim_events(s), l->n);
	sim_free(s);
	calendar_free(cal);
}

struct sim *simrun_keep(const struct sim_params *p, struct calendar *cal, struct eventlog *l)
{
	static struct simrun_ranker lr;
	static struct sim_ranker r = { &lr, simrun_page };
	struct error err;
	struct sim *s = sim_new(p, cal, eventlog_record, l, &err);

	ck_assert_msg(s != NULL, "%s", err.msg);
	lr.sim = s;
	lr.reverse = false;
	sim_set_ranker(s, &r);
	calendar_run_until(cal, p->horizon + SIMTIME_DAY);
	return s;
}
