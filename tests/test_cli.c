/* Tests for airtime.c and cli/ (cli/cliopt.c alone: test_cliopt.c; what
 * each command does: the suites of the modules it calls): the airtime
 * binary itself (the one beside this test program, build/airtime) run on
 * bad command lines.  Every
 * command refuses an unknown option, a value option without its value, a
 * bad number and a bad choice with one message naming the command and the
 * option, the --help hint, and exit code 2; the other exit codes hold. */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <signal.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "tests/check_main.h"
#include "tests/report_fixture.h"
#include "tests/tmpdir.h"

#define MAX_ARGS 12

struct outcome {
	int status;     /* exit code; -1 when killed by a signal */
	char *out, *err;
};

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	buf = xmalloc((size_t)n + 1);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* build/tests/test_cli -> build/airtime (a sanitizer build's too). */
static char *airtime_path(void)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	ck_assert_int_gt(n, 0);
	self[n] = '\0';
	for (int up = 0; up < 2; up++) {
		slash = strrchr(self, '/');
		ck_assert_ptr_nonnull(slash);
		*slash = '\0';
	}
	return xasprintf("%s/airtime", self);
}

/* Run airtime with args (NULL-terminated), stdin empty, outputs captured. */
static struct outcome run(const char *const *args)
{
	char *bin = airtime_path(), *out = tmpdir_path("stdout"), *err = tmpdir_path("stderr");
	const char *argv[MAX_ARGS + 2] = { "airtime" };
	struct outcome o;
	int status;
	pid_t pid;

	for (size_t i = 0; args[i]; i++) {
		ck_assert_uint_lt(i, MAX_ARGS);
		argv[i + 1] = args[i];
	}
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0666);
		int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0666);

		if (in < 0 || fo < 0 || fe < 0 || dup2(in, 0) < 0 || dup2(fo, 1) < 0 ||
		    dup2(fe, 2) < 0)
			_exit(127);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	o.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	o.out = slurp(out);
	o.err = slurp(err);
	free(bin);
	free(out);
	free(err);
	return o;
}

static void outcome_release(struct outcome *o)
{
	free(o->out);
	free(o->err);
}

struct usage_case {
	const char *args[MAX_ARGS];
	const char *cmd;   /* as the message names it */
	const char *msg;   /* the first line after "airtime CMD: " */
};

/* Each case exits 2 with exactly the message and the --help hint. */
static void check_usage(const struct usage_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct outcome o = run(cases[i].args);
		char *want = xasprintf("airtime %s: %s\nTry 'airtime %s --help'.\n", cases[i].cmd,
				       cases[i].msg, cases[i].cmd);

		ck_assert_msg(o.status == 2, "airtime %s ...: exit %d, not 2 (stderr: %s)",
			      cases[i].args[0], o.status, o.err);
		ck_assert_str_eq(o.err, want);
		ck_assert_str_eq(o.out, "");
		free(want);
		outcome_release(&o);
	}
}

#define N_CASES(a) (sizeof(a) / sizeof((a)[0]))

START_TEST(every_command_refuses_an_unknown_option)
{
	static const struct usage_case cases[] = {
		{ { "run", "scenarios/default.ini", "--bogus" }, "run", "unknown option '--bogus'" },
		{ { "run", "-x" }, "run", "unknown option '-x'" },
		{ { "run", "--quiet=1" }, "run", "unknown option '--quiet=1'" },
		{ { "sweep", "--bogus" }, "sweep", "unknown option '--bogus'" },
		{ { "replicate", "--bogus" }, "replicate", "unknown option '--bogus'" },
		{ { "validate", "--bogus" }, "validate", "unknown option '--bogus'" },
		{ { "validate-sim", "--bogus" }, "validate-sim", "unknown option '--bogus'" },
		{ { "trace", "export", "--bogus" }, "trace", "unknown option '--bogus'" },
		{ { "forest", "train", "--bogus" }, "forest train", "unknown option '--bogus'" },
		{ { "forest", "predict", "--trees", "3" }, "forest predict",
		  "unknown option '--trees'" },
		{ { "loadtest", "--bogus" }, "loadtest", "unknown option '--bogus'" },
		{ { "loadtest", "--bogus", "x" }, "loadtest", "unknown option '--bogus'" },
		{ { "serve", "--bogus" }, "serve", "unknown option '--bogus'" },
		{ { "features", "export", "--bogus" }, "features export",
		  "unknown option '--bogus'" },
		{ { "report", "--bogus" }, "report", "unknown option '--bogus'" },
		{ { "compare", "--bogus", "a", "b" }, "compare", "unknown option '--bogus'" },
	};

	check_usage(cases, N_CASES(cases));
}
END_TEST

