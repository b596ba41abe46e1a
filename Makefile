# viperbench: top-level build.
#
#   make                 build everything (installs Debian packages first)
#   make bench SCENARIO=randrw_70_30   the layer ladder, a results/VM-N record
#   make check           run the test suite
#   make check-deb       the package installed by apt in a pristine Debian root
#   make bench-engine    the engine benchmark (fio's nbd engine vs viper)
#   make demo            a short demo of the engine
#   make install         PREFIX=/usr/local DESTDIR= (uninstall: the reverse)
#   make deb             a Debian package in build/deb (apt install ./build/deb/viperbench_*.deb)
#   make clean           remove what the build made (distclean: also the
#                        fetched fio source)
#
# WERROR=1 turns warnings into errors; SANITIZER=address|undefined builds
# everything with that sanitizer.  V=1 shows the commands.
#
# The code is in layers, each its own archive, linked one way:
#   common/      libcommon.a     messages, processes, fio's JSON and bins,
#                                the record model, statistics
#   collectors/  libcollectors.a on common/
#   reports/     libreports.a    on common/
#   runner/      viperbench      on all of them (commands, run, gate,
#                                targets)
# A call in the wrong direction fails to link ($(BUILD)/.layers).
#
# Configuration that depends on what is installed (fio's version and
# source, nbdkit's plugin directory) is written to build/config.mk and
# build/config.h by common/deps.sh after the packages are installed; make
# then restarts with it.

CC ?= cc
CFLAGS ?= -O2 -g -Wall -Wextra
override CFLAGS += -std=gnu11 -Wshadow -Wvla -fPIC -D_GNU_SOURCE -MMD -MP
LDFLAGS ?=
PREFIX ?= /usr/local
DESTDIR ?=

# Sanitizer builds live beside the normal one, so flags never mix.
ifeq ($(SANITIZER),)
BUILD := build
else
BUILD := build/$(SANITIZER)
endif

ifeq ($(WERROR),1)
override CFLAGS += -Werror
endif

ifeq ($(SANITIZER),)
else ifeq ($(SANITIZER),address)
override CFLAGS += -fsanitize=address -fno-omit-frame-pointer
override LDFLAGS += -fsanitize=address
else ifeq ($(SANITIZER),undefined)
override CFLAGS += -fsanitize=undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
override LDFLAGS += -fsanitize=undefined
else
$(error SANITIZER must be address or undefined, not '$(SANITIZER)')
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

DEPS_STAMP := build/.deps-stamp
CONFIG_MK := build/config.mk
CONFIG_H := build/config.h

# Goals that need no configuration (and so install nothing).
NOCONFIG_GOALS := clean distclean
ifneq ($(filter-out $(NOCONFIG_GOALS),$(or $(MAKECMDGOALS),all)),)
include $(CONFIG_MK)
endif

# The engine's transport code, free of fio types (unit tests link it).
CORE_SRCS := \
	engine/device.c \
	engine/error.c \
	engine/host.c \
	engine/nbd.c \
	engine/inproc.c \
	engine/uri.c

COMMON_SRCS := \
	common/bins.c \
	common/cgroup.c \
	common/changepoint.c \
	common/fiojson.c \
	common/fiolog.c \
	common/model.c \
	common/msg.c \
	common/options.c \
	common/probe_file.c \
	common/proc.c \
	common/qmp.c \
	common/record.c \
	common/redact.c \
	common/scrub.c \
	common/sha256.c \
	common/stats.c \
	common/util.c

COLLECTOR_SRCS := \
	collectors/collectors.c \
	collectors/common.c \
	collectors/counters.c \
	collectors/cpu.c \
	collectors/disk.c \
	collectors/perf.c \
	collectors/procfs.c \
	collectors/resources.c

