/* Promotional spikes as Hawkes cascades; see spikes.h. */
#include "sim/spikes.h"

#include "common/event.h"
#include "common/rng.h"
#include "common/scenario.h"
#include "common/xalloc.h"
#include "sim/world.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

/* Hard cap on one spike's sessions: far above any sane magnitude, it turns
 * a runaway configuration into an error instead of exhausting memory. */
#define SPIKE_MAX_SESSIONS 50000000u

struct spike_session {
	simtime t;
	uint32_t user, spike, seq;
};

struct spikes {
	size_t n;
	struct spike_config *cfg;
	uint32_t *creator, *show;
	size_t *n_sessions_of;
	uint32_t first_new, n_new;
	size_t n_sessions, cap_sessions;
	struct spike_session *sessions;
};

int spike_config_parse_creator(struct spike_config *cfg, const char *text, struct error *err)
{
	const char *num = NULL;
	char *end;
	long v;

	if (strcmp(text, "random") == 0) {
		cfg->target = SPIKE_CREATOR_RANDOM;
		cfg->target_arg = 0;
		return 0;
	}
	if (strncmp(text, "id:", 3) == 0) {
		cfg->target = SPIKE_CREATOR_ID;
		num = text + 3;
	} else if (strncmp(text, "top:", 4) == 0) {
		cfg->target = SPIKE_CREATOR_TOP;
		num = text + 4;
	}
	if (num) {
		errno = 0;
		v = strtol(num, &end, 10);
		if (end != num && *end == '\0' && !errno && v >= 0 && v < UINT32_MAX &&
		    !(cfg->target == SPIKE_CREATOR_TOP && v < 1)) {
			cfg->target_arg = (uint32_t)v;
			return 0;
		}
	}
	return error_set(err, ERR_INPUT,
			 "bad value '%s' for [spike.%s] creator: expected id:N, top:N with N >= 1, or random",
			 text, cfg->name);
}

/* Spike i against the rest of the scenario: the rules the key table cannot
 * state.  spikes_new checks them again for configs made in code, but only
 * here is there a file line to name. */
static int check_loaded(const struct spike_config *c, const struct world_config *world,
			const struct scenario *sc, size_t i, struct error *err)
{
	int64_t creators = world->n_creators;
	int64_t users = world->n_users;
	char at[SCENARIO_WHERE_MAX], at2[SCENARIO_WHERE_MAX], val[64], val2[64];

	if ((c->target == SPIKE_CREATOR_ID && c->target_arg >= creators) ||
	    (c->target == SPIKE_CREATOR_TOP && c->target_arg > creators))
		return error_set(err, ERR_INPUT,
				 "%s: value '%s' out of range for [spike.%s] creator: must be %s%lld to %s%lld, as [world] creators = %lld (%s)",
				 scenario_inst_where(sc, "spike", i, "creator", at, sizeof(at)),
				 c->creator, c->name,
				 c->target == SPIKE_CREATOR_ID ? "id:" : "top:",
				 c->target == SPIKE_CREATOR_ID ? 0LL : 1LL,
				 c->target == SPIKE_CREATOR_ID ? "id:" : "top:",
				 (long long)(c->target == SPIKE_CREATOR_ID ? creators - 1 : creators),
				 (long long)creators,
				 scenario_where(sc, "world", "creators", at2, sizeof(at2)));
	/* No base users: blame whichever of the two keys the user wrote. */
	if (c->new_user_share < 1 && users == 0 &&
	    !scenario_inst_is_set(sc, "spike", i, "new_users"))
		return error_set(err, ERR_INPUT,
				 "%s: value '0' out of range for [world] users: must be at least 1 while [spike.%s] new_users = %s (%s)",
				 scenario_where(sc, "world", "users", at, sizeof(at)), c->name,
				 scenario_inst_format(sc, "spike", i, "new_users", val, sizeof(val)),
				 scenario_inst_where(sc, "spike", i, "new_users", at2, sizeof(at2)));
	if (c->new_user_share < 1 && users == 0)
		return error_set(err, ERR_INPUT,
				 "%s: value '%s' out of range for [spike.%s] new_users: must be 100%% when [world] users = 0 (%s)",
				 scenario_inst_where(sc, "spike", i, "new_users", at, sizeof(at)),
				 scenario_inst_format(sc, "spike", i, "new_users", val, sizeof(val)),
				 c->name, scenario_where(sc, "world", "users", at2, sizeof(at2)));
	/* A cascade has magnitude / (1 - branching) sessions on average; one
	 * expected above the cap would almost surely hit it mid-draw. */
	if (c->magnitude / (1 - c->branching) > SPIKE_MAX_SESSIONS)
		return error_set(err, ERR_INPUT,
				 "%s: value '%s' out of range for [spike.%s] magnitude: the expected cascade magnitude / (1 - branching) = %.3g exceeds %u sessions, with [spike.%s] branching = %s (%s)",
				 scenario_inst_where(sc, "spike", i, "magnitude", at, sizeof(at)),
				 scenario_inst_format(sc, "spike", i, "magnitude", val, sizeof(val)),
				 c->name, c->magnitude / (1 - c->branching), SPIKE_MAX_SESSIONS,
				 c->name,
				 scenario_inst_format(sc, "spike", i, "branching", val2, sizeof(val2)),
				 scenario_inst_where(sc, "spike", i, "branching", at2, sizeof(at2)));
	return 0;
}

