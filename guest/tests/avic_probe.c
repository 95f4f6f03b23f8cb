/*
 * guest/tests/avic_probe.c - the AVIC bring-up probe: what the CPU does
 * with every APIC register access (issue 4 item 8).
 *
 * Table 15-22 (APM Vol 2 §15.29.3.1 "Virtual APIC Register Accesses") says,
 * per xAPIC register, whether a read or a write is accelerated, a trap-like
 * or a fault-like #VMEXIT 0x402; under x2AVIC the x2APIC access checks come
 * first (§15.29.10 "x2AVIC") and add #GP for what the x2APIC architecture
 * forbids (§16.11 "Accessing x2APIC Register", §16.11.3 "Reserved Bit
 * Checking in x2APIC Mode", Table 16-6).  Silicon does not always agree
 * (KVM's maintainers report Zen 4 x2APIC writes that differ), so this test
 * measures it.  In the probe's VM
 * (hv_prepare_avic_probe) the hypervisor passes every x2APIC MSR through
 * while the vCPU runs x2AVIC, and in xAVIC mode the APIC page is the CPU's
 * anyway, so nothing stands between an access and AVIC.  For each of the
 * 256 xAPIC offsets and 256 x2APIC MSRs, a read and then a write:
 *   HC_PROBE_ARM (with the address of the access instruction), the access
 *   (with #GP caught), HC_PROBE_TAKE: the hypervisor says what its AVIC
 *   exit handlers saw - nothing (accelerated), 0x402 with RIP past the
 *   instruction (trap) or at it (fault), 0x401, a plain intercept - and
 *   what the table it implements expects.
 * Writes are chosen to change nothing: the value just read (registers
 * keep their values, an ID write keeps the ID), 0 to EOI and ESR, a fixed
 * self-IPI of PROBE_VEC to ICR and SELF_IPI (taken at the end, once).
 * IF stays clear during the probe.
 *
 * The hypervisor prints the whole table after the test ("AVIC probe:"
 * lines, differences marked "<- DIFFERS").  Checks: every access was
 * classified (no "odd" outcome: two AVIC exits, or one naming another
 * register); under apic=avic-emu no difference at all (the model against
 * the table it implements); the APIC still works afterwards (the self-IPI
 * arrives exactly once, the ID is unchanged).  On a real CPU the number of
 * differences is printed, not judged: it is the silicon's answer.
 * Without the AVIC backend (apic=soft) there is nothing to probe: SKIP.
 * Not in the default set: run it with --tests avic_probe.
 */
#include "guest/lib/apic.h"

#define PROBE_VEC       0xf0
#define ICR_SELF_FIXED  (0x00040000u | PROBE_VEC)       /* shorthand self, fixed, edge */

extern char probe_mmio_rd_insn[], probe_mmio_wr_insn[], probe_rdmsr_insn[], probe_wrmsr_insn[];

struct probe_op {
	u64 where;              /* MMIO address or MSR */
	u64 val;
};

/* One access each, at a labelled instruction the hypervisor compares RIP with. */
static __attribute__((noinline, noclone)) void mmio_rd(void *arg)
{
	struct probe_op *op = arg;
	u32 v;

	__asm__ volatile(".globl probe_mmio_rd_insn\nprobe_mmio_rd_insn: movl (%1), %0"
			 : "=r"(v) : "r"(op->where) : "memory");
	op->val = v;
}

static __attribute__((noinline, noclone)) void mmio_wr(void *arg)
{
	struct probe_op *op = arg;

	__asm__ volatile(".globl probe_mmio_wr_insn\nprobe_mmio_wr_insn: movl %0, (%1)"
			 : : "r"((u32)op->val), "r"(op->where) : "memory");
}

static __attribute__((noinline, noclone)) void msr_rd(void *arg)
{
	struct probe_op *op = arg;
	u32 lo, hi;

	__asm__ volatile(".globl probe_rdmsr_insn\nprobe_rdmsr_insn: rdmsr"
			 : "=a"(lo), "=d"(hi) : "c"((u32)op->where) : "memory");
	op->val = ((u64)hi << 32) | lo;
}

static __attribute__((noinline, noclone)) void msr_wr(void *arg)
{
	struct probe_op *op = arg;

	__asm__ volatile(".globl probe_wrmsr_insn\nprobe_wrmsr_insn: wrmsr"
			 : : "c"((u32)op->where), "a"((u32)op->val), "d"((u32)(op->val >> 32)) : "memory");
}

static u32 got_probe_vec;

static void on_probe_vec(struct ex_regs *regs)
{
	(void)regs;
	got_probe_vec++;
	apic_eoi();
}

struct probe_result {
	u64 meas, expected, detail;
	int vector;             /* what catch_exception() saw */
};