REPORT_SRCS := \
	reports/bottleneck.c \
	reports/cli.c \
	reports/compare.c \
	reports/explore_core.c \
	reports/explore_write.c \
	reports/export.c \
	reports/gate_verdict.c \
	reports/gate_write.c \
	reports/flame.c \
	reports/gnuplot.c \
	reports/history.c \
	reports/hops.c \
	reports/html.c \
	reports/import.c \
	reports/list.c \
	reports/doc.c \
	reports/md.c \
	reports/notes.c \
	reports/record_edit.c \
	reports/report.c \
	reports/scale.c \
	reports/sweep_report.c

# What the HTML pages inline (reports/assets.S): d3 and d3-flame-graph
# from npm, fetched once into build/web (shared by every build flavour),
# and the pages' own script and style.
WEB := build/web
WEB_STAMP := $(WEB)/.installed
WEB_ASSETS := $(WEB_STAMP) reports/web/viewer.js reports/web/viewer.css

RUNNER_SRCS := \
	runner/clientns.c \
	runner/fio.c \
	runner/child_run.c \
	runner/explore_run.c \
	runner/gate_run.c \
	runner/layer.c \
	runner/main.c \
	runner/nbdkit.c \
	runner/objstore.c \
	runner/pin.c \
	runner/private.c \
	runner/progress.c \
	runner/run_record.c \
	runner/run.c \
	runner/scenario.c \
	runner/service.c \
	runner/services_cmd.c \
	runner/stack.c \
	runner/stack_dir.c \
	runner/stack_value.c \
	runner/sut.c \
	runner/sweep_run.c \
	runner/qemu_opts.c \
	runner/targets.c \
	runner/vm.c \
	runner/vm_disk.c \
	$(sort $(wildcard runner/target_*.c))

CORE_OBJS := $(CORE_SRCS:%.c=$(BUILD)/%.o)
ENGINE_OBJS := $(CORE_OBJS) $(BUILD)/engine/viper.o
RUNNER_OBJS := $(RUNNER_SRCS:%.c=$(BUILD)/%.o)

LIBCOMMON := $(BUILD)/libcommon.a
LIBCOLLECTORS := $(BUILD)/libcollectors.a
LIBREPORTS := $(BUILD)/libreports.a
LAYERS_OK := $(BUILD)/.layers

UNIT_TESTS := \
	$(BUILD)/tests/unit/test_bins \
	$(BUILD)/tests/unit/test_bottleneck \
	$(BUILD)/tests/unit/test_device \
	$(BUILD)/tests/unit/test_doc \
	$(BUILD)/tests/unit/test_explore \
	$(BUILD)/tests/unit/test_gate \
	$(BUILD)/tests/unit/test_hops \
	$(BUILD)/tests/unit/test_host \
	$(BUILD)/tests/unit/test_model \
	$(BUILD)/tests/unit/test_redact \
	$(BUILD)/tests/unit/test_sha256 \
	$(BUILD)/tests/unit/test_stack \
	$(BUILD)/tests/unit/test_stats \
	$(BUILD)/tests/unit/test_uri

.SECONDARY:
.DELETE_ON_ERROR:

.PHONY: all deps web engine filters plugins runner guest tests fuzzers fuzz check demo report compare history gate sweep \
	bench-gate bench-explore bench bench-engine bench-collectors bench-history bench-probes install uninstall deb check-deb man validate \
	clean distclean

all: engine filters plugins runner guest tests

# Installs Debian packages; re-run when the list changes.  DEPS=no
# installs none (a package build: its Build-Depends did).
ifeq ($(DEPS),no)
$(DEPS_STAMP):
	@mkdir -p build
	$(Q)touch $@
else
$(DEPS_STAMP): common/deps.sh
	@mkdir -p build
	$(Q)sh common/deps.sh packages
	$(Q)touch $@
endif

deps: $(DEPS_STAMP)

# Runs on every make (it is cheap), but replaces the files only when what
# is installed changed, so only then is anything rebuilt: fio's source
# for the installed fio, then the versions and paths.
$(CONFIG_MK): $(DEPS_STAMP) FORCE
	$(Q)sh common/deps.sh fio-source build/src
	$(Q)sh common/deps.sh config $(CONFIG_MK) $(CONFIG_H)

$(CONFIG_H): $(CONFIG_MK)

