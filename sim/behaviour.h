#ifndef AIRTIME_BEHAVIOUR_H
#define AIRTIME_BEHAVIOUR_H
/*
 * How a user reacts to a home page, a promotion and a "creator is live"
 * notification; the ground truth of engagement.
 *
 * True engagement probability of user u for show s at time t (the oracle):
 *     p = sigmoid(bias + w_topic log(topics * taste_u[topic_s])
 *                 + w_affinity <f_u, g_c> + w_quality log quality_c
 *                 + w_popularity (log popularity_c - zipf_exponent)
 *                 + w_social log(1 + live listeners of s at t)
 *                 + w_follow [u follows c])
 * for a live or upcoming show, 0 for an ended or unannounced one.
 *
 * A session (behaviour_session) asks the ranker for K slots, emits one
 * impression per slot, then walks them with position bias:
 *   pbm:     slot i is examined with probability (i+1)^-exam_power,
 *            independently; every examined slot is tapped with probability p.
 *   cascade: slots are read top-down; a tapped live show ends the walk,
 *            otherwise the user moves on with probability cascade_continue.
 * choice = mnl replaces the per-slot taps by one multinomial-logit pick
 * per page visit (a user who opened the app to listen picks one show; the
 * page decides which more than whether).  A page is seen screen by screen
 * (page_size slots each).  Every live slot of a screen (a show still on
 * after think_time) offers the attraction exam_i p_i / (1 - p_i): the
 * examination probability of its position i on the screen (the position
 * model's curve, (i+1)^-exam_power or cascade_continue^i, used as a
 * weight; there is no top-down walk) times the odds of its truth.  The
 * user picks slot i with probability a_i / (no_choice_mass + sum a), or
 * nothing with probability no_choice_mass / (no_choice_mass + sum a).  The
 * smaller no_choice_mass, the less a better page changes how often a visit
 * leads to a listen (the elasticity of P(listen) to the screen's total
 * attraction A is no_choice_mass / (no_choice_mass + A)).  Upcoming slots
 * are examined with that curve and tapped with their truth, independently,
 * for a reminder (remind_rate).  A screen without a live show makes the
 * user scroll to the next, up to scroll_screens screens: the ranker is
 * asked for page_size x scroll_screens slots (the run refuses a [rank] k
 * below that), and only the screens seen emit impressions, at their
 * absolute positions.  Each screen seen draws its K slots' uniforms, then
 * six of its own: the pick, and the planned length and outcome of the
 * listen, whichever slot is picked, so that twin worlds whose pages differ
 * still plan the same listen.  choice = independent draws exactly what it
 * drew before these keys existed.
 * Continuations (continue_rate, mnl only): when a show ends under a listen
 * that planned to last longer (not cut by the daily budget) and at least a
 * minute is left, the user goes back to the home page with probability
 * continue_rate, after an exponential delay of mean think_time (so a
 * show's listeners do not all ask for a page at once): a new page in the
 * same session (a new ranker request and impressions, no app_open), one
 * pick as above, listened to for the time left; at most 64 hops.
 * Notification listens (no session) don't continue.  Without continuations
 * a ranker that puts shows about to end first loses listening time that a
 * real listener would spend on the next show.
 * A tapped live show is listened to (tapped shows in slot order, one after
 * the other, the first after think_time) for a lognormal duration with
 * median listen_median * exp(listen_affinity_gain * affinity), cut at the
 * show's end.  A tapped upcoming show enables notifications for its creator
 * with probability remind_rate.  After a listen the user likes the show with
 * probability min(1, like_rate (engage_floor + p)), follows the creator with
 * min(1, follow_rate (engage_floor + p)) (engage_floor 0.5 by default; 0
 * makes likes and follows proportional to how well the show suits the
 * user, so a better page earns more of them per listen), and a new follower
 * enables notifications with notify_rate.  With engage_delay > 0 both
 * probabilities (before the cap at 1) are also multiplied by
 * 1 - exp(-length / engage_delay), the chance that the listen lasts until
 * the moment (exponential, mean engage_delay) the user would act: a listen
 * cut short by the show's end earns less.  When a creator goes live, users
 * with notifications on
 * (and, with probability follower_notice, other followers) tune in with
 * probability min(1, notify_boost p) after an Exp(notify_delay) delay.
 * Spike sessions first go to the promoted show with probability
 * promo_tune_in (listen if live, enable notifications if upcoming); a spike
 * session that went straight to a live show sees no home page.
 *
 * Daily listening budget (listen_budget > 0): a user's time is bounded, so
 * a better page should change what is listened to more than how long.
 * Each user has, per local day (UTC offset of the user, midnight to
 * midnight), a budget lognormal with median listen_budget and log-sd
 * listen_budget_sigma, drawn from (seed, RNG_LISTEN_BUDGET, user, day).
 * Every listen planned (tapped, or tuned in from a notification or a
 * promotion) on that day is charged its full planned length; a listen
 * longer than what is left is cut to it, and once less than 1 s is left
 * further tune-ins that day are dropped (no listen, no like or follow from
 * it; reminders for upcoming shows still happen).  So the listening
 * planned per user and local day never exceeds the budget.  A listen is
 * charged to the day it was planned on, even when it runs past midnight.
 * listen_budget = 0 (the default) disables the mechanism and draws nothing.
 *
 * Common random numbers: a session's draws come from (seed, RNG_BEHAVIOUR,
 * user, session id), six uniforms per slot in slot order whatever the page
 * holds; a notification's from (seed, RNG_NOTIFICATIONS, user, show).  Two
 * arms thus differ only by what their pages show.  A user may hold
 * overlapping listens (a notification during a home-page listen); this is
 * not prevented.
 *
 * Retention and return ([retention]).  Arrivals (sim/arrivals) are the
 * users' own habit, the same in every arm; on top of them a session's
 * experience brings the user back (a self-exciting, Hawkes-like process):
 *   - a session is over when its page visit is done and its listens and
 *     continuations have ended; its quality is
 *         q = minutes listened / return_minutes
 *             + return_follow_weight x follows + return_notify_weight x enables
 *     (the minutes, follows and notification enables of its own listens
 *     and reminders);
 *   - then, from (seed, RNG_RETURNS, user, session key), the user returns
 *     with probability return_rate (1 - exp(-q)) after an exponential delay
 *     of mean return_delay / (1 + q): a better session brings the user back
 *     more often and sooner; a session without a listen, follow or enable
 *     brings nobody back.  A return is a session like any other (app_open,
 *     a ranked home page, its own return); return_rate < 1 keeps the chain
 *     finite (each session brings at most one return);
 *   - notify_sessions: a tune-in from a "creator is live" notification
 *     (same decision and draws as above) opens the app: an app_open (source
 *     notification), the listen in that session, and, when it ends, a
 *     ranked home page (one visit, draws from (seed, RNG_RETURN_SESSION,
 *     user, key)); its quality counts like any session's.  Without it the
 *     tune-in is a listen outside any session, as before.
 * Endogenous sessions (returns, notification openings) get ids from
 * EVENT_SESSION_RETURN_BASE up, in the order they open, and a draw key per
 * user (EVENT_SESSION_RETURN_BASE + the user's count of them so far): a
 * user's k-th endogenous session draws the same numbers in every arm.
 * return_rate = 0 and notify_sessions = false give the world without
 * returns, draw for draw.
 *
 * State (live listeners per show, follows, pending listens) lives here; the
 * world, calendar and emitter are borrowed.  Pools grow by doubling to the
 * run's peak and are then reused: nothing is allocated per event in steady
 * state.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/simtime.h"

struct calendar;
struct emitter;
struct scenario;
struct world;

/* The home-page interface eval wires to a ranker: fill shows_out with up to
 * k show ids (live or upcoming, best first) for this user's session at
 * `now`; return how many.  sim never learns how the ranker works. */
