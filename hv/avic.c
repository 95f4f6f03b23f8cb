/*
 * hv/avic.c - the AVIC backend (see hv/avic.h): tables, IsRunning, the
 * doorbell, the inhibits and the mode switch at each entry.  The two AVIC
 * exits are hv/avic_exits.c's, the avic-emu dispatch and the CPU-backend
 * VMCB check hv/avic_emu_glue.c's, the bring-up probe hv/avic_probe.c's,
 * the AVIC and coverage lines hv/avic_report.c's; what they share is in
 * hv/avic_internal.h.
 *
 * Sources: APM Vol 2 §15.29 "Advanced Virtual Interrupt Controller" and
 * §15.29.10 "x2AVIC", each claim cited by its subsection.  Formats are
 * avic/avic_hw.h's, the model avic/avic_emu.c's, APIC semantics
 * avic/vapic.c's through hv/lapic.c.
 *
 * Locks: a vCPU's apic_lock, then vm->avic_lock, never the other way; the
 * model runs under the accessing vCPU's apic_lock and touches other
 * vCPUs' pages only with atomic IRR updates, as the CPU does.
 */
#include "hv/avic_internal.h"
#include "hv/lapic.h"
#include "hv/host_apic.h"
#include "hv/percpu.h"
#include "hv/mem.h"
#include "avic/avic_hw.h"
#include "avic/avic_emu.h"
#include "svm/msrpm.h"
#include "svm/npt.h"
#include "lib/string.h"
#include "lib/x86.h"

_Static_assert(AVIC_INHIBIT_COUNT == ARRAY_SIZE(((struct vm *)0)->avic_inhibit_sets), "inhibit counters");
_Static_assert(AVIC_IPI_FAILURE_COUNT == ARRAY_SIZE(((struct vcpu *)0)->avic.ipi), "0x401 cause counters");

static const char *const inhibit_names[AVIC_INHIBIT_COUNT] = {
	[AVIC_INHIBIT_IRQWIN] = "IRQWIN",
	[AVIC_INHIBIT_X2APIC] = "X2APIC_WITHOUT_X2AVIC",
	[AVIC_INHIBIT_APIC_ID] = "APIC_ID_MODIFIED",
	[AVIC_INHIBIT_APIC_BASE] = "APIC_BASE_MODIFIED",
	[AVIC_INHIBIT_LOGICAL_ALIAS] = "LOGICAL_ID_ALIASED",
	[AVIC_INHIBIT_LOGICAL_MIXED] = "LOGICAL_MODEL_MIXED",
};

const char *avic_inhibit_name(unsigned reason)
{
	return reason < AVIC_INHIBIT_COUNT ? inhibit_names[reason] : "unknown";
}

void avic_count_emu_only(struct vcpu *vcpu)
{
	if (avic_emu_active(vcpu))
		vcpu->avic.emu_only++;
}

/* ---- set-up (APM Vol 2 §15.29.4 "VMCB Changes for AVIC", §15.29.5 "AVIC Memory Data Structures") ---- */

/*
 * The VMCB fields of the CPU backend that stay as they are while the VM
 * runs (APM Vol 2 §15.29.4.2 "AVIC VMCB Fields", §15.29.4.3 "Physical
 * Address Pointer Restrictions"): this vCPU's MSRPM, AVIC_APIC_BAR, its
 * backing page, the two tables with MAX_INDEX.
 */
int avic_vmcb_fields(struct vcpu *v, struct vmcb_control *c)
{
	struct vm *vm = v->vm;

	c->msrpm_base_pa = page_pa(v->avic.msrpm);
	if (!avic_vmcb_apic_bar(VAPIC_BASE_DEFAULT, &c->avic_apic_bar) ||
	    !avic_vmcb_backing_page(page_pa(v->apic.page), &c->avic_backing_page) ||
	    !avic_vmcb_logical_table(page_pa(vm->avic_log), &c->avic_logical_id) ||
	    !avic_vmcb_physical_table(page_pa(vm->avic_phys), vm->avic_max_index, vm->avic_table_mode,
				      &c->avic_physical_id))
		return -1;
	return 0;
}

