# mdm-rt build.  Only gcc (or clang) and make are required.
#   make          library, mdm and mdm-convert in build/
#   make run      build, then generate and caption with the shipped model
#   make test     build (optimised and ASan/UBSan), then run every test suite
#                 (ONLY="test_simd cli.sh": just the tests whose path has one of those)
#   make models   regenerate models/*.gguf from the reference checkpoint
CC      ?= cc
# make CROSS=aarch64-linux-gnu- (or arm-linux-gnueabihf-, arm-none-eabi-):
# that toolchain, objects in build/aarch64-linux-gnu/ (never a host object).
ifneq ($(CROSS),)
CC      := $(CROSS)gcc
AR      := $(CROSS)ar
BUILD   ?= build/$(patsubst %-,%,$(CROSS))$(if $(filter none,$(PORT)),-none)
endif
ifeq ($(PORT),none)
BUILD   ?= build/none
endif
BUILD   ?= build
OPT     ?= -O2
CSTD     = -std=c11 -D_POSIX_C_SOURCE=200809L
WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-function
CFLAGS  += $(CSTD) $(WARN) $(OPT) -I. -Isrc -Iports
LDLIBS  += -lm -pthread

LIB_SRC  := $(wildcard src/*.c src/*/*.c src/*/*/*.c) $(wildcard ports/posix/*.c)
# make PORT=none: the library alone for a bare-metal target (no heap, stdio,
# threads or files: ports/none), without the image codecs (src/image).
PORT    ?= posix
ifeq ($(PORT),none)
LIB_SRC  := $(filter-out src/image/%,$(wildcard src/*.c src/*/*.c src/*/*/*.c)) \
            $(wildcard ports/none/*.c)
.DEFAULT_GOAL := lib
else
.DEFAULT_GOAL := all
endif
# OpenCL backend (src/opencl): only with make OPENCL=1, which links the Khronos
# ICD loader (Debian: ocl-icd-opencl-dev, opencl-headers); the default build
# compiles none of it.  Its outputs go to build/opencl unless BUILD is given.
ifeq ($(OPENCL),1)
ifeq ($(origin BUILD),file)
BUILD   := build/opencl
endif
CFLAGS  += -DMDM_OPENCL
LDLIBS  += -lOpenCL
else
LIB_SRC := $(filter-out src/opencl/%,$(LIB_SRC))
endif
CONV_SRC := $(filter-out tools/convert/main.c,$(wildcard tools/convert/*.c))
MDM_SRC  := $(wildcard tools/mdm/*.c)
TEST_SRC := $(wildcard tests/test_*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
LIB_OBJ  := $(call obj,$(LIB_SRC))
CONV_OBJ := $(call obj,$(CONV_SRC))
TESTS    := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))

.PHONY: all lib run test models clean fuzz
lib: $(BUILD)/libmdm.a
CONV_LIB := $(if $(CONV_OBJ),$(BUILD)/libconvert.a)
all: $(BUILD)/libmdm.a $(if $(wildcard tools/convert/main.c),$(BUILD)/mdm-convert) $(if $(MDM_SRC),$(BUILD)/mdm) $(TESTS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libmdm.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

# Library objects are position-independent (one set serves libmdm.a and
# libmdm.so) and hidden by default: mdm_rt.h marks the public API visible.
# PORT=none (bare metal: no shared library) keeps its objects as they were.
ifeq ($(PORT),none)
LIB_CFLAGS ?=
endif
LIB_CFLAGS ?= -fPIC -fvisibility=hidden
$(LIB_OBJ): CFLAGS += $(LIB_CFLAGS)
# Objects built before these flags (or with others) are rebuilt: a stamp of them.
$(LIB_OBJ): $(BUILD)/lib.flags
$(BUILD)/lib.flags: FORCE
	@mkdir -p $(dir $@); echo '$(LIB_CFLAGS)' | cmp -s - $@ || echo '$(LIB_CFLAGS)' >$@
.PHONY: FORCE

$(BUILD)/libconvert.a: $(CONV_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(BUILD)/mdm-convert: $(call obj,tools/convert/main.c) $(CONV_LIB) $(BUILD)/libmdm.a
	$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/mdm: $(call obj,$(MDM_SRC)) $(CONV_LIB) $(BUILD)/libmdm.a
	$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: $(call obj,tests/%.c) $(CONV_LIB) $(BUILD)/libmdm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

MODEL ?= models/mdm-fmnist-q8_0.gguf
run: all
	@tools/run_demo.sh $(BUILD)/mdm $(MODEL)

# Optimised build and an ASan/UBSan build; both run every suite.
SAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
test:
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory all BUILD=build/asan OPT="$(SAN_FLAGS)" LDFLAGS="$(SAN_FLAGS)"
	@tests/run.sh $(ONLY)

# mdm-bench-kernels (tools/bench): per-op throughput of the kernel sets next to
# the measured peaks; tools/bench/kernels.sh adds numpy's F32 matmul.
# One denoiser step and one decode per kernel set and threads: mdm bench --step-only.
BENCH_SRC := $(wildcard tools/bench/kernels.c tools/bench/peak.c)
all: $(if $(BENCH_SRC),$(BUILD)/mdm-bench-kernels)
$(BUILD)/mdm-bench-kernels: $(call obj,$(BENCH_SRC)) $(BUILD)/libmdm.a
	$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@
# mdm-ctx-size: context bytes per model, kernel set and task (README's table)
all: $(if $(BENCH_SRC),$(BUILD)/mdm-ctx-size)
$(BUILD)/mdm-ctx-size: $(call obj,tools/bench/ctx_size.c) $(BUILD)/libmdm.a
	$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@
# mdm-bench-memory: a context's bytes by part, and each task's peak.
all: $(if $(BENCH_SRC),$(BUILD)/mdm-bench-memory)
$(BUILD)/mdm-bench-memory: $(call obj,tools/bench/memory.c) $(BUILD)/libmdm.a
	$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@
# mdm-bench-pipes: which AVX-512 ops share the vpdpbusd and FMA pipes (x86-64;
# elsewhere it says so and exits).
all: $(if $(BENCH_SRC),$(BUILD)/mdm-bench-pipes)
$(BUILD)/mdm-bench-pipes: $(call obj,tools/bench/pipes.c)
	$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@
# mdm-bench-step: the laptop targets, configurations alternated in one process.
all: $(if $(BENCH_SRC),$(BUILD)/mdm-bench-step)
$(BUILD)/mdm-bench-step: $(call obj,tools/bench/step.c tools/bench/peak.c) $(BUILD)/libmdm.a
	$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

# The shipped model files, from the reference checkpoint (tools/reference/train.py).
CKPT ?= models/mdm-fmnist
models: $(BUILD)/mdm-convert
	@for t in f32 q8_0 q4_0; do \
	    $(BUILD)/mdm-convert --checkpoint $(CKPT) -o models/mdm-fmnist-$$t.gguf --type $$t || exit 1; \
	done

clean:
	rm -rf build
.SECONDARY:

# ---- fuzz: libFuzzer targets for the model loader, JSON and safetensors ----
# make fuzz builds build/fuzz/fuzz_{gguf,json,safetensors} with clang's
# libFuzzer + ASan/UBSan; tests/suites/fuzz.sh runs them.
FUZZ_CC      ?= clang
FUZZ_FLAGS    = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_TARGETS := fuzz_gguf fuzz_json fuzz_safetensors
# Only what the loader and the converter use, so a target builds alone.
FUZZ_SRC     := src/status.c src/fmt.c $(wildcard src/model/*.c) src/kernels/ref/quant.c src/sample/pcg32.c \
                src/text/vocab_tsv.c \
                $(wildcard ports/posix/*.c) $(CONV_SRC)
fuzz: $(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS))
$(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS)): $(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_SRC)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CSTD) $(WARN) -I. -Isrc -Iports $(FUZZ_FLAGS) $< $(FUZZ_SRC) -lm -o $@

# ---- mdm-eval: caption/VQA accuracy and q8_0/q4_0 agreement on Fashion-MNIST ----
# build/mdm-eval (tools/eval) uses the public API and src/image only;
# tests/suites/eval.sh runs it.  Threads: one context per thread (pthreads).
EVAL_SRC := $(wildcard tools/eval/*.c)
all: $(if $(EVAL_SRC),$(BUILD)/mdm-eval)
$(BUILD)/mdm-eval: $(call obj,$(EVAL_SRC)) $(BUILD)/libmdm.a
	$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -pthread -o $@

# ---- golden-tool: decodes images and unpacks golden files for tests/suites/cli.sh ----
# (the project's own decoders, so that the CLI checks need no python3)
all: $(BUILD)/golden-tool
$(BUILD)/golden-tool: $(call obj,tests/tools/golden_tool.c) $(CONV_LIB) $(BUILD)/libmdm.a
	$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@
# ---- firmware for two emulated Cortex-M boards: ports/cortex-m/firmware.mk ----
include ports/cortex-m/firmware.mk

# ---- install: header, static and shared library, tools, demo models, mdm.pc ----
# make install PREFIX=/usr/local DESTDIR=/tmp/stage.  The shared library's
# soname carries MAJOR (and MINOR while MAJOR is 0); it exports the names of
# mdm_rt.h only (-fvisibility=hidden above, src/libmdm.map).  mdm finds the
# installed models from its own location (tools/mdm/find_model.c).
PREFIX  ?= /usr/local
DESTDIR ?=
version_part = $(shell sed -n 's/^\#define MDM_VERSION_$(1) \([0-9]*\)$$/\1/p' mdm_rt.h)
V_MAJOR := $(call version_part,MAJOR)
V_MINOR := $(call version_part,MINOR)
V_PATCH := $(call version_part,PATCH)
SONAME  := libmdm.so.$(V_MAJOR)$(if $(filter 0,$(V_MAJOR)),.$(V_MINOR))
SHLIB   := $(BUILD)/libmdm.so.$(V_MAJOR).$(V_MINOR).$(V_PATCH)
.PHONY: shared install
shared: $(SHLIB)
$(SHLIB): $(LIB_OBJ) src/libmdm.map
	$(CC) -shared $(LDFLAGS) -Wl,-soname,$(SONAME) -Wl,--version-script=src/libmdm.map \
	    -Wl,--no-undefined $(LIB_OBJ) $(LDLIBS) -o $@
$(call obj,tools/mdm/find_model.c): CFLAGS += -DMDM_SOURCE_DIR='"$(CURDIR)"'
install: all $(SHLIB)
	@d=$(DESTDIR)$(PREFIX); set -e; \
	mkdir -p $$d/include $$d/lib/pkgconfig $$d/bin $$d/share/mdm/models; \
	cp mdm_rt.h $$d/include/; \
	cp $(BUILD)/libmdm.a $(SHLIB) $$d/lib/; \
	ln -sf $(notdir $(SHLIB)) $$d/lib/$(SONAME); ln -sf $(SONAME) $$d/lib/libmdm.so; \
	cp $(BUILD)/mdm $(BUILD)/mdm-convert $$d/bin/; \
	cp models/*.gguf $$d/share/mdm/models/; \
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(V_MAJOR).$(V_MINOR).$(V_PATCH)|' \
	    tools/mdm.pc.in >$$d/lib/pkgconfig/mdm.pc; \
	echo "installed mdm $(V_MAJOR).$(V_MINOR).$(V_PATCH) in $$d"
