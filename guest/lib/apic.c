/*
 * guest/lib/apic.c - this vCPU's local APIC in xAPIC or x2APIC mode.
 * See guest/lib/apic.h.
 */
#include "guest/lib/apic.h"

/*
 * IA32_APIC_BASE as last read, per vCPU (each vCPU has its own APIC and
 * may be in its own mode).  valid = false until the first use.
 */
struct apic_cpu {
	u64 base_msr;
	bool valid;
};

static struct apic_cpu apic_cpu[GUEST_MAX_VCPUS];

static struct apic_cpu *me(void)
{
	return &apic_cpu[this_vcpu()];
}

bool apic_x2apic_supported(void)
{
	return (cpuid(1).ecx & CPUID_1_ECX_X2APIC) != 0;
}

bool apic_tsc_deadline_supported(void)
{
	return (cpuid(1).ecx & CPUID_1_ECX_TSC_DEADLINE) != 0;
}

static enum apic_mode mode_of(u64 base_msr)
{
	bool en = base_msr & APIC_BASE_ENABLE, extd = base_msr & APIC_BASE_EXTD;

	if (en)
		return extd ? APIC_MODE_X2APIC : APIC_MODE_XAPIC;
	return extd ? APIC_MODE_INVALID : APIC_MODE_DISABLED;
}

enum apic_mode apic_mode_refresh(void)
{
	struct apic_cpu *c = me();

	c->base_msr = rdmsr(MSR_IA32_APIC_BASE);
	c->valid = true;
	return mode_of(c->base_msr);
}

u64 apic_base_msr(void)
{
	struct apic_cpu *c = me();

	if (!c->valid)
		apic_mode_refresh();
	return c->base_msr;
}

u64 apic_base_addr(void)
{
	return apic_base_msr() & APIC_BASE_ADDR_MASK;
}

enum apic_mode apic_mode(void)
{
	return mode_of(apic_base_msr());
}

const char *apic_mode_name(enum apic_mode mode)
{
	switch (mode) {
	case APIC_MODE_DISABLED: return "disabled";
	case APIC_MODE_XAPIC: return "xapic";
	case APIC_MODE_X2APIC: return "x2apic";
	default: return "invalid";
	}
}

int apic_base_write_safe(u64 val)
{
	int vector = wrmsr_safe(MSR_IA32_APIC_BASE, val);

	apic_mode_refresh();
	return vector;
}

/* IA32_APIC_BASE with the mode bits of mode and everything else as now. */
static u64 base_for(enum apic_mode mode)
{
	u64 base = apic_base_msr() & ~(APIC_BASE_ENABLE | APIC_BASE_EXTD);

	switch (mode) {
	case APIC_MODE_XAPIC: return base | APIC_BASE_ENABLE;
	case APIC_MODE_X2APIC: return base | APIC_BASE_ENABLE | APIC_BASE_EXTD;
	case APIC_MODE_INVALID: return base | APIC_BASE_EXTD;
	default: return base;
	}
}

int apic_set_mode(enum apic_mode mode)
{
	/*
	 * Every legal path is at most two steps (APM Vol 2 §16.9 "Detecting and
	 * Enabling x2APIC Mode", Fig. 16-32 "APIC State Transitions").
	 */
	for (int step = 0; step < 3; step++) {
		enum apic_mode now = apic_mode(), next = mode;
		int vector;

		if (now == mode)
			return EXC_NONE;
		if (now == APIC_MODE_X2APIC && mode == APIC_MODE_XAPIC)
			next = APIC_MODE_DISABLED;
		else if (now == APIC_MODE_DISABLED && mode == APIC_MODE_X2APIC)
			next = APIC_MODE_XAPIC;
		vector = apic_base_write_safe(base_for(next));
		if (vector != EXC_NONE)
			return vector;
	}
	return apic_mode() == mode ? EXC_NONE : APIC_MODE_NOT_TAKEN;
}

static volatile u32 *mmio(u32 reg)
{
	return (volatile u32 *)(uintptr_t)(apic_base_addr() + reg);
}

u32 apic_read(u32 reg)
{
	if (apic_mode() == APIC_MODE_X2APIC)
		return (u32)rdmsr(X2APIC_MSR(reg));
	return *mmio(reg);
}

void apic_write(u32 reg, u32 val)
{
	if (apic_mode() == APIC_MODE_X2APIC)
		wrmsr(X2APIC_MSR(reg), val);
	else
		*mmio(reg) = val;
}

struct mmio_access {
	u32 reg;
	u32 val;
};