static const struct lapic_ops avic_lapic_ops;

/*
 * The registers whose writes can end in a trap-like 0x402 (Table 15-22's
 * trap rows and the conditional EOI/ICRL traps: avic_noaccel_kind_fallback),
 * the only ones avic_trap_write puts back: the only ones the entry keeps.
 */
static u16 trap_regs[ARRAY_SIZE(((struct vcpu *)0)->avic.trap_shadow)];
static u32 nr_trap_regs;

static void avic_trap_regs_init(void)
{
	const struct avic_reg_access *t;
	size_t n;

	if (nr_trap_regs)
		return;
	t = avic_reg_access_table(&n);
	for (size_t i = 0; i < n; i++)
		for (u32 k = 0, off = t[i].offset; k < t[i].count; k++, off += 16)
			if ((off >> 4) < ARRAY_SIZE(trap_regs) && avic_noaccel_kind_fallback(off, true) == AVIC_TRAP)
				trap_regs[nr_trap_regs++] = (u16)off;
}

int avic_vm_init(struct vm *vm)
{
	enum avic_hw_mode mode;
	u32 i;

	vm->apic_backend = apic_choice.backend;
	if (!avic_vm(vm))
		return 0;
	avic_trap_regs_init();
	vm->avic_x2 = apic_choice.x2avic;
	mode = !vm->avic_x2 ? AVIC_HW_XAVIC : apic_choice.x2avic_ext ? AVIC_HW_X2AVIC_EXT : AVIC_HW_X2AVIC;
	/*
	 * MAX_INDEX = the highest vCPU ID, and it must suit xAVIC too (a vCPU
	 * may run either): APIC IDs here are vCPU indexes, at most 0xfe.
	 */
	if (!avic_phys_max_index(vm->nr_vcpus - 1, AVIC_HW_XAVIC, &vm->avic_max_index) ||
	    !avic_phys_max_index(vm->nr_vcpus - 1, mode, &vm->avic_max_index)) {
		hv_err("avic", "%u vCPUs do not fit the physical APIC ID table", vm->nr_vcpus);
		return -1;
	}
	vm->avic_phys = pool_alloc_page();
	vm->avic_log = pool_alloc_page();
	if (!vm->avic_phys || !vm->avic_log)
		return -1;
	vm->avic_lock.locked = 0;
	/*
	 * Every vCPU's entry is valid from the start, IsRunning clear: a
	 * broadcast silently skips V=0 entries, so an entry must never be
	 * missing (APM Vol 2 §15.29.9.1 "AVIC IPI Delivery Not Completed").
	 */
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		struct avic_phys_entry e = {
			.backing_page = page_pa(v->apic.page), .host_apic_id = 0,
			.is_running = false, .valid = true,
		};

		if (!avic_phys_entry_encode(&e, &vm->avic_phys[v->apic.apic_id]))
			return -1;
	}
	/*
	 * A second nested page root, the guest's RAM plus the APIC page, for
	 * vCPUs in xAVIC mode (avic_vmcb_mode), and a per-vCPU MSRPM so that
	 * x2AVIC can pass MSRs through for one vCPU only.  The model gets the
	 * same: its vCPUs keep, next to the VMCB that runs, the VMCB the CPU
	 * backend would run (avic_hw_vmcb_check), and the model decides which
	 * x2APIC MSRs reach it from that MSRPM (emu_ctx).
	 */
	vm->avic_access_page = pool_alloc_page();
	if (!vm->avic_access_page || vm_npt_init(vm, &vm->avic_npt) ||
	    npt_map(&vm->avic_npt, VAPIC_BASE_DEFAULT, page_pa(vm->avic_access_page), PAGE_SIZE, NPT_WRITE))
		return -1;
	vm->avic_table_mode = mode;
	vm->avic_ipi_virt = apic_choice.ipi_virt;
	vm->avic_quirks = vm->apic_backend == APIC_BACKEND_AVIC_EMU ? apic_choice.emu_quirks : 0;
	if (vm->avic_quirks && apic_choice.emu_fam17) {
		static u32 vms;

		/* Odd VMs: as a later family, IsRunning used, no erratum (apic_mode_emu_quirks). */
		if (__atomic_fetch_add(&vms, 1, __ATOMIC_RELAXED) & 1) {
			vm->avic_ipi_virt = true;
			vm->avic_quirks &= ~(u32)BIT(AVIC_EMU_Q_ISRUNNING_LATE);
		}
	}
	if (vm->avic_quirks) {
		_Static_assert(sizeof(struct avic_emu_quirk_state) <= PAGE_SIZE, "quirk state in one page");
		vm->avic_qs = pool_alloc_page();
		if (!vm->avic_qs)
			return -1;
	}
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		v->avic.msrpm = pool_alloc_pages(MSRPM_SIZE / PAGE_SIZE);
		if (!v->avic.msrpm)
			return -1;
		memcpy(v->avic.msrpm, vm->msrpm, MSRPM_SIZE);
		avic_x2_msrpm_apply(v->avic.msrpm, false);
		if (vm->apic_backend == APIC_BACKEND_AVIC) {
			if (avic_vmcb_fields(v, ctl(v)))
				return -1;
		} else {
			v->avic.hw_vmcb = pool_alloc_page();
			if (!v->avic.hw_vmcb)
				return -1;
		}
	}
	vm->lapic_ops = &avic_lapic_ops;
	/* The reset APIC is software-disabled: entries, inhibits and the NPT follow it from here on. */
	avic_apic_changed(&vm->vcpus[0]);
	return 0;
}

