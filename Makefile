# Makefile - build, images, run, test, debug.
#
#   make run  [APP=path/to/prog.c|dir] [CMDLINE="..."] [SMP=4]   boot in QEMU (OVMF), serial on the terminal
#   make image [APP=...]                                         build/usb.img and build/rt.iso
#   make test / make test-quick                                  the serial-console harness (tests/run)
#   make debug                                                   QEMU paused with its gdb stub, and gdb
#   make bench [SMP=N] [BENCH_ONLY=name] / make bench-compare [WRITE=1]   rtbench, alone / against Go on Linux
#   make torture [DURATION=60] [SMP=N] [CPU=model] [SEED=N]             the torture run over the hardware matrix
#   make usb DEV=/dev/sdX [IMG=...]                              write build/usb.img (or IMG) to a USB stick
#   make deps                                                    install missing build dependencies (root)
#   make clean
#
# Everything is built under $(BUILD). A program (APP) is one or more C
# files, or a directory of them, written against include/rt.h; the default
# is the demo, apps/demo. Its default command line is CMDLINE, else the
# program directory's cmdline.txt.

BUILD     ?= build
APP       ?= apps/demo
SMP       ?= 4
MEM       ?= 512M
QEMUFLAGS ?=
FONT      ?= /usr/share/consolefonts/Lat15-Terminus16.psf.gz
OVMF_CODE ?= /usr/share/OVMF/OVMF_CODE_4M.fd
export QEMUFLAGS

# V=1 shows the full commands
Q := $(if $(V),,@)

CC      := gcc
LD      := ld
NASM    := nasm
OBJCOPY := objcopy
PYTHON  := python3

# ---- the kernel image (kernel/, rt/, tests/kernel/, the program) ----

# Evaluated on first use, not at parse time: on a new machine gcc itself
# arrives with `make deps`, after this Makefile has been read.
GCC_INCLUDE = $(eval GCC_INCLUDE := $$(shell $(CC) -print-file-name=include))$(GCC_INCLUDE)
KCFLAGS = -std=c11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	-ffreestanding -nostdinc -isystem $(GCC_INCLUDE) -Iinclude -I$(BUILD)/gen \
	-mno-red-zone -mcmodel=kernel -fno-pic -fno-pie -mcx16 \
	-fno-stack-protector -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
	-fno-optimize-sibling-calls -fno-asynchronous-unwind-tables -MMD -MP \
	-mstringop-strategy=unrolled_loop
# The runtime and the machine layer never touch SSE registers, so traps
# need not save them; programs may use them freely.
RTCFLAGS = $(KCFLAGS) -mgeneral-regs-only
# The runtime and the machine layer are optimised as one program at link
# time: the scheduler's paths cross files (proc, runq, lock, chan), and
# inlining across them is worth 10-25 % on the channel benchmarks. One
# partition keeps static functions' names as written (gdb, tracebacks).
LTOFLAGS = -flto -flto-partition=one
# The in-kernel tests stand where a program stands: outside that unit,
# calling the runtime through real calls (gdb's tests see those frames).
$(BUILD)/tests/%.o: LTOFLAGS :=
KLDFLAGS = -nostdlib -static -no-pie -Wl,-z,max-page-size=4096 -T linker.ld
NASMFLAGS := -f elf64 -g -F dwarf -I$(BUILD)/gen/ -Irt/

