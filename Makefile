# Makefile - builds build/BOOTX64.EFI (the hypervisor, a UEFI application),
# the test guests it embeds, the host tools, and runs the tests.
#
#   make            build/BOOTX64.EFI
#   make usb        build/hv-usb.img (GPT + FAT32 ESP, for a USB stick)
#   make check      host unit tests + a short fuzz pass + QEMU integration tests
#   make deps       install the Debian packages the build and the runs need
#   make qemu10     build/qemu10/bin/qemu-system-x86_64: QEMU 10 beside the system's
#                   (run.sh with QEMU=build/qemu10/bin/qemu-system-x86_64)
#   make fuzz-long [SECONDS=600] [RUNS=10000000]   every libFuzzer target, longer
#   make fuzz-mutants   plant the bugs of tests/fuzz/mutants.txt, expect each caught
#
# Everything is built out of tree under build/.

BUILD   := build
CC      := gcc
LD      := ld
OBJCOPY := objcopy
NASM    := nasm
HOSTCC  := gcc

# --- dependencies -----------------------------------------------------------
# Debian package for each tool/file we need; `make deps` installs the missing
# ones (as root), and the build stops with the package name when one lacks.
DEPS_PKGS := gnu-efi nasm qemu-system-x86 ovmf mtools gdisk dosfstools
GNUEFI_LDS := /usr/lib/elf_x86_64_efi.lds
GNUEFI_CRT := /usr/lib/crt0-efi-x86_64.o
GNUEFI_INC := /usr/include/efi

ifneq ($(filter-out deps help clean,$(MAKECMDGOALS))$(if $(MAKECMDGOALS),,all),)
  ifeq ($(NO_AUTO_DEPS),)
    # Install what is missing before anything else, when we can (root).
    _deps := $(shell ./tools/deps.sh --auto >&2; echo $$?)
  endif
  ifeq ($(wildcard $(GNUEFI_LDS)),)
    $(error GNU-EFI not found ($(GNUEFI_LDS)): install the Debian package 'gnu-efi' (or run 'make deps' as root))
  endif
  ifeq ($(shell command -v $(NASM)),)
    $(error nasm not found: install the Debian package 'nasm' (or run 'make deps' as root))
  endif
endif

.PHONY: all deps usb check unit integration clean help fuzz qemu10
all: $(BUILD)/BOOTX64.EFI

deps:
	./tools/deps.sh

help:
	@sed -n '2,13p' Makefile | sed 's/^# \{0,1\}//'

# --- the hypervisor (UEFI application) ----------------------------------------
# Flags with a reason:
#   -fpic                  UEFI images are relocatable PE; gnu-efi relocates them at start
#   -fshort-wchar          UEFI strings are UTF-16
#   -mno-red-zone          interrupt handlers run on the interrupted stack
#   -mgeneral-regs-only    no FPU/SSE state is switched for the host, so the host never uses it
#   -DGNU_EFI_USE_MS_ABI   call firmware functions directly (ms_abi prototypes)
#   -DLIB_EFI              lib/string.c leaves memset/memcpy to gnu-efi's libefi
#   -fno-stack-protector   no TLS canary outside an OS
EFI_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror \
	-ffreestanding -fno-builtin -fpic -fshort-wchar -mno-red-zone \
	-mgeneral-regs-only -maccumulate-outgoing-args \
	-fno-stack-protector -fno-stack-check -fno-omit-frame-pointer \
	-DGNU_EFI_USE_MS_ABI -DLIB_EFI \
	-I. -I$(GNUEFI_INC) -I$(GNUEFI_INC)/x86_64 -I$(BUILD)/gen \
	-MMD -MP
EFI_LDFLAGS := -nostdlib -znocombreloc -shared -Bsymbolic -T $(GNUEFI_LDS)
EFI_LIBS := -L/usr/lib -lgnuefi -lefi

