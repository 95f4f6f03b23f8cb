/*
 * hv/avic_probe.c - the bring-up probe (test avic_probe, HC_AVIC_PROBE):
 * for each register access the guest makes under AVIC, what the CPU (or
 * the model) did - trap, fault, accelerated, intercepted, #GP - against
 * what this hypervisor expects, and the table printed per VM.  Its VM is
 * the one place where the x2APIC MSRs are all passed through under x2AVIC.
 */
#include "hv/avic_internal.h"
#include "hv/mem.h"
#include "svm/msrpm.h"
#include "lib/printf.h"

/* ---- the bring-up probe (HC_AVIC_PROBE; APM Vol 2 §15.29.3.1 "Virtual APIC Register Accesses", Table 15-22) ---- */

static const char *const probe_kind_names[HV_PROBE_KINDS] = HV_PROBE_KIND_NAMES;

/*
 * vm->avic_probe_tab: one byte per access, [x2][register][write] =
 * PROBE_SEEN | measured | expected << 4.
 */
#define PROBE_SEEN      0x80u

static u8 *probe_slot(u8 *tab, bool x2, u32 reg, bool write)
{
	return &tab[((x2 * 256u + reg) << 1) | write];
}

static bool probe_differs(u8 e)
{
	return (e & PROBE_SEEN) && (e & 0xf) != ((e >> 4) & 7);
}

/* The probe (HC_AVIC_PROBE) remembers the first AVIC exit after its ARM, and how many came. */
void avic_probe_note(struct vcpu *vcpu, u64 code, u64 info1, u64 info2)
{
	if (vcpu->probe.exits++)
		return;
	vcpu->probe.rip = vcpu->vmcb->save.rip;
	vcpu->probe.code = code;
	vcpu->probe.info1 = info1;
	vcpu->probe.info2 = info2;
}

/* Trap-like (RIP past the probed instruction), fault-like (RIP at it), or neither (AVIC_ACCEL). */
static enum avic_access_kind probe_rip_kind(const struct vcpu *vcpu)
{
	u64 at = vcpu->probe.access_rip;

	if (vcpu->probe.rip == at)
		return AVIC_FAULT;
	if (vcpu->probe.rip > at && vcpu->probe.rip - at <= 15)
		return AVIC_TRAP;
	return AVIC_ACCEL;
}

/*
 * A 0x402 in the probe's VM.  The probe knows where its access is: RIP says
 * what the CPU did, even where that is not what Table 15-22 says (the
 * difference is the point of the probe, and the handler must not act on
 * the wrong one).
 */
bool avic_probe_noaccel(struct vcpu *vcpu, u64 info1, u64 info2, struct avic_noaccel *n)
{
	avic_probe_note(vcpu, SVM_EXIT_AVIC_UNACCELERATED_ACCESS, info1, info2);
	if (vcpu->probe.access_rip && vcpu->probe.exits == 1) {
		n->kind = (u8)probe_rip_kind(vcpu);
		/* A read that traps, or an exit the RIP does not explain: measured, not acted on. */
		if ((n->kind == AVIC_TRAP && !n->write) || n->kind == AVIC_ACCEL)
			return true;
	}
	return false;
}

void avic_probe_msrpm_open(u8 *msrpm)
{
	for (u32 msr = VAPIC_X2APIC_MSR_BASE; msr <= VAPIC_X2APIC_MSR_LAST; msr++)
		msrpm_set(msrpm, msr, false, false);
}

bool avic_probe_msrpm_is_open(const u8 *msrpm)
{
	for (u32 msr = VAPIC_X2APIC_MSR_BASE; msr <= VAPIC_X2APIC_MSR_LAST; msr++)
		if (msrpm_intercepted(msrpm, msr, false) || msrpm_intercepted(msrpm, msr, true))
			return false;
	return true;
}

void hv_prepare_avic_probe(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	if (!avic_vm(vm) || vm->avic_probe_tab)
		return;
	vm->avic_probe_tab = pool_alloc_page();
	vm->avic_probe = vm->avic_probe_tab != NULL;
}

