/*
 * guest/lib/guest.h - the test guest runtime, everything a guest test needs.
 *
 * A test is a function registered with GUEST_TEST(name); hv/tests.def names
 * it and the hypervisor passes the name in boot_info->test.  The runtime
 * (guest/lib/start.c) runs it on every vCPU of the VM and ends the vCPU
 * when it returns.  Results go to the hypervisor through report*() below;
 * guest/lib/report.h has the vocabulary (kvm-unit-tests style).
 */
#ifndef GUEST_LIB_GUEST_H
#define GUEST_LIB_GUEST_H

#include "lib/types.h"
#include "lib/hv_abi.h"
#include "lib/x86.h"
#include "lib/cpuid.h"
#include "lib/string.h"
#include "lib/printf.h"
#include "guest/lib/console.h"
#include "guest/lib/hypercall.h"
#include "guest/lib/exception.h"
#include "guest/lib/report.h"
#include "guest/lib/paging.h"

/*
 * Memory layout (guest-physical == virtual, guest/entry.asm identity-maps
 * 0-4 GiB): the image from HV_GUEST_LOAD_GPA to the end of .bss, the boot
 * information at HV_BOOT_INFO_GPA, and one stack per vCPU at the top of RAM:
 * vCPU n's stack ends at min(ram_size, 4 GiB) - n * GUEST_STACK_SIZE.
 */
#define GUEST_STACK_SIZE        (16 * 1024)
/* Per-vCPU tables are sized for this many vCPUs (xAPIC IDs are 8 bits). */
#define GUEST_MAX_VCPUS         256

/* Selectors of the guest's own GDT (guest/entry.asm). */
#define GUEST_SEL_CODE64        0x08
#define GUEST_SEL_DATA          0x10

/* Values written to HV_PORT_TEST_END: lib/hv_abi.h HV_END_*. */
#define GUEST_END_OK            HV_END_OK
#define GUEST_END_CRASH         HV_END_CRASH
#define GUEST_END_BAD_BOOT      HV_END_BAD_BOOT

/*
 * SVM exit codes, for HC_EXIT_COUNT (APM Vol 2 Appendix C "SVM Intercept
 * Exit Codes").  The guest does not include svm/: hv_abi.h is the only
 * shared header, and these numbers are architectural.
 */
#define SVM_EXIT_RDTSC          0x06e
#define SVM_EXIT_CPUID          0x072
#define SVM_EXIT_IOIO           0x07b
#define SVM_EXIT_VMMCALL        0x081
#define SVM_EXIT_AVIC_INCOMPLETE_IPI 0x401
#define HC_EXIT_COUNT_ALL       (~0ULL)

/* The boot information the hypervisor left at HV_BOOT_INFO_GPA. */
extern const struct hv_boot_info *boot_info;

/* This vCPU's index (ESI at entry), 0 .. nr_vcpus() - 1. */
u32 this_vcpu(void);
u32 nr_vcpus(void);

/*
 * Tells the hypervisor's watchdog that this vCPU's test completed a step
 * (lib/hv_abi.h, HV_PROGRESS_GPA): a hang is a VM in which no vCPU steps
 * for a whole window, however slow the host.  The runtime steps at every
 * barrier passed and every wait on another vCPU that ended; reports count
 * by themselves.  Costs no exit.  Never step in a loop that could run for
 * ever: a stepping VM is not stopped until the watchdog's hard limit.
 */
static inline void progress(void)
{
	u64 *steps = ((struct hv_progress *)(uintptr_t)HV_PROGRESS_GPA)->steps;

	__atomic_add_fetch(&steps[this_vcpu() % HV_PROGRESS_SLOTS], 1, __ATOMIC_RELAXED);
}

/* Ends this vCPU: OUT to HV_PORT_TEST_END; never returns. */
void guest_end(u32 code) __noreturn;

/* Test registration: a {name, fn} entry in the .guest_tests section. */
struct guest_test {
	const char *name;
	void (*fn)(void);
};

/*
 * GUEST_TEST(cpuid) { ... } defines the body of test "cpuid".  The entry
 * is a global symbol, so a name registered twice fails to link, and
 * guest.mk checks that every name in hv/tests.def has one.
 */
#define GUEST_TEST(tname)                                                      \
	static void guest_test_fn_##tname(void);                               \
	extern const struct guest_test guest_test_entry_##tname;               \
	const struct guest_test guest_test_entry_##tname                       \
		__attribute__((used, section(".guest_tests"), aligned(8))) = { \
			.name = #tname,                                        \
			.fn = guest_test_fn_##tname,                           \
	};                                                                     \
	static void guest_test_fn_##tname(void)

#endif