struct sim_ranker {
	void *ctx;
	size_t (*page)(void *ctx, uint32_t user, uint32_t session, simtime now,
		       uint32_t *shows_out, size_t k);
};

/* Values are the indexes of the keys' choices ("pbm|cascade",
 * "independent|mnl"): keep both in the same order. */
enum behaviour_position_model { BEHAVIOUR_PBM, BEHAVIOUR_CASCADE };
enum behaviour_choice_model { BEHAVIOUR_INDEPENDENT, BEHAVIOUR_MNL };

/* [behaviour], every field filled from the key of its name by config_load
 * (config/config.h, which also holds the defaults); model is
 * position_model, choice is choice_model. */
struct behaviour_config {
	uint32_t page_size;
	enum behaviour_position_model model;
	enum behaviour_choice_model choice;
	double no_choice_mass;        /* mnl: attraction of picking nothing */
	double exam_power, cascade_continue;
	double bias, w_topic, w_affinity, w_quality, w_popularity, w_social, w_follow;
	simtime listen_median;
	double listen_sigma, listen_affinity_gain;
	double like_rate, follow_rate, notify_rate, remind_rate;
	double follower_notice, notify_boost;
	simtime notify_delay;
	double promo_tune_in;
	simtime think_time;
	simtime listen_budget;        /* median daily budget; 0 = unlimited */
	double listen_budget_sigma;
	double engage_floor;          /* like/follow odds scale with engage_floor + p */
	simtime engage_delay;         /* likes/follows need the listen to last; 0 = off */
	uint32_t scroll_screens;      /* mnl: screens a user scrolls looking for a live show */
	double continue_rate;         /* mnl: P(pick another show when one ends under a listen) */
	/* [retention] */
	double return_rate;           /* P(return) tends to it as a session's quality grows */
	simtime return_minutes;       /* listening that counts as quality 1 */
	double return_follow_weight, return_notify_weight;
	simtime return_delay;         /* mean delay of a return at quality 0 */
	bool notify_sessions;         /* notification tune-ins open a ranked session */
};

