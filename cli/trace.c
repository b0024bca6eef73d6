/*
 * `airtime trace export|import`: a run's backend event stream to a file, and a recorded trace checked.
 */
#include "cli/cli.h"
#include "common/event.h"
#include "common/simtime.h"
#include "common/trace.h"
#include "common/xalloc.h"
#include "eval/run.h"
#include "results/rundir.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct trace_summary {
	uint64_t by_type[EVENT_TYPE_COUNT];
	simtime first, last;
	uint64_t n;
};

static int summarise_event(void *ctx, const struct event *ev)
{
	struct trace_summary *t = ctx;

	if (ev->type < EVENT_TYPE_COUNT)
		t->by_type[ev->type]++;
	if (t->n == 0 || ev->emit_time < t->first)
		t->first = ev->emit_time;
	if (t->n == 0 || ev->emit_time > t->last)
		t->last = ev->emit_time;
	t->n++;
	return 0;
}

static int trace_import(const char *path)
{
	struct trace_summary sum = { 0 };
	struct trace_report rep;
	struct error e;
	int rc;

	error_clear(&e);
	memset(&rep, 0, sizeof(rep));
	rc = trace_read(path, summarise_event, &sum, &rep, &e);
	printf("trace: %s (%s)\n", path, rep.format == TRACE_CSV ? "csv" : "binary");
	printf("rows: %llu, valid: %llu, malformed: %llu\n", (unsigned long long)rep.rows,
	       (unsigned long long)rep.accepted, (unsigned long long)rep.malformed);
	for (size_t i = 0; i < rep.n_messages; i++)
		fprintf(stderr, "%s\n", rep.messages[i]);
	if (rep.malformed > rep.n_messages)
		fprintf(stderr, "(and %llu more malformed rows)\n",
			(unsigned long long)(rep.malformed - rep.n_messages));
	if (rc < 0) {
		if (!rep.malformed)
			fprintf(stderr, "airtime: %s\n", e.msg);
		return cli_exit_for(&e);
	}
	if (sum.n)
		printf("time range: %.3f s .. %.3f s\n", simtime_to_s(sum.first),
		       simtime_to_s(sum.last));
	for (int t = 1; t < EVENT_TYPE_COUNT; t++)
		if (sum.by_type[t])
			printf("  %-16s %llu\n", event_type_name(t),
			       (unsigned long long)sum.by_type[t]);
	return EXIT_OK;
}

static int cmd_trace(int argc, char **argv)
{
	struct cli_scenario_opts opts = { 0 };
	struct run_options ro = { 0 };
	struct run_summary sum;
	const char *path = NULL;
	char tmpl[] = "/tmp/.airtime-trace.tmp-XXXXXX", *notes = NULL;
	int lock_fd;
	struct scenario *sc;
	struct error e;
	int code, r, csv = 0;
	static const char *const formats[] = { "binary", "csv", NULL };
	const struct cliopt table[] = {
		CLI_SCENARIO_OPTIONS(&opts),
		CLIOPT_VALUE("--out", "-o", "a file", cliopt_string, &ro.trace_out),
		CLIOPT_CHOICE("--format", "binary or csv", formats,
			      "bad format '%s': expected binary or csv", &csv),
		CLIOPT_OPERAND("one scenario", cliopt_operand, &path),
		CLIOPT_END,
	};

	if (argc < 2)
		return cliopt_usage_error("trace", "missing 'export' or 'import'");
	if (!strcmp(argv[1], "import")) {
		if (argc != 3)
			return cliopt_usage_error("trace", "import takes one FILE");
		return cli_need_input(argv[2], "trace") ? EXIT_USAGE : trace_import(argv[2]);
	}
	if (strcmp(argv[1], "export"))
		return cliopt_usage_error("trace", "unknown subcommand '%s'", argv[1]);
	if ((code = cliopt_parse("trace", argc, argv, 2, table)))
		goto out;
	ro.trace_out_csv = csv;
	if (!path || !ro.trace_out) {
		code = cliopt_usage_error("trace", "export needs SCENARIO and -o FILE");
		goto out;
	}
	/* One world is one event stream: the split world. */
	cli_scenario_opts_add(&opts, "ab.mode=split");
	sc = cli_load_scenario(path, &opts, &code);
	if (!sc)
		goto out;
	/* The run directory is scratch: only the trace is kept.  It is locked
	 * while we live; scratch directories of dead exports are removed. */
	if (rundir_stale_scan("/tmp", &notes) > 0)
		fprintf(stderr, "airtime: note: %s\n", notes);
	free(notes);
	if (!mkdtemp(tmpl) || (lock_fd = rundir_lock(tmpl)) < 0) {
		fprintf(stderr, "airtime: cannot make a scratch directory: %s\n", strerror(errno));
		scenario_free(sc);
		code = EXIT_RUN;
		goto out;
	}
	{
		char *out = xasprintf("%s/run", tmpl);

		ro.out = out;
		ro.no_report = true;
		error_clear(&e);
		r = run_execute(sc, &ro, &sum, &e);
		rundir_remove_tree(tmpl, NULL);
		close(lock_fd);
		free(out);
	}
	scenario_free(sc);
	if (r < 0) {
		code = cli_fail(&e);
		goto out;
	}
	printf("trace: %s (%llu events)\n", ro.trace_out, (unsigned long long)sum.events);
out:
	cli_scenario_opts_release(&opts);
	return code;
}

const struct cli_command cli_trace = {
	"trace", "trace export SCENARIO -o FILE [--format binary|csv] [--seed N] [--set s.k=v]...\n"
		   "  trace import FILE",
	"export: run the scenario (its first world) and write every backend event it\n"
	"emitted to FILE, as compact binary (default) or CSV with the columns\n"
	"  " TRACE_CSV_HEADER "\n"
	"(times in microseconds since the scenario epoch; see common/trace.h).  No run\n"
	"directory is kept.\n"
	"import: read and validate a trace (binary or CSV) and summarise it; every\n"
	"malformed row is reported with its row number and column, and the exit code is\n"
	"then 2.  A valid trace can be replayed with 'airtime run SCENARIO --trace FILE'.",
	cmd_trace,
};