int spikes_config_check(struct spike_config *c, size_t n, const struct world_config *world,
			const struct scenario *sc, struct error *err)
{
	char at[SCENARIO_WHERE_MAX];
	int rc;

	ASSERT(n == scenario_instance_count(sc, "spike"));
	for (size_t i = 0; i < n; i++) {
		scenario_inst_where(sc, "spike", i, NULL, c[i].where, sizeof(c[i].where));
		if ((rc = spike_config_parse_creator(&c[i], c[i].creator, err)) != 0)
			return error_prefix(err, "%s: ", scenario_inst_where(sc, "spike", i, "creator",
									     at, sizeof(at)));
		if ((rc = check_loaded(&c[i], world, sc, i, err)) != 0)
			return rc;
	}
	return 0;
}

static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;   /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static int check_one(const struct spike_config *c, const struct world *w, struct error *err)
{
	if (!(c->branching >= 0 && c->branching < 1))
		return error_set(err, ERR_INPUT, "[spike.%s] branching: %g must be in [0, 1)",
				 c->name, c->branching);
	if (!(c->magnitude >= 0 && c->magnitude <= 1e7))
		return error_set(err, ERR_INPUT, "[spike.%s] magnitude: %g out of range 0..1e7",
				 c->name, c->magnitude);
	if (c->half_life <= 0 || c->child_delay <= 0 || c->start < 0)
		return error_set(err, ERR_INPUT,
				 "[spike.%s] half_life and child_delay must be > 0, start >= 0", c->name);
	if (!(c->new_user_share >= 0 && c->new_user_share <= 1))
		return error_set(err, ERR_INPUT, "[spike.%s] new_users: %g out of range 0..100%%",
				 c->name, c->new_user_share);
	if (c->new_user_share < 1 && world_n_base_users(w) == 0)
		return error_set(err, ERR_INPUT, "[spike.%s] needs existing users (world has none)",
				 c->name);
	if ((c->target == SPIKE_CREATOR_ID && c->target_arg >= world_n_creators(w)) ||
	    (c->target == SPIKE_CREATOR_TOP && c->target_arg > world_n_creators(w)))
		return error_set(err, ERR_INPUT, "[spike.%s] creator: %u out of range (world has %u creators)",
				 c->name, c->target_arg, world_n_creators(w));
	return 0;
}