/* ---- IsRunning (APM Vol 2 §15.29.5.2 "Physical APIC ID Table", Table 15-23) ---- */

/*
 * IsRunning = 1 only while the vCPU is loaded on this CPU AND runs with
 * AVIC.  A vCPU running without AVIC (inhibited, or its APIC off) gets no
 * help from a doorbell: a doorbell makes a core that is in AVIC guest mode
 * re-read its backing page and causes no #VMEXIT (APM Vol 2 §15.29.8.2
 * "Doorbell Mechanism"), so a sender that saw IsRunning = 1 would set IRR, ring, and
 * leave the IPI waiting for some unrelated exit.  With IsRunning = 0 it
 * takes #VMEXIT(AVIC_INCOMPLETE_IPI) "target not running" and the handler
 * kicks the target.  The update is a full barrier, and comes before the
 * entry path looks at IRR (avic_before_entry runs first), so a sender that
 * still saw 1 has set IRR where that look finds it.
 *
 * Erratum 1235 (family 17h, Hygon 18h): the CPU may fail to see IsRunning
 * being cleared, so a sender gets no exit and a target that has just
 * blocked is never woken.  IsRunning is therefore never set on those CPUs
 * (vm->avic_ipi_virt from apic_choice.ipi_virt; KVM's enable_ipiv=false): every IPI to another
 * vCPU exits with cause 1 and the handler rings or kicks (APM Vol 2
 * §15.29.6.1 "Interprocessor Interrupts"; the protocol is described in
 * docs/ARCHITECTURE.md "AVIC (apic=avic and apic=avic-emu)").
 */
static void avic_set_running(struct vcpu *vcpu)
{
	bool running = vcpu->vm->avic_ipi_virt && vcpu->avic.mode != AVIC_VCPU_OFF;

	avic_phys_set_running(&vcpu->vm->avic_phys[vcpu->apic.apic_id], running,
			      this_cpu()->apic_id & AVIC_PHYSICAL_ID_ENTRY_HOST_PHYSICAL_ID_MASK);
}

void avic_vcpu_load(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	if (!avic_vm(vm))
		return;
	avic_set_running(vcpu);
}

void avic_vcpu_put(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	if (!avic_vm(vm))
		return;
	/* Keeps the last host ID; the update is a full barrier (avic_hw.h). */
	avic_phys_set_running(&vm->avic_phys[vcpu->apic.apic_id], false, this_cpu()->apic_id);
}

/* ---- doorbell and wake-ups (APM Vol 2 §15.29.8.2 "Doorbell Mechanism", §15.29.6.2 "Device Interrupts") ---- */