START_TEST(a_value_option_last_needs_its_value)
{
	static const struct usage_case cases[] = {
		{ { "run", "--out" }, "run", "option '--out' needs a directory" },
		{ { "run", "-o" }, "run", "option '-o' needs a directory" },
		{ { "run", "--trace" }, "run", "option '--trace' needs a trace file" },
		{ { "run", "--set" }, "run", "option '--set' needs an argument" },
		{ { "run", "--seed" }, "run", "option '--seed' needs an argument" },
		{ { "sweep", "--grid" }, "sweep", "option '--grid' needs an argument" },
		{ { "sweep", "--out" }, "sweep", "option '--out' needs an argument" },
		{ { "validate", "--set" }, "validate", "option '--set' needs an argument" },
		{ { "trace", "export", "s.ini", "-o" }, "trace", "option '-o' needs a file" },
		{ { "trace", "export", "s.ini", "--format" }, "trace",
		  "option '--format' needs binary or csv" },
		{ { "forest", "train", "--trees" }, "forest train",
		  "option '--trees' needs a value" },
		{ { "loadtest", "--rate" }, "loadtest", "option '--rate' needs a value" },
		{ { "loadtest", "--seed" }, "loadtest", "option '--seed' needs a value" },
		{ { "serve", "--port" }, "serve", "option '--port' needs a value" },
		{ { "features", "export", "--at" }, "features export",
		  "option '--at' needs a value" },
		{ { "features", "export", "-o" }, "features export", "option '-o' needs a value" },
		{ { "compare", "a", "b", "--out" }, "compare", "option '--out' needs an argument" },
		{ { "compare", "a", "b", "--run" }, "compare", "option '--run' needs a run id" },
	};

	check_usage(cases, N_CASES(cases));
}
END_TEST

START_TEST(bad_numbers_are_refused)
{
	static const struct usage_case cases[] = {
		{ { "run", "--seed", "abc" }, "run",
		  "bad seed 'abc': expected a non-negative integer" },
		{ { "run", "--seed=-1" }, "run", "bad seed '-1': expected a non-negative integer" },
		{ { "sweep", "--seed", "x" }, "sweep",
		  "bad seed 'x': expected a non-negative integer" },
		{ { "sweep", "--jobs", "0" }, "sweep",
		  "bad value '0' for --jobs (expected an integer 1..4096)" },
		{ { "replicate", "--seeds", "9-3" }, "replicate",
		  "bad seeds '9-3': the last seed is below the first" },
		{ { "replicate", "--seeds", "x" }, "replicate",
		  "bad seeds 'x': expected A-B (e.g. 1-20) or N" },
		{ { "replicate", "--jobs", "x" }, "replicate",
		  "bad value 'x' for --jobs (expected an integer 1..4096)" },
		{ { "validate", "--seed", "q" }, "validate",
		  "bad seed 'q': expected a non-negative integer" },
		{ { "trace", "export", "s.ini", "-o", "f", "--seed", "nope" }, "trace",
		  "bad seed 'nope': expected a non-negative integer" },
		{ { "forest", "train", "--trees", "abc" }, "forest train",
		  "bad value 'abc' for --trees (expected an integer 0..100000)" },
		{ { "forest", "train", "--trees", "-1" }, "forest train",
		  "bad value '-1' for --trees (expected an integer 0..100000)" },
		{ { "forest", "train", "--bins", "256" }, "forest train",
		  "bad value '256' for --bins (expected an integer 0..255)" },
		{ { "forest", "train", "--bins", " 8" }, "forest train",
		  "bad value ' 8' for --bins (expected an integer 0..255)" },
		{ { "forest", "train", "--threads", "0" }, "forest train",
		  "--threads must be at least 1, not '0'" },
		{ { "loadtest", "--rate", "abc" }, "loadtest",
		  "bad value 'abc' for --rate: expected a positive number" },
		{ { "loadtest", "--compress", "0" }, "loadtest",
		  "bad value '0' for --compress: expected a positive number" },
		{ { "loadtest", "--duration", "soon" }, "loadtest",
		  "bad value 'soon' for --duration: expected a duration such as 30s, 2min or 211h" },
		{ { "loadtest", "--duration", "0" }, "loadtest", "--duration must be positive, not '0'" },
		{ { "loadtest", "--at", "xyz" }, "loadtest",
		  "bad value 'xyz' for --at: expected a duration such as 30s, 2min or 211h" },
		{ { "loadtest", "--threads", "0" }, "loadtest",
		  "bad value '0' for --threads (expected an integer 1..1024)" },
		{ { "loadtest", "--queue", "-1" }, "loadtest",
		  "bad value '-1' for --queue (expected an integer 0..100000000)" },
		{ { "loadtest", "--connections", "0" }, "loadtest",
		  "bad value '0' for --connections (expected an integer 1..10000)" },
		{ { "loadtest", "--seed", "-3" }, "loadtest",
		  "bad value '-3' for --seed (expected an integer 0..18446744073709551615)" },
		{ { "serve", "--port", "70000" }, "serve",
		  "bad value '70000' for --port (expected an integer 0..65535)" },
		{ { "serve", "--threads", "0" }, "serve",
		  "bad value '0' for --threads (expected an integer 1..256)" },
		{ { "compare", "a", "--run", "x", "b" }, "compare",
		  "bad value 'x' for --run (expected an integer 1..9223372036854775807)" },
		{ { "compare", "a", "--run", "0", "b" }, "compare",
		  "bad value '0' for --run (expected an integer 1..9223372036854775807)" },
	};

	check_usage(cases, N_CASES(cases));
}
END_TEST