static int session_cmp(const void *a, const void *b)
{
	const struct spike_session *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	if (x->spike != y->spike)
		return x->spike < y->spike ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static uint32_t promoted_show(const struct world *w, uint32_t creator, simtime at)
{
	uint32_t ns = world_n_shows(w);

	/* Shows are sorted by start; a show live at `at` started at most
	 * 60 days (the duration cap) earlier, so a linear scan suffices at
	 * set-up. */
	for (uint32_t s = 0; s < ns; s++)
		if (world_show_creator(w, s) == creator && world_show_end(w, s) > at)
			return s;
	return EVENT_NONE;
}

/* Draw spike i's cascade into sp->sessions (appending). */
static int draw_spike(struct spikes *sp, size_t i, uint64_t seed, const struct world *w,
		      struct error *err)
{
	const struct spike_config *c = &sp->cfg[i];
	size_t first = sp->n_sessions, head;
	double tau = (double)c->half_life / M_LN2;
	uint32_t immigrants, base_users = world_n_base_users(w);
	struct rng r;

	rng_init(&r, seed, RNG_SPIKES, name_hash(c->name), 0);
	if (c->target == SPIKE_CREATOR_RANDOM)
		sp->creator[i] = (uint32_t)rng_below(&r, world_n_creators(w));
	else if (c->target == SPIKE_CREATOR_TOP)
		sp->creator[i] = world_creator_by_rank(w, c->target_arg - 1);
	else
		sp->creator[i] = c->target_arg;
	sp->show[i] = promoted_show(w, sp->creator[i], c->start);

	immigrants = gsl_ran_poisson(rng_gsl(&r), c->magnitude);
	XGROW(sp->sessions, sp->n_sessions + immigrants, sp->cap_sessions);
	for (uint32_t k = 0; k < immigrants; k++) {
		struct spike_session *s = &sp->sessions[sp->n_sessions++];

		s->t = c->start + (simtime)(-log(rng_uniform_pos(&r)) * tau);
		s->spike = (uint32_t)i;
	}
	/* Breadth-first over the growing list: each session's children are
	 * appended and visited in turn. */
	for (head = first; head < sp->n_sessions; head++) {
		unsigned kids = c->branching > 0 ? gsl_ran_poisson(rng_gsl(&r), c->branching) : 0;
		simtime parent = sp->sessions[head].t;

		if (sp->n_sessions + kids - first > SPIKE_MAX_SESSIONS)
			return error_set(err, ERR_INPUT,
					 "%s%s[spike.%s] cascade exceeds %u sessions: lower magnitude (%g) or branching (%g)",
					 c->where, c->where[0] ? ": " : "", c->name,
					 SPIKE_MAX_SESSIONS, c->magnitude, c->branching);
		XGROW(sp->sessions, sp->n_sessions + kids, sp->cap_sessions);
		for (unsigned k = 0; k < kids; k++) {
			struct spike_session *s = &sp->sessions[sp->n_sessions++];

			s->t = parent + (simtime)(-log(rng_uniform_pos(&r)) * (double)c->child_delay);
			s->spike = (uint32_t)i;
		}
	}
	for (size_t j = first; j < sp->n_sessions; j++) {
		struct spike_session *s = &sp->sessions[j];

		s->seq = (uint32_t)(j - first);
		if (rng_uniform(&r) < c->new_user_share)
			s->user = sp->first_new + sp->n_new++;
		else
			s->user = (uint32_t)rng_below(&r, base_users);
	}
	sp->n_sessions_of[i] = sp->n_sessions - first;
	return 0;
}

struct spikes *spikes_new(const struct spike_config *cfgs, size_t n, uint64_t seed,
			  const struct world *w, struct error *err)
{
	struct spikes *sp = xcalloc(1, sizeof(*sp));

	sp->n = n;
	sp->cfg = xcalloc(n + 1, sizeof(*sp->cfg));
	sp->creator = xcalloc(n + 1, sizeof(uint32_t));
	sp->show = xcalloc(n + 1, sizeof(uint32_t));
	sp->n_sessions_of = xcalloc(n + 1, sizeof(size_t));
	sp->first_new = world_n_users(w);
	for (size_t i = 0; i < n; i++) {
		sp->cfg[i] = cfgs[i];
		if (check_one(&cfgs[i], w, err) != 0 || draw_spike(sp, i, seed, w, err) != 0) {
			spikes_free(sp);
			return NULL;
		}
		if ((uint64_t)sp->first_new + sp->n_new > (1u << 27)) {
			error_set(err, ERR_INPUT,
				  "%s%s[spike.%s] new users exceed the 2^27 user limit: lower new_users (%g%%), magnitude or [world] users",
				  cfgs[i].where, cfgs[i].where[0] ? ": " : "", cfgs[i].name,
				  cfgs[i].new_user_share * 100);
			spikes_free(sp);
			return NULL;
		}
	}
	if (sp->n_sessions > 1)
		qsort(sp->sessions, sp->n_sessions, sizeof(*sp->sessions), session_cmp);
	return sp;
}

void spikes_free(struct spikes *sp)
{
	if (!sp)
		return;
	free(sp->cfg);
	free(sp->creator);
	free(sp->show);
	free(sp->n_sessions_of);
	free(sp->sessions);
	free(sp);
}

uint32_t spikes_new_users(const struct spikes *sp) { return sp->n_new; }
uint32_t spikes_first_new_user(const struct spikes *sp) { return sp->first_new; }
size_t spikes_count(const struct spikes *sp) { return sp->n; }
size_t spikes_n_sessions(const struct spikes *sp) { return sp->n_sessions; }

const char *spikes_name(const struct spikes *sp, size_t i)
{
	ASSERT(i < sp->n);
	return sp->cfg[i].name;
}

uint32_t spikes_creator(const struct spikes *sp, size_t i)
{
	ASSERT(i < sp->n);
	return sp->creator[i];
}

uint32_t spikes_show(const struct spikes *sp, size_t i)
{
	ASSERT(i < sp->n);
	return sp->show[i];
}

simtime spikes_start(const struct spikes *sp, size_t i)
{
	ASSERT(i < sp->n);
	return sp->cfg[i].start;
}

double spikes_expected(const struct spikes *sp, size_t i)
{
	ASSERT(i < sp->n);
	return sp->cfg[i].magnitude / (1 - sp->cfg[i].branching);
}

size_t spikes_sessions_of(const struct spikes *sp, size_t i)
{
	ASSERT(i < sp->n);
	return sp->n_sessions_of[i];
}

simtime spikes_session_time(const struct spikes *sp, size_t j)
{
	ASSERT(j < sp->n_sessions);
	return sp->sessions[j].t;
}

uint32_t spikes_session_user(const struct spikes *sp, size_t j)
{
	ASSERT(j < sp->n_sessions);
	return sp->sessions[j].user;
}

uint32_t spikes_session_spike(const struct spikes *sp, size_t j)
{
	ASSERT(j < sp->n_sessions);
	return sp->sessions[j].spike;
}