HV_C_SRCS := $(wildcard boot/*.c hv/*.c svm/*.c avic/*.c) lib/printf.c lib/string.c lib/x86.c \
	lib/font8x16.c lib/fb.c lib/tally.c
HV_C_SRCS := $(filter-out svm/asm-offsets.c boot/asm-offsets.c,$(HV_C_SRCS))
HV_ASM_SRCS := $(wildcard boot/*.asm hv/*.asm svm/*.asm avic/*.asm)
HV_OBJS := $(HV_C_SRCS:%.c=$(BUILD)/efi/%.o) $(HV_ASM_SRCS:%.asm=$(BUILD)/efi/%.o)

# Offsets for assembly are generated from the C structs (never written by hand).
$(BUILD)/gen/asm-offsets.inc: svm/asm-offsets.c $(wildcard svm/*.h hv/*.h lib/*.h) | $(BUILD)/gen
	$(CC) $(EFI_CFLAGS) -MF $(BUILD)/gen/asm-offsets.d -S -o $(BUILD)/gen/asm-offsets.s $<
	sed -n 's/.*@@OFFSET@@ \([A-Za-z0-9_]*\) [$$]\{0,1\}\(-\{0,1\}[0-9]*\).*/%define \1 \2/p' \
		$(BUILD)/gen/asm-offsets.s > $@.tmp
	test -s $@.tmp
	mv $@.tmp $@

# The AP trampoline's, from struct ap_trampoline_params: a generator in boot/
# of its own, since svm/asm-offsets.c must not include boot/ headers.  -MT:
# the header dependencies (boot-offsets.d) are the .inc's, so a change of the
# struct regenerates it and, through it, the trampoline.
$(BUILD)/gen/boot-offsets.inc: boot/asm-offsets.c boot/smp.h | $(BUILD)/gen
	$(CC) $(EFI_CFLAGS) -MF $(BUILD)/gen/boot-offsets.d -MT $@ -S -o $(BUILD)/gen/boot-offsets.s $<
	sed -n 's/.*@@OFFSET@@ \([A-Za-z0-9_]*\) [$$]\{0,1\}\(-\{0,1\}[0-9]*\).*/%define \1 \2/p' \
		$(BUILD)/gen/boot-offsets.s > $@.tmp
	test -s $@.tmp
	mv $@.tmp $@

$(BUILD)/gen:
	mkdir -p $@

$(BUILD)/efi/%.o: %.c | $(BUILD)/gen/asm-offsets.inc
	@mkdir -p $(dir $@)
	$(CC) $(EFI_CFLAGS) -c -o $@ $<

# The AP trampoline is a flat binary, copied below 1 MiB at run time.
$(BUILD)/gen/ap_trampoline.bin: boot/ap_trampoline.nasm $(BUILD)/gen/boot-offsets.inc | $(BUILD)/gen
	$(NASM) -f bin -I$(BUILD)/gen/ -o $@ $<

# boot/blobs.asm embeds the trampoline and the guest image with incbin.
$(BUILD)/efi/%.o: %.asm $(BUILD)/gen/asm-offsets.inc $(BUILD)/guest/guest.bin $(BUILD)/gen/ap_trampoline.bin
	@mkdir -p $(dir $@)
	$(NASM) -f elf64 -g -I. -I$(BUILD)/gen/ -I$(BUILD)/ -MD $(@:.o=.d) -o $@ $<

$(BUILD)/hv.so: $(HV_OBJS)
	$(LD) $(EFI_LDFLAGS) $(GNUEFI_CRT) $(HV_OBJS) -o $@ $(EFI_LIBS)

# A section not in this list is dropped from the PE image.
$(BUILD)/BOOTX64.EFI: $(BUILD)/hv.so
	$(OBJCOPY) -j .text -j .sdata -j .data -j .rodata -j .dynamic -j .dynsym \
		-j .rel -j .rela -j '.rel.*' -j '.rela.*' -j .reloc \
		--target efi-app-x86_64 --subsystem=10 $< $@
	@echo "built $@"

# --- test guests ---------------------------------------------------------------
include guest/guest.mk
# The Multiboot test kernel for run.sh --guest (make mbkernel; docs/multiboot.md).
include guest/mbkernel/mbkernel.mk

# --- USB stick image -----------------------------------------------------------
usb: $(BUILD)/hv-usb.img
$(BUILD)/hv-usb.img: $(BUILD)/BOOTX64.EFI tools/mkusb.sh
	./tools/mkusb.sh $@ $(BUILD)/BOOTX64.EFI $(if $(HV_CFG),$(HV_CFG))

# --- QEMU 10 beside the system's QEMU ---------------------------------------------
# tools/qemu10.sh: the system QEMU when it is 10.x (Debian 13), else Debian's
# backports packages unpacked into $(BUILD)/qemu10; quick when it is there.
# Under `make check` a failed download is not a build error: the scenario
# integration/qemu10 then reports FAIL with the reason, and the rest still runs.
QEMU10_SOFT := $(filter check,$(MAKECMDGOALS))
qemu10:
	@./tools/qemu10.sh $(BUILD)/qemu10 $(if $(QEMU10_SOFT),|| echo "qemu10: not installed; integration/qemu10 will report FAIL" >&2)

# --- host tools and tests --------------------------------------------------------
HOST_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -I. -DLIB_HOSTED \
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
include tests/unit/unit.mk
include tests/integration/integration.mk
include tests/fuzz/fuzz.mk
# tests/integration/11-multiboot.sh boots it.
integration-build: $(MBKERNEL)

check: $(BUILD)/BOOTX64.EFI unit-build integration-build fuzz-build
	./tests/check.sh

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