/* The vCPU of this VM that runs on the host CPU with this APIC ID, if any. */
static struct vcpu *avic_vcpu_on(struct vm *vm, u32 host_apic_id)
{
	for (u32 i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *t = &vm->vcpus[i];

		if (__atomic_load_n(&t->in_guest, __ATOMIC_SEQ_CST) &&
		    (percpu_array[t->cpu].apic_id & AVIC_PHYSICAL_ID_ENTRY_HOST_PHYSICAL_ID_MASK) == host_apic_id)
			return t;
	}
	return NULL;
}

/*
 * The model's doorbell does what the APM says a doorbell does and no more
 * (APM Vol 2 §15.29.8.2 "Doorbell"): a core in guest mode with AVIC on
 * re-evaluates the backing page - here, a kick makes it exit and the next
 * VMRUN looks, which is the model's way to do it - and any other core
 * ignores it: a core in host mode, or one running its vCPU without AVIC.
 * The hypervisor must not need a doorbell to land.  Quirk DOORBELL_LATE
 * (avic_emu.h): the doorbell reaches the core after its vCPU left guest
 * mode, so only that vCPU's next VMRUN can find the IRR bit.
 */
static void avic_emu_doorbell(struct vm *vm, u32 host_apic_id)
{
	struct vcpu *t = avic_vcpu_on(vm, host_apic_id);

	if (!t || __atomic_load_n(&t->avic.mode, __ATOMIC_SEQ_CST) == AVIC_VCPU_OFF) {
		vm->avic_doorbells_lost++;
		return;
	}
	if ((vm->avic_quirks & BIT(AVIC_EMU_Q_DOORBELL_LATE)) &&
	    avic_emu_quirk_now(vm->avic_qs, AVIC_EMU_Q_DOORBELL_LATE)) {
		/* Out of guest mode first (as if it exited on its own), then the doorbell: lost. */
		lapic_kick(t);
		for (u32 spin = 0; spin < (1u << 20) && __atomic_load_n(&t->in_guest, __ATOMIC_SEQ_CST); spin++)
			cpu_relax();
		__atomic_fetch_add(&vm->avic_qs->played[AVIC_EMU_Q_DOORBELL_LATE], 1, __ATOMIC_RELAXED);
		vm->avic_doorbells_lost++;
		return;
	}
	host_apic_send_ipi(percpu_array[t->cpu].apic_id, HOST_VEC_KICK);
}

void avic_ring(struct vm *vm, struct vcpu *by, u32 host_apic_id)
{
	u64 val;

	if (by)
		by->avic.doorbells++;
	if (vm->apic_backend == APIC_BACKEND_AVIC) {
		if (avic_doorbell_value(host_apic_id, &val))
			wrmsr(MSR_AMD64_SVM_AVIC_DOORBELL, val);
		return;
	}
	avic_emu_doorbell(vm, host_apic_id);
}

void avic_notify(struct vcpu *target)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (target->cpu == this_cpu()->index)
		return;                 /* we are not in guest mode: the next VMRUN looks */
	/*
	 * A doorbell only where its host APIC ID fits the doorbell MSR
	 * (apic_choice.host_ids_wide: every host ID is checked at boot).
	 */
	if (target->in_guest && target->avic.mode != AVIC_VCPU_OFF && !apic_choice.host_ids_wide)
		avic_ring(target->vm, NULL, percpu_array[target->cpu].apic_id &
			  AVIC_PHYSICAL_ID_ENTRY_HOST_PHYSICAL_ID_MASK);
	else
		lapic_kick(target);     /* halted, or running without AVIC: an exit is needed */
}

/*
 * The soft APIC blocks the vCPU (HLT, wait-for-SIPI): the tables follow
 * its registers first (an INIT reset them), then IsRunning is cleared (a
 * full barrier) before the soft APIC looks at IRR: a sender that still saw
 * it set has set IRR before that look, one that sees it clear takes the
 * incomplete-IPI exit and wakes the vCPU (see avic_set_running).
 */
static void avic_block(struct vcpu *vcpu, bool blocked)
{
	if (!blocked) {
		avic_vcpu_load(vcpu);
		return;
	}
	if (lapic_take_changes(vcpu))
		avic_apic_changed(vcpu);
	avic_vcpu_put(vcpu);
}

