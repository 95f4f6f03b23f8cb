# tests/integration/integration.mk - included by the Makefile.
#
#   make integration-build   the host tools the QEMU runs need: the verdict
#                            parser, the USB stick image (run.sh --usb) and
#                            QEMU 10 (make qemu10)
#   make integration         only the QEMU scenarios (tests/integration/*.sh)
#   make check               unit tests + scenarios (rule in the Makefile)

.PHONY: integration-build integration

VERDICT_SRCS := tools/verdict.c tools/verdict_lib.c

integration-build: $(BUILD)/host/verdict $(BUILD)/host/screencheck $(BUILD)/hv-usb.img
# integration/qemu10 runs the suite under QEMU 10 (make qemu10, in the Makefile).
integration-build: qemu10

# A host program (libc only, never lib/printf.h): HOST_CFLAGS brings the sanitizers.
$(BUILD)/host/verdict: $(VERDICT_SRCS) tools/verdict.h
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $(VERDICT_SRCS)

integration: $(BUILD)/BOOTX64.EFI integration-build
	./tests/check.sh --integration

# The screenshot checker (integration/screen): the hypervisor's own drawing
# code (lib/fb.c, lib/font8x16.c, lib/tally.c) built for the host, with zlib
# for PNG.  lib/fb.c's snprintf is the C library's here (same prototype).
SCREENCHECK_SRCS := tools/screencheck.c tools/verdict_lib.c lib/fb.c lib/font8x16.c lib/tally.c
$(BUILD)/host/screencheck: $(SCREENCHECK_SRCS) tools/verdict.h lib/fb.h lib/font8x16.h lib/tally.h
	@test -e /usr/include/zlib.h || { echo "zlib.h not found: install the Debian package 'zlib1g-dev' (or run 'make deps' as root)" >&2; exit 1; }
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $(SCREENCHECK_SRCS) -lz
