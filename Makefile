# airtime: build, test, run, bench.  GNU make.
#
#   make                 the airtime binary
#   make test            build and run every Check suite (tests/test_*.c);
#                        -j2 runs two suites at once
#   make test-long       the test cases too long for every `make test`
#   make run             build, then run scenarios/default.ini into reports/
#   make bench           benchmarks (bench/), figures into bench/RESULTS.md
#   make fuzz            libFuzzer harnesses (fuzz/), FUZZ_SECONDS=N each (30)
#   make reference       regenerate the key reference in scenarios/README.md
#   make golden          regenerate tests/golden/ (validate output, run summaries)
#   make SANITIZE=address,undefined test
#   make WERROR=1        warnings are errors (CI)
#
# Missing Debian packages are installed by .ci/deps (as root) or named.

CC      ?= cc
BUILD   ?= build
PKGS    := gsl sqlite3 inih libmicrohttpd libcurl hiredis
TESTPKG := check

CSTD     := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla \
            -Wformat=2 -Wno-format-nonliteral
OPT      ?= -O2 -g
CFLAGS_ALL = $(CSTD) $(WARN) $(OPT) -I. $(PKG_CFLAGS) -MMD -MP
ifneq ($(WERROR),)
CFLAGS_ALL += -Werror
endif
ifneq ($(SANITIZE),)
CFLAGS_ALL += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS_ALL += -fsanitize=$(SANITIZE)
BUILD := $(BUILD)-san
endif
LDFLAGS_ALL += $(LDFLAGS)
LIBS     = $(PKG_LIBS) $(MPI_LIBS) -lpthread -ldl -lm

DEPS_STAMP := $(BUILD)/.deps-ok
# pkg-config is asked only once the set-up step has made sure it exists.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_CFLAGS = $(shell pkg-config --cflags $(TESTPKG) 2>/dev/null)
# MPI (OpenMPI, Debian's libopenmpi-dev): its headers for dist/mpi.c alone,
# as system headers (their warnings are not ours); every program links
# libmpi, and calls MPI_Init only when started by mpirun (dist/mpi.h).
MPI_CFLAGS = $(patsubst -I%,-isystem %,$(shell pkg-config --cflags ompi 2>/dev/null))
MPI_LIBS   = $(shell pkg-config --libs ompi 2>/dev/null)
CHECK_LIBS   = $(shell pkg-config --libs $(TESTPKG) 2>/dev/null)