/* ARM, the access, TAKE.  false: the hypervisor refused (not a probe VM, AVIC not running). */
static bool probe_one(bool x2, u32 off, bool write, u64 *val, struct probe_result *res, u64 *arm_ret)
{
	/* [x2][write]: the access and the address of its instruction. */
	static const struct {
		void (*fn)(void *);
		const char *insn;
	} how[2][2] = {
		{ { mmio_rd, probe_mmio_rd_insn }, { mmio_wr, probe_mmio_wr_insn } },
		{ { msr_rd, probe_rdmsr_insn }, { msr_wr, probe_wrmsr_insn } },
	};
	struct probe_op op = { .where = x2 ? 0x800u + (off >> 4) : apic_base_addr() + off, .val = *val };
	struct hc_regs r = { .rax = HC_AVIC_PROBE, .rbx = HC_PROBE_ARM, .rcx = (u64)(uintptr_t)how[x2][write].insn };

	vmmcall_regs(&r);
	*arm_ret = r.rax;
	if (r.rax)
		return false;
	res->vector = catch_exception(how[x2][write].fn, &op);
	r = (struct hc_regs){ .rax = HC_AVIC_PROBE, .rbx = HC_PROBE_TAKE,
			      .rcx = HV_PROBE_ACCESS(x2, off, write, res->vector == X86_GP), .rdx = op.val };
	vmmcall_regs(&r);
	res->meas = r.rax;
	res->expected = r.rbx;
	res->detail = r.rcx;
	if (!write)
		*val = op.val;
	return true;
}

/* A write that changes nothing (see the top). */
static u64 probe_write_value(bool x2, u32 off, u64 read_val, bool read_ok)
{
	switch (off) {
	case APIC_REG_EOI:
	case APIC_REG_ESR:
		return 0;
	case APIC_REG_ICR_LO:
		return ICR_SELF_FIXED;
	case 0x3f0:             /* SELF_IPI (x2APIC); nothing in xAPIC mode */
		return x2 ? PROBE_VEC : 0;
	default:
		return read_ok ? read_val : 0;
	}
}

static const char *const kind_names[HV_PROBE_KINDS] = HV_PROBE_KIND_NAMES;

static const char *kind_name(u64 k)
{
	return k < HV_PROBE_KINDS ? kind_names[k] : "?";
}

static void probe_mode(void)
{
	const char *m = apic_mode_name(apic_mode());
	bool x2 = apic_mode() == APIC_MODE_X2APIC;
	u32 id = apic_id(), accesses = 0, differ = 0, odd = 0, refused = 0;
	char first_odd[96] = "", first_diff[96] = "";
	u64 arm_ret = 0;

	got_probe_vec = 0;
	cli();
	for (u32 i = 0; i < 256 && !refused; i++) {
		u32 off = i << 4;
		u64 val = 0;
		struct probe_result res;

		for (int write = 0; write < 2; write++) {
			if (write)
				val = probe_write_value(x2, off, val, res.vector == EXC_NONE);
			if (!probe_one(x2, off, write, &val, &res, &arm_ret)) {
				refused++;
				break;
			}
			accesses++;
			if (res.vector != EXC_NONE && res.vector != X86_GP && !odd++)
				snprintf(first_odd, sizeof(first_odd), "%s of 0x%x raised %s", write ? "write" : "read",
					 x2 ? 0x800 + i : off, exception_name(res.vector));
			else if (res.meas == HV_PROBE_ODD && !odd++)
				snprintf(first_odd, sizeof(first_odd), "%s of 0x%x: exit details 0x%llx",
					 write ? "write" : "read", x2 ? 0x800 + i : off,
					 (unsigned long long)res.detail);
			if (res.meas != res.expected && !differ++)
				snprintf(first_diff, sizeof(first_diff), "%s of 0x%x: %s, the table says %s",
					 write ? "write" : "read", x2 ? 0x800 + i : off, kind_name(res.meas),
					 kind_name(res.expected));
		}
	}
	if (refused && !accesses) {
		if (arm_ret == HV_PROBE_NOT_RUNNING)
			report_skip("%s: AVIC does not run for this vCPU in this mode (x2AVIC off, or an inhibit): "
				    "nothing to probe", m);
		else
			report_fail("%s: the hypervisor refused the probe (0x%llx)", m, (unsigned long long)arm_ret);
		return;
	}
	report(!refused, "%s: %u accesses probed (256 registers, read and write), none refused", m, accesses);
	if (odd)
		report_fail("%s: %u accesses the hypervisor could not classify, first: %s", m, odd, first_odd);
	else
		report_pass("%s: every access classified (accel, trap, fault, #GP, 0x401 or intercept)", m);
	if (boot_info->flags & HV_BOOT_F_AVIC_EMU)
		report(!differ, "%s: the model matches the table it implements (%u differences%s%s)", m, differ,
		       differ ? ", first: " : "", first_diff);
	else
		printf("%s: %u of %u accesses differ from the table on this CPU%s%s (the AVIC probe lines)\n", m,
		       differ, accesses, differ ? ", first: " : "", first_diff);
	sti();
	wait_for(got_probe_vec, WAIT_SHORT);
	cli();
	report_eq(1, got_probe_vec, "%s: the self-IPIs of the probe merged into one interrupt, taken at STI", m);
	report_eq(id, apic_id(), "%s: the APIC ID is unchanged", m);
}

GUEST_TEST(avic_probe)
{
	if (!hv_avic_active()) {
		report_skip("needs the AVIC backend (apic=avic, or apic=avic-emu for the model): "
			    "with the soft APIC every access is intercepted, there is no hardware to probe");
		return;
	}
	irq_set_handler(PROBE_VEC, on_probe_vec);
	apic_for_each_mode(probe_mode);
	irq_set_handler(PROBE_VEC, NULL);
}
