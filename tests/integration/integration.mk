# tests/integration/integration.mk - included by the Makefile.
#
#   make integration-build   the host tools the QEMU runs need: the verdict
#                            parser, the USB stick image (run.sh --usb) and
#                            QEMU 10 (make qemu10)
#   make integration         only the QEMU scenarios (tests/integration/*.sh)
#   make check               unit tests + scenarios (rule in the Makefile)

.PHONY: integration-build integration

VERDICT_SRCS := tools/verdict.c tools/verdict_lib.c

integration-build: $(BUILD)/host/verdict $(BUILD)/hv-usb.img
# integration/qemu10 runs the suite under QEMU 10 (make qemu10, in the Makefile).
integration-build: qemu10

# A host program (libc only, never lib/printf.h): HOST_CFLAGS brings the sanitizers.
$(BUILD)/host/verdict: $(VERDICT_SRCS) tools/verdict.h
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $(VERDICT_SRCS)

integration: $(BUILD)/BOOTX64.EFI integration-build
	./tests/check.sh --integration