static const struct lapic_ops avic_lapic_ops = { .notify = avic_notify, .block = avic_block };

/* ---- tables and inhibits (APM Vol 2 §15.29.5 "AVIC Memory Data Structures"; inhibits: docs/ARCHITECTURE.md) ---- */

/* Every vCPU but by, and but the one test avic_inhibit_ipi holds back (vm->avic_late_kick). */
static bool avic_pick_others(const struct vcpu *t, const void *by)
{
	return t != by && t->vm->avic_late_kick != t->index + 1;
}

static void avic_inhibit_change(struct vm *vm, unsigned reason, bool on, struct vcpu *by)
{
	u32 bit = BIT(reason);
	u32 old = vm->avic_inhibit;

	if (!!(old & bit) == on)
		return;
	__atomic_store_n(&vm->avic_inhibit, on ? (old | bit) : (old & ~bit), __ATOMIC_SEQ_CST);
	if (on) {
		vm->avic_inhibit_sets[reason]++;
		__atomic_fetch_add(&avic_cov.inhibit_set[reason], 1, __ATOMIC_RELAXED);
	} else {
		vm->avic_inhibit_clears[reason]++;
		__atomic_fetch_add(&avic_cov.inhibit_clear[reason], 1, __ATOMIC_RELAXED);
	}
	hv_info("avic", "%s/%u: inhibit %s %s (inhibits now 0x%x)", vm->test->name, by ? by->index : 0,
		avic_inhibit_name(reason), on ? "set" : "cleared", vm->avic_inhibit);
	/* Running vCPUs switch on their next entry: make them exit now. */
	lapic_kick_each(vm, avic_pick_others, by, lapic_kick);
}

/*
 * Rebuilds the logical APIC ID table from every xAPIC-mode vCPU's DFR and
 * LDR (APM Vol 2 §15.29.5.3 "Logical APIC ID Table"): an LDR that names
 * no single entry is left out (IPIs
 * to it exit with "invalid target" and are emulated), two vCPUs on one entry
 * are logical ID aliasing.  With vm->avic_lock held.
 */
static bool avic_logical_rebuild(struct vm *vm, bool *mixed)
{
	bool aliased = false, flat = false, cluster = false;

	for (u32 i = 0; i < AVIC_LOGICAL_CLUSTER_ENTRIES; i++)
		__atomic_store_n(&vm->avic_log[i], 0, __ATOMIC_RELEASE);
	for (u32 i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		int idx;

		if (!v->apic.enabled || v->apic.x2apic)
			continue;
		/* Models are compared among the vCPUs that hold a logical ID (LDR[31:24] != 0). */
		if (vapic_get_reg(&v->apic, VAPIC_REG_LDR) >> 24) {
			if ((vapic_get_reg(&v->apic, VAPIC_REG_DFR) >> VAPIC_DFR_MODEL_SHIFT) == VAPIC_DFR_MODEL_FLAT)
				flat = true;
			else
				cluster = true;
		}
		idx = avic_logical_index(vapic_get_reg(&v->apic, VAPIC_REG_DFR),
					 vapic_get_reg(&v->apic, VAPIC_REG_LDR));
		if (idx < 0)
			continue;
		if (vm->avic_log[idx] & AVIC_LOGICAL_ID_ENTRY_VALID_MASK) {
			aliased = true;
			continue;
		}
		__atomic_store_n(&vm->avic_log[idx], avic_log_entry_encode((u8)v->apic.apic_id, true),
				 __ATOMIC_RELEASE);
	}
	*mixed = flat && cluster;
	return aliased;
}

