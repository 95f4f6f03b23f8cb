# guest/guest.mk - the test guest image, included by the top-level Makefile.
#
#   $(BUILD)/guest/guest.elf   linked at HV_GUEST_LOAD_GPA by linker.ld (symbols, gdb)
#   $(BUILD)/guest/guest.bin   the flat image the hypervisor embeds and loads
#
# One image holds every guest test; the hypervisor names the one to run in
# boot_info->test.  Uses BUILD, CC, LD, NASM, OBJCOPY from the includer.

GUEST_BUILD := $(BUILD)/guest
GUEST_GEN   := $(GUEST_BUILD)/gen
OBJCOPY     ?= objcopy
NM          ?= nm

# Flags with a reason ('#' cannot sit inside a make variable, so here):
#   -fno-pic -fno-pie       linked at a fixed guest-physical address
#   -mcmodel=small          code and data below 2 GiB
#   -mno-red-zone           exceptions are taken on the interrupted stack
#   -mgeneral-regs-only     the guest never enables SSE/x87
#   -fno-asynchronous-unwind-tables   no .eh_frame in a flat image
#   -fcf-protection=none    no CET notes or ENDBR64; the guest does not enable CET
GUEST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror \
	-ffreestanding -fno-builtin \
	-fno-pic -fno-pie -mcmodel=small -mno-red-zone -mgeneral-regs-only \
	-fno-stack-protector -fno-stack-check \
	-fno-asynchronous-unwind-tables -fcf-protection=none \
	-fno-omit-frame-pointer \
	-I. -MMD -MP
GUEST_LDFLAGS := -nostdlib -static -no-pie -z noexecstack -T linker.ld

GUEST_C_SRCS   := $(wildcard guest/lib/*.c guest/tests/*.c) lib/printf.c lib/string.c lib/x86.c
GUEST_ASM_SRCS := $(wildcard guest/*.asm)
GUEST_OBJS     := $(GUEST_C_SRCS:%.c=$(GUEST_BUILD)/%.o) $(GUEST_ASM_SRCS:%.asm=$(GUEST_BUILD)/%.o)

# Constants and offsets for guest/*.asm, generated from the C headers.
$(GUEST_GEN)/asm-offsets.inc: guest/asm-offsets.c
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -MF $(GUEST_GEN)/asm-offsets.d -MT $@ -S -o $(GUEST_GEN)/asm-offsets.s $<
	sed -n 's/.*@@OFFSET@@ \([A-Za-z0-9_]*\) [$$]\{0,1\}\(-\{0,1\}[0-9]*\).*/%define \1 \2/p' \
		$(GUEST_GEN)/asm-offsets.s > $@.tmp
	test -s $@.tmp
	mv $@.tmp $@

$(GUEST_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -c -o $@ $<

$(GUEST_BUILD)/%.o: %.asm $(GUEST_GEN)/asm-offsets.inc
	@mkdir -p $(dir $@)
	$(NASM) -f elf64 -g -I. -I$(GUEST_GEN)/ -MD $(@:.o=.d) -MP -o $@ $<

# Links, then checks that every test in hv/tests.def has its GUEST_TEST().
$(GUEST_BUILD)/guest.elf: $(GUEST_OBJS) linker.ld hv/tests.def
	$(LD) $(GUEST_LDFLAGS) -o $@ $(GUEST_OBJS)
	@missing=; for t in $$(sed -n 's/^TEST(\([A-Za-z0-9_]*\),.*/\1/p' hv/tests.def); do \
		$(NM) $@ | grep -q " guest_test_entry_$$t$$" || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
		echo "guest: no GUEST_TEST() for:$$missing (hv/tests.def wants guest/tests/<name>.c)" >&2; \
		rm -f $@; exit 1; \
	fi

$(GUEST_BUILD)/guest.bin: $(GUEST_BUILD)/guest.elf
	$(OBJCOPY) -O binary $< $@
