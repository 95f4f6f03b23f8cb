/*
 * hv/avic_report.c - what the AVIC backend reports: the departures from
 * the APM (logged once, counted), the per-test AVIC line and the run's
 * coverage lines that the integration tests read.
 */
#include "hv/avic_internal.h"
#include "lib/printf.h"

struct avic_coverage avic_cov;

static const char *const departure_names[DEP_COUNT] = {
	"0x401_reserved_bits", "0x401_unknown_cause", "0x402_reserved_bits", "0x402_accelerated_access",
	"eoi_vector_mismatch",
};

void avic_departure(struct vcpu *vcpu, enum avic_departure d, u64 info1, u64 info2, const char *what)
{
	vcpu->vm->avic_departures++;
	if (__atomic_fetch_add(&avic_cov.departures[d], 1, __ATOMIC_RELAXED) == 0)
		hv_warn("avic", "%s/%u: not as the APM describes (%s): %s; EXITINFO1 0x%llx EXITINFO2 0x%llx; "
			"handled, counted, logged only this first time", vcpu->vm->test->name, vcpu->index,
			departure_names[d], what, (unsigned long long)info1, (unsigned long long)info2);
}

/* ---- results ---- */

void avic_print_vm(const struct vm *vm)
{
	u64 emu = 0, accel = 0, ipi[AVIC_IPI_FAILURE_COUNT] = { 0 }, trap = 0, fault = 0, bells = 0, sw = 0;
	char inh[160] = "";
	size_t n = 0;

	if (!avic_vm(vm))
		return;
	avic_print_probe(vm);
	__atomic_fetch_add(&avic_cov.doorbells_lost, vm->avic_doorbells_lost, __ATOMIC_RELAXED);
	for (u32 q = 0; vm->avic_qs && q < AVIC_EMU_QUIRK_COUNT; q++)
		avic_cov.quirks[q] += vm->avic_qs->played[q];
	if (vm->avic_qs)
		avic_cov.late_lookups += vm->avic_qs->late_lookups;
	for (u32 i = 0; i < vm->nr_vcpus; i++) {
		const struct vcpu *v = &vm->vcpus[i];

		emu += v->avic.emu_only;
		accel += v->avic.accel;
		trap += v->avic.noaccel_trap;
		fault += v->avic.noaccel_fault;
		bells += v->avic.doorbells;
		sw += v->avic.mode_switches;
		for (u32 k = 0; k < AVIC_IPI_FAILURE_COUNT; k++)
			ipi[k] += v->avic.ipi[k];
	}
	/* Tests that never touch the APIC (mode switches: each vCPU's first entry) print nothing. */
	if (!emu && !accel && !trap && !fault && !bells && !(ipi[0] | ipi[1] | ipi[2] | ipi[3] | ipi[4] | ipi[5]) &&
	    sw <= vm->nr_vcpus)
		return;
	for (u32 k = 0; k < AVIC_INHIBIT_COUNT; k++)
		if (vm->avic_inhibit_sets[k] && n < sizeof(inh))
			n += (size_t)snprintf(inh + n, sizeof(inh) - n, " %s %llu/%llu", avic_inhibit_name(k),
					      (unsigned long long)vm->avic_inhibit_sets[k],
					      (unsigned long long)vm->avic_inhibit_clears[k]);
	hv_printf("AVIC: %s: accelerated %llu, emulation-only exits %llu, 0x401 by cause %llu %llu %llu %llu %llu %llu, "
		  "0x402 trap %llu fault %llu, doorbells %llu, mode switches %llu, inhibits set/cleared:%s, "
		  "departures %llu\n",
		  vm->test->name, (unsigned long long)accel, (unsigned long long)emu,
		  (unsigned long long)ipi[0], (unsigned long long)ipi[1], (unsigned long long)ipi[2],
		  (unsigned long long)ipi[3], (unsigned long long)ipi[4], (unsigned long long)ipi[5],
		  (unsigned long long)trap, (unsigned long long)fault, (unsigned long long)bells,
		  (unsigned long long)sw, n ? inh : " none", (unsigned long long)vm->avic_departures);
}

/*
 * One line per kind, for the integration test that checks every 0x401
 * cause, 0x402 register and inhibit reason was reached by some test:
 *   AVIC coverage: 0x401 causes: 0=12 1=30 ...
 *   AVIC coverage: 0x402 writes: 0x020 0x0b0 ...; reads: 0x090 ...
 *   AVIC coverage: CPU-backend VMCB checked at mode switches: off 3 xAVIC 9 x2AVIC 9; problems 0
 *   AVIC coverage: inhibits set/cleared: IRQWIN=1/1 ...
 */