START_TEST(bad_choices_are_refused)
{
	static const struct usage_case cases[] = {
		{ { "trace", "export", "s.ini", "--format", "xml", "-o", "f" }, "trace",
		  "bad format 'xml': expected binary or csv" },
		{ { "forest", "train", "--criterion", "foo" }, "forest train",
		  "bad --criterion 'foo' (expected gini or entropy)" },
		{ { "forest", "train", "--task", "foo" }, "forest train",
		  "bad --task 'foo' (expected classify or regress)" },
		{ { "loadtest", "--shape", "foo" }, "loadtest",
		  "bad --shape 'foo' (constant, scenario or ramp)" },
		{ { "loadtest", "--scorer", "oracle" }, "loadtest",
		  "bad --scorer 'oracle' (forest, heuristic, popularity or random)" },
		{ { "sweep", "scenarios/default.ini", "--grid", "bad" }, "sweep",
		  "bad grid 'bad': expected section.key=value1,value2,..." },
	};

	check_usage(cases, N_CASES(cases));
}
END_TEST

START_TEST(operands_missing_or_extra)
{
	static const struct usage_case cases[] = {
		{ { "run" }, "run", "missing SCENARIO" },
		{ { "run", "a.ini", "b.ini" }, "run", "one scenario only; 'b.ini' is extra" },
		{ { "sweep", "scenarios/default.ini" }, "sweep", "missing --grid section.key=v1,v2,..." },
		{ { "sweep", "--grid", "a.b=1" }, "sweep", "missing SCENARIO" },
		{ { "sweep", "--resume", "d", "s.ini" }, "sweep",
		  "--resume DIR takes the sweep from DIR: no SCENARIO, --grid, --set, --seed or --out "
		  "with it" },
		{ { "replicate", "--seeds", "1-3" }, "replicate", "missing SCENARIO" },
		{ { "replicate", "s.ini" }, "replicate", "missing --seeds A-B" },
		{ { "replicate", "a.ini", "b.ini" }, "replicate", "one scenario only; 'b.ini' is extra" },
		{ { "replicate", "--resume", "d", "--seeds", "1-2" }, "replicate",
		  "--resume DIR takes the replication from DIR: no SCENARIO, --seeds, --set or --out "
		  "with it" },
		{ { "replicate", "s.ini", "--seeds", "1-2", "--seed", "3" }, "replicate",
		  "unknown option '--seed'" },
		{ { "validate", "a.ini", "b.ini" }, "validate", "one scenario only; 'b.ini' is extra" },
		{ { "validate-sim" }, "validate-sim", "missing RUN_DIR" },
		{ { "validate-sim", "a", "b" }, "validate-sim",
		  "one run directory only; 'b' is extra" },
		{ { "trace", "export", "s.ini" }, "trace", "export needs SCENARIO and -o FILE" },
		{ { "forest", "train", "stray" }, "forest train", "unexpected argument 'stray'" },
		{ { "loadtest", "a", "b" }, "loadtest",
		  "one run directory or scenario only; 'b' is extra" },
		{ { "loadtest", "/tmp", "--set", "a.b=1" }, "loadtest",
		  "--set a.b=1: a run directory keeps its scenario; only [slo] keys can be set for "
		  "its load test" },
		{ { "loadtest", "/tmp", "--method", "GET" }, "loadtest",
		  "--method, --header, --body, --check, --k and --allow-remote apply to an HTTP "
		  "--target only" },
		{ { "loadtest", "/tmp", "--target", "http://127.0.0.1:1/?u={usr}" }, "loadtest",
		  "--target 'http://127.0.0.1:1/?u={usr}': unknown placeholder '{usr}' (known: "
		  "{user}, {k}, {i}, {time})" },
		{ { "loadtest", "/tmp", "--ramp", "5" }, "loadtest",
		  "bad --ramp '5': expected FROM:TO requests per second (e.g. 100:2000; both >= 0, "
		  "not both 0)" },
		{ { "serve", "/tmp", "--clock", "sundial" }, "serve",
		  "bad --clock 'sundial' (fixed or wall)" },
		{ { "serve" }, "serve", "missing RUN_DIR" },
		{ { "features", "export", "a", "b" }, "features export",
		  "one RUN_DIR only; 'b' is extra" },
		{ { "features", "export", "a" }, "features export", "--at TIME is required" },
		{ { "report", "a", "b" }, "report", "one run directory only; 'b' is extra" },
		{ { "compare", "a" }, "compare", "needs at least two RUN_DIRs" },
		{ { "compare", "--run", "1", "a", "b" }, "compare",
		  "--run comes after the RUN_DIR it selects from" },
		{ { "compare", "a", "--run", "1", "--run", "2", "b" }, "compare",
		  "one --run per RUN_DIR; 'a' has two" },
		{ { "reference", "extra" }, "reference", "unexpected argument 'extra'" },
	};

	check_usage(cases, N_CASES(cases));
}
END_TEST

