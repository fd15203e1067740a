# Xinfang Router: one hand-written Makefile.  See README.md.
#   make            build everything into bin/
#   make SAN=1      AddressSanitizer + UBSan build into bin-san/
#   make test       all tests (unit, then integration on the real stack)
#   make demo       the main job on the embedded mock cluster
#   make up/down    the real stack in the background
#   make fuzz       every libFuzzer harness (tests/fuzz/*.c) for FUZZ_SECONDS each

SAN ?= 0
ifeq ($(SAN),1)
  OUT := build/san
  BIN := bin-san
  SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
  OUT := build/rel
  BIN := bin
  SANFLAGS :=
endif

CC      ?= cc
PKGS    := rdkafka jansson libpq libcurl libcrypto libmicrohttpd libutf8proc libpcre2-8 \
           libqrencode libpng
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
WARN    := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wvla \
           -Wformat-security -Wformat=2 -Wno-format-nonliteral -Werror
CFLAGS  ?= -O2 -g
CPPFLAGS += -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Icommon -Idomain -include common/compat.h
ALL_CFLAGS = -std=c11 $(WARN) $(CFLAGS) $(SANFLAGS) $(PKG_CFLAGS) -MMD -MP
LDLIBS  := $(PKG_LIBS) -llinear -lm -lpthread