# Layers, bottom up (.ci/layers lists what each may include): each folder
# includes only those below it; dist/ is the work queue over processes and
# MPI (only eval/ and cli/ use it); config/ is the scenario's key table over
# sim's and engine's config structs; cli/ is the command line, linked into
# the library so tests can drive a command as the binary does.
LAYERS   := common dist sim engine stats config results render eval serve cli
LIB_SRC  := $(sort $(foreach d,$(LAYERS),$(wildcard $(d)/*.c)))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(sort $(wildcard tests/test_*.c))
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_SUPPORT := $(filter-out $(TEST_SRC),$(wildcard tests/*.c))
TEST_SUPPORT_OBJ := $(TEST_SUPPORT:%.c=$(BUILD)/%.o)
BENCH_SRC := $(sort $(wildcard bench/bench_*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
# Scorer plugins (include/airtime/scorer.h, docs/ranker-plugins.md): the
# example ranker, and the plugins the test suites load from $(BUILD).
PLUGIN_SRC := $(sort $(wildcard examples/rankers/*.c))
PLUGINS := $(PLUGIN_SRC:examples/rankers/%.c=$(BUILD)/examples/lib%.so)
TEST_PLUGIN_SRC := $(sort $(wildcard tests/plugins/*.c))
TEST_PLUGINS := $(TEST_PLUGIN_SRC:tests/plugins/%.c=$(BUILD)/tests/plugins/lib%.so)
PLUGIN_CFLAGS = -std=c11 $(WARN) -O2 -g -fPIC -shared -I include

GIT_REV := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)

.DELETE_ON_ERROR:
.SECONDARY: $(TEST_BIN:=.o) $(TEST_SUPPORT_OBJ)
.PHONY: all test run bench clean deps check-syntax reference golden fuzz FORCE

all: airtime $(PLUGINS)

deps: $(DEPS_STAMP)
$(DEPS_STAMP): .ci/deps
	@mkdir -p $(@D)
	@sh .ci/deps
	@touch $@

# copy then rename: a running ./airtime keeps its old file (no "text file busy")
airtime: $(DEPS_STAMP) $(BUILD)/airtime
	@cp $(BUILD)/airtime $@.tmp && mv -f $@.tmp $@

$(BUILD)/libairtime.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

# The one file that includes <mpi.h>.
$(BUILD)/dist/mpi.o: CFLAGS_ALL += $(MPI_CFLAGS)

# The revision is rewritten only when it changes, so nothing relinks needlessly.
$(BUILD)/gitrev: FORCE
	@mkdir -p $(@D)
	@echo '$(GIT_REV)' | cmp -s - $@ || echo '$(GIT_REV)' > $@
FORCE:

$(BUILD)/version.o: airtime_version.c $(BUILD)/gitrev | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -DAIRTIME_GIT_REV='"$(GIT_REV)"' -c $< -o $@

# The binary is the dispatcher (airtime.c) over libairtime.
$(BUILD)/airtime: $(BUILD)/airtime.o $(BUILD)/version.o $(BUILD)/libairtime.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

$(BUILD)/tests/%.o: tests/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(CHECK_CFLAGS) -DTEST_BUILD='"$(BUILD)"' -c $< -o $@

# A plugin is built the way docs/ranker-plugins.md tells its users to: the
# public header alone, no sanitizer (it is not airtime's code).
$(BUILD)/examples/lib%.so: examples/rankers/%.c include/airtime/scorer.h
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_CFLAGS) $(if $(WERROR),-Werror) -o $@ $< -lm

$(BUILD)/tests/plugins/lib%.so: tests/plugins/%.c include/airtime/scorer.h
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_CFLAGS) $(if $(WERROR),-Werror) -o $@ $< -lm

$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(TEST_SUPPORT_OBJ) $(BUILD)/version.o $(BUILD)/libairtime.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(CHECK_LIBS) $(LIBS)

$(BUILD)/bench/%: bench/%.c $(BUILD)/libairtime.a | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -DBENCH_BUILD='"$(BUILD)"' -o $@ $< $(BUILD)/version.o $(BUILD)/libairtime.a $(LIBS)
$(BENCH_BIN): $(BUILD)/version.o | $(BUILD)/bench/libforest_lib.so $(PLUGINS) $(TEST_PLUGINS)

# bench_rank's plugin: airtime's own forest code behind the plugin interface.
FOREST_LIB_SRC := bench/plugin_forest.c engine/forest.c engine/forest_fast.c common/xalloc.c common/error.c
$(BUILD)/bench/libforest_lib.so: $(FOREST_LIB_SRC) include/airtime/scorer.h
	@mkdir -p $(@D)
	$(CC) $(CSTD) $(WARN) $(OPT) -fPIC -shared -I. -I include -o $@ $(FOREST_LIB_SRC) -lm

# A null HTTP target for the load generator's own overhead (not a bench_*:
# run-all.sh starts it as a server).
$(BUILD)/bench/nullserver: bench/nullserver.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -D_GNU_SOURCE -o $@ $< $(LIBS)

# Each suite runs from the top of the tree (tests read scenarios/, write to a
# temporary directory) as its own target, so `make -j2 test` runs two at
# once; .ci/run-tests prints one line per suite as it ends (checks, failures,
# seconds, its slowest test case; the output is in build/tests/test_X.log),
# then the 'N passed, N failed' line.  The slowest suites start first.
# Test cases tagged "long" (tests/check_main.h) run only in `make
# test-long`, which CI also runs.
TEST_NAMES := $(TEST_SRC:tests/%.c=%)
TEST_FIRST := test_scenarios test_mpi test_run test_workpool test_golden test_validity test_report \
              test_behaviour test_results test_replicate
TEST_ORDER := $(foreach t,$(TEST_FIRST),$(filter $(t),$(TEST_NAMES))) \
              $(filter-out $(TEST_FIRST),$(TEST_NAMES))
LONG_NAMES := $(patsubst tests/%.c,%,$(shell grep -l 'CHECK_MAIN_LONG\|check_long_tcase' $(TEST_SRC)))
SUITE_RUNS := $(TEST_ORDER:%=suite-%)
LONG_RUNS  := $(LONG_NAMES:%=long-%)
.PHONY: test-long layers python-test $(SUITE_RUNS) $(LONG_RUNS)

test: layers python-test $(SUITE_RUNS)
	@sh .ci/run-tests --summary $(TEST_ORDER:%=$(BUILD)/tests/%)

# The Python package's own tests (the ranker side of the protocol, the
# results loader), with Debian's numpy: /usr/bin/python3, not a python3
# earlier on PATH.
python-test:
	@out=$$(/usr/bin/python3 -m unittest discover -s python/tests -t python 2>&1); rc=$$?; \
	  if [ $$rc -ne 0 ]; then printf '%s\n' "$$out"; else printf '%s\n' "$$out" | grep '^Ran' | sed 's/^/python: /'; fi; \
	  exit $$rc

# The include directions of docs/architecture.md, checked as text.
layers:
	@sh .ci/layers && echo "layers: every include points down"

$(SUITE_RUNS): suite-%: $(BUILD)/tests/% $(BUILD)/airtime
	@sh .ci/run-tests --one $(BUILD)/tests/$*

test-long: $(LONG_RUNS)
	@sh .ci/run-tests --summary --long $(LONG_NAMES:%=$(BUILD)/tests/%)

$(LONG_RUNS): long-%: $(BUILD)/tests/% $(BUILD)/airtime
	@sh .ci/run-tests --one --long $(BUILD)/tests/$*

# The key reference in scenarios/README.md and the golden output of
# 'airtime validate scenarios/default.ini' are generated; tests fail when the
# committed copies are stale.  Regenerate both after changing the key table.
REF_BEGIN := <!-- BEGIN KEY REFERENCE -->
REF_END   := <!-- END KEY REFERENCE -->
reference: airtime
	@mkdir -p $(BUILD)
	./airtime reference > $(BUILD)/reference.md
	awk -v ref=$(BUILD)/reference.md -v b='$(REF_BEGIN)' -v e='$(REF_END)' \
	  '$$0 == b { print; while ((getline l < ref) > 0) print l; skip = 1; next } \
	   $$0 == e { skip = 0 } !skip { print }' scenarios/README.md > $(BUILD)/README.md.new
	mv $(BUILD)/README.md.new scenarios/README.md

# The golden run summaries (tests/golden/tiny-*.txt) are written by their
# own test, told to by AIRTIME_GOLDEN_UPDATE; regenerate them only when a
# change is meant to change what is simulated.
golden: airtime $(BUILD)/tests/test_golden
	@mkdir -p tests/golden
	./airtime validate scenarios/default.ini > tests/golden/validate-default.txt
	AIRTIME_GOLDEN_UPDATE=1 $(BUILD)/tests/test_golden

# The tour: a failed SLO is printed (one line each) but is not make's
# error here; `airtime run` alone exits 3 on one (README, exit codes).
run: airtime
	./airtime run scenarios/default.ini --no-fail-on-slo

# wrk and linux-perf (.ci/deps --bench): installed as root; without them the
# sections that need them say "skipped" instead of failing the bench.
bench: airtime $(BENCH_BIN) $(BUILD)/bench/nullserver
	-@sh .ci/deps --bench
	@sh bench/run-all.sh $(BUILD)

# libFuzzer harnesses (fuzz/fuzz_*.c, fuzz/README.md; clang and
# libclang-rt-dev from Debian: .ci/deps), the library built again with
# clang under ASan + UBSan into build-fuzz/: `make fuzz FUZZ_SECONDS=N`
# runs each for N seconds (fuzz/run.sh) from the seeds of fuzz/corpus/NAME;
# CI (.ci/run) runs each for 30 s.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 30
FUZZ_BUILD   := build-fuzz
FUZZ_NAMES   := scenario trace trace_binary csv model http
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS   = $(CSTD) -O1 -g -I. $(PKG_CFLAGS) $(FUZZ_SAN)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o) $(FUZZ_BUILD)/version.o
FUZZ_BINS    := $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)

$(FUZZ_BUILD)/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@echo "  FUZZ-CC $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

# The AVX-512 walk: clang 14's UBSan takes minutes (more than 15 at -O1)
# over its intrinsics, so this one file is built under ASan alone.
$(FUZZ_BUILD)/engine/forest_fast.o: FUZZ_SAN := -fsanitize=address -fno-omit-frame-pointer
$(FUZZ_BUILD)/dist/mpi.o: FUZZ_CFLAGS += $(MPI_CFLAGS)

$(FUZZ_BUILD)/version.o: airtime_version.c $(BUILD)/gitrev | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -DAIRTIME_GIT_REV='"$(GIT_REV)"' -c $< -o $@

$(FUZZ_BUILD)/libairtime.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	@ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz_mem.h $(FUZZ_BUILD)/libairtime.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(WARN) $(if $(WERROR),-Werror) -fsanitize=fuzzer -o $@ $< \
		$(FUZZ_BUILD)/libairtime.a $(LIBS)

fuzz: $(FUZZ_BINS)
	@sh fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_NAMES)

clean:
	rm -rf build build-san build-fuzz airtime

-include $(wildcard $(FUZZ_BUILD)/*/*.d)
-include $(LIB_OBJ:.o=.d) $(BUILD)/airtime.d $(BUILD)/version.d $(TEST_BIN:=.d) $(TEST_SUPPORT_OBJ:.o=.d) $(BENCH_BIN:=.d)

# The scorer suites load the plugins and run the binary.
$(BUILD)/tests/test_scorer $(BUILD)/tests/test_scorer_plugin $(BUILD)/tests/test_scorer_exec \
$(BUILD)/tests/test_schema: | $(PLUGINS) $(TEST_PLUGINS) $(BUILD)/airtime