START_TEST(exit_codes)
{
	static const struct {
		const char *args[MAX_ARGS];
		int status;
		const char *err;   /* stderr starts with this */
	} cases[] = {
		{ { NULL }, 2, "usage: airtime" },
		{ { "nosuch" }, 2, "airtime: unknown command 'nosuch'" },
		{ { "--version" }, 0, "" },
		{ { "help", "run" }, 0, "" },
		{ { "run", "--bogus", "--help" }, 0, "" },
		{ { "validate", "scenarios/default.ini", "--seed=7" }, 0, "" },
		{ { "validate", "/nonexistent.ini" }, 2, "airtime: cannot open scenario" },
		{ { "validate", "scenarios/default.ini", "--set", "world.users=abc" }, 2,
		  "--set world.users=abc: bad value 'abc'" },
		{ { "report", "/nonexistent" }, 2, "airtime: '/nonexistent' is not a run directory" },
		{ { "compare", "/nonexistent1", "/nonexistent2" }, 2,
		  "airtime: '/nonexistent1' is not a run directory" },
		/* A missing input is bad input (2) for every command that reads one. */
		{ { "validate-sim", "/nonexistent" }, 2,
		  "airtime: '/nonexistent' is not a run directory" },
		{ { "run", "/nonexistent.ini" }, 2, "airtime: cannot open scenario" },
		{ { "trace", "export", "/nonexistent.ini", "-o", "/nonexistent/t" }, 2,
		  "airtime: cannot open scenario" },
		{ { "trace", "import", "/nonexistent.bin" }, 2,
		  "airtime: cannot open trace '/nonexistent.bin'" },
		{ { "sweep", "/nonexistent.ini", "--grid", "model.trees=5,20" }, 2,
		  "airtime: cannot open scenario '/nonexistent.ini'" },
		{ { "replicate", "/nonexistent.ini", "--seeds", "1-2" }, 2,
		  "airtime: cannot open scenario '/nonexistent.ini'" },
		{ { "forest", "train", "--csv", "/nonexistent.csv", "--label", "y", "-o",
		    "/nonexistent/m" }, 2, "airtime: cannot open CSV '/nonexistent.csv'" },
		{ { "forest", "predict", "--model", "/nonexistent.forest", "--csv", "/x.csv" }, 2,
		  "airtime: cannot open model '/nonexistent.forest'" },
		{ { "forest", "eval", "--model", "/nonexistent.forest", "--csv", "/x.csv", "--label",
		    "y" }, 2, "airtime: cannot open model '/nonexistent.forest'" },
		{ { "forest", "importance", "--model", "/nonexistent.forest" }, 2,
		  "airtime: cannot open model '/nonexistent.forest'" },
		{ { "loadtest", "/nonexistent" }, 2, "airtime: cannot open scenario" },
		{ { "serve", "/nonexistent" }, 2, "airtime: serving run directory '/nonexistent'" },
		{ { "redis-replay", "/nonexistent" }, 2,
		  "airtime redis-replay: '/nonexistent' is not a run directory" },
		{ { "features", "export", "/nonexistent", "--at", "1d" }, 2,
		  "airtime: no feature store" },
		{ { "ope", "/nonexistent", "--target", "forest" }, 2,
		  "airtime: '/nonexistent' is not a run directory" },
		{ { "export", "/nonexistent", "--table", "users", "-o", "/nonexistent/x.csv" }, 2,
		  "airtime: '/nonexistent' is not a run directory" },
		{ { "reference" }, 0, "" },
		{ { "help" }, 0, "" },
	};

	for (size_t i = 0; i < N_CASES(cases); i++) {
		struct outcome o = run(cases[i].args);

		ck_assert_msg(o.status == cases[i].status, "case %zu: exit %d, not %d (stderr: %s)",
			      i, o.status, cases[i].status, o.err);
		ck_assert_msg(!strncmp(o.err, cases[i].err, strlen(cases[i].err)),
			      "case %zu: stderr '%s' does not start with '%s'", i, o.err,
			      cases[i].err);
		outcome_release(&o);
	}
}
END_TEST