struct behaviour;

/* After loading from sc: the rules between [behaviour] keys (scroll_screens
 * and continue_rate need the mnl choice model; page_size x scroll_screens
 * at most 100); ERR_INPUT naming file, line and key (scenario_where). */
int behaviour_config_check(const struct behaviour_config *cfg, const struct scenario *sc,
			   struct error *err);

/* Set up over a built world (including any cold-start users).  Borrowed:
 * world, calendar (listens are scheduled on it) and emitter. */
struct behaviour *behaviour_new(const struct behaviour_config *cfg, uint64_t seed,
				const struct world *w, struct calendar *cal,
				struct emitter *em, struct error *err);
void behaviour_free(struct behaviour *b);
/* Copy every follow and notification setting of `from` (the history
 * phase's behaviour over the same creators and base users) into b, in
 * from's creation order. */
void behaviour_import_follows(struct behaviour *b, const struct behaviour *from);
/* Emit no impression events from now on (the history phase, whose
 * impressions nobody reads; nothing else changes: impressions draw
 * nothing). */
void behaviour_skip_impressions(struct behaviour *b);
/* Number endogenous sessions from `first` (below `limit`) instead of
 * [EVENT_SESSION_RETURN_BASE, EVENT_SESSION_HISTORY_BASE) (the history
 * phase). */
void behaviour_set_session_ids(struct behaviour *b, uint32_t first, uint32_t limit);
/* Returns scheduled and notification sessions opened so far. */
uint64_t behaviour_returns(const struct behaviour *b);
uint64_t behaviour_notify_sessions(const struct behaviour *b);
/* The ranker used from now on (NULL: sessions see no home page). */
void behaviour_set_ranker(struct behaviour *b, const struct sim_ranker *r);

/* A session of `user` opened at `now` (its app_open already emitted);
 * promoted = the spike's show, or EVENT_NONE for an ordinary session. */
void behaviour_session(struct behaviour *b, uint32_t user, uint32_t session, simtime now,
		       uint32_t promoted);
/* A show went live: notify its creator's followers. */
void behaviour_show_live(struct behaviour *b, uint32_t show, simtime now);

/* True engagement probability (see above). */
double behaviour_truth(const struct behaviour *b, uint32_t user, uint32_t show, simtime now);
/* Examination probability of slot i under the configured position model
 * (for the cascade: the probability of reaching slot i when nothing above
 * was tapped). */
double behaviour_examination(const struct behaviour_config *cfg, uint32_t slot);
/* Current live listeners of a show. */
uint32_t behaviour_listeners(const struct behaviour *b, uint32_t show);
bool behaviour_follows(const struct behaviour *b, uint32_t user, uint32_t creator);
bool behaviour_notifies(const struct behaviour *b, uint32_t user, uint32_t creator);
/* The user's local day index of time `now` (floor of local time / 1 day). */
int64_t behaviour_local_day(const struct behaviour *b, uint32_t user, simtime now);
/* The user's listening budget for local day `day` (0 when unlimited). */
simtime behaviour_listen_budget(const struct behaviour *b, uint32_t user, int64_t day);
/* (user, creator) entries holding a follow or notification setting. */
size_t behaviour_follow_entries(const struct behaviour *b);
/* Listens scheduled but not yet ended. */
size_t behaviour_pending_listens(const struct behaviour *b);

#endif