# Three layers of libraries, each calling only those below it
# (tests/source_check.sh, source.layers, keeps it so):
#   libxf-plumbing.a  common/: configuration, logs, buffers, Kafka,
#                     PostgreSQL, HTTP, metrics, the service loop, JSON Schema,
#                     dead letters, and the embedded schemas and SQL
#   libxf-domain.a    domain/: the vocabulary, routing rules, candidate choice,
#                     working-day calendar, audit chain, scorecard, petitioner key
#   libxf-<service>.a each service folder but its main.c: what the daemon does
#                     (libxf-classify.a is the classifier xfctl shares; a program
#                     that never trains does not link the trainer; xfctl takes
#                     the QR code of libxf-public.a)
COMMON_SRC := $(wildcard common/*.c)
DOMAIN_SRC := $(wildcard domain/*.c)
EMBED_SRC  := $(sort $(wildcard schemas/sql/*.sql) $(wildcard schemas/*.json) \
                deploy/examples/keywords.json deploy/examples/policies.json \
                deploy/examples/holidays-cn-2026.json \
                services/dispatch/status.html)
COMMON_OBJ := $(COMMON_SRC:%.c=$(OUT)/%.o) $(OUT)/gen/embedded.o
LIBPLUMB   := $(OUT)/libxf-plumbing.a
LIBDOMAIN  := $(OUT)/libxf-domain.a
LIBXF      := $(LIBDOMAIN) $(LIBPLUMB)

DAEMONS := intake classify dispatch public
PROGS   := $(DAEMONS:%=$(BIN)/xf-%) $(BIN)/xfctl $(BIN)/xf-mockbroker
UNIT_SRC := $(wildcard tests/unit/*.c)
E2E_SRC  := $(wildcard tests/e2e/*.c)
TESTS    := $(BIN)/unit-tests $(BIN)/e2e-tests $(BIN)/bench-classify $(BIN)/validate-events \
            $(BIN)/segment-tool
BENCH    := $(BIN)/bench-classify $(BIN)/bench-kafka $(BIN)/xf-passthrough

.PHONY: all test san demo up down bench clean deps fuzz fuzz-build format
all: $(PROGS) $(TESTS) $(BENCH)

# A service's library: its folder but main.c.
svc_lib = $(OUT)/libxf-$(1).a
define svc_lib_rule
$(call svc_lib,$(1)): $(patsubst %.c,$(OUT)/%.o,$(filter-out %/main.c,\
		$(wildcard services/$(1)/*.c services/$(1)/gen/*.c)))
	@mkdir -p $$(@D)
	rm -f $$@ && $$(AR) rcs $$@ $$^
endef
$(foreach d,$(DAEMONS) xfctl,$(eval $(call svc_lib_rule,$(d))))
LIBSVC := $(foreach d,xfctl $(DAEMONS),$(call svc_lib,$(d)))

# Each service folder builds one program: its main.c, its library, and the
# libraries below (xfctl classifies as xf-classify would: rules test, model
# train/eval/cv).
define service_rule
$(BIN)/$(1): $(OUT)/services/$(2)/main.o $(3) $(LIBXF)
	@mkdir -p $$(@D)
	$$(CC) $(SANFLAGS) -o $$@ $$(filter %.o,$$^) $(3) $$(LIBXF) $$(LDLIBS)
endef
$(foreach d,$(DAEMONS),$(eval $(call service_rule,xf-$(d),$(d),$(call svc_lib,$(d)))))
$(eval $(call service_rule,xfctl,xfctl,$(call svc_lib,xfctl) $(call svc_lib,classify) \
	$(call svc_lib,public)))
$(eval $(call service_rule,xf-mockbroker,mockbroker,))

# The tests link every library.
$(BIN)/unit-tests: $(UNIT_SRC:%.c=$(OUT)/%.o) $(LIBSVC) $(LIBXF)
	@mkdir -p $(@D)
	$(CC) $(SANFLAGS) -o $@ $(filter %.o,$^) $(LIBSVC) $(LIBXF) $(LDLIBS)

$(BIN)/e2e-tests: $(E2E_SRC:%.c=$(OUT)/%.o) $(OUT)/tests/unit/tharness.o $(LIBSVC) $(LIBXF)
	@mkdir -p $(@D)
	$(CC) $(SANFLAGS) -o $@ $(filter %.o,$^) $(LIBSVC) $(LIBXF) $(LDLIBS)

# intake's verdicts for tests/schema_agree.py (make test's schema suite).
$(BIN)/validate-events: $(OUT)/tests/agree/validate_events.o $(OUT)/tests/e2e/gen.o \
		$(call svc_lib,intake) $(call svc_lib,classify) $(LIBXF)
	@mkdir -p $(@D)
	$(CC) $(SANFLAGS) -o $@ $^ $(LDLIBS)

# The word segmenter's dictionary builder, agreement and speed tool
# (deploy/scripts/gen-segdict.sh, tests/segment_agree.py).
$(BIN)/segment-tool: $(OUT)/tests/agree/segment_tool.o $(call svc_lib,classify) $(LIBXF)
	@mkdir -p $(@D)
	$(CC) $(SANFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/bench-classify: $(OUT)/tests/bench/bench_classify.o $(call svc_lib,classify) $(LIBXF)
	@mkdir -p $(@D)
	$(CC) $(SANFLAGS) -o $@ $^ $(LDLIBS)

# make bench's broker tools (tests/bench.sh): the passthrough ceiling, and
# create / clear / produce / collect.
$(BIN)/bench-kafka: $(OUT)/tests/bench/bench_kafka.o $(LIBXF)
	@mkdir -p $(@D)
	$(CC) $(SANFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/xf-passthrough: $(OUT)/tests/bench/passthrough.o $(LIBXF)
	@mkdir -p $(@D)
	$(CC) $(SANFLAGS) -o $@ $^ $(LDLIBS)

# Libraries are rebuilt whole, so an object whose source was removed or
# renamed leaves them.
$(LIBPLUMB): $(COMMON_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

$(LIBDOMAIN): $(DOMAIN_SRC:%.c=$(OUT)/%.o)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

# SQL migrations, JSON schemas and the status page are compiled in (common/embed.h).
$(OUT)/gen/embedded.c: $(EMBED_SRC) deploy/scripts/embed.sh Makefile
	@mkdir -p $(@D)
	deploy/scripts/embed.sh $(EMBED_SRC) > $@.tmp && mv $@.tmp $@

$(OUT)/gen/embedded.o: $(OUT)/gen/embedded.c
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -Wno-overlength-strings -c -o $@ $<

# Only the tests see the test harness's headers.
$(OUT)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -Iservices $(if $(filter tests/%,$<),-Itests/unit) -c -o $@ $<

deps:
	@deploy/scripts/setup.sh

# Rewrites every C file as .clang-format says (make test checks it).
format:
	@git ls-files '*.c' '*.h' | grep -v '/gen/' | xargs clang-format-14 -i

test: deps
	@tests/run.sh

san:
	@$(MAKE) --no-print-directory SAN=1 all

# deps first, then a fresh make: pkg-config is read when a make starts, so
# the programs are built by one that starts after the packages are installed.
demo: deps
	@$(MAKE) --no-print-directory $(PROGS)
	@deploy/scripts/demo.sh

bench: deps
	@$(MAKE) --no-print-directory $(PROGS) $(BENCH)
	@tests/bench.sh

up: deps
	@$(MAKE) --no-print-directory $(PROGS)
	@deploy/scripts/stack.sh up

down:
	@deploy/scripts/stack.sh down

# libFuzzer harnesses (tests/fuzz/*.c), one program each in bin-fuzz/, with
# clang under ASan and UBSan; the code they test is built with
# -fsanitize=fuzzer-no-link into build/fuzz.
FUZZ_CC    ?= clang-14
FUZZ_OUT   := build/fuzz
FUZZ_BIN   := bin-fuzz
FUZZ_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
              -fno-omit-frame-pointer
FUZZ_FLAGS := -std=c11 $(WARN) -Wno-gnu-statement-expression -O1 -g $(FUZZ_SAN) \
              $(PKG_CFLAGS)
FUZZ_SRC   := $(wildcard tests/fuzz/*.c)
FUZZ_PROGS := $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_BIN)/fuzz-%)
FUZZ_LIB_OBJ := $(patsubst %.c,$(FUZZ_OUT)/%.o,$(COMMON_SRC) $(DOMAIN_SRC) \
	$(filter-out %/main.c,$(foreach d,$(DAEMONS),$(wildcard services/$(d)/*.c)))) \
	$(FUZZ_OUT)/gen/embedded.o
FUZZ_SECONDS ?= 60
.SECONDARY: $(FUZZ_SRC:%.c=$(FUZZ_OUT)/%.o)

fuzz-build: $(FUZZ_PROGS)

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

$(FUZZ_BIN)/fuzz-%: $(FUZZ_OUT)/tests/fuzz/%.o $(FUZZ_LIB_OBJ)
	@mkdir -p $(@D)
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(LDLIBS)

$(FUZZ_OUT)/tests/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer -MMD -MP -Iservices \
		-c -o $@ $<

$(FUZZ_OUT)/gen/embedded.c: $(EMBED_SRC) deploy/scripts/embed.sh Makefile
	@mkdir -p $(@D)
	deploy/scripts/embed.sh $(EMBED_SRC) > $@.tmp && mv $@.tmp $@

$(FUZZ_OUT)/gen/embedded.o: $(FUZZ_OUT)/gen/embedded.c
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_FLAGS) -Wno-overlength-strings -c -o $@ $<

$(FUZZ_OUT)/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP \
		-Iservices -c -o $@ $<

clean:
	rm -rf build bin bin-san bin-fuzz

-include $(shell find build -name '*.d' 2>/dev/null)