/* A failing [slo] objective: exit 3 and one line per failing objective on
 * stderr, the run directory complete; --no-fail-on-slo: exit 0, the same
 * lines say the gate is off. */
START_TEST(a_failing_slo_exits_3_unless_told_not_to)
{
	char *ini = tmpdir_path("slo.ini"), *out1 = tmpdir_path("slo-run1"),
	     *out2 = tmpdir_path("slo-run2"), *db = xasprintf("%s/results.db", out1);
	const char *gate[] = { "run", ini, "--out", out1, "--quiet", NULL };
	const char *nogate[] = { "run", ini, "--out", out2, "--quiet", "--no-fail-on-slo", NULL };
	FILE *f = fopen(ini, "w");
	struct outcome o;
	struct stat sb;

	ck_assert_ptr_nonnull(f);
	fprintf(f, "[world]\nusers = 300\ncreators = 60\n[run]\nwarmup_days = 1\n"
		   "experiment_days = 1\n[model]\ntrees = 5\n[report]\nplots = false\n"
		   "[slo]\nlatency_p50 = 1us\n");
	fclose(f);
	o = run(gate);
	ck_assert_msg(o.status == 3, "exit %d, not 3 (stderr: %s)", o.status, o.err);
	ck_assert_msg(!strncmp(o.err, "airtime: SLO failed: end-to-end latency p50: ", 45),
		      "stderr: %s", o.err);
	ck_assert_msg(strstr(o.err, "target < 1.00 us\n") && !strchr(strchr(o.err, '\n') + 1, 'S'),
		      "one line per failing objective, and only p50 fails: %s", o.err);
	ck_assert_ptr_nonnull(strstr(o.out, "SLOs: "));
	ck_assert_int_eq(stat(db, &sb), 0);
	outcome_release(&o);
	o = run(nogate);
	ck_assert_msg(o.status == 0, "exit %d, not 0 (stderr: %s)", o.status, o.err);
	ck_assert_ptr_nonnull(strstr(o.err, "end-to-end latency p50: "));
	ck_assert_ptr_nonnull(strstr(o.err, "(--no-fail-on-slo: not gating)"));
	outcome_release(&o);
	free(ini);
	free(out1);
	free(out2);
	free(db);
}
END_TEST

