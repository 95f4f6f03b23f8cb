/*
 * guest/tests/hypercall.c - the VMMCALL interface of lib/hv_abi.h.
 *
 * Behaviour: VMMCALL exits (APM Vol 2 §15.9 "Instruction Intercepts"; the
 * instruction itself is described under "VMMCALL" in APM Vol 3) and the
 * hypervisor dispatches on RAX.  HC_GET_INFO returns the vCPU index, the
 * vCPU count and the physical CPU; an unknown number returns HV_ENOSYS;
 * HC_EXIT_COUNT counts this vCPU's exits (the call itself is one VMMCALL
 * exit); HC_REPORT refuses a message pointer outside guest RAM with
 * HV_EINVAL and the guest goes on.
 *
 * A failure means wrong register plumbing across the exit (RAX/RBX/RCX/RDX),
 * a hypercall number matched on part of RAX, exit counters that miss exits
 * or count per physical CPU, or a hypervisor that follows a guest pointer
 * outside the guest's RAM (which would let a guest read other memory).
 */
#include "guest/lib/guest.h"

/* A physical CPU index above this is no CPU index but garbage. */
#define PCPU_INDEX_BOUND        4096

static void check_get_info(void)
{
	struct hc_info info = hc_get_info();

	report_eq(this_vcpu(), info.vcpu, "HC_GET_INFO RAX is the vCPU index from entry");
	report_eq(boot_info->nr_vcpus, info.nr_vcpus, "HC_GET_INFO RBX is boot_info->nr_vcpus");
	report(info.pcpu < PCPU_INDEX_BOUND,
	       "HC_GET_INFO RDX (physical CPU index) 0x%lx < %u",
	       (unsigned long)info.pcpu, PCPU_INDEX_BOUND);
}

/* The bench's resume loop (hv/bench.c): a step without arming is unknown; N outside 1..max is refused. */
static void check_bench_args(void)
{
	report_eq(HV_ENOSYS, vmmcall(HC_BENCH_STEP, 0, 0, 0), "HC_BENCH_STEP without HC_BENCH_WORLD_SWITCH returns HV_ENOSYS");
	report_eq(HV_EINVAL, vmmcall(HC_BENCH_WORLD_SWITCH, 0, 0, 0), "HC_BENCH_WORLD_SWITCH(0) returns HV_EINVAL");
	report_eq(HV_EINVAL, vmmcall(HC_BENCH_WORLD_SWITCH, HC_BENCH_STEPS_MAX + 1, 0, 0),
		  "HC_BENCH_WORLD_SWITCH(%u) returns HV_EINVAL", HC_BENCH_STEPS_MAX + 1);
}

static void check_unknown(void)
{
	/* 0 is no hypercall; the last has a valid number in its low 32 bits only. */
	static const u64 numbers[] = { 0, 0x1000, 0xffffffff, (1ULL << 32) | HC_GET_INFO };

	for (size_t i = 0; i < ARRAY_SIZE(numbers); i++)
		report_eq(HV_ENOSYS, vmmcall(numbers[i], 0, 0, 0),
			  "unknown hypercall 0x%lx returns HV_ENOSYS", (unsigned long)numbers[i]);
}

static void check_exit_count(void)
{
	u64 first = hc_exit_count(SVM_EXIT_VMMCALL);
	u64 second = hc_exit_count(SVM_EXIT_VMMCALL);
	u64 all = hc_exit_count(HC_EXIT_COUNT_ALL);

	report_eq(first + 1, second, "VMMCALL exit count grows by 1 per hypercall");
	report(all >= second + 1,
	       "all-exits count 0x%lx >= VMMCALL count 0x%lx + 1",
	       (unsigned long)all, (unsigned long)second);
}

static void check_bad_pointer(void)
{
	const u64 ram = boot_info->ram_size;
	const u64 bad[] = {
		ram + 0x1000,                   /* just past guest RAM */
		0xffffffff0000ULL,              /* far above any guest RAM */
		0x8000000000000000ULL,          /* not even a plausible address */
	};

	/*
	 * HV_REPORT_FAIL on purpose: should the hypervisor accept the pointer
	 * anyway, whatever it prints shows up as a failure.
	 */
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		report_eq(HV_EINVAL, vmmcall(HC_REPORT, HV_REPORT_FAIL, bad[i], 0),
			  "HC_REPORT with message at 0x%lx (outside RAM) returns HV_EINVAL",
			  (unsigned long)bad[i]);
	report_pass("guest still runs after HC_REPORT with bad pointers");
}

GUEST_TEST(hypercall)
{
	check_get_info();
	check_unknown();
	check_bench_args();
	check_exit_count();
	check_bad_pointer();
}