void avic_print_coverage(void)
{
	char buf[1024];
	size_t n;

	if (apic_choice.backend == APIC_BACKEND_SOFT)
		return;
	n = (size_t)snprintf(buf, sizeof(buf), "AVIC coverage: 0x401 causes:");
	for (u32 k = 0; k < AVIC_IPI_FAILURE_COUNT; k++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, " %u=%llu", k, (unsigned long long)avic_cov.ipi[k]);
	snprintf(buf + n, sizeof(buf) - n, "; ICR busy cleared %llu; level EOIs %llu; xAVIC<->x2AVIC switches %llu/%llu",
		 (unsigned long long)avic_cov.icr_busy, (unsigned long long)avic_cov.level_eoi,
		 (unsigned long long)avic_cov.mode_switch_x2, (unsigned long long)avic_cov.mode_switch_x);
	hv_printf("%s\n", buf);
	for (u32 w = 0; w < 2; w++) {
		n = (size_t)snprintf(buf, sizeof(buf), "AVIC coverage: 0x402 %s:", w ? "writes" : "reads");
		/* Runs of three or more offsets as ranges ("0x540-0xff0"): the probe reaches them all. */
		for (u32 o = 0; o < 256 && n < sizeof(buf) - 16; o++) {
			u32 e = o;

			if (!avic_cov.noaccel[w][o])
				continue;
			while (e + 1 < 256 && avic_cov.noaccel[w][e + 1])
				e++;
			if (e - o >= 2) {
				n += (size_t)snprintf(buf + n, sizeof(buf) - n, " 0x%03x-0x%03x", o << 4, e << 4);
				o = e;
			} else {
				n += (size_t)snprintf(buf + n, sizeof(buf) - n, " 0x%03x", o << 4);
			}
		}
		hv_printf("%s\n", buf);
	}
	if (apic_choice.backend == APIC_BACKEND_AVIC_EMU)
		hv_printf("AVIC coverage: CPU-backend VMCB checked at mode switches: off %llu xAVIC %llu x2AVIC %llu; "
			  "problems %llu\n", (unsigned long long)avic_cov.hw_vmcb[AVIC_VCPU_OFF],
			  (unsigned long long)avic_cov.hw_vmcb[AVIC_VCPU_XAVIC], (unsigned long long)avic_cov.hw_vmcb[AVIC_VCPU_X2AVIC],
			  (unsigned long long)avic_cov.hw_problems);
	/* Doorbells the model's cores ignored (a core not in AVIC guest mode), and the quirks played. */
	if (apic_choice.backend == APIC_BACKEND_AVIC_EMU) {
		n = (size_t)snprintf(buf, sizeof(buf), "AVIC coverage: doorbells lost %llu; quirks:",
				     (unsigned long long)avic_cov.doorbells_lost);
		if (!apic_choice.emu_quirks)
			snprintf(buf + n, sizeof(buf) - n, " off");
		for (u32 q = 0; q < AVIC_EMU_QUIRK_COUNT; q++) {
			if (q == AVIC_EMU_Q_ISRUNNING_LATE && (apic_choice.emu_quirks & BIT(q)))
				n += (size_t)snprintf(buf + n, sizeof(buf) - n, " %s %llu (missed clears %llu)",
						      avic_emu_quirk_name(q), (unsigned long long)avic_cov.late_lookups,
						      (unsigned long long)avic_cov.quirks[q]);
			else if (apic_choice.emu_quirks & BIT(q))
				n += (size_t)snprintf(buf + n, sizeof(buf) - n, " %s %llu", avic_emu_quirk_name(q),
						      (unsigned long long)avic_cov.quirks[q]);
		}
		hv_printf("%s\n", buf);
	}
	n = (size_t)snprintf(buf, sizeof(buf), "AVIC coverage: departures from the APM handled:");
	for (u32 d = 0; d < DEP_COUNT; d++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, " %s=%llu", departure_names[d],
				      (unsigned long long)avic_cov.departures[d]);
	hv_printf("%s\n", buf);
	n = (size_t)snprintf(buf, sizeof(buf), "AVIC coverage: inhibits set/cleared:");
	for (u32 k = 0; k < AVIC_INHIBIT_COUNT; k++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, " %s=%llu/%llu", avic_inhibit_name(k),
				      (unsigned long long)avic_cov.inhibit_set[k], (unsigned long long)avic_cov.inhibit_clear[k]);
	hv_printf("%s\n", buf);
}