START_TEST(validate_takes_set_and_seed_in_any_order_and_spelling)
{
	static const char *const a[] = { "validate", "scenarios/default.ini", "--seed", "7",
					 "--set", "world.users=123", NULL };
	static const char *const b[] = { "validate", "--set=world.users=123", "--seed=7",
					 "scenarios/default.ini", NULL };
	struct outcome oa = run(a), ob = run(b);

	ck_assert_int_eq(oa.status, 0);
	ck_assert_int_eq(ob.status, 0);
	ck_assert_str_eq(oa.out, ob.out);
	ck_assert_ptr_nonnull(strstr(oa.out, "users = 123"));
	ck_assert_ptr_nonnull(strstr(oa.out, "seed = 7"));
	outcome_release(&oa);
	outcome_release(&ob);
}
END_TEST

/* compare on a results.db of two runs that both hold an analysis: each
 * --run selects its side; none is an error listing both (exit 2), and
 * nothing is written. */
START_TEST(compare_selects_runs_with_run)
{
	struct fixture_opts one = { 0 }, two = { .lift_scale = 2 };
	char *dir = tmpdir_path("twin"), *out = tmpdir_path("cmp"), *html;
	const char *pick[] = { "compare", dir, "--run", "2", dir, "--run=1", "--out", out, NULL };
	const char *none[] = { "compare", dir, dir, "--out", out, NULL };
	struct outcome o;
	struct stat st;

	ck_assert_int_eq(mkdir(dir, 0777), 0);
	fixture_write_run(dir, &one);
	fixture_write_run(dir, &two);
	/* No gnuplot: plots are skipped with a warning, the exit code stays 0. */
	ck_assert_int_eq(setenv("AIRTIME_GNUPLOT", "/nonexistent/airtime-no-gnuplot", 1), 0);
	o = run(none);
	ck_assert_int_eq(o.status, 2);
	ck_assert_msg(strstr(o.err, "holds 2 runs (1 'synthetic', 2 'synthetic') and 2 of them "
			     "hold an experiment's analysis: select one with --run ID"), "%s",
		      o.err);
	ck_assert_int_ne(stat(out, &st), 0);
	outcome_release(&o);
	o = run(pick);
	ck_assert_msg(o.status == 0, "exit %d: %s", o.status, o.err);
	html = xasprintf("%s/compare.html\n", out);
	ck_assert_str_eq(o.out, html);
	free(html);
	outcome_release(&o);
	free(dir);
	free(out);
}
END_TEST

/* compare on twin-like results.db files (the analysis under one world's
 * run only) needs no --run: exit 0, and the comparison names the runs
 * taken. */
START_TEST(compare_defaults_to_the_analysis_run)
{
	struct fixture_opts control = { .name = "synthetic#control" };
	struct fixture_opts treatment = { .name = "synthetic#treatment", .no_analysis = true };
	char *dir = tmpdir_path("twin"), *out = tmpdir_path("cmp");
	char *html = xasprintf("%s/compare.html\n", out), *mdpath = xasprintf("%s/compare.md", out);
	const char *args[] = { "compare", dir, dir, "--run", "2", "--out", out, NULL };
	char *md, *row;
	struct outcome o;

	ck_assert_int_eq(mkdir(dir, 0777), 0);
	fixture_write_run(dir, &control);
	fixture_write_run(dir, &treatment);
	ck_assert_int_eq(setenv("AIRTIME_GNUPLOT", "/nonexistent/airtime-no-gnuplot", 1), 0);
	o = run(args);
	ck_assert_msg(o.status == 0, "exit %d: %s", o.status, o.err);
	ck_assert_str_eq(o.out, html);
	md = slurp(mdpath);
	row = xasprintf("| R1 | %s | 1 (analysis run) | synthetic#control |", dir);
	ck_assert_msg(strstr(md, row), "no '%s' in\n%s", row, md);
	free(row);
	row = xasprintf("| R2 | %s | 2 | synthetic#treatment |", dir);
	ck_assert_msg(strstr(md, row), "no '%s' in\n%s", row, md);
	free(row);
	free(md);
	outcome_release(&o);
	free(mdpath);
	free(html);
	free(dir);
	free(out);
}
END_TEST

/* Without --out, compare writes 'compare' beside the first run directory,
 * also when that is given with a trailing slash (not inside it). */