/* The table this hypervisor implements: the x2APIC architecture first (#GP), then Table 15-22. */
static u8 probe_expected(const struct vcpu *vcpu, bool x2, u32 off, bool write, u64 val)
{
	if (x2 && !avic_emu_x2_allowed(VAPIC_X2APIC_MSR_BASE + (off >> 4), write, val))
		return HV_PROBE_GP;
	switch (avic_access_kind(off, write, avic_extlvt(vcpu))) {
	case AVIC_TRAP:
		return HV_PROBE_TRAP;
	case AVIC_FAULT:
		return HV_PROBE_FAULT;
	default:
		return HV_PROBE_ACCEL;
	}
}

/*
 * What happened: the one AVIC exit since ARM (trap or fault told by RIP,
 * not by the table), a plain intercept (the model said so; with the CPU, an
 * MSR or NPF exit counted since ARM), else #GP if the guest saw one, else
 * accelerated.  *detail: the 0x401 cause, or the 0x402's offset | write << 12.
 */
static u8 probe_measured(struct vcpu *vcpu, u32 off, bool write, bool gp, u64 *detail)
{
	struct avic_incomplete_ipi ipi;
	struct avic_noaccel n;
	u64 msr = vcpu->exits[svm_exit_index(SVM_EXIT_MSR)] - vcpu->probe.base_msr;
	u64 npf = vcpu->exits[svm_exit_index(SVM_EXIT_NPF)] - vcpu->probe.base_npf;

	*detail = 0;
	if (vcpu->probe.exits > 1)
		return HV_PROBE_ODD;
	if (vcpu->probe.exits == 1 && vcpu->probe.code == SVM_EXIT_AVIC_INCOMPLETE_IPI) {
		avic_incomplete_ipi_decode(vcpu->probe.info1, vcpu->probe.info2, &ipi);
		*detail = ipi.cause;
		return HV_PROBE_IPI;
	}
	if (vcpu->probe.exits == 1) {
		avic_noaccel_decode(vcpu->probe.info1, vcpu->probe.info2, avic_extlvt(vcpu), &n);
		*detail = n.offset | (u64)n.write << 12;
		if (n.offset != off || n.write != write)
			return HV_PROBE_ODD;
		switch (probe_rip_kind(vcpu)) {
		case AVIC_TRAP:
			return HV_PROBE_TRAP;
		case AVIC_FAULT:
			return HV_PROBE_FAULT;
		default:
			return HV_PROBE_ODD;
		}
	}
	if (vcpu->probe.intercepts || (vcpu->vm->apic_backend == APIC_BACKEND_AVIC && (msr || npf)))
		return HV_PROBE_INTERCEPT;
	return gp ? HV_PROBE_GP : HV_PROBE_ACCEL;
}

u64 avic_probe_hypercall(struct vcpu *vcpu, u64 op, u64 arg, u64 val, u64 *rbx, u64 *rcx)
{
	struct vm *vm = vcpu->vm;
	bool x2 = arg & HV_PROBE_X2APIC, write = arg & HV_PROBE_WRITE, gp = arg & HV_PROBE_SAW_GP;
	u32 off = (u32)(arg & HV_PROBE_OFFSET_MASK);
	u8 meas, exp;

	if (!vm->avic_probe)
		return HV_EINVAL;
	if (op == HC_PROBE_ARM) {
		vcpu->probe.access_rip = 0;
		if (vcpu->avic.mode == AVIC_VCPU_OFF)
			return HV_PROBE_NOT_RUNNING;
		vcpu->probe.exits = 0;
		vcpu->probe.intercepts = 0;
		vcpu->probe.base_msr = vcpu->exits[svm_exit_index(SVM_EXIT_MSR)];
		vcpu->probe.base_npf = vcpu->exits[svm_exit_index(SVM_EXIT_NPF)];
		vcpu->probe.access_rip = arg;
		return 0;
	}
	if (op != HC_PROBE_TAKE || (arg & ~(HV_PROBE_OFFSET_MASK | HV_PROBE_WRITE | HV_PROBE_X2APIC | HV_PROBE_SAW_GP)) ||
	    !vcpu->probe.access_rip)
		return HV_EINVAL;
	meas = probe_measured(vcpu, off, write, gp, rcx);
	exp = probe_expected(vcpu, x2, off, write, val);
	vcpu->probe.access_rip = 0;
	*probe_slot(vm->avic_probe_tab, x2, off >> 4, write) = (u8)(PROBE_SEEN | meas | exp << 4);
	*rbx = exp;
	return meas;
}