FORCE:

engine: $(BUILD)/viper

# The guest layers' VM (runner/vm.c): Debian's cloud kernel,
# unpacked from its package into build/src (once), and an initramfs of
# busybox-static, Debian's fio with its libraries and guest/init.
GUEST_KERNEL := build/src/guest-kernel
guest: $(BUILD)/guest/vmlinuz $(BUILD)/guest/initramfs.cpio

$(GUEST_KERNEL)/.unpacked: | $(DEPS_STAMP)
	$(Q)sh common/deps.sh guest-kernel $(GUEST_KERNEL)

$(BUILD)/guest/vmlinuz: $(GUEST_KERNEL)/.unpacked
	@mkdir -p $(dir $@)
	@echo "  GUEST   $@"
	$(Q)cp $(GUEST_KERNEL)/root/boot/vmlinuz-* $@.tmp && mv $@.tmp $@

$(BUILD)/guest/initramfs.cpio: guest/init guest/mkinitramfs.sh \
		$(GUEST_KERNEL)/.unpacked $(CONFIG_MK)
	@mkdir -p $(dir $@)
	@echo "  GUEST   $@"
	$(Q)sh guest/mkinitramfs.sh $(GUEST_KERNEL)/root guest/init $@

runner: $(BUILD)/viperbench $(LAYERS_OK)

# nbdkit filters, loaded into Debian's nbdkit: never built with a
# sanitizer (nbdkit does not load its runtime).  The probe twice, under
# two names and key prefixes, so one nbdkit can load it at each end of
# its filter chain.
FILTER_CFLAGS := -O2 -g -Wall -Wextra -std=gnu11 -Wshadow -Wvla -fPIC -shared \
	-fvisibility=hidden -D_GNU_SOURCE $(if $(filter 1,$(WERROR)),-Werror) \
	$(EXTRA_FILTER_FLAGS)
filters: $(BUILD)/probe.so $(BUILD)/probe-inner.so

# The reference block store (plugins/blockstore), an nbdkit plugin on
# libcurl: loaded by Debian's nbdkit and by viper in-process alike, so
# built like the filters.
plugins: $(BUILD)/blockstore.so

$(BUILD)/blockstore.so: plugins/blockstore/blockstore.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(FILTER_CFLAGS) -Wno-unused-parameter -o $@ $< -lcurl -lpthread

# A test-only filter (tests/burn): CPU time per request, the gate's
# calibration's injected CPU regression.  Not installed.
$(BUILD)/tests/burn.so: tests/burn/burn.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(FILTER_CFLAGS) -o $@ $<

# A test-only plugin (tests/slow): its thread model and service time are
# parameters, for the known-answer suite.  Not installed.
$(BUILD)/tests/slow.so: tests/slow/slow.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(FILTER_CFLAGS) -Wno-unused-parameter -o $@ $<

$(BUILD)/probe.so: filters/probe/probe.c common/probe.h
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(FILTER_CFLAGS) -o $@ $<

$(BUILD)/probe-inner.so: filters/probe/probe.c common/probe.h
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(FILTER_CFLAGS) -DPROBE_NAME='"probe-inner"' -o $@ $<

