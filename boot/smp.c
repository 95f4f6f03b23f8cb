/*
 * boot/smp.c - application processors are started by the hypervisor after
 * ExitBootServices: EDK2's MP library parks them again in a loop of its own
 * at ExitBootServices, so code started through MP services would not
 * survive.  Sequence (APM Vol 2 §16.5 "Interprocessor Interrupts (IPI)"; the
 * timings are the classic MP-spec ones): INIT to all APs, 10 ms, then per
 * AP STARTUP, 200 us, a second STARTUP if it has not checked in.
 */
#include "boot/smp.h"
#include "boot/cpu.h"
#include "hv/console.h"
#include "hv/host_apic.h"
#include "hv/hv.h"
#include "hv/percpu.h"
#include "svm/svm.h"
#include "lib/string.h"
#include "lib/x86.h"

extern const u8 ap_trampoline_start[], ap_trampoline_end[];

static u64 ap_cr3;

static void ap_main(void *arg) __noreturn;
static void ap_main(void *arg)
{
	struct percpu *pc = arg;

	cpu_setup_tables(pc, ap_cr3);
	/* Into the BSP's APIC mode before the first APIC access (host_apic_cpu_match_mode). */
	if (!host_apic_cpu_match_mode()) {
		pc->apic_mode_bad = 1;
		pc->online = 1;
		for (;;)
			__asm__ volatile("cli; hlt" ::: "memory");      /* parked, interrupts off */
	}
	host_apic_cpu_init();
	/* The MADT's ID is the one we sent STARTUP to; the CPU must agree in its own mode. */
	pc->apic_id_seen = host_apic_id();
	if (svm_cpu_enable(pc->hsave_pa) == 0)
		pc->svm_ready = 1;
	host_apic_timer_start(10000);
	pc->online = 1;
	sti();
	hv_ap_loop();
}

/* An AP we can send INIT/STARTUP to: not the BSP, and addressable in the host APIC's mode. */
static bool ap_addressable(const struct acpi_cpu *cpu, u32 bsp_apic_id)
{
	return cpu->apic_id != bsp_apic_id && host_apic_id_reachable(cpu->apic_id, host_apic_x2apic());
}

static bool wait_flag(volatile u32 *flag, u64 us)
{
	u64 end = rdtsc() + us_to_tsc(us);

	while (!*flag && rdtsc() < end)
		cpu_relax();
	return *flag != 0;
}

u32 smp_start_aps(const struct acpi_cpu *cpus, int n, u32 bsp_apic_id, u64 tramp_pa,
		  u64 cr3, u32 max_cpus)
{
	struct ap_trampoline_params *p = (void *)(uintptr_t)(tramp_pa + AP_TRAMPOLINE_PARAMS);
	u32 online = 1;

	HV_CHECK((u64)(ap_trampoline_end - ap_trampoline_start) <= AP_TRAMPOLINE_PARAMS + sizeof(*p) + 64);
	HV_CHECK(tramp_pa < 0x100000 && !(tramp_pa & 0xfff) && cr3 < (1ULL << 32));
	ap_cr3 = cr3;
	memcpy((void *)(uintptr_t)tramp_pa, ap_trampoline_start, (size_t)(ap_trampoline_end - ap_trampoline_start));

	/*
	 * INIT every AP first and wait the 10 ms once: an AP in wait-for-SIPI
	 * state stays there, so the delay need not be paid per CPU.
	 */
	for (int i = 0; i < n; i++)
		if (ap_addressable(&cpus[i], bsp_apic_id))
			host_apic_send_ipi(cpus[i].apic_id, APIC_ICR_DM_INIT | APIC_ICR_LEVEL_ASSERT);
	udelay(10000);

	/* Then STARTUP one AP at a time: they share the parameter block. */
	for (int i = 0; i < n && online < max_cpus; i++) {
		struct percpu *pc = &percpu_array[online];

		if (!ap_addressable(&cpus[i], bsp_apic_id)) {
			if (cpus[i].apic_id != bsp_apic_id)
				hv_warn("smp", "CPU with APIC ID %u needs x2APIC mode; skipped", cpus[i].apic_id);
			continue;
		}
		pc->index = online;
		pc->apic_id = cpus[i].apic_id;
		pc->online = 0;
		pc->apic_mode_bad = 0;
		pc->apic_id_seen = 0;
		p->cr3 = cr3;
		p->entry = (u64)(uintptr_t)ap_main;
		p->stack = pc->stack_top;
		p->arg = (u64)(uintptr_t)pc;
		p->started = 0;
		p->efer = EFER_LME | (rdmsr(MSR_EFER) & EFER_NXE);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);

		host_apic_send_ipi(pc->apic_id, APIC_ICR_DM_STARTUP | (u32)(tramp_pa >> 12));
		udelay(200);
		if (!p->started) {
			host_apic_send_ipi(pc->apic_id, APIC_ICR_DM_STARTUP | (u32)(tramp_pa >> 12));
			udelay(200);
		}
		if (!wait_flag(&pc->online, 500000)) {
			hv_warn("smp", "CPU with APIC ID %u did not start (trampoline %s); not used",
				pc->apic_id, p->started ? "entered" : "not entered");
			continue;
		}
		if (pc->apic_mode_bad) {
			hv_warn("smp", "CPU with APIC ID %u was left in x2APIC mode by the firmware, the "
				"BSP in xAPIC mode; not used", pc->apic_id);
			continue;
		}
		if (pc->apic_id_seen != pc->apic_id) {
			hv_warn("smp", "CPU started as APIC ID %u (MADT) reads its ID as %u; not used",
				pc->apic_id, pc->apic_id_seen);
			continue;
		}
		if (!pc->svm_ready) {
			hv_warn("smp", "CPU with APIC ID %u could not enable SVM; not used", pc->apic_id);
			continue;
		}
		online++;
	}
	return online;
}
