/*
 * guest/lib/start.c - from guest/entry.asm to the test: per-vCPU state,
 * IDT, sanity checks of the boot information, test lookup, end.
 */
#include "guest/lib/percpu.h"

/* linker.ld */
extern const struct guest_test __guest_tests_start[], __guest_tests_end[];
extern char __guest_mem_end[];

const struct hv_boot_info *boot_info;

static struct guest_percpu percpu[GUEST_MAX_VCPUS];

void guest_start(const struct hv_boot_info *bi, u32 vcpu) __noreturn;

u32 this_vcpu(void)
{
	return this_cpu()->vcpu;
}

u32 nr_vcpus(void)
{
	return boot_info->nr_vcpus;
}

void guest_end(u32 code)
{
	outl(HV_PORT_TEST_END, code);
	/* The hypervisor does not come back here; in case it does: */
	for (;;)
		__asm__ volatile("cli; hlt" ::: "memory");
}

void percpu_init(u32 vcpu)
{
	struct guest_percpu *cpu = &percpu[vcpu];

	cpu->self = cpu;
	cpu->vcpu = vcpu;
	cpu->last.vector = EXC_NONE;
	wrmsr(MSR_GS_BASE, (u64)(uintptr_t)cpu);
}

static const struct guest_test *find_test(const char *name)
{
	for (const struct guest_test *t = __guest_tests_start; t < __guest_tests_end; t++)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}

/* The layout entry.asm and this runtime rely on; false after a FAIL report. */
static bool boot_info_ok(const struct hv_boot_info *bi, u32 vcpu)
{
	u64 ram = MIN(bi->ram_size, BIT(32));
	u64 image_end = (u64)(uintptr_t)__guest_mem_end;
	u64 stacks = (u64)bi->nr_vcpus * GUEST_STACK_SIZE;

	if (bi->magic != HV_BOOT_MAGIC) {
		report_fail("boot info magic (expected 0x%x, got 0x%x)", HV_BOOT_MAGIC, bi->magic);
		return false;
	}
	if (vcpu >= bi->nr_vcpus) {
		report_fail("vCPU index %u is not below nr_vcpus %u", vcpu, bi->nr_vcpus);
		return false;
	}
	if (ram < stacks || ram - stacks < image_end) {
		report_fail("guest RAM 0x%lx too small for the image (ends at 0x%lx) and %u stacks of 0x%x",
			    (unsigned long)bi->ram_size, (unsigned long)image_end,
			    bi->nr_vcpus, GUEST_STACK_SIZE);
		return false;
	}
	return true;
}

void guest_start(const struct hv_boot_info *bi, u32 vcpu)
{
	char name[HV_TEST_NAME_MAX + 1];
	const struct guest_test *test;

	if (vcpu >= GUEST_MAX_VCPUS) {
		/* No per-vCPU state for this one, so no report(): the raw hypercall. */
		char msg[HV_REPORT_MSG_MAX];

		snprintf(msg, sizeof(msg), "vcpu%u: the guest runtime supports %u vCPUs",
			 vcpu, GUEST_MAX_VCPUS);
		hc_report(HV_REPORT_FAIL, msg);
		guest_end(GUEST_END_CRASH);
	}
	boot_info = bi;         /* every vCPU stores the same value */
	percpu_init(vcpu);
	exceptions_init();

	if (!boot_info_ok(bi, vcpu))
		guest_end(GUEST_END_OK);

	memcpy(name, bi->test, HV_TEST_NAME_MAX);
	name[HV_TEST_NAME_MAX] = 0;
	test = find_test(name);
	if (!test) {
		report_fail("unknown test '%s'", name);
		guest_end(GUEST_END_OK);
	}
	test->fn();
	guest_end(GUEST_END_OK);
}