$(LIBCOMMON): $(COMMON_SRCS:%.c=$(BUILD)/%.o)
$(LIBCOLLECTORS): $(COLLECTOR_SRCS:%.c=$(BUILD)/%.o)
$(LIBREPORTS): $(REPORT_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/reports/assets.o

# npm ci: exactly the lock's versions, checked against its hashes.  A
# machine that cannot reach npm still builds: its pages say their flame
# graphs are missing and why (WEB_MISSING below), and make tries npm
# again next time.
$(WEB_STAMP): reports/web/package.json reports/web/package-lock.json | $(DEPS_STAMP)
	@mkdir -p $(WEB)
	@echo "  NPM     $(WEB)"
	$(Q)cp reports/web/package.json reports/web/package-lock.json $(WEB)/
	$(Q)if (cd $(WEB) && npm ci --no-audit --no-fund --loglevel=error >npm.log 2>&1); then \
		touch $@; \
	else \
		echo "warning: npm ci failed (build/web/npm.log): pages will have no flame graphs" >&2; \
		tail -3 $(WEB)/npm.log >&2; \
	fi

web: $(WEB_STAMP)

WEB_LIBS := $(WEB)/node_modules/d3/dist/d3.min.js \
	$(WEB)/node_modules/d3-flame-graph/dist/d3-flamegraph.umd.min.js
ASSETS_AS = if [ -s $(word 1,$(WEB_LIBS)) ] && [ -s $(word 2,$(WEB_LIBS)) ]; then \
		$(1) -Wa,-I,$(WEB)/node_modules -c -o $@ $<; \
	else $(1) -DWEB_MISSING -c -o $@ $<; fi

$(BUILD)/reports/assets.o: reports/assets.S $(WEB_ASSETS)
	@mkdir -p $(dir $@)
	@echo "  AS      $@"
	$(Q)$(call ASSETS_AS,$(CC))

$(BUILD)/lib%.a:
	@echo "  AR      $@"
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

# Lower archives first in the dependency order: the linker resolves
# only downwards.
$(BUILD)/viperbench: $(RUNNER_OBJS) $(LIBREPORTS) $(LIBCOLLECTORS) $(LIBCOMMON)
	@echo "  LD      $@"
	$(Q)$(CC) -o $@ $^ $(LDFLAGS) -lcjson -lcurl -lm

# Each lower layer links whole against only what is below it: a call
# upwards (or sideways between collectors/ and reports/) is an undefined
# symbol here.
$(LAYERS_OK): $(LIBCOMMON) $(LIBCOLLECTORS) $(LIBREPORTS)
	@echo "  LAYERS  common <- collectors, reports"
	$(Q)$(CC) -shared -o $@.so -Wl,--no-undefined -Wl,--whole-archive \
		$(LIBCOMMON) -Wl,--no-whole-archive $(LDFLAGS) -lcjson -lm
	$(Q)$(CC) -shared -o $@.so -Wl,--no-undefined -Wl,--whole-archive \
		$(LIBCOLLECTORS) -Wl,--no-whole-archive $(LIBCOMMON) $(LDFLAGS) -lcjson -lm
	$(Q)$(CC) -shared -o $@.so -Wl,--no-undefined -Wl,--whole-archive \
		$(LIBREPORTS) -Wl,--no-whole-archive $(LIBCOMMON) $(LDFLAGS) -lcjson -lm
	$(Q)rm -f $@.so
	$(Q)touch $@

$(BUILD)/viper: $(ENGINE_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) -shared -o $@ $^ $(LDFLAGS) -lnbd -ldl -lpthread

$(BUILD)/engine/viper.o: engine/viper.c $(CONFIG_MK)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -Wno-shadow -Wno-unused-parameter -Wno-sign-compare \
		-include $(FIO_SRC)/config-host.h -I$(FIO_SRC) -c -o $@ $<

$(BUILD)/%.o: %.c $(CONFIG_H)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -include $(CONFIG_H) -c -o $@ $<

tests: $(UNIT_TESTS) $(BUILD)/tests/burn.so $(BUILD)/tests/slow.so

# Unit tests of the layers above the engine link their layer's archive
# and those below it.
$(BUILD)/tests/unit/test_bins $(BUILD)/tests/unit/test_model $(BUILD)/tests/unit/test_redact $(BUILD)/tests/unit/test_sha256 $(BUILD)/tests/unit/test_stats: \
		$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(LIBCOMMON)
	@echo "  LD      $@"
	$(Q)$(CC) -o $@ $^ $(LDFLAGS) -lcmocka -lcjson -lm

$(BUILD)/tests/unit/test_bottleneck $(BUILD)/tests/unit/test_doc $(BUILD)/tests/unit/test_explore $(BUILD)/tests/unit/test_gate $(BUILD)/tests/unit/test_hops: \
		$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(LIBREPORTS) $(LIBCOMMON)
	@echo "  LD      $@"
	$(Q)$(CC) -o $@ $^ $(LDFLAGS) -lcmocka -lcjson -lm

# The stack parser is the runner's: it links the runner's objects but
# its main (and the archives under them).
$(BUILD)/tests/unit/test_stack: $(BUILD)/tests/unit/test_stack.o \
		$(filter-out $(BUILD)/runner/main.o,$(RUNNER_OBJS)) \
		$(LIBREPORTS) $(LIBCOLLECTORS) $(LIBCOMMON)
	@echo "  LD      $@"
	$(Q)$(CC) -o $@ $^ $(LDFLAGS) -lcmocka -lcjson -lcurl -lm

# The engine's tests export the nbdkit_* functions (-rdynamic) for the
# plugins they load in-process.
$(BUILD)/tests/unit/test_device $(BUILD)/tests/unit/test_host $(BUILD)/tests/unit/test_uri: \
		$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(CORE_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) -rdynamic -o $@ $^ $(LDFLAGS) -lcmocka -lnbd -ldl -lpthread

check: all fuzzers
	$(Q)VIPER_BUILD=$(BUILD) tests/run.sh

# The package as a new user meets it: make deb, then apt installs it in a
# pristine Debian root and a ladder runs from /tmp (tests/pristine-deb.sh;
# about 4 minutes here; root).  test-deb in make check is its short form.
check-deb:
	$(Q)tests/pristine-deb.sh

# Fuzz targets (libFuzzer, clang), one per parser: every reader of a
# record, fio's output (json+ and text), stacks and scenarios, the
# engine's URI.  tests/test-fuzz.sh runs each for FUZZ_SECONDS (a few in
# make check); make fuzz runs them longer.  Everything is compiled again
# with clang's coverage and sanitizers into build/fuzz/.
FUZZ_CC ?= clang
FUZZ_CFLAGS := -g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=undefined -include $(CONFIG_H)
FUZZ := build/fuzz
FUZZERS := $(FUZZ)/fuzz_fio $(FUZZ)/fuzz_record $(FUZZ)/fuzz_stack $(FUZZ)/fuzz_uri
FUZZ_LIB_SRCS := $(COMMON_SRCS) $(COLLECTOR_SRCS) $(REPORT_SRCS) \
	$(filter-out runner/main.c,$(RUNNER_SRCS))
FUZZ_URI_SRCS := engine/error.c engine/uri.c

fuzzers: $(FUZZERS)

$(FUZZ)/%.o: %.c $(CONFIG_H)
	@mkdir -p $(dir $@)
	@echo "  CLANG   $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

$(FUZZ)/reports/assets.o: reports/assets.S $(WEB_ASSETS)
	@mkdir -p $(dir $@)
	@echo "  CLANG   $@"
	$(Q)$(call ASSETS_AS,$(FUZZ_CC))

$(FUZZ)/libvb.a: $(FUZZ_LIB_SRCS:%.c=$(FUZZ)/%.o) $(FUZZ)/reports/assets.o
	@echo "  AR      $@"
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(FUZZ)/fuzz_uri: $(FUZZ)/tests/fuzz/fuzz_uri.o $(FUZZ_URI_SRCS:%.c=$(FUZZ)/%.o)
	@echo "  LD      $@"
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^

$(FUZZ)/fuzz_%: $(FUZZ)/tests/fuzz/fuzz_%.o $(FUZZ)/libvb.a
	@echo "  LD      $@"
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^ -lcjson -lcurl -lm

# make fuzz [FUZZ_SECONDS=300]: every fuzz target, longer.
FUZZ_SECONDS ?= 300
fuzz: fuzzers
	$(Q)FUZZ_SECONDS=$(FUZZ_SECONDS) tests/run.sh tests/test-fuzz.sh

# make bench SCENARIO=randrw_70_30 [STACK=file.json] [DESC="..."]
#            [RUNTIME=seconds] [SIZE=64M] [RESULTS=results] [RUN_PREFIX=VM-]
# (RUN_PREFIX, not PREFIX: that one is make install's.)
SCENARIO ?=
STACK ?= scenarios/stacks/default.json
DESC ?=
RESULTS ?= results
RUN_PREFIX ?= VM-
COLLECT ?= all
bench: engine filters plugins runner guest
	$(Q)$(BUILD)/viperbench run --scenario "$(SCENARIO)" --stack "$(STACK)" \
		--desc "$(DESC)" --runtime "$(RUNTIME)" --size "$(SIZE)" \
		--results "$(RESULTS)" --prefix "$(RUN_PREFIX)" --collect "$(COLLECT)"

# make sweep SCENARIO=qdtest DEPTHS=1,2,4,8,16,32,64,128 [STACK=] [RUNTIME=]
#            [SIZE=] [LAYERS=qemu-nbd,...]: each layer at each queue depth,
# one results/SWEEP-N record with response curves and knees.
DEPTHS ?= 1,2,4,8,16,32,64,128
sweep: engine filters plugins runner guest
	$(Q)$(BUILD)/viperbench sweep --scenario "$(SCENARIO)" --stack "$(STACK)" \
		--depths "$(DEPTHS)" --desc "$(DESC)" --runtime "$(RUNTIME)" \
		--size "$(SIZE)" --results "$(RESULTS)" --collect "$(COLLECT)" \
		$(if $(LAYERS),--layers "$(LAYERS)")

# make report RUN=VM-7 [RESULTS=results]: rewrite a run's report.
RUN ?=
report: runner
	$(Q)$(BUILD)/viperbench report --results "$(RESULTS)" "$(RUN)"

# make compare A=VM-6 B=VM-7 [RESULTS=results]
A ?=
B ?=
compare: runner
	$(Q)$(BUILD)/viperbench compare --results "$(RESULTS)" "$(A)" "$(B)"

# make history SCENARIO=randrw_70_30 [RESULTS=results]
history: runner
	$(Q)$(BUILD)/viperbench history --results "$(RESULTS)" --prefix "$(RUN_PREFIX)" "$(SCENARIO)"

# make gate A=old.json B=new.json SCENARIO=randrw_70_30 [REPEAT=6] [MAX_REPEAT=18]
#           [RUNTIME=s] [LAYERS=direct,nbd-unix] [THRESHOLD=iops=-10%,p99=+20%]
# or BASELINE=results/VM-12 instead of A= (a stored record: ratios to host).
# viperbench gate exits 0 pass, 1 regression, 2 usage/setup error, 3 too
# noisy; make reports any of 1-3 as its own exit 2 (call build/viperbench
# gate directly in CI to act on the code).
BASELINE ?=
REPEAT ?=
MAX_REPEAT ?=
LAYERS ?=
THRESHOLD ?=
gate: engine filters plugins runner guest
	$(Q)$(BUILD)/viperbench gate $(if $(BASELINE),--baseline "$(BASELINE)",--baseline-stack "$(A)") \
		--candidate-stack "$(B)" --scenario "$(SCENARIO)" --repeat "$(REPEAT)" \
		--max-repeat "$(MAX_REPEAT)" \
		--runtime "$(RUNTIME)" --size "$(SIZE)" --layers "$(LAYERS)" \
		--threshold "$(THRESHOLD)" --results "$(RESULTS)"

# The gate's calibration: false alarms over A/A trials, and the smallest
# regression caught reliably (TRIALS=, RUNTIME=, REPEAT=, SCENARIO=).
bench-gate: engine filters plugins runner $(BUILD)/tests/burn.so
	$(Q)VIPERBENCH=$(BUILD)/viperbench runner/bench-gate.sh

# explore's known answers, TRIALS times each, and how often it is right
# (CASES=, TRIALS=, RUNTIME=, BUDGET=).
bench-explore: engine filters plugins runner guest
	$(Q)VIPERBENCH=$(BUILD)/viperbench runner/bench-explore.sh

# A short engine demo: fio's nbd engine vs viper, one 5-second round.
demo: engine
	$(Q)RUNTIME=$${RUNTIME:-5} ROUNDS=1 ENGINE=$(BUILD)/viper runner/bench-engine.sh

bench-engine: engine
	$(Q)ENGINE=$(BUILD)/viper runner/bench-engine.sh

bench-history: runner
	$(Q)VIPERBENCH=$(BUILD)/viperbench runner/bench-history.sh

# What the probes cost: nbd-unix and direct with and without them.
# The known-answer suite of the bottleneck verdict (runner/validate.sh):
# RUNS (3) runs of each case, RUNTIME (3) s each; CASES picks some.
validate: engine filters plugins runner $(BUILD)/tests/slow.so $(BUILD)/tests/burn.so
	$(Q)VIPERBENCH=$(CURDIR)/$(BUILD)/viperbench runner/validate.sh

bench-probes: engine filters $(BUILD)/probe-cost
	$(Q)BUILD=$(CURDIR)/$(BUILD) runner/bench-probes.sh

$(BUILD)/probe-cost: filters/probe/cost.c common/probe.h
	@echo "  CC      $@"
	$(Q)$(CC) -O2 -g -Wall -Wextra -std=gnu11 -D_GNU_SOURCE -o $@ $< -lpthread

bench-collectors: engine runner
	$(Q)VIPERBENCH=$(BUILD)/viperbench runner/bench-collectors.sh

# Manual pages from pod, as nbdkit makes its own; viperbench(1) carries
# each command's --help, so it says what the parser takes.
MAN := build/man
MANPAGES := $(MAN)/viperbench.1 $(MAN)/nbdkit-probe-filter.1 \
	$(MAN)/nbdkit-blockstore-plugin.1
POD2MAN := pod2man --section=1 --center=viperbench \
	--release="viperbench $(VIPERBENCH_VERSION)" --date=2026-12-02
VIPERBENCH_VERSION := $(shell sed -n 's/^\#define VIPERBENCH_VERSION "\(.*\)"/\1/p' common/internal.h)
man: $(MANPAGES)
$(MAN)/viperbench.1: runner/viperbench.pod runner/man-commands.sh build/viperbench
	@mkdir -p $(MAN)
	@echo "  MAN     $@"
	$(Q)sh runner/man-commands.sh build/viperbench $< >$(MAN)/viperbench.pod
	$(Q)$(POD2MAN) --name=VIPERBENCH $(MAN)/viperbench.pod $@
$(MAN)/nbdkit-probe-filter.1: filters/probe/nbdkit-probe-filter.pod
	@mkdir -p $(MAN)
	@echo "  MAN     $@"
	$(Q)$(POD2MAN) --name=NBDKIT-PROBE-FILTER $< $@
$(MAN)/nbdkit-blockstore-plugin.1: plugins/blockstore/nbdkit-blockstore-plugin.pod
	@mkdir -p $(MAN)
	@echo "  MAN     $@"
	$(Q)$(POD2MAN) --name=NBDKIT-BLOCKSTORE-PLUGIN $< $@

# make install [PREFIX=/usr/local] [DESTDIR=]: the runner and what it
# runs beside itself (PREFIX/lib/viperbench, found from the runner's own
# path, so DESTDIR trees run too), the engine where fio users look
# (PREFIX/lib/fio/viper), the filter and the plugin where nbdkit looks
# (its --dump-config, whatever PREFIX), scenarios and stacks
# (PREFIX/share/viperbench), manual pages and bash completion.
NBDKIT_FILTERDIR ?= $(shell nbdkit --dump-config 2>/dev/null | sed -n 's/^filterdir=//p')
NBDKIT_PLUGINDIR ?= $(shell nbdkit --dump-config 2>/dev/null | sed -n 's/^plugindir=//p')
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
LIBVB := $(PREFIX)/lib/viperbench
SHAREVB := $(PREFIX)/share/viperbench

install: engine runner filters plugins guest man
	@test -n "$(NBDKIT_FILTERDIR)" && test -n "$(NBDKIT_PLUGINDIR)" || \
		{ echo "make install: nbdkit --dump-config names no filterdir or plugindir" >&2; exit 2; }
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/fio \
		$(DESTDIR)$(LIBVB)/guest $(DESTDIR)$(SHAREVB)/scenarios \
		$(DESTDIR)$(SHAREVB)/stacks $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(NBDKIT_FILTERDIR) \
		$(DESTDIR)$(NBDKIT_PLUGINDIR)
	install -m 0755 $(BUILD)/viperbench $(DESTDIR)$(PREFIX)/bin/viperbench
	install -m 0755 $(BUILD)/viper $(DESTDIR)$(PREFIX)/lib/fio/viper
	ln -sfn ../fio/viper $(DESTDIR)$(LIBVB)/viper
	install -m 0755 build/probe.so build/probe-inner.so build/blockstore.so \
		$(DESTDIR)$(LIBVB)/
	install -m 0644 build/guest/vmlinuz build/guest/initramfs.cpio \
		$(DESTDIR)$(LIBVB)/guest/
	install -m 0755 build/probe.so $(DESTDIR)$(NBDKIT_FILTERDIR)/nbdkit-probe-filter.so
	install -m 0755 build/blockstore.so \
		$(DESTDIR)$(NBDKIT_PLUGINDIR)/nbdkit-blockstore-plugin.so
	install -m 0644 scenarios/*.fio $(DESTDIR)$(SHAREVB)/scenarios/
	install -m 0644 scenarios/stacks/*.json $(DESTDIR)$(SHAREVB)/stacks/
	install -m 0644 $(MANPAGES) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 completion/viperbench.bash $(DESTDIR)$(BASHCOMPDIR)/viperbench

# make deb: a Debian package (debian/), built by dpkg-buildpackage on a
# copy of the tree in DEB_OUT (build/deb), where the .deb lands; the copy shares
# this tree's fetched sources (build/src, build/web).
DEB_OUT ?= build/deb
deb: engine filters plugins runner guest man
	$(Q)sh common/deb.sh $(DEB_OUT)

# Removes what install put there, and the directories it made if empty.
uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/viperbench $(DESTDIR)$(PREFIX)/lib/fio/viper \
		$(DESTDIR)$(LIBVB)/viper $(DESTDIR)$(LIBVB)/probe.so \
		$(DESTDIR)$(LIBVB)/probe-inner.so $(DESTDIR)$(LIBVB)/blockstore.so \
		$(DESTDIR)$(LIBVB)/guest/vmlinuz $(DESTDIR)$(LIBVB)/guest/initramfs.cpio \
		$(DESTDIR)$(NBDKIT_FILTERDIR)/nbdkit-probe-filter.so \
		$(DESTDIR)$(NBDKIT_PLUGINDIR)/nbdkit-blockstore-plugin.so \
		$(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MANPAGES))) \
		$(DESTDIR)$(BASHCOMPDIR)/viperbench
	rm -f $(addprefix $(DESTDIR)$(SHAREVB)/scenarios/,$(notdir $(wildcard scenarios/*.fio))) \
		$(addprefix $(DESTDIR)$(SHAREVB)/stacks/,$(notdir $(wildcard scenarios/stacks/*.json)))
	-rmdir $(DESTDIR)$(SHAREVB)/scenarios $(DESTDIR)$(SHAREVB)/stacks \
		$(DESTDIR)$(SHAREVB) $(DESTDIR)$(LIBVB)/guest $(DESTDIR)$(LIBVB) \
		$(DESTDIR)$(PREFIX)/lib/fio 2>/dev/null

# Everything the build made; the fetched fio source and the record of
# installed packages stay (distclean removes them too).
clean:
	rm -rf build/address build/undefined build/common build/collectors \
		build/reports build/runner build/engine build/tests build/test-logs \
		build/fuzz build/lib*.a build/.layers build/viper build/viperbench \
		build/probe.so build/probe-inner.so build/probe-cost build/deb \
		$(CONFIG_MK) $(CONFIG_H)

distclean: clean
	rm -rf build

-include $(shell find $(BUILD) $(FUZZ) -name '*.d' 2>/dev/null)
