# viperbench: top-level build.
#
#   make                 build everything (installs Debian packages first)
#   make bench SCENARIO=randrw_70_30   the layer ladder, a results/VM-N record
#   make check           run the test suite
#   make bench-engine    the engine benchmark (fio's nbd engine vs viper)
#   make demo            a short demo of the engine
#   make install         PREFIX=/usr/local DESTDIR=
#
# WERROR=1 turns warnings into errors; SANITIZER=address|undefined builds
# everything with that sanitizer.  V=1 shows the commands.

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
FIO_VERSION := $(shell dpkg-query -W -f='$${Version}' fio 2>/dev/null | sed 's/-[^-]*$$//')
FIO_SRC := build/src/fio-$(FIO_VERSION)
PLUGINDIR := $(shell pkg-config --variable=plugindir nbdkit 2>/dev/null)

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

ifneq ($(PLUGINDIR),)
override CFLAGS += -DVB_PLUGINDIR='"$(PLUGINDIR)"'
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

# The engine's transport code, free of fio types (unit tests link it).
CORE_SRCS := \
	engine/device.c \
	engine/error.c \
	engine/host.c \
	engine/nbd.c \
	engine/plugin.c \
	engine/uri.c

CORE_OBJS := $(CORE_SRCS:%.c=$(BUILD)/%.o)
ENGINE_OBJS := $(CORE_OBJS) $(BUILD)/engine/viper.o

COLLECTOR_SRCS := \
	collectors/collectors.c \
	collectors/common.c \
	collectors/counters.c \
	collectors/cpu.c \
	collectors/disk.c \
	collectors/perf.c \
	collectors/procfs.c

REPORT_SRCS := \
	reports/bins.c \
	reports/cli.c \
	reports/compare.c \
	reports/gate.c \
	reports/history.c \
	reports/import.c \
	reports/records.c \
	reports/report.c \
	reports/stats.c

RUNNER_SRCS := \
	$(COLLECTOR_SRCS) \
	$(REPORT_SRCS) \
	runner/fio.c \
	runner/gate.c \
	runner/main.c \
	runner/nbdkit.c \
	runner/proc.c \
	runner/record.c \
	runner/scenario.c \
	runner/stack.c \
	runner/target_direct.c \
	runner/target_host.c \
	runner/target_nbd_tcp.c \
	runner/target_nbd_unix.c \
	runner/target_qemu_nbd.c \
	runner/targets.c \
	runner/util.c

RUNNER_OBJS := $(RUNNER_SRCS:%.c=$(BUILD)/%.o)

UNIT_TESTS := \
	$(BUILD)/tests/unit/test_device \
	$(BUILD)/tests/unit/test_host \
	$(BUILD)/tests/unit/test_stats \
	$(BUILD)/tests/unit/test_uri

DEPS_STAMP := build/.deps-stamp

.SECONDARY:

.PHONY: all deps engine runner tests check demo report compare history gate bench-gate bench bench-engine bench-collectors bench-history install clean

all: engine runner tests

# Installs Debian packages and unpacks fio's source; re-run when the
# list changes.
$(DEPS_STAMP): common/deps.sh
	@mkdir -p build
	$(Q)sh common/deps.sh packages
	$(Q)sh common/deps.sh fio-source build/src
	$(Q)touch $@

deps: $(DEPS_STAMP)

engine: $(BUILD)/viper

runner: $(BUILD)/viperbench

$(BUILD)/viperbench: $(RUNNER_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) -o $@ $^ $(LDFLAGS) -lcjson -lm

$(BUILD)/viper: $(ENGINE_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) -shared -o $@ $^ $(LDFLAGS) -lnbd -ldl -lpthread

$(BUILD)/engine/viper.o: engine/viper.c $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) -Wno-shadow -Wno-unused-parameter -Wno-sign-compare \
		-include $(FIO_SRC)/config-host.h -I$(FIO_SRC) -c -o $@ $<

$(BUILD)/%.o: %.c $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

tests: $(UNIT_TESTS)

# The statistics stand alone.
$(BUILD)/tests/unit/test_stats: $(BUILD)/tests/unit/test_stats.o $(BUILD)/reports/stats.o
	@echo "  LD      $@"
	$(Q)$(CC) -o $@ $^ $(LDFLAGS) -lcmocka -lm

# Unit tests export the nbdkit_* functions (-rdynamic) for the plugins
# they load in-process.
$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(CORE_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) -rdynamic -o $@ $^ $(LDFLAGS) -lcmocka -lnbd -ldl -lpthread

check: all
	$(Q)VIPER_BUILD=$(BUILD) tests/run.sh

# make bench SCENARIO=randrw_70_30 [STACK=file.json] [DESC="..."]
#            [RUNTIME=seconds] [SIZE=64M] [RESULTS=results] [RUN_PREFIX=VM-]
# (RUN_PREFIX, not PREFIX: that one is make install's.)
SCENARIO ?=
STACK ?= scenarios/stacks/default.json
DESC ?=
RESULTS ?= results
RUN_PREFIX ?= VM-
COLLECT ?= all
bench: engine runner
	$(Q)$(BUILD)/viperbench run --scenario "$(SCENARIO)" --stack "$(STACK)" \
		--desc "$(DESC)" --runtime "$(RUNTIME)" --size "$(SIZE)" \
		--results "$(RESULTS)" --prefix "$(RUN_PREFIX)" --collect "$(COLLECT)"

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
gate: engine runner
	$(Q)$(BUILD)/viperbench gate $(if $(BASELINE),--baseline "$(BASELINE)",--baseline-stack "$(A)") \
		--candidate-stack "$(B)" --scenario "$(SCENARIO)" --repeat "$(REPEAT)" \
		--max-repeat "$(MAX_REPEAT)" \
		--runtime "$(RUNTIME)" --size "$(SIZE)" --layers "$(LAYERS)" \
		--threshold "$(THRESHOLD)" --results "$(RESULTS)"

# The gate's calibration: false alarms over A/A trials, and the smallest
# regression caught reliably (TRIALS=, RUNTIME=, REPEAT=).
bench-gate: engine runner
	$(Q)VIPERBENCH=$(BUILD)/viperbench runner/bench-gate.sh

# A short engine demo: fio's nbd engine vs viper, one 5-second round.
demo: engine
	$(Q)RUNTIME=$${RUNTIME:-5} ROUNDS=1 ENGINE=$(BUILD)/viper runner/bench-engine.sh

bench-engine: engine
	$(Q)ENGINE=$(BUILD)/viper runner/bench-engine.sh

bench-history: runner
	$(Q)VIPERBENCH=$(BUILD)/viperbench runner/bench-history.sh

bench-collectors: engine runner
	$(Q)VIPERBENCH=$(BUILD)/viperbench runner/bench-collectors.sh

install: engine
	install -d $(DESTDIR)$(PREFIX)/lib/fio
	install -m 0755 $(BUILD)/viper $(DESTDIR)$(PREFIX)/lib/fio/viper

clean:
	rm -rf build/engine build/tests build/viper build/address build/undefined

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