void avic_apic_changed(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	bool id = false, base = false, x2 = false, aliased, mixed;

	if (!avic_vm(vm))
		return;
	spin_lock(&vm->avic_lock);
	for (u32 i = 0; i < vm->nr_vcpus; i++) {
		struct vapic *a = &vm->vcpus[i].apic;
		u64 *entry = &vm->avic_phys[a->apic_id];

		/*
		 * A disabled or software-disabled APIC accepts no fixed
		 * interrupt (APM Vol 2 §16.4.7 "Spurious Interrupts"), but AVIC would set its IRR
		 * anyway: its entry is made invalid, so that IPIs to it exit
		 * ("invalid target", emulated and refused in software) and
		 * broadcasts skip it; the vCPU itself runs without AVIC
		 * (avic_before_entry).
		 */
		if (a->enabled && vapic_sw_enabled(a))
			__atomic_fetch_or(entry, AVIC_PHYSICAL_ID_ENTRY_VALID_MASK, __ATOMIC_SEQ_CST);
		else
			__atomic_fetch_and(entry, ~AVIC_PHYSICAL_ID_ENTRY_VALID_MASK, __ATOMIC_SEQ_CST);
		if (!a->enabled)
			continue;
		/* The tables are indexed by APIC ID = vCPU index (APM Vol 2 §15.29.5.2 "Physical APIC ID Table"). */
		if (!a->x2apic && (vapic_get_reg(a, VAPIC_REG_ID) >> 24) != a->apic_id)
			id = true;
		if ((a->apic_base & VAPIC_BASE_ABA) != VAPIC_BASE_DEFAULT)
			base = true;
		if (a->x2apic && !vm->avic_x2)
			x2 = true;
	}
	aliased = avic_logical_rebuild(vm, &mixed);
	avic_inhibit_change(vm, AVIC_INHIBIT_APIC_ID, id, vcpu);
	avic_inhibit_change(vm, AVIC_INHIBIT_APIC_BASE, base, vcpu);
	avic_inhibit_change(vm, AVIC_INHIBIT_X2APIC, x2, vcpu);
	avic_inhibit_change(vm, AVIC_INHIBIT_LOGICAL_ALIAS, aliased, vcpu);
	/*
	 * Flat and cluster at once: the CPU reads one logical table and
	 * interprets a destination by one model (the sender's, in the model:
	 * which one the CPU uses is not documented), while each APIC matches
	 * by its own DFR (APM Vol 2 §16.6.1 "Receiving System and IPI
	 * Interrupts"); KVM disables its logical map then.  The soft APIC
	 * matches each target by its own model.
	 */
	avic_inhibit_change(vm, AVIC_INHIBIT_LOGICAL_MIXED, mixed, vcpu);
	spin_unlock(&vm->avic_lock);
}

/*
 * The interrupt-window inhibit (KVM's IRQWIN): a vCPU that has an ExtINT
 * to deliver needs a VINTR window, which AVIC ignores (V_IRQ is not used
 * while AVIC is on: APM Vol 2 §15.29.8.3 "Additional VMRUN Handling").  Several vCPUs may ask at
 * once: a VM-wide count sets the inhibit on 0->1 and clears it on 1->0, so
 * one vCPU cannot clear another's request.  Each vCPU asks at most once
 * (vcpu->avic.irqwin_wanted), so a repeated call changes nothing.
 */
void avic_irqwin_request(struct vcpu *vcpu, bool want)
{
	struct vm *vm = vcpu->vm;

	if (!avic_vm(vm) || vcpu->avic.irqwin_wanted == want)
		return;
	spin_lock(&vm->avic_lock);
	vcpu->avic.irqwin_wanted = want;
	if (want ? vm->avic_irqwin++ == 0 : --vm->avic_irqwin == 0)
		avic_inhibit_change(vm, AVIC_INHIBIT_IRQWIN, want, vcpu);
	spin_unlock(&vm->avic_lock);
}

/* ---- entering the guest ---- */

/*
 * The VMCB side of a mode change (APM Vol 2 §15.29.4.1 "VMCB Virtual
 * Interrupt Control Word", §15.29.10 "x2AVIC", §15.11 "MSR Intercepts"):
 * int_ctl bits 31/30, the x2APIC MSRs opened only
 * while x2AVIC is on (never otherwise: they would reach the host's APIC,
 * CVE-2023-5090), CR8 writes not intercepted under AVIC (the CPU keeps V_TPR
 * and the page's TPR), the nested page root, and a TLB flush, since the APIC
 * page's translation changes with it.  The APIC page is in the NPT (any
 * page: the CPU redirects the accesses to the backing page, APM Vol 2
 * §15.29.3 "AVIC Backing Page")
 * only for a vCPU in xAVIC mode, through a second root; every other vCPU -
 * its APIC (software-)disabled, in x2APIC mode (where the xAPIC page is no
 * APIC), or the VM inhibited - uses the root without it, so that its
 * accesses fault into the soft APIC.  Per vCPU, as the NPT cannot be.
 */