START_TEST(compare_default_out_is_beside_the_first_run)
{
	struct fixture_opts control = { .name = "synthetic#control" };
	char *dir = tmpdir_path("one"), *slashed = xasprintf("%s//", dir);
	char *want = tmpdir_path("compare"), *html = xasprintf("%s/compare.html\n", want);
	const char *args[] = { "compare", slashed, dir, NULL };
	struct outcome o;
	struct stat st;

	ck_assert_int_eq(mkdir(dir, 0777), 0);
	fixture_write_run(dir, &control);
	ck_assert_int_eq(setenv("AIRTIME_GNUPLOT", "/nonexistent/airtime-no-gnuplot", 1), 0);
	o = run(args);
	ck_assert_msg(o.status == 0, "exit %d: %s", o.status, o.err);
	ck_assert_str_eq(o.out, html);
	ck_assert_int_eq(stat(want, &st), 0);
	outcome_release(&o);
	free(html);
	free(want);
	free(slashed);
	free(dir);
}
END_TEST

/* compare does not overwrite an earlier comparison: an existing, non-empty
 * --out is refused (exit 2, nothing touched) unless --force is given. */
START_TEST(compare_refuses_to_overwrite_without_force)
{
	struct fixture_opts control = { .name = "synthetic#control" };
	char *dir = tmpdir_path("one"), *out = tmpdir_path("cmp");
	char *keep = tmpdir_path("cmp/notes.txt");
	const char *once[] = { "compare", dir, dir, "--out", out, NULL };
	const char *forced[] = { "compare", dir, dir, "--out", out, "--force", NULL };
	struct outcome o;
	FILE *f;

	ck_assert_int_eq(mkdir(dir, 0777), 0);
	fixture_write_run(dir, &control);
	ck_assert_int_eq(setenv("AIRTIME_GNUPLOT", "/nonexistent/airtime-no-gnuplot", 1), 0);
	o = run(once);
	ck_assert_msg(o.status == 0, "exit %d: %s", o.status, o.err);
	outcome_release(&o);
	f = fopen(keep, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	o = run(once);
	ck_assert_int_eq(o.status, 2);
	ck_assert_msg(strstr(o.err, "exists and is not empty: not overwriting it (--force"), "%s",
		      o.err);
	outcome_release(&o);
	o = run(forced);
	ck_assert_msg(o.status == 0, "exit %d: %s", o.status, o.err);
	outcome_release(&o);
	free(keep);
	free(dir);
	free(out);
}
END_TEST

/* Start airtime with args in the background, stdout and stderr to files
 * (tmpdir's "bg-stdout", "bg-stderr"); returns its pid. */
static pid_t start(const char *const *args)
{
	char *bin = airtime_path(), *out = tmpdir_path("bg-stdout"), *err = tmpdir_path("bg-stderr");
	const char *argv[MAX_ARGS + 2] = { "airtime" };
	pid_t pid;

	for (size_t i = 0; args[i]; i++) {
		ck_assert_uint_lt(i, MAX_ARGS);
		argv[i + 1] = args[i];
	}
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0666);
		int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0666);

		if (in < 0 || fo < 0 || fe < 0 || dup2(in, 0) < 0 || dup2(fo, 1) < 0 ||
		    dup2(fe, 2) < 0)
			_exit(127);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	free(bin);
	free(out);
	free(err);
	return pid;
}

/* Does directory `dir` hold an entry whose name contains `part`? */
static bool dir_has(const char *dir, const char *part)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool found = false;

	ck_assert_ptr_nonnull(d);
	while (!found && (e = readdir(d)) != NULL)
		found = strstr(e->d_name, part) != NULL;
	closedir(d);
	return found;
}

/* A run long enough to be stopped while it simulates. */
static char *long_scenario(void)
{
	char *ini = tmpdir_path("long.ini");
	FILE *f = fopen(ini, "w");

	ck_assert_ptr_nonnull(f);
	fprintf(f, "[world]\nusers = 3000\ncreators = 100\n[run]\nwarmup_days = 1\n"
		   "experiment_days = 300\n[model]\ntrees = 5\n[report]\nplots = false\n");
	fclose(f);
	return ini;
}

/* SIGINT and SIGTERM while the run simulates: the temporary directory is
 * removed, nothing is written, exit 130 / 143 with one line saying so. */