KERNEL_C := $(wildcard kernel/*.c)
RT_C     := $(filter-out rt/asm_offsets.c,$(wildcard rt/*.c))
KTEST_C  := $(wildcard tests/kernel/*.c)
ASM      := $(wildcard kernel/*.asm rt/*.asm tests/kernel/*.asm)

KOBJS := $(patsubst %.c,$(BUILD)/%.o,$(KERNEL_C) $(RT_C) $(KTEST_C)) \
	 $(patsubst %.asm,$(BUILD)/%.o,$(ASM))

APP_SRCS := $(foreach a,$(APP),$(if $(wildcard $(a)/*.c),$(wildcard $(a)/*.c),$(a)))
APP_DIR  := $(firstword $(foreach a,$(APP),$(if $(wildcard $(a)/*.c),$(a),$(dir $(a)))))
CMDLINE  ?= $(strip $(shell cat $(APP_DIR)/cmdline.txt 2>/dev/null))

.PHONY: all deps image examples progs run debug test test-quick test-host usb clean FORCE
all: image

deps:
	@sh tools/deps.sh

$(BUILD)/gen/font.h: tools/psf2c.py | deps
	@mkdir -p $(dir $@)
	@echo "  GEN     $@ (from $(FONT))"
	$(Q)$(PYTHON) tools/psf2c.py $(FONT) $@

$(BUILD)/gen/asm_offsets.inc: rt/asm_offsets.c rt/runtime2.h include/rt.h | deps
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	$(Q)$(CC) $(RTCFLAGS) -MF /dev/null -S -o $(BUILD)/gen/asm_offsets.s $<
	$(Q)sed -n 's/^[[:space:]]*->\([a-zA-Z0-9_]*\) \$$\{0,1\}\(-\{0,1\}[0-9]*\).*/%define \1 \2/p' \
		$(BUILD)/gen/asm_offsets.s > $@.tmp && mv $@.tmp $@

$(BUILD)/kernel/fbcons.o: $(BUILD)/gen/font.h

$(BUILD)/%.o: %.c Makefile | deps
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(RTCFLAGS) $(LTOFLAGS) -c -o $@ $<

$(BUILD)/%.o: %.asm $(BUILD)/gen/asm_offsets.inc Makefile | deps
	@mkdir -p $(dir $@)
	@echo "  NASM    $<"
	$(Q)$(NASM) $(NASMFLAGS) -MD $(@:.o=.d) -o $@ $<

# The program: rebuilt whenever APP changes (the stamp records it).
$(BUILD)/app.stamp: FORCE
	@mkdir -p $(BUILD)
	@echo '$(abspath $(APP_SRCS)) | $(CMDLINE)' | cmp -s - $@ || echo '$(abspath $(APP_SRCS)) | $(CMDLINE)' > $@

$(BUILD)/app.o: $(APP_SRCS) $(BUILD)/app.stamp include/rt.h include/string.h | deps
	@test -n "$(APP_SRCS)" || { echo "make: APP=$(APP): no C files found" >&2; exit 2; }
	@for f in $(APP_SRCS); do test -f "$$f" || { echo "make: APP: no such file: $$f" >&2; exit 2; }; done
	@rm -rf $(BUILD)/app && mkdir -p $(BUILD)/app
	@set -e; i=0; for f in $(APP_SRCS); do i=$$((i+1)); \
		echo "  CC      $$f"; \
		$(CC) $(KCFLAGS) -MF /dev/null -c -o $(BUILD)/app/$$i.o $$f; done
	$(Q)$(LD) -r -o $@ $(BUILD)/app/*.o

$(BUILD)/kernel.elf: $(KOBJS) $(BUILD)/app.o linker.ld
	@echo "  LD      $@ (+ kernel.sym, kernel.asm)"
	$(Q)$(CC) $(RTCFLAGS) $(LTOFLAGS) $(KLDFLAGS) -o $@ $(KOBJS) $(BUILD)/app.o
	$(Q)nm -n $@ > $(BUILD)/kernel.sym
	$(Q)objdump -d -M intel $@ > $(BUILD)/kernel.asm

# ---- the loader (GNU-EFI) ----

EFI_INC  := /usr/include/efi
EFI_LIB  := /usr/lib
EFI_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror -Wno-unused-parameter \
	-I$(EFI_INC) -I$(EFI_INC)/x86_64 -fpic -fshort-wchar -ffreestanding \
	-fno-stack-protector -mno-red-zone -maccumulate-outgoing-args \
	-DGNU_EFI_USE_MS_ABI -MMD -MP

$(BUILD)/boot/%.o: boot/%.c | deps
	@mkdir -p $(dir $@)
	@echo "  CC      $< (EFI)"
	$(Q)$(CC) $(EFI_CFLAGS) -c -o $@ $<

# The loader's last words after a failed ExitBootServices draw with the
# kernel's own framebuffer console; a small text grid (the EFI file holds
# its shadow: the loader has no zero-filled section).
$(BUILD)/boot/fbcons.o: kernel/fbcons.c $(BUILD)/gen/font.h | deps
	@mkdir -p $(dir $@)
	@echo "  CC      $< (EFI)"
	$(Q)$(CC) $(EFI_CFLAGS) -DFBCONS_MAX_COLS=160 -DFBCONS_MAX_ROWS=60 -I$(BUILD)/gen -c -o $@ $<

$(BUILD)/boot/%.o: boot/%.S | deps
	@mkdir -p $(dir $@)
	@echo "  AS      $< (EFI)"
	$(Q)$(CC) -c -o $@ $<

$(BUILD)/boot/loader.so: $(BUILD)/boot/loader.o $(BUILD)/boot/elfcheck.o $(BUILD)/boot/memmap.o $(BUILD)/boot/loadopts.o \
		$(BUILD)/boot/stranded.o $(BUILD)/boot/fbcons.o $(BUILD)/boot/paging.o \
		$(BUILD)/boot/secureboot.o $(BUILD)/boot/kdigest.o $(BUILD)/boot/sha256.o $(BUILD)/boot/sbat.o
	@echo "  LD      $@"
	$(Q)$(LD) -shared -Bsymbolic -nostdlib -znocombreloc -T $(EFI_LIB)/elf_x86_64_efi.lds \
		$(EFI_LIB)/crt0-efi-x86_64.o $^ -L$(EFI_LIB) -lgnuefi -lefi -o $@

$(BUILD)/BOOTX64.EFI: $(BUILD)/boot/loader.so
	@echo "  EFI     $@"
	$(Q)$(OBJCOPY) -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela \
		-j '.rel.*' -j '.rela.*' -j .reloc -j .sbat --target efi-app-x86_64 --subsystem=10 $< $@

# ---- images ----

image: $(BUILD)/usb.img $(BUILD)/rt.iso $(BUILD)/acpi/spcr-com2.dat

# An SPCR naming COM2, for the console cases (-acpitable)
$(BUILD)/acpi/spcr-com2.dat: tools/mkspcr.py
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	$(Q)$(PYTHON) tools/mkspcr.py --port 0x2f8 --irq 3 -o $@

# Secure Boot (docs/real-hardware.md): SIGN=KEY (a PEM private key) puts on
# every image a copy of the loader holding its own KERNEL.ELF's SHA-256,
# signed with sbsign; the certificate is SIGNCERT, by default the key's
# name with .pem or .crt for its extension. SHIM=1 starts Debian's
# Microsoft-signed shim first, for a key enrolled as a MOK.
SIGNCERT ?= $(if $(SIGN),$(firstword $(filter-out $(SIGN),$(wildcard $(basename $(SIGN)).pem $(basename $(SIGN)).crt))))
ifneq ($(SIGN),)
ifeq ($(SIGNCERT),)
$(error SIGN=$(SIGN): no certificate $(basename $(SIGN)).pem or .crt next to it: give SIGNCERT=)
endif
endif
IMAGE_ENV = SIGN_KEY='$(SIGN)' SIGN_CERT='$(SIGNCERT)' SHIM='$(SHIM)'
IMAGE_DEPS = iso/mkimage.sh tools/kdigest.py $(BUILD)/sign.stamp $(wildcard $(SIGN) $(SIGNCERT))

# The images are remade when SIGN, SIGNCERT or SHIM change (the stamp records them).
$(BUILD)/sign.stamp: FORCE
	@mkdir -p $(BUILD)
	@echo '$(abspath $(SIGN)) | $(abspath $(SIGNCERT)) | $(SHIM)' | cmp -s - $@ || \
		echo '$(abspath $(SIGN)) | $(abspath $(SIGNCERT)) | $(SHIM)' > $@

$(BUILD)/usb.img $(BUILD)/rt.iso &: $(BUILD)/BOOTX64.EFI $(BUILD)/kernel.elf $(BUILD)/app.stamp $(IMAGE_DEPS)
	$(Q)$(IMAGE_ENV) sh iso/mkimage.sh $(BUILD) '$(CMDLINE)'

# ---- the examples: each directory in apps/ as its own image, for the
# harness (a case's "app"): $(BUILD)/apps/<name>/usb.img, linked with the
# runtime objects above, its command line from the directory's cmdline.txt.
# The test programs in tests/progs/ (a case's "prog") are built the same
# way, into $(BUILD)/tests/progs/<name>/usb.img: programs that use only
# include/rt.h, as a user's would. A program's files are linked in the
# order of their names (their RT_INITs run in that order).

EXAMPLES := $(sort $(patsubst apps/%/,%,$(dir $(wildcard apps/*/*.c))))
PROGS    := $(sort $(patsubst tests/progs/%/,%,$(dir $(wildcard tests/progs/*/*.c))))

$(BUILD)/apps/%.o: apps/%.c include/rt.h include/string.h Makefile | deps
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(KCFLAGS) -c -o $@ $<

$(BUILD)/tests/progs/%.o: tests/progs/%.c include/rt.h include/string.h Makefile | deps
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(KCFLAGS) -c -o $@ $<

# $(1): the program's directory, apps/<name> or tests/progs/<name>
define program
$(BUILD)/$(1)/kernel.elf: $(KOBJS) $(patsubst %.c,$(BUILD)/%.o,$(sort $(wildcard $(1)/*.c))) linker.ld
	@echo "  LD      $$@"
	$(Q)$(CC) $$(RTCFLAGS) $$(LTOFLAGS) $$(KLDFLAGS) -o $$@ $(KOBJS) $(patsubst %.c,$(BUILD)/%.o,$(sort $(wildcard $(1)/*.c)))

$(BUILD)/$(1)/usb.img: $(BUILD)/$(1)/kernel.elf $(BUILD)/BOOTX64.EFI $(IMAGE_DEPS) $(wildcard $(1)/cmdline.txt)
	$(Q)cp $(BUILD)/BOOTX64.EFI $(BUILD)/$(1)/BOOTX64.EFI
	$(Q)$(IMAGE_ENV) sh iso/mkimage.sh $(BUILD)/$(1) '$(strip $(shell cat $(1)/cmdline.txt 2>/dev/null))'
endef
$(foreach a,$(EXAMPLES),$(eval $(call program,apps/$(a))))
$(foreach a,$(PROGS),$(eval $(call program,tests/progs/$(a))))

examples: $(EXAMPLES:%=$(BUILD)/apps/%/usb.img)
progs: $(PROGS:%=$(BUILD)/tests/progs/%/usb.img)

# ---- the Secure Boot test images (tests/cases.py), signed with the
# snakeoil key of Debian's OVMF package, which its snakeoil variable store
# trusts: for tests only, its private key is public. Each is the main
# image's loader and kernel, as make image SIGN=... would lay them out:
#   $(BUILD)/signed/           signed, holding the kernel's digest
#   $(BUILD)/signed-nodigest/  signed without the digest
#   $(BUILD)/signed-shim/      shim first, the signed loader as grubx64.efi;
#                              OVMF_VARS_mok.fd: Microsoft's variable store
#                              with the snakeoil certificate as a MOK

SNAKEOIL_KEY  := /usr/share/ovmf/PkKek-1-snakeoil.key
SNAKEOIL_CERT := /usr/share/ovmf/PkKek-1-snakeoil.pem
OVMF_VARS_MS  := /usr/share/OVMF/OVMF_VARS_4M.ms.fd
SHIM_GUID     := 605dab50-e046-4300-abb6-3dd810dd8b23
SIGNED_TESTS  := signed signed-nodigest signed-shim

.PHONY: signed-test-images
signed-test-images: $(SIGNED_TESTS:%=$(BUILD)/%/usb.img) $(BUILD)/signed-shim/OVMF_VARS_mok.fd

# sbsign would ask for the key's passphrase ("snakeoil"): an unencrypted copy
$(BUILD)/snakeoil.key: | deps
	@mkdir -p $(dir $@)
	$(Q)openssl pkey -in $(SNAKEOIL_KEY) -passin pass:snakeoil -out $@.tmp && chmod 600 $@.tmp && mv $@.tmp $@

$(BUILD)/signed/usb.img: SIGNED_ENV :=
$(BUILD)/signed-nodigest/usb.img: SIGNED_ENV := SIGN_NODIGEST=1
$(BUILD)/signed-shim/usb.img: SIGNED_ENV := SHIM=1
$(SIGNED_TESTS:%=$(BUILD)/%/usb.img): $(BUILD)/%/usb.img: $(BUILD)/BOOTX64.EFI $(BUILD)/kernel.elf $(BUILD)/app.stamp \
		$(BUILD)/snakeoil.key iso/mkimage.sh tools/kdigest.py
	@mkdir -p $(dir $@)
	$(Q)cp $(BUILD)/BOOTX64.EFI $(BUILD)/kernel.elf $(dir $@)
	$(Q)SIGN_KEY=$(BUILD)/snakeoil.key SIGN_CERT=$(SNAKEOIL_CERT) $(SIGNED_ENV) sh iso/mkimage.sh $(BUILD)/$* '$(CMDLINE)'

$(BUILD)/signed-shim/OVMF_VARS_mok.fd: | deps
	@mkdir -p $(dir $@)
	@echo "  VARS    $@ (MokList: the snakeoil certificate)"
	$(Q)virt-fw-vars -l warning -i $(OVMF_VARS_MS) --add-mok $(SHIM_GUID) $(SNAKEOIL_CERT) -o $@

# ---- running ----

QEMU := $(PYTHON) tools/qemu.py --image $(BUILD)/usb.img --iso $(BUILD)/rt.iso --smp $(SMP) --mem $(MEM)

run: image
	$(QEMU)

debug: image
	sh tools/debug.sh $(BUILD) '$(QEMU)'

# ---- tests ----

# The host unit tests, the images' partitions and signatures
# (tests/image_check.sh), the walkthrough's gdb session, the goroutine
# commands in gdb, the harness against a fake real machine on a serial
# line and against failures planted on purpose, a program from outside
# the tree, then every QEMU case; the harness's last line is the summary.
test: image examples progs test-host signed-test-images
	$(Q)sh tests/image_check.sh $(BUILD)
	$(Q)$(PYTHON) tests/gdb_flow.py --build-dir $(BUILD)
	$(Q)$(PYTHON) tests/gdb_goroutines.py --build-dir $(BUILD)
	$(Q)$(PYTHON) tests/serial_replay.py --build-dir $(BUILD)
	$(Q)$(PYTHON) tests/planted_check.py --build-dir $(BUILD)
	$(Q)sh tests/external_app.sh $(BUILD)
	$(Q)$(PYTHON) tests/run --build-dir $(BUILD)

test-quick: image examples test-host
	$(Q)$(PYTHON) tests/run --build-dir $(BUILD) -k 'boot-demo|ktap-'

HOST_CFLAGS := -std=c11 -g -O1 -Wall -Wextra -Werror -fsanitize=address,undefined -fno-sanitize-recover=all

test-host: fuzz-corpus | deps
	@mkdir -p $(BUILD)/host
	@echo "  HOSTCC  tests/host/print_test"
	$(Q)$(CC) $(HOST_CFLAGS) -Irt -Dprintf=rt_printf -Dsnprintf=rt_snprintf -Dvsnprintf=rt_vsnprintf \
		-Dvprintf=rt_vprintf -c -o $(BUILD)/host/print.o rt/print.c
	$(Q)$(CC) $(HOST_CFLAGS) -Irt -o $(BUILD)/host/print_test tests/host/print_test.c $(BUILD)/host/print.o
	$(Q)$(BUILD)/host/print_test
	@echo "  HOSTCC  tests/host/sizeclasses_test"
	$(Q)$(PYTHON) tools/mksizeclasses.py --check
	$(Q)$(CC) $(HOST_CFLAGS) -Irt -o $(BUILD)/host/sizeclasses_test tests/host/sizeclasses_test.c
	$(Q)$(BUILD)/host/sizeclasses_test
	@echo "  HOSTCC  tests/host/buddy_test"
	$(Q)$(CC) $(HOST_CFLAGS) -Ikernel -Iinclude -o $(BUILD)/host/buddy_test tests/host/buddy_test.c kernel/buddy.c
	$(Q)$(BUILD)/host/buddy_test
	@echo "  HOSTCC  tests/host/physmem_test"
	$(Q)$(CC) $(HOST_CFLAGS) -Ikernel -o $(BUILD)/host/physmem_test tests/host/physmem_test.c kernel/memmap.c kernel/buddy.c
	$(Q)$(BUILD)/host/physmem_test tests/host/corpus/fuzz_physmem
	@echo "  HOSTCC  tests/host/timemath_test"
	$(Q)$(CC) $(HOST_CFLAGS) -Ikernel -o $(BUILD)/host/timemath_test tests/host/timemath_test.c
	$(Q)$(BUILD)/host/timemath_test
	@echo "  HOSTCC  tests/host/acpi_test"
	$(Q)$(CC) $(HOST_CFLAGS) -Ikernel -o $(BUILD)/host/acpi_test tests/host/acpi_test.c kernel/acpi.c
	$(Q)$(BUILD)/host/acpi_test --corpus tests/host/corpus/fuzz_madt --walk-corpus tests/host/corpus/fuzz_acpi
	@echo "  HOSTCC  tests/host/symtab_test"
	$(Q)$(CC) $(HOST_CFLAGS) -Ikernel -o $(BUILD)/host/symtab_test tests/host/symtab_test.c kernel/symtab.c
	$(Q)$(BUILD)/host/symtab_test tests/host/corpus/fuzz_symtab
	@echo "  HOSTCC  tests/host/elfcheck_test"
	$(Q)$(CC) $(HOST_CFLAGS) -Iboot -o $(BUILD)/host/elfcheck_test tests/host/elfcheck_test.c boot/elfcheck.c
	$(Q)$(BUILD)/host/elfcheck_test tests/host/corpus/fuzz_elf
	@echo "  HOSTCC  tests/host/loadopts_test"
	$(Q)$(CC) $(HOST_CFLAGS) -Iboot -o $(BUILD)/host/loadopts_test tests/host/loadopts_test.c boot/loadopts.c
	$(Q)$(BUILD)/host/loadopts_test tests/host/corpus/fuzz_loadopts
	@echo "  HOSTCC  tests/host/loadmap_test"
	$(Q)$(CC) $(HOST_CFLAGS) -Iboot -o $(BUILD)/host/loadmap_test tests/host/loadmap_test.c boot/memmap.c
	$(Q)$(BUILD)/host/loadmap_test tests/host/corpus/fuzz_loadmap
	@echo "  HOSTCC  tests/host/cmdline_test"
	$(Q)$(CC) $(HOST_CFLAGS) -Irt -o $(BUILD)/host/cmdline_test tests/host/cmdline_test.c rt/cmdline.c
	$(Q)$(BUILD)/host/cmdline_test tests/host/corpus/fuzz_cmdline
	@echo "  HOSTCC  tests/host/runq_test"
	$(Q)$(CC) $(HOST_CFLAGS) -pthread -Irt -o $(BUILD)/host/runq_test tests/host/runq_test.c rt/runq.c
	$(Q)$(BUILD)/host/runq_test
	@echo "  HOSTCC  tests/host/timerheap_test"
	$(Q)$(CC) $(HOST_CFLAGS) -Irt -o $(BUILD)/host/timerheap_test tests/host/timerheap_test.c
	$(Q)$(BUILD)/host/timerheap_test
	@echo "  HOSTCC  tests/host/cpuselect_test"
	$(Q)$(CC) $(HOST_CFLAGS) -Ikernel -o $(BUILD)/host/cpuselect_test tests/host/cpuselect_test.c
	$(Q)$(BUILD)/host/cpuselect_test
	@echo "  HOSTCC  tests/host/sha256_test"
	$(Q)$(CC) $(HOST_CFLAGS) -Iboot -o $(BUILD)/host/sha256_test tests/host/sha256_test.c boot/sha256.c boot/kdigest.c
	$(Q)rm -rf $(BUILD)/host/sha256 && mkdir -p $(BUILD)/host/sha256
	$(Q)$(BUILD)/host/sha256_test $(BUILD)/host/sha256
	$(Q)$(BUILD)/host/sha256_test --files $(BUILD)/host/sha256/len-* boot/sha256.c $(OVMF_CODE) > $(BUILD)/host/sha256/ours.txt
	$(Q)sha256sum $(BUILD)/host/sha256/len-* boot/sha256.c $(OVMF_CODE) > $(BUILD)/host/sha256/sha256sum.txt
	$(Q)cmp -s $(BUILD)/host/sha256/ours.txt $(BUILD)/host/sha256/sha256sum.txt || \
		{ diff $(BUILD)/host/sha256/ours.txt $(BUILD)/host/sha256/sha256sum.txt; echo "sha256_test: digests differ from sha256sum's" >&2; exit 1; }
	@echo "  HOSTCC  tests/host/clockcheck_test"
	$(Q)$(CC) $(HOST_CFLAGS) -Ikernel -o $(BUILD)/host/clockcheck_test tests/host/clockcheck_test.c
	$(Q)$(BUILD)/host/clockcheck_test
	@echo "  SH      tests/tools_test.sh"
	$(Q)sh tests/tools_test.sh

# ---- fuzzers (clang's libFuzzer), seeds in tests/host/corpus/<fuzzer>/ ----

FUZZERS      := fuzz_madt fuzz_acpi fuzz_elf fuzz_cmdline fuzz_loadopts fuzz_loadmap fuzz_physmem fuzz_symtab
FUZZ_SECONDS ?= 60
CLANG        := clang
FUZZ_CFLAGS  := -std=c11 -g -O1 -Wall -Wextra -Werror -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

$(BUILD)/host/fuzz_madt: tests/host/fuzz_madt.c kernel/acpi.c kernel/acpi.h
$(BUILD)/host/fuzz_madt: FUZZ_INC := -Ikernel
$(BUILD)/host/fuzz_acpi: tests/host/fuzz_acpi.c tests/host/acpi_invariants.h kernel/acpi.c kernel/acpi.h
$(BUILD)/host/fuzz_acpi: FUZZ_INC := -Ikernel
$(BUILD)/host/fuzz_elf: tests/host/fuzz_elf.c tests/host/elf_invariants.h boot/elfcheck.c boot/elfcheck.h
$(BUILD)/host/fuzz_elf: FUZZ_INC := -Iboot
$(BUILD)/host/fuzz_cmdline: tests/host/fuzz_cmdline.c tests/host/cmdline_check.h rt/cmdline.c rt/cmdline.h
$(BUILD)/host/fuzz_cmdline: FUZZ_INC := -Irt
$(BUILD)/host/fuzz_loadopts: tests/host/fuzz_loadopts.c tests/host/loadopts_check.h boot/loadopts.c boot/loadopts.h
$(BUILD)/host/fuzz_loadopts: FUZZ_INC := -Iboot
$(BUILD)/host/fuzz_loadmap: tests/host/fuzz_loadmap.c tests/host/loadmap_input.h tests/host/loadmap_invariants.h \
	boot/memmap.c boot/memmap.h include/bootinfo.h
$(BUILD)/host/fuzz_loadmap: FUZZ_INC := -Iboot
$(BUILD)/host/fuzz_physmem: tests/host/fuzz_physmem.c tests/host/physmem_check.h kernel/memmap.c kernel/memmap.h \
	kernel/buddy.c kernel/buddy.h include/bootinfo.h
$(BUILD)/host/fuzz_physmem: FUZZ_INC := -Ikernel
$(BUILD)/host/fuzz_symtab: tests/host/fuzz_symtab.c tests/host/symtab_check.h kernel/symtab.c kernel/kernel.h
$(BUILD)/host/fuzz_symtab: FUZZ_INC := -Ikernel
$(FUZZERS:%=$(BUILD)/host/%): | deps
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $@"
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_INC) -o $@ $(filter %.c,$^)

.PHONY: fuzz fuzz-corpus

# Every fuzzer over its seeds once, as a regression test (make test-host).
fuzz-corpus: $(FUZZERS:%=$(BUILD)/host/%)
	$(Q)for f in $(FUZZERS); do \
		echo "  FUZZ    $$f over tests/host/corpus/$$f/"; \
		$(BUILD)/host/$$f tests/host/corpus/$$f/* > $(BUILD)/host/$$f.log 2>&1 || \
			{ tail -40 $(BUILD)/host/$$f.log; exit 1; }; \
	done

# Every fuzzer for FUZZ_SECONDS, from its seeds. The seeds are only read:
# what a fuzzer learns goes to $(BUILD)/fuzz/<fuzzer>/corpus/, a crashing
# input to $(BUILD)/fuzz/<fuzzer>/crash-* (keep it: copy it into the seeds).
fuzz: $(FUZZERS:%=$(BUILD)/host/%)
	$(Q)found=0; for f in $(FUZZERS); do \
		d=$(BUILD)/fuzz/$$f; mkdir -p $$d/corpus; \
		echo "  FUZZ    $$f for $(FUZZ_SECONDS) s (log: $$d/log)"; \
		if $(BUILD)/host/$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=$$d/ $$d/corpus tests/host/corpus/$$f > $$d/log 2>&1; then \
			sed -n 's/^stat::number_of_executed_units: */          executions: /p; s/^stat::new_units_added: */          new inputs: /p' $$d/log; \
		else \
			found=1; tail -30 $$d/log; echo "  FOUND   by $$f: $$(ls $$d/crash-* $$d/leak-* $$d/timeout-* $$d/oom-* 2>/dev/null)"; \
		fi; \
	done; exit $$found

# ---- a real machine ----

# IMG= writes another image, e.g. the one tests/run --serial-image made
usb: $(BUILD)/usb.img
	sh tools/usbwrite.sh $(or $(IMG),$(BUILD)/usb.img) '$(DEV)'

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# ---- rtbench (../shared/bench/SPEC.md): apps/bench against Go on Linux ----
#
#   make bench [SMP=N] [BENCH_ONLY=name] [BENCH_TRACE=1]
#                                                  the workloads in the anchor's QEMU configuration;
#                                                  BENCH_TRACE: the scheduler's cycles per phase (GODEBUG=benchtrace=1)
#   make bench-compare [RUNS=3] [ANCHOR=run.sh] [WRITE=1]
#                                                  Go anchor and ours alternately; WRITE=1 writes docs/performance.md
#
# The anchor runs at -smp 2, so the benchmarks do too unless SMP is given.

.PHONY: bench bench-compare
BENCH_SMP = $(if $(filter file,$(origin SMP)),2,$(SMP))
RUNS ?= 3

bench: $(BUILD)/apps/bench/usb.img
	$(Q)$(PYTHON) tools/bench.py --build-dir $(BUILD) --smp $(BENCH_SMP) $(if $(BENCH_ONLY),--only $(BENCH_ONLY)) \
		$(if $(BENCH_TRACE),--trace)

bench-compare: $(BUILD)/apps/bench/usb.img
	$(Q)$(PYTHON) tools/bench_compare.py --build-dir $(BUILD) --smp $(BENCH_SMP) --runs $(RUNS) \
		$(if $(ANCHOR),--anchor $(ANCHOR)) $(if $(WRITE),--write docs/performance.md)

# ---- the torture run (apps/torture, tools/torture.py) ----
#
#   make torture [DURATION=60] [SMP=N] [CPU=max,qemu64,...] [SEED=N] [GODEBUG=...] [TORTURE_ARGS="round=R ..."]
#
# DURATION seconds on each machine: -cpu max at -smp 1, 2, 4, then qemu64,
# Haswell and EPYC; SMP= or CPU= narrows the matrix (tools/torture.py).
# GODEBUG replaces the default sysmonperiod=100,forcepreemptns=100000.

.PHONY: torture
DURATION ?= 60

torture: $(BUILD)/apps/torture/usb.img
	$(Q)$(PYTHON) tools/torture.py --build-dir $(BUILD) --duration $(DURATION) \
		$(if $(filter file,$(origin SMP)),,--smp $(SMP)) $(if $(CPU),--cpu $(CPU)) \
		$(if $(SEED),--seed $(SEED)) $(if $(filter command line,$(origin GODEBUG)),--godebug '$(GODEBUG)') \
		$(if $(TORTURE_ARGS),--args '$(TORTURE_ARGS)')
