# guest/mbkernel/mbkernel.mk - the Multiboot test kernel, included by the
# top-level Makefile.
#
#   $(BUILD)/mbkernel/mbkernel.elf   ELF32 i386 with a Multiboot header, linked
#                                    at 1 MiB (guest/mbkernel/mbkernel.ld)
#
#   ./run.sh --guest build/mbkernel/mbkernel.elf --append "x y" --module MANIFEST
# boots it (docs/multiboot.md); guest/mbkernel/mkmanifest.sh writes a
# manifest module that tells the kernel what to expect.  Uses BUILD, CC, LD,
# NASM from the includer.

MBKERNEL_BUILD := $(BUILD)/mbkernel
MBKERNEL       := $(MBKERNEL_BUILD)/mbkernel.elf

# Flags with a reason ('#' cannot sit inside a make variable, so here):
#   -m32                      a Multiboot kernel is entered in 32-bit protected mode
#   -ffreestanding -nostdlib  no C library; and no 32-bit libgcc on this host, so the
#                             code avoids 64-bit division
#   -fno-tree-loop-distribute-patterns   GCC would turn memset()'s own loop into a memset call
#   -fno-pic -fno-pie         linked at a fixed address
#   -mgeneral-regs-only       the kernel never enables the FPU/SSE
#   -fno-asynchronous-unwind-tables -fcf-protection=none   no .eh_frame, no ENDBR32
MBKERNEL_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -m32 \
	-ffreestanding -fno-builtin -fno-tree-loop-distribute-patterns \
	-fno-pic -fno-pie -mgeneral-regs-only -fno-stack-protector -fno-stack-check \
	-fno-asynchronous-unwind-tables -fcf-protection=none -fno-omit-frame-pointer \
	-I. -MMD -MP
MBKERNEL_LDFLAGS := -m elf_i386 -nostdlib -static -no-pie -z noexecstack \
	-z max-page-size=0x1000 -T guest/mbkernel/mbkernel.ld

MBKERNEL_OBJS := $(MBKERNEL_BUILD)/main.o $(MBKERNEL_BUILD)/entry.o $(MBKERNEL_BUILD)/trampoline.o

.PHONY: mbkernel
mbkernel: $(MBKERNEL)

$(MBKERNEL_BUILD)/main.o: guest/mbkernel/main.c
	@mkdir -p $(dir $@)
	$(CC) $(MBKERNEL_CFLAGS) -c -o $@ $<

$(MBKERNEL_BUILD)/entry.o: guest/mbkernel/entry.asm lib/x86.inc
	@mkdir -p $(dir $@)
	$(NASM) -f elf32 -g -I. -MD $(@:.o=.d) -MP -o $@ $<

$(MBKERNEL_BUILD)/trampoline.o: guest/mbkernel/trampoline.asm
	@mkdir -p $(dir $@)
	$(NASM) -f elf32 -g -I. -MD $(@:.o=.d) -MP -o $@ $<

$(MBKERNEL): $(MBKERNEL_OBJS) guest/mbkernel/mbkernel.ld
	$(LD) $(MBKERNEL_LDFLAGS) -o $@ $(MBKERNEL_OBJS)