START_TEST(a_signal_stops_the_run_and_removes_its_temporary)
{
	static const int sigs[] = { SIGINT, SIGTERM };
	static const int codes[] = { 130, 143 };
	static const char *const says[] = { "airtime: interrupted by SIGINT: temporary files "
					    "removed, nothing written (",
					    "airtime: stopped by SIGTERM: temporary files removed, "
					    "nothing written (" };
	char *ini = long_scenario(), *runs = tmpdir_path("runs"), *out = tmpdir_path("runs/r");
	char *errpath = tmpdir_path("bg-stderr");
	const char *args[] = { "run", ini, "--out", out, NULL };

	ck_assert_int_eq(mkdir(runs, 0777), 0);
	for (size_t k = 0; k < 2; k++) {
		pid_t pid = start(args);
		struct timespec nap = { 0, 20 * 1000 * 1000 };
		int status, waited = 0;
		char *err, *nl;

		/* Wait (at most 60 s) for the temporary directory to appear. */
		while (!dir_has(runs, ".tmp-") && waited++ < 3000)
			nanosleep(&nap, NULL);
		ck_assert_msg(dir_has(runs, ".tmp-"), "no temporary run directory appeared");
		ck_assert_int_eq(kill(pid, sigs[k]), 0);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFEXITED(status), "killed by signal %d", WTERMSIG(status));
		err = slurp(errpath);
		ck_assert_msg(WEXITSTATUS(status) == codes[k], "exit %d, not %d: %s",
			      WEXITSTATUS(status), codes[k], err);
		ck_assert_msg(!strncmp(err, says[k], strlen(says[k])), "stderr: %s", err);
		nl = strchr(err, '\n');
		ck_assert_msg(nl && nl[1] == '\0', "one line: %s", err);
		ck_assert_int_eq(tmpdir_entries(runs), 0);
		free(err);
	}
	free(errpath);
	free(ini);
	free(runs);
	free(out);
}
END_TEST

/* --progress without a terminal: a line as each phase ends (simulation,
 * training, report); --quiet: nothing. */
START_TEST(progress_lines_per_phase)
{
	char *ini = tmpdir_path("p.ini"), *out1 = tmpdir_path("p1"), *out2 = tmpdir_path("p2");
	const char *loud[] = { "run", ini, "--out", out1, "--progress", NULL };
	const char *quiet[] = { "run", ini, "--out", out2, "--quiet", NULL };
	FILE *f = fopen(ini, "w");
	struct outcome o;

	ck_assert_ptr_nonnull(f);
	fprintf(f, "[world]\nusers = 300\ncreators = 60\n[run]\nwarmup_days = 1\n"
		   "experiment_days = 1\n[model]\ntrees = 5\n[report]\nplots = false\n");
	fclose(f);
	o = run(loud);
	ck_assert_msg(o.status == 0, "exit %d: %s", o.status, o.err);
	ck_assert_msg(strstr(o.err, "airtime: training, world split: at day 1.0, done in "),
		      "%s", o.err);
	ck_assert_msg(strstr(o.err, "airtime: simulation, world split: "), "%s", o.err);
	ck_assert_msg(strstr(o.err, "airtime: report: written in "), "%s", o.err);
	ck_assert_msg(strstr(o.err, "airtime: training") < strstr(o.err, "airtime: simulation") &&
		      strstr(o.err, "airtime: simulation") < strstr(o.err, "airtime: report"),
		      "phases in order: %s", o.err);
	outcome_release(&o);
	o = run(quiet);
	ck_assert_int_eq(o.status, 0);
	ck_assert_str_eq(o.err, "");
	outcome_release(&o);
	free(ini);
	free(out1);
	free(out2);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
	tcase_add_test(tc, every_command_refuses_an_unknown_option);
	tcase_add_test(tc, a_value_option_last_needs_its_value);
	tcase_add_test(tc, bad_numbers_are_refused);
	tcase_add_test(tc, bad_choices_are_refused);
	tcase_add_test(tc, operands_missing_or_extra);
	tcase_add_test(tc, exit_codes);
	tcase_add_test(tc, a_failing_slo_exits_3_unless_told_not_to);
	tcase_add_test(tc, validate_takes_set_and_seed_in_any_order_and_spelling);
	tcase_add_test(tc, compare_selects_runs_with_run);
	tcase_add_test(tc, compare_defaults_to_the_analysis_run);
	tcase_add_test(tc, compare_default_out_is_beside_the_first_run);
	tcase_add_test(tc, compare_refuses_to_overwrite_without_force);
	tcase_add_test(tc, a_signal_stops_the_run_and_removes_its_temporary);
	tcase_add_test(tc, progress_lines_per_phase);
}

CHECK_MAIN("cli", add_tests, 60)