static void do_mmio_read(void *p)
{
	struct mmio_access *a = p;

	a->val = *mmio(a->reg);
}

static void do_mmio_write(void *p)
{
	struct mmio_access *a = p;

	*mmio(a->reg) = a->val;
}

int apic_read_safe(u32 reg, u64 *val)
{
	struct mmio_access a = { .reg = reg };
	int vector;

	if (apic_mode() == APIC_MODE_X2APIC)
		return rdmsr_safe(X2APIC_MSR(reg), val);
	vector = catch_exception(do_mmio_read, &a);
	*val = a.val;
	return vector;
}

int apic_write_safe(u32 reg, u64 val)
{
	struct mmio_access a = { .reg = reg, .val = (u32)val };

	if (apic_mode() == APIC_MODE_X2APIC)
		return wrmsr_safe(X2APIC_MSR(reg), val);
	return catch_exception(do_mmio_write, &a);
}

void apic_icr_write(u32 dest, u32 low)
{
	if (apic_mode() == APIC_MODE_X2APIC) {
		wrmsr(X2APIC_MSR_ICR, ((u64)dest << 32) | low);
		return;
	}
	*mmio(APIC_REG_ICR_HI) = dest << 24;
	*mmio(APIC_REG_ICR_LO) = low;
}

struct icr_access {
	u32 dest, low;
};

static void do_icr_write(void *p)
{
	struct icr_access *a = p;

	apic_icr_write(a->dest, a->low);
}

int apic_icr_write_safe(u32 dest, u32 low)
{
	struct icr_access a = { .dest = dest, .low = low };

	return catch_exception(do_icr_write, &a);
}

u64 apic_icr_read(void)
{
	if (apic_mode() == APIC_MODE_X2APIC)
		return rdmsr(X2APIC_MSR_ICR);
	return ((u64)*mmio(APIC_REG_ICR_HI) << 32) | *mmio(APIC_REG_ICR_LO);
}

bool apic_icr_wait_idle(u64 spins)
{
	/*
	 * x2APIC has no delivery status to wait for (bit 12 reads 0: APM Vol 2
	 * §16.13 "x2APIC Interrupt Command Register (ICR) Operations").
	 */
	if (apic_mode() == APIC_MODE_X2APIC)
		return true;
	return wait_for(!(*mmio(APIC_REG_ICR_LO) & APIC_ICR_BUSY), spins);
}

void apic_eoi(void)
{
	apic_write(APIC_REG_EOI, 0);
}

void apic_self_ipi(u8 vector)
{
	if (apic_mode() == APIC_MODE_X2APIC)
		wrmsr(X2APIC_MSR_SELF_IPI, vector);
	else
		apic_icr_self_ipi(vector);
}

void apic_icr_self_ipi(u8 vector)
{
	u32 low = APIC_ICR_SH_SELF | APIC_ICR_DM_FIXED | vector;

	/*
	 * With a shorthand the destination is ignored (APM Vol 2 §16.5), so
	 * in xAPIC mode the ICR_LO write alone sends: one access, not two.
	 */
	if (apic_mode() == APIC_MODE_X2APIC)
		wrmsr(X2APIC_MSR_ICR, low);
	else
		*mmio(APIC_REG_ICR_LO) = low;
}

u32 apic_id(void)
{
	u32 id = apic_read(APIC_REG_ID);

	return apic_mode() == APIC_MODE_X2APIC ? id : id >> 24;
}

u32 apic_esr(void)
{
	apic_write(APIC_REG_ESR, 0);
	return apic_read(APIC_REG_ESR);
}

/* Register of the 256-bit array at base holding vector, and its bit. */
static bool vector_bit(u32 base, u8 vector)
{
	return (apic_read(base + (vector / 32) * 0x10) >> (vector % 32)) & 1;
}

bool apic_isr(u8 vector)
{
	return vector_bit(APIC_REG_ISR, vector);
}

bool apic_irr(u8 vector)
{
	return vector_bit(APIC_REG_IRR, vector);
}

bool apic_tmr(u8 vector)
{
	return vector_bit(APIC_REG_TMR, vector);
}

static int highest(u32 base)
{
	for (int i = 7; i >= 0; i--) {
		u32 bits = apic_read(base + (u32)i * 0x10);

		if (bits)
			return i * 32 + 31 - __builtin_clz(bits);
	}
	return -1;
}

int apic_highest_isr(void)
{
	return highest(APIC_REG_ISR);
}

int apic_highest_irr(void)
{
	return highest(APIC_REG_IRR);
}

void apic_sw_enable(void)
{
	apic_write(APIC_REG_SVR, APIC_SVR_ENABLE | APIC_SPURIOUS_VECTOR);
}