void avic_vmcb_mode(struct vcpu *vcpu, struct vmcb_control *c, u8 mode)
{
	c->int_ctl &= ~(AVIC_ENABLE_MASK | X2APIC_MODE_MASK);
	if (mode != AVIC_VCPU_OFF)
		c->int_ctl |= AVIC_ENABLE_MASK;
	if (mode == AVIC_VCPU_X2AVIC)
		c->int_ctl |= X2APIC_MODE_MASK;
	avic_x2_msrpm_apply(vcpu->avic.msrpm, mode == AVIC_VCPU_X2AVIC);
	/* The probe's VM: every x2APIC MSR goes to the CPU, but only under x2AVIC (see above). */
	if (unlikely(vcpu->vm->avic_probe) && mode == AVIC_VCPU_X2AVIC)
		avic_probe_msrpm_open(vcpu->avic.msrpm);
	if (mode != AVIC_VCPU_OFF)
		c->intercept_cr &= ~INTERCEPT_CR8_WRITE;
	c->n_cr3 = npt_root(mode == AVIC_VCPU_XAVIC ? &vcpu->vm->avic_npt : &vcpu->vm->npt);
	c->tlb_control = svm_has(CPUID_8000000A_EDX_FLUSH_BY_ASID) ? TLB_CONTROL_FLUSH_ASID : TLB_CONTROL_FLUSH_ALL;
	c->clean = 0;           /* bit 11 (AVIC) and the rest (APM Vol 2 §15.15.3 "VMCB Clean Field") */
}

void avic_before_entry(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	struct vapic *a = &vcpu->apic;
	u8 mode = AVIC_VCPU_OFF;

	if (!avic_vm(vm))
		return;
	if (!__atomic_load_n(&vm->avic_inhibit, __ATOMIC_ACQUIRE) && a->enabled && vapic_sw_enabled(a))
		mode = a->x2apic ? AVIC_VCPU_X2AVIC : AVIC_VCPU_XAVIC;
	if (mode != vcpu->avic.mode) {
		if (mode != AVIC_VCPU_OFF && vcpu->avic.mode != AVIC_VCPU_OFF)
			__atomic_fetch_add(mode == AVIC_VCPU_X2AVIC ? &avic_cov.mode_switch_x2 : &avic_cov.mode_switch_x, 1,
					   __ATOMIC_RELAXED);
		__atomic_store_n(&vcpu->avic.mode, mode, __ATOMIC_SEQ_CST);
		vcpu->avic.mode_switches++;
		avic_set_running(vcpu);         /* before the entry path looks at IRR */
		if (vm->apic_backend == APIC_BACKEND_AVIC)
			avic_vmcb_mode(vcpu, ctl(vcpu), mode);
		else
			avic_hw_vmcb_check(vcpu, mode);
	}
	/*
	 * The registers as the hypervisor last applied them: a trap-like write
	 * changes the page before the exit, and its side effects (SVR, LVT
	 * timer mode) depend on the value it replaced.  Only a VMRUN with AVIC
	 * can end in such a trap.
	 */
	if (mode == AVIC_VCPU_OFF)
		return;
	if (unlikely(vm->avic_probe)) {
		/* The probe may take any register's exit as a trap (avic_probe_noaccel). */
		for (u32 i = 0; i < ARRAY_SIZE(vcpu->avic.trap_shadow); i++)
			vcpu->avic.trap_shadow[i] = vapic_get_reg(a, i << 4);
		return;
	}
	for (u32 i = 0; i < nr_trap_regs; i++)
		vcpu->avic.trap_shadow[trap_regs[i] >> 4] = vapic_get_reg(a, trap_regs[i]);
}
