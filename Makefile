# hvsmoke: the one entry point. `make`, `make run`, `make check`, `make bench`.
CROSS_COMPILE ?=
NASM ?= nasm
LD_FW := $(CROSS_COMPILE)ld
OBJCOPY_FW := $(CROSS_COMPILE)objcopy
CC ?= cc
B := build

# ---- guest firmware -------------------------------------------------------
FW_SRCS := $(sort $(wildcard guestfw/*.asm guestfw/smp/*.asm guestfw/smm/*.asm))
FW_INCS := $(wildcard guestfw/include/*.inc)
FW_OBJS := $(patsubst %.asm,$(B)/%.o,$(FW_SRCS))
FW_NOSIPI_OBJS := $(patsubst %.asm,$(B)/nosipi/%.o,$(FW_SRCS))
FW_LATEAP_OBJS := $(patsubst %.asm,$(B)/lateap/%.o,$(FW_SRCS))
FW_DMAERROR_OBJS := $(patsubst %.asm,$(B)/dmaerror/%.o,$(FW_SRCS))

.PHONY: all fw deps run check clean testfw bench fuzz fuzz-deps check-deps
all: fw

# tool:package pairs; `make deps` installs what is missing (apt, as root) or
# names the exact command.
DEPS := nasm:nasm ld:binutils cc:gcc bats:bats python3:python3 socat:socat \
	qemu-system-x86_64:qemu-system-x86 /usr/include/jansson.h:libjansson-dev
deps:
	@missing=""; \
	for p in $(DEPS); do t="$${p%%:*}"; \
		case "$$t" in /*) [ -e "$$t" ] ;; *) command -v "$$t" >/dev/null 2>&1 ;; esac \
			|| missing="$$missing $${p#*:}"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "deps: installing$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 2; \
		else \
			echo "deps: missing tools; install them with: sudo apt-get install -y$$missing" >&2; exit 2; \
		fi; \
	fi

fw: $(B)/guestfw.bin $(B)/guestfw-nosipi.bin $(B)/guestfw-lateap.bin $(B)/guestfw-dmaerror.bin

$(B)/guestfw/%.o: guestfw/%.asm $(FW_INCS) | deps
	@mkdir -p $(dir $@)
	$(NASM) -f elf32 -w+all -I guestfw/include/ -o $@ $<

$(B)/nosipi/guestfw/%.o: guestfw/%.asm $(FW_INCS) | deps
	@mkdir -p $(dir $@)
	$(NASM) -f elf32 -w+all -DHVSMOKE_TEST_NO_SIPI -I guestfw/include/ -o $@ $<

# a test build: the last AP comes online just after the BSP's scan snapshot
$(B)/lateap/guestfw/%.o: guestfw/%.asm $(FW_INCS) | deps
	@mkdir -p $(dir $@)
	$(NASM) -f elf32 -w+all -DHVSMOKE_TEST_LATE_AP -I guestfw/include/ -o $@ $<

# a test build: a fw_cfg DMA read that goes on with an item targets 4 GiB, and fails
$(B)/dmaerror/guestfw/%.o: guestfw/%.asm $(FW_INCS) | deps
	@mkdir -p $(dir $@)
	$(NASM) -f elf32 -w+all -DHVSMOKE_TEST_DMA_ERROR -I guestfw/include/ -o $@ $<

$(B)/%.elf: linker/guestfw.ld
	$(LD_FW) -m elf_i386 -nostdlib -T linker/guestfw.ld -o $@ $(filter %.o,$^)

$(B)/guestfw.elf: $(FW_OBJS)
$(B)/guestfw-nosipi.elf: $(FW_NOSIPI_OBJS)
$(B)/guestfw-lateap.elf: $(FW_LATEAP_OBJS)
$(B)/guestfw-dmaerror.elf: $(FW_DMAERROR_OBJS)

$(B)/%.bin: $(B)/%.elf
	$(OBJCOPY_FW) -O binary --gap-fill 0xff $< $@
	@test $$(stat -c %s $@) -eq 65536 || { echo "$@: firmware image must be exactly 64 KiB" >&2; rm -f $@; exit 1; }

# ---- the VMM --------------------------------------------------------------
CSTD := -std=c11 -D_GNU_SOURCE
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CFLAGS ?= -O2 -g
ALL_CFLAGS := $(CSTD) $(WARN) $(CFLAGS) -pthread -MMD -MP
# jansson (QMP) is linked statically so build/hvsmoke stays one copyable file
LDLIBS := -Wl,-Bstatic -ljansson -Wl,-Bdynamic -pthread -lm
# build/hvsmoke itself is linked fully static: no loader and no libraries to
# resolve at every spawn (0.30 ms instead of 0.52 ms to run --version here,
# which counts in spawn-to-APs-online), and it runs on any runner as it is.
# The sanitizer builds and the tests stay dynamic, as the sanitizers need.
STATIC_LDLIBS := -static -ljansson -pthread -lm

VMM_SRCS := $(sort $(wildcard vmm/*.c vmm/kvm/*.c vmm/mshv/*.c vmm/script/*.c vmm/devices/*.c vmm/qemu/*.c))
VMM_LIB_SRCS := $(filter-out vmm/main.c,$(VMM_SRCS))

objs = $(patsubst %.c,$(B)/$(1)/%.o,$(2))

$(B)/plain/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/asan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all -c -o $@ $<

$(B)/tsan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -O1 -fsanitize=thread -c -o $@ $<

$(B)/fw_blob.o: vmm/fw_blob.S $(B)/guestfw.bin
	$(CC) -c -DHVSMOKE_FW_PATH='"$(B)/guestfw.bin"' -o $@ $<

$(B)/hvsmoke: $(call objs,plain,$(VMM_SRCS)) $(B)/fw_blob.o
	$(CC) $(CFLAGS) -o $@ $^ $(STATIC_LDLIBS)

$(B)/hvsmoke-tsan: $(call objs,tsan,$(VMM_SRCS)) $(B)/fw_blob.o
	$(CC) $(CFLAGS) -fsanitize=thread -o $@ $^ $(LDLIBS)

$(B)/hvsmoke-asan: $(call objs,asan,$(VMM_SRCS)) $(B)/fw_blob.o
	$(CC) $(CFLAGS) -fsanitize=address,undefined -o $@ $^ $(LDLIBS)

all: $(B)/hvsmoke

# ---- unit tests -----------------------------------------------------------
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_NAMES := $(notdir $(UNIT_SRCS:.c=))

$(B)/unit/%: $(B)/plain/tests/unit/%.o $(call objs,plain,$(VMM_LIB_SRCS))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(B)/unit-asan/%: $(B)/asan/tests/unit/%.o $(call objs,asan,$(VMM_LIB_SRCS))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=address,undefined -o $@ $^ $(LDLIBS)

# the config decoder on one file, for tests/fwconfig.bats
$(B)/cfgcheck: $(B)/plain/tests/tools/cfgcheck.o $(B)/plain/vmm/cfg.o
	$(CC) $(CFLAGS) -o $@ $^

.PHONY: unit unit-asan
unit: $(addprefix $(B)/unit/,$(UNIT_NAMES))
	@for t in $^; do $$t || exit 1; done

unit-asan: $(addprefix $(B)/unit-asan/,$(UNIT_NAMES))
	@for t in $^; do ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $$t || exit 1; done

-include $(shell find $(B) -name '*.d' 2>/dev/null)
.SECONDARY:

# ---- the user-facing targets ----------------------------------------------
RUN_ARGS ?= --cpus 4 --iterations 10 --sync-hammer max

run: all
	$(B)/hvsmoke run $(RUN_ARGS)

# check's own tools: the JSON Schema checker every test's JSON goes through,
# and Chromium for looking at the report as a person would (its test skips
# with the reason where Chromium cannot be installed or started).
check-deps:
	@missing=""; \
	python3 -c 'import jsonschema' 2>/dev/null || missing="$$missing python3-jsonschema"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium fonts-dejavu-core"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "deps: installing$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || true; \
		fi; \
		python3 -c 'import jsonschema' 2>/dev/null || { \
			echo "deps: the tests check every JSON against its schema: sudo apt-get install -y python3-jsonschema" >&2; exit 2; }; \
	fi

check: all testfw check-deps $(B)/hvsmoke-tsan $(B)/hvsmoke-asan $(B)/floor $(B)/cfgcheck
	$(MAKE) --no-print-directory unit
	$(MAKE) --no-print-directory unit-asan
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS)
	tests/run-bats.sh tests/

# ---- fuzzing (libFuzzer, clang) --------------------------------------------
# `make fuzz` runs each target for FUZZ_SECONDS on its corpus (new inputs it
# finds go to $(B)/fuzz/NAME.corpus and a crashing input to $(B)/fuzz/NAME-crash-*,
# never into the tree); check runs them briefly.
FUZZ_SECONDS ?= 60
CHECK_FUZZ_SECONDS ?= 5
FUZZ_CC ?= clang
# Without two warnings that only clang gives, on code that gcc's -Werror build
# takes: a KVM struct with a flexible array inside another (x86_state.h), and
# positional initialisers that leave the trailing fields zero.
FUZZ_FLAGS := $(CSTD) $(WARN) -Wno-gnu-variable-sized-type-not-at-end \
	-Wno-missing-field-initializers -g -O1 -fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=all -pthread -MMD -MP
FUZZ_NAMES := evstream qemu_regs qmpc events script options fwcfg fwconfig qmp compare
# The code each target is about. Whatever else it calls comes from the VMM
# built as an archive, so the linker takes only what is reached.
fuzz_srcs_evstream := vmm/qemu/evstream.c vmm/devices/events.c
fuzz_srcs_qemu_regs := vmm/qemu/regs.c
fuzz_srcs_qmpc := vmm/qemu/qmpc.c vmm/util.c
fuzz_srcs_events := vmm/devices/events.c
fuzz_srcs_script := vmm/script/script.c
fuzz_srcs_options := vmm/options.c
fuzz_srcs_fwcfg := vmm/devices/platform.c vmm/devices/fwcfg.c vmm/devices/events.c
fuzz_srcs_fwconfig := vmm/cfg.c
fuzz_srcs_qmp := vmm/qmp.c vmm/control.c
fuzz_srcs_compare := vmm/compare.c

$(B)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -c -o $@ $<

$(B)/fuzz/libvmm.a: $(call objs,fuzz/obj,$(VMM_LIB_SRCS))
	rm -f $@
	ar rcs $@ $^

define fuzz_target
$(B)/fuzz/$(1): $(call objs,fuzz/obj,tests/fuzz/fuzz_$(1).c $(fuzz_srcs_$(1))) $(B)/fuzz/libvmm.a
	$$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -pthread -o $$@ $$^ -ljansson -lm
endef
$(foreach t,$(FUZZ_NAMES),$(eval $(call fuzz_target,$(t))))

# check's fuzz step: clang's libFuzzer, installed (as root) or its step skips with the reason
fuzz-deps:
	@if ! command -v $(FUZZ_CC) >/dev/null 2>&1 || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "deps: installing clang libclang-rt-14-dev (libFuzzer)"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends clang libclang-rt-14-dev >/dev/null || true; \
		fi; \
	fi

fuzz: fuzz-deps
	@if ! command -v $(FUZZ_CC) >/dev/null 2>&1 || \
	    ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n){return 0;}' | \
	      $(FUZZ_CC) -fsanitize=fuzzer -x c -o /dev/null - >/dev/null 2>&1; then \
		echo "fuzz: SKIP: $(FUZZ_CC) with libFuzzer is not installed (apt-get install clang libclang-rt-14-dev)"; \
		exit 0; \
	fi; \
	$(MAKE) --no-print-directory $(addprefix $(B)/fuzz/,$(FUZZ_NAMES)) || exit 1; \
	for t in $(FUZZ_NAMES); do \
		mkdir -p $(B)/fuzz/$$t.corpus; \
		echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
		$(B)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -timeout=10 \
			-artifact_prefix=$(B)/fuzz/$$t- \
			-print_final_stats=1 $(B)/fuzz/$$t.corpus tests/fuzz/corpus/$$t \
			> $(B)/fuzz/$$t.log 2>&1 || { tail -40 $(B)/fuzz/$$t.log; exit 1; }; \
		grep -E '^stat::number_of_executed_units' $(B)/fuzz/$$t.log | sed "s/^/fuzz: $$t: /"; \
	done

# bench: QEMU and SeaBIOS are its peers; installed (as root) or their rows skip
bench: all $(B)/floor
	@if ! command -v qemu-system-x86_64 >/dev/null 2>&1 || [ ! -e /usr/share/seabios/bios-256k.bin ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-system-x86 seabios >/dev/null; \
		else \
			echo "bench: QEMU rows will be skipped; to include them: sudo apt-get install -y qemu-system-x86 seabios" >&2; \
		fi; \
	fi
	HVSMOKE_BUILD=$(B) python3 bench/run.py

$(B)/floor: bench/floor.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(CFLAGS) -pthread -o $@ $<

clean:
	rm -rf $(B)

# ---- tiny broken firmwares the tests boot ---------------------------------
TESTFW_SRCS := $(wildcard tests/fw/*.asm)
TESTFW_BINS := $(patsubst tests/fw/%.asm,$(B)/testfw/%.bin,$(TESTFW_SRCS))

$(B)/testfw/%.bin: tests/fw/%.asm tests/fw/reset.inc $(FW_INCS) | deps
	@mkdir -p $(dir $@)
	$(NASM) -f bin -w+all -I guestfw/include/ -I tests/fw/ -o $@ $<

testfw: $(TESTFW_BINS)