void apic_sw_disable(void)
{
	apic_write(APIC_REG_SVR, APIC_SPURIOUS_VECTOR);
}

static const u32 lvt_regs[APIC_NR_LVT] = {
	APIC_REG_LVT_TIMER, APIC_REG_LVT_THERMAL, APIC_REG_LVT_PMC,
	APIC_REG_LVT_LINT0, APIC_REG_LVT_LINT1, APIC_REG_LVT_ERROR,
};

void apic_quiesce(void)
{
	cli();
	if (apic_mode() != APIC_MODE_XAPIC && apic_mode() != APIC_MODE_X2APIC)
		return;
	apic_write(APIC_REG_TMICT, 0);
	for (unsigned int i = 0; i < APIC_NR_LVT; i++)
		apic_write(lvt_regs[i], APIC_LVT_MASKED);
	apic_write(APIC_REG_TPR, 0);
	/* Each EOI clears the highest in-service vector: at most 256 of them. */
	for (int i = 0; i < NR_VECTORS && apic_highest_isr() >= 0; i++)
		apic_eoi();
	apic_sw_enable();
	apic_esr();
}

void apic_for_each_mode(void (*fn)(void))
{
	static const enum apic_mode modes[] = { APIC_MODE_XAPIC, APIC_MODE_X2APIC };

	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		const char *name = apic_mode_name(modes[i]);
		int vector;

		if (modes[i] == APIC_MODE_X2APIC && !apic_x2apic_supported()) {
			report_skip("%s: CPUID 1 ECX[21] does not offer x2APIC", name);
			continue;
		}
		vector = apic_set_mode(modes[i]);
		if (vector != EXC_NONE) {
			report_fail("%s: cannot enter the mode: WRMSR IA32_APIC_BASE %s "
				    "(IA32_APIC_BASE now 0x%lx)", name,
				    vector == APIC_MODE_NOT_TAKEN ? "did not take" : exception_name(vector),
				    (unsigned long)apic_base_msr());
			continue;
		}
		apic_quiesce();
		irq_reset();
		fn();
		apic_quiesce();
	}
	apic_set_mode(APIC_MODE_XAPIC);
}

void metric_per_op(const char *name, u64 total, u64 ops)
{
	u64 hundredths;

	if (this_vcpu() != 0 || !ops)
		return;
	hundredths = (total * 100 + ops / 2) / ops;
	hc_metric("%s %lu.%02lu", name, (unsigned long)(hundredths / 100),
		  (unsigned long)(hundredths % 100));
}

/* The metric name prefix for mode: the x2APIC figure carries none. */
static const char *metric_prefix(enum apic_mode mode)
{
	return mode == APIC_MODE_XAPIC ? "xapic_" : "";
}

void apic_metric_per_op(const char *name, u64 total, u64 ops)
{
	char full[64];

	snprintf(full, sizeof(full), "%s%s", metric_prefix(apic_mode()), name);
	metric_per_op(full, total, ops);
}

bool hv_avic_active(void)
{
	return (boot_info->flags & HV_BOOT_F_AVIC) != 0;
}

/*
 * "<prefix><name>" always and "<prefix>avic_<name>" under the AVIC
 * backend only: in the other modes the two are equal and the second line
 * would only say so.
 */
static void metric_exits_prefixed(const char *prefix, const char *name, u64 total,
				  u64 avic_total, u64 ops)
{
	char full[64];

	snprintf(full, sizeof(full), "%s%s", prefix, name);
	metric_per_op(full, total, ops);
	if (!hv_avic_active())
		return;
	snprintf(full, sizeof(full), "%savic_%s", prefix, name);
	metric_per_op(full, avic_total, ops);
}

void metric_exits(const char *name, u64 total, u64 avic_total, u64 ops)
{
	metric_exits_prefixed("", name, total, avic_total, ops);
}

void apic_metric_exits(const char *name, u64 total, u64 avic_total, u64 ops)
{
	apic_metric_exits_in(apic_mode(), name, total, avic_total, ops);
}

void apic_metric_exits_in(enum apic_mode mode, const char *name, u64 total, u64 avic_total,
			  u64 ops)
{
	metric_exits_prefixed(metric_prefix(mode), name, total, avic_total, ops);
}

u32 apic_tdcr_divisor(u32 tdcr)
{
	u32 code = (tdcr & 3) | ((tdcr & 8) >> 1);

	/* Codes 0-6 divide by 2 << code; code 7 (0b1011) by 1. */
	return code == 7 ? 1 : 2u << code;
}
