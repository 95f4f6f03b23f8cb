# tests/unit/unit.mk - host unit tests, included by the top Makefile.
#
#   make unit-build     $(BUILD)/host/unit-tests
#   make unit           build and run them (UNIT_FILTER='npt*' runs a subset)
#
# Uses BUILD, HOSTCC and HOST_CFLAGS from the top Makefile.  Every
# tests/unit/*.c is a part of the one test binary; a file adds tests with
# TEST(name) (tests/unit/unit.h).

UNIT_SRCS += svm/msrpm.c svm/iopm.c svm/npt.c svm/exit_names.c svm/vmcb_check.c
UNIT_SRCS += svm/insn.c svm/guest_walk.c svm/insn_mmio.c
UNIT_SRCS += avic/vapic.c avic/vioapic.c avic/vpic.c avic/avic_hw.c avic/avic_emu.c avic/apic_mode.c
UNIT_SRCS += hv/host_apic_mode.c hv/multiboot.c
UNIT_SRCS += lib/printf.c lib/string.c lib/x86.c hv/results.c
UNIT_SRCS += lib/font8x16.c lib/fb.c lib/tally.c hv/screen.c
UNIT_SRCS += hv/config.c
UNIT_SRCS += $(wildcard tools/verdict_lib.c hv/acpi.c)
UNIT_SRCS += $(wildcard tests/unit/*.c)

UNIT_BIN  := $(BUILD)/host/unit-tests
# Own subdirectory: other host builds may compile the same sources with other flags.
UNIT_OBJDIR := $(BUILD)/host/unit
UNIT_OBJS = $(patsubst %.c,$(UNIT_OBJDIR)/%.o,$(UNIT_SRCS))

# Flags with a reason:
#   -Dsnprintf=hv_snprintf -Dvsnprintf=hv_vsnprintf
#                        lib/printf.h uses the C library's names; renamed, the
#                        tests exercise lib/printf.c and not the libc versions
#   -U_FORTIFY_SOURCE    fortify would make snprintf a libc inline wrapper and
#                        bypass the renaming
UNIT_CFLAGS = $(HOST_CFLAGS) -MMD -MP \
	-Dvsnprintf=hv_vsnprintf -Dsnprintf=hv_snprintf -U_FORTIFY_SOURCE

.PHONY: unit unit-build
unit-build: $(UNIT_BIN)

unit: $(UNIT_BIN)
	$(UNIT_BIN) $(UNIT_FILTER)

$(UNIT_BIN): $(UNIT_OBJS)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $(UNIT_OBJS)

$(UNIT_OBJDIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(UNIT_CFLAGS) -c -o $@ $<

-include $(UNIT_OBJS:.o=.d)