/* One access's cell: "accel", or "#GP (table: fault)" where they differ. */
static int probe_cell(char *buf, size_t len, u8 e)
{
	u8 meas = e & 0xf, exp = (e >> 4) & 7;

	if (!(e & PROBE_SEEN))
		return snprintf(buf, len, "-");
	if (meas == exp)
		return snprintf(buf, len, "%s", probe_kind_names[meas]);
	return snprintf(buf, len, "%s (table: %s)", probe_kind_names[meas], probe_kind_names[exp]);
}

/*
 * The measured table, one line per register (runs of offsets with no
 * register and the same outcome on one line), differences marked:
 *   AVIC probe: x2apic 0x832 LVT timer: read accel, write #GP (table: trap)  <- DIFFERS
 */
void avic_print_probe(const struct vm *vm)
{
	u8 *t = vm->avic_probe_tab;

	for (u32 x2 = 0; t && x2 < 2; x2++) {
		u32 probed = 0, differ = 0;

		for (u32 i = 0; i < 256; i++) {
			const struct avic_reg_access *row = avic_reg_access_lookup(i << 4);
			u8 rd = *probe_slot(t, x2, i, false), wr = *probe_slot(t, x2, i, true);
			u32 j = i;
			char a[48], b[48], where[24];
			const char *name;
			bool diff = probe_differs(rd) || probe_differs(wr);

			if (!(rd & PROBE_SEEN) && !(wr & PROBE_SEEN))
				continue;
			/* Offsets of one row (or of none) with the same outcome share a line. */
			while (j + 1 < 256 && avic_reg_access_lookup((j + 1) << 4) == row &&
			       *probe_slot(t, x2, j + 1, false) == rd && *probe_slot(t, x2, j + 1, true) == wr)
				j++;
			probed += (j - i + 1) * (!!(rd & PROBE_SEEN) + !!(wr & PROBE_SEEN));
			differ += (j - i + 1) * (probe_differs(rd) + probe_differs(wr));
			probe_cell(a, sizeof(a), rd);
			probe_cell(b, sizeof(b), wr);
			if (x2 && j > i)
				snprintf(where, sizeof(where), "0x%x-0x%x", 0x800 + i, 0x800 + j);
			else if (x2)
				snprintf(where, sizeof(where), "0x%x", 0x800 + i);
			else if (j > i)
				snprintf(where, sizeof(where), "0x%03x-0x%03x", i << 4, j << 4);
			else
				snprintf(where, sizeof(where), "0x%03x", i << 4);
			/* SELF_IPI's row: an x2APIC register only, nothing at xAPIC 0x3f0. */
			name = row && (x2 || !(row->flags & AVIC_ACC_X2APIC_ONLY)) ? row->name : "(no register)";
			hv_printf("AVIC probe: %s %s %s: read %s, write %s%s\n", x2 ? "x2apic" : "xapic", where, name, a,
				  b, diff ? "  <- DIFFERS" : "");
			i = j;
		}
		if (probed)
			hv_printf("AVIC probe: %s: %u accesses, %u differ from the table (%s)\n",
				  x2 ? "x2apic" : "xapic", probed, differ,
				  avic_vm_emulated(vm) ? "the model, apic=avic-emu" : "this CPU");
	}
}
