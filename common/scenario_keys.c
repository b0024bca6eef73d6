/*
 * The scenario keys: one row per key, the single source for the parser,
 * `airtime validate`, `airtime reference` and scenarios/README.md.
 *
 * Adding keys: append a block for your section(s) at the END of the table,
 * opened by a comment naming the module that reads them.  Keep a section's
 * rows together; the order of rows is the order of `airtime validate`
 * output and of the reference.  Bounds are in stored units (microseconds,
 * bytes, fractions, days since 1970-01-01); use SCENARIO_NO_MIN/NO_MAX for
 * an open side.  def = NULL makes a key required.  Then run `make reference
 * golden` and commit scenarios/README.md and tests/golden/ with the rows.
 */
#include "common/scenario.h"

#include "common/simtime.h"

/* 2^53 - 1: the largest integer a double bound represents exactly. */
#define INT_EXACT_MAX 9007199254740991.0
/* 1970-01-01 and 2100-01-01 as days since the epoch. */
#define DATE_MIN 0.0
#define DATE_MAX 47482.0

const struct scenario_key scenario_keys[] = {
	/* ---- [run]: the run as a whole (eval/run) ---- */
	{ "run", "seed", SCENARIO_INT, 0, INT_EXACT_MAX, "1", NULL,
	  "master seed; every random stream is derived from it and (purpose, entity)" },
	{ "run", "start_date", SCENARIO_DATE, DATE_MIN, DATE_MAX, "2022-05-02", NULL,
	  "calendar date of simulated time 0 (midnight UTC); the default is a Monday" },
	{ "run", "warmup_days", SCENARIO_INT, 1, 365, "7", NULL,
	  "days everyone gets the control ranker while history builds up and is logged for training" },
	{ "run", "experiment_days", SCENARIO_INT, 1, 365, "14", NULL,
	  "days of the A/B experiment after the warm-up" },
	{ "run", "description", SCENARIO_STRING, 0, 0, "", NULL,
	  "free text shown in the report header" },

	/* ---- [ab]: experiment design (eval/ab) ---- */
	{ "ab", "mode", SCENARIO_ENUM, 0, 0, "split", "split|twin|both",
	  "split: users are divided between arms by salted hash; twin: the same world is run "
	  "once per arm for everyone (common random numbers); both: run both designs" },
	{ "ab", "control", SCENARIO_ENUM, 0, 0, "heuristic",
	  "forest|heuristic|popularity|random|oracle",
	  "ranker of the control arm (and of everyone during the warm-up)" },
	{ "ab", "treatment", SCENARIO_ENUM, 0, 0, "forest",
	  "forest|heuristic|popularity|random|oracle", "ranker of the treatment arm" },
	{ "ab", "treatment_share", SCENARIO_PERCENT, 0.01, 0.99, "50%", NULL,
	  "share of users assigned to the treatment arm in split mode" },
	{ "ab", "salt", SCENARIO_STRING, 0, 0, "airtime-ab", NULL,
	  "salt of the assignment hash; change it to re-randomise who is in which arm" },
	{ "ab", "exploration", SCENARIO_PERCENT, 0, 1, "0%", NULL,
	  "share of home pages shown in random order (logged as such) for unbiased training data" },

	/* ---- [report]: outputs of a run (eval/report) ---- */
	{ "report", "plots", SCENARIO_BOOL, 0, 0, "true", NULL,
	  "draw plots with gnuplot (skipped with a warning when gnuplot is missing)" },
	{ "report", "formats", SCENARIO_ENUM, 0, 0, "html+md", "html+md|html|md",
	  "report files to write: report.html, report.md or both" },
	/* ---- [world]: the synthetic population (sim/world) ---- */
	{ "world", "users", SCENARIO_INT, 0, 134217728, "20000", NULL,
	  "base population (users who arrive on their own; spikes may add cold-start users)" },
	{ "world", "creators", SCENARIO_INT, 1, 10000000, "1000", NULL,
	  "creators hosting shows" },
	{ "world", "topics", SCENARIO_INT, 2, 20, "16", NULL,
	  "number of named topics in use (pop, hip-hop, rock, country, r&b, latin, baseball, ...)" },
	{ "world", "zipf_exponent", SCENARIO_REAL, 0.01, 5, "1.0", NULL,
	  "creator popularity power law: slope of the rank-size curve" },
	{ "world", "quality_sigma", SCENARIO_REAL, 0, 5, "0.5", NULL,
	  "sigma of the lognormal creator quality (median 1)" },
	{ "world", "second_topic_rate", SCENARIO_PERCENT, 0, 1, "30%", NULL,
	  "share of creators with a second topic" },
	{ "world", "shows_per_week", SCENARIO_REAL, 1, 7, "3", NULL,
	  "mean shows a creator hosts per week (each on a distinct weekday)" },
	{ "world", "creator_peak_hour", SCENARIO_REAL, 0, 24, "19", NULL,
	  "mean preferred local start hour of creators' shows" },
	{ "world", "creator_hour_sd", SCENARIO_REAL, 0, 24, "3", NULL,
	  "spread (hours) of creators' preferred start hours" },
	{ "world", "show_median", SCENARIO_DURATION, 5 * 60e6, 60 * 86400e6, "60min", NULL,
	  "median show duration (lognormal)" },
	{ "world", "show_sigma", SCENARIO_REAL, 0, 3, "0.4", NULL,
	  "sigma of the lognormal show duration" },
	{ "world", "announce_ahead", SCENARIO_DURATION, 0, 30 * 86400e6, "1d", NULL,
	  "how long before its start a show is announced (show_scheduled)" },
	{ "world", "taste_concentration", SCENARIO_REAL, 0.01, 1000, "4", NULL,
	  "Dirichlet concentration of user topic tastes: low = few favourite topics" },
	{ "world", "affinity_dim", SCENARIO_INT, 1, 16, "4", NULL,
	  "dimension of the latent user and creator vectors behind creator affinity" },
	{ "world", "declare_none_rate", SCENARIO_PERCENT, 0, 1, "30%", NULL,
	  "share of users who declare no profile interests" },
	{ "world", "declare_noise_rate", SCENARIO_PERCENT, 0, 1, "20%", NULL,
	  "share of declared topics the user rarely listens to (true taste below 1/topics)" },
	{ "world", "declared_topics", SCENARIO_REAL, 1, 20, "3", NULL,
	  "mean number of topics a declaring user lists (1 + Poisson)" },
	{ "world", "activity_sigma", SCENARIO_REAL, 0, 3, "0.8", NULL,
	  "sigma of the lognormal user activity level (mean 1), which scales session rates" },
	{ "world", "zones", SCENARIO_STRING, 0, 0,
	  "-8:0.15,-7:0.05,-6:0.15,-5:0.35,-3:0.05,0:0.1,1:0.1,5.5:0.05", NULL,
	  "UTC offset mix of users and creators: OFFSET_HOURS:WEIGHT,..." },

	/* ---- [traffic]: app sessions (sim/arrivals) ---- */
	{ "traffic", "sessions_per_day", SCENARIO_REAL, 0, 1000, "3", NULL,
	  "mean app sessions per user per weekday at activity level 1" },
	{ "traffic", "peak_hour", SCENARIO_REAL, 0, 24, "20", NULL,
	  "local hour of the daily session peak" },
	{ "traffic", "daily_amplitude", SCENARIO_REAL, 0, 0.99, "0.6", NULL,
	  "daily cycle: rate x (1 + amplitude cos(2 pi (hour - peak) / 24))" },
	{ "traffic", "weekend_factor", SCENARIO_REAL, 0, 10, "1.2", NULL,
	  "session rate multiplier on local Saturdays and Sundays" },

	/* ---- [spike.NAME]: promotional spikes (sim/spikes) ---- */
	{ "spike.*", "creator", SCENARIO_STRING, 0, 0, "top:1", NULL,
	  "promoting creator: id:N, top:N (N-th most popular, 1 = top) or random" },
	{ "spike.*", "start", SCENARIO_DURATION, 0, SCENARIO_NO_MAX, "44h", NULL,
	  "when the creator posts, since day 0 midnight UTC" },
	{ "spike.*", "magnitude", SCENARIO_REAL, 0, 1e7, "2000", NULL,
	  "expected extra sessions triggered directly by the post" },
	{ "spike.*", "half_life", SCENARIO_DURATION, 1e6, 30 * 86400e6, "30min", NULL,
	  "half-life of the direct session rate after the post" },
	{ "spike.*", "branching", SCENARIO_REAL, 0, 0.95, "0.5", NULL,
	  "Hawkes branching ratio: mean follow-on sessions per session; total = magnitude / (1 - branching)" },
	{ "spike.*", "child_delay", SCENARIO_DURATION, 1e6, 30 * 86400e6, "10min", NULL,
	  "mean delay of a follow-on session after the one that caused it" },
	{ "spike.*", "new_users", SCENARIO_PERCENT, 0, 1, "20%", NULL,
	  "share of spike sessions by new users (cold start, no history)" },

	/* ---- [behaviour]: how users react to a home page (sim/behaviour) ---- */
	{ "behaviour", "page_size", SCENARIO_INT, 1, 100, "10", NULL,
	  "home page slots (K) a session asks the ranker for" },
	{ "behaviour", "position_model", SCENARIO_ENUM, 0, 0, "pbm", "pbm|cascade",
	  "pbm: slot i examined with probability (i+1)^-exam_power; cascade: top-down until a tune-in" },
	{ "behaviour", "exam_power", SCENARIO_REAL, 0, 5, "0.8", NULL,
	  "position-based model: examination probability of slot i is (i+1)^-exam_power" },
	{ "behaviour", "cascade_continue", SCENARIO_PERCENT, 0, 1, "85%", NULL,
	  "cascade model: probability of moving on to the next slot after one not tuned in" },
	{ "behaviour", "bias", SCENARIO_REAL, -20, 20, "-3", NULL,
	  "engagement logit intercept (the log-odds of an average user-show pair)" },
	{ "behaviour", "w_topic", SCENARIO_REAL, -10, 10, "1.0", NULL,
	  "logit weight of log(topics x the user's taste for the show's topic)" },
	{ "behaviour", "w_affinity", SCENARIO_REAL, -10, 10, "1.0", NULL,
	  "logit weight of the latent creator affinity (about N(0,1))" },
	{ "behaviour", "w_quality", SCENARIO_REAL, -10, 10, "1.0", NULL,
	  "logit weight of log creator quality" },
	{ "behaviour", "w_popularity", SCENARIO_REAL, -10, 10, "0.3", NULL,
	  "logit weight of log creator popularity (centred)" },
	{ "behaviour", "w_social", SCENARIO_REAL, -10, 10, "0.3", NULL,
	  "logit weight of log(1 + current live listeners): social proof" },
	{ "behaviour", "w_follow", SCENARIO_REAL, -10, 10, "1.0", NULL,
	  "logit boost when the user follows the show's creator" },
	{ "behaviour", "listen_median", SCENARIO_DURATION, 1e6, 86400e6, "8min", NULL,
	  "median listen duration at affinity 0 (lognormal; cut at the show's end)" },
	{ "behaviour", "listen_sigma", SCENARIO_REAL, 0, 3, "1.0", NULL,
	  "sigma of the lognormal listen duration" },
	{ "behaviour", "listen_affinity_gain", SCENARIO_REAL, 0, 5, "0.5", NULL,
	  "listen duration grows as exp(gain x affinity)" },
	{ "behaviour", "like_rate", SCENARIO_PERCENT, 0, 1, "30%", NULL,
	  "probability of a like after a listen, times the engagement probability's odds share" },
	{ "behaviour", "follow_rate", SCENARIO_PERCENT, 0, 1, "15%", NULL,
	  "probability of following the creator after a listen (scaled by engagement)" },
	{ "behaviour", "notify_rate", SCENARIO_PERCENT, 0, 1, "40%", NULL,
	  "probability that a new follower also enables notifications" },
	{ "behaviour", "remind_rate", SCENARIO_PERCENT, 0, 1, "30%", NULL,
	  "an upcoming show tapped on the home page enables notifications with this probability" },
	{ "behaviour", "follower_notice", SCENARIO_PERCENT, 0, 1, "10%", NULL,
	  "chance a follower without notifications notices the creator went live" },
	{ "behaviour", "notify_boost", SCENARIO_REAL, 0, 100, "3", NULL,
	  "a notified user tunes in with min(1, boost x engagement probability)" },
	{ "behaviour", "notify_delay", SCENARIO_DURATION, 1e6, 86400e6, "3min", NULL,
	  "mean delay between a notification and the tune-in" },
	{ "behaviour", "promo_tune_in", SCENARIO_PERCENT, 0, 1, "60%", NULL,
	  "a spike session goes straight to the promoted show (if live) with this probability" },
	{ "behaviour", "think_time", SCENARIO_DURATION, 0, 3600e6, "5s", NULL,
	  "delay from the home page to the first tune-in" },
};

const size_t scenario_key_count = sizeof(scenario_keys) / sizeof(scenario_keys[0]);
