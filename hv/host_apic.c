/*
 * hv/host_apic.c - driver for the physical local APIC of each host CPU.
 * See hv/host_apic.h.  APM Vol 2 §16.3 "Local APIC", §16.5 "Interprocessor
 * Interrupts (IPI)", §16.9 "Detecting and Enabling x2APIC Mode", §16.13
 * "x2APIC Interrupt Command Register (ICR) Operations".  The mode decision and the encodings
 * are in hv/host_apic_mode.c.
 */
#include "hv/host_apic.h"
#include "hv/percpu.h"
#include "hv/console.h"
#include "hv/hv.h"
#include "lib/x86.h"

u64 tsc_hz;
struct host_apic_choice host_apic_choice;
static bool x2apic;
static volatile u8 *xapic_base;
static u32 timer_ticks_per_us_x1000;    /* APIC timer ticks (divide 16) per ms */

void host_apic_init_mode(void)
{
	u64 base = rdmsr(MSR_IA32_APIC_BASE);

	x2apic = (base & APIC_BASE_EXTD) != 0;
	xapic_base = (volatile u8 *)(uintptr_t)(base & GENMASK(51, 12));
}

/*
 * xAPIC -> x2APIC is one WRMSR setting EXTD with EN set; from the disabled
 * state EN comes first, as EN=0 EXTD=1 is invalid (Intel SDM Vol 3
 * §11.12.5 "x2APIC State Transitions").  The physical ID is kept; the
 * other registers are set afresh by host_apic_cpu_init().
 */
void host_apic_enable_x2apic(void)
{
	u64 base = rdmsr(MSR_IA32_APIC_BASE);

	if (base & APIC_BASE_EXTD)
		return;
	if (!(base & APIC_BASE_ENABLE)) {
		base |= APIC_BASE_ENABLE;
		wrmsr(MSR_IA32_APIC_BASE, base);
	}
	wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_EXTD);
}

/*
 * An AP keeps the mode the firmware gave it across our INIT (SDM Vol 3
 * §11.12.5: INIT leaves EN and EXTD as they are), so when the BSP switched
 * to x2APIC the AP must follow before it touches its APIC.  An AP in
 * x2APIC mode under an xAPIC BSP cannot follow (see host_apic_mode.c).
 */
bool host_apic_cpu_match_mode(void)
{
	bool ap_x2 = (rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_EXTD) != 0;

	if (x2apic && !ap_x2)
		host_apic_enable_x2apic();
	return x2apic || !ap_x2;
}

bool host_apic_x2apic(void)
{
	return x2apic;
}

u32 host_apic_read(u32 reg)
{
	if (x2apic)
		return (u32)rdmsr(0x800 + (reg >> 4));
	return *(volatile u32 *)(xapic_base + reg);
}

void host_apic_write(u32 reg, u32 val)
{
	if (x2apic)
		wrmsr(0x800 + (reg >> 4), val);
	else
		*(volatile u32 *)(xapic_base + reg) = val;
}

u32 host_apic_id(void)
{
	return host_apic_id_decode(host_apic_read(APIC_REG_ID), x2apic);
}

void host_apic_eoi(void)
{
	host_apic_write(APIC_REG_EOI, 0);
}

void host_apic_send_ipi(u32 apic_id, u32 icr_low)
{
	HV_CHECK(host_apic_id_reachable(apic_id, x2apic));
	if (x2apic) {
		/*
		 * One 64-bit write; no busy bit in x2APIC mode (APM Vol 2 §16.13).
		 * A WRMSR to an x2APIC register is not serializing and may pass
		 * earlier stores (Intel SDM Vol 3 §11.12.3 "MSR Access in x2APIC
		 * Mode"): the fence makes the mailbox a kick announces visible
		 * before the IPI arrives.  The MMIO write below is ordered by
		 * the uncached mapping.
		 */
		__asm__ volatile("mfence; lfence" ::: "memory");
		wrmsr(0x830, host_apic_icr_x2apic(apic_id, icr_low));
		return;
	}
	for (unsigned i = 0; i < 1000000 && (host_apic_read(APIC_REG_ICR_LOW) & APIC_ICR_BUSY); i++)
		cpu_relax();
	host_apic_write(APIC_REG_ICR_HIGH, host_apic_icr_high_xapic(apic_id));
	host_apic_write(APIC_REG_ICR_LOW, icr_low);
}

void host_apic_cpu_init(void)
{
	host_apic_write(APIC_REG_SVR, APIC_SVR_ENABLE | HOST_VEC_SPURIOUS);
	host_apic_write(APIC_REG_TPR, 0);
	/*
	 * LINT0 carries ExtINT from the 8259 in virtual-wire mode; the firmware's
	 * timer may still tick through it.  We mask it (and the 8259 itself, see
	 * boot/) so that only our own vectors arrive.
	 */
	host_apic_write(APIC_REG_LVT_LINT0, APIC_LVT_MASKED);
	host_apic_write(APIC_REG_LVT_TIMER, APIC_LVT_MASKED);
	host_apic_write(APIC_REG_LVT_ERROR, APIC_LVT_MASKED);
	if (!x2apic)
		host_apic_write(APIC_REG_ESR, 0);
}

u64 tsc_to_us(u64 ticks)
{
	return tsc_hz ? ticks / (tsc_hz / 1000000) : ticks;
}

u64 us_to_tsc(u64 us)
{
	return us * (tsc_hz / 1000000);
}

void udelay(u64 us)
{
	u64 end = rdtsc() + us_to_tsc(us);

	while (rdtsc() < end)
		cpu_relax();
}

void host_apic_timer_calibrate(u64 hz)
{
	u32 start = 0xffffffff, now;

	tsc_hz = hz;
	host_apic_write(APIC_REG_TIMER_DIV, 0x3);        /* divide by 16 */
	host_apic_write(APIC_REG_LVT_TIMER, APIC_LVT_MASKED);
	host_apic_write(APIC_REG_TIMER_INIT, start);
	udelay(10000);
	now = host_apic_read(APIC_REG_TIMER_CUR);
	host_apic_write(APIC_REG_TIMER_INIT, 0);
	timer_ticks_per_us_x1000 = (start - now) / 10;   /* ticks per ms */
	if (!timer_ticks_per_us_x1000)
		timer_ticks_per_us_x1000 = 1;
	hv_info("apic", "timer: %u ticks/ms at divide 16, TSC %llu kHz",
		timer_ticks_per_us_x1000, (unsigned long long)(tsc_hz / 1000));
}

/*
 * The host tick is a one-shot timer re-armed by its own interrupt
 * (host_timer_tick), so that a CPU can ask for an earlier wake-up
 * (host_timer_wake_at) for a guest's APIC timer without losing the tick
 * that drives the watchdog.
 */
static u64 tick_period_tsc;

static void host_timer_oneshot(u64 delta_tsc)
{
	u64 ms_tsc = tsc_hz / 1000 ? tsc_hz / 1000 : 1;
	u64 count = delta_tsc * timer_ticks_per_us_x1000 / ms_tsc;

	this_cpu()->timer_next = rdtsc() + delta_tsc;
	host_apic_write(APIC_REG_TIMER_INIT, count ? (u32)MIN(count, 0xffffffffULL) : 1);
}

void host_apic_timer_start(u32 period_us)
{
	tick_period_tsc = us_to_tsc(period_us);
	host_apic_write(APIC_REG_TIMER_DIV, 0x3);
	host_apic_write(APIC_REG_LVT_TIMER, HOST_VEC_TIMER);     /* one-shot */
	host_timer_oneshot(tick_period_tsc);
}

void host_timer_tick(void)
{
	host_timer_oneshot(tick_period_tsc);
}

void host_timer_wake_at(u64 deadline_tsc)
{
	u64 now;

	if (!deadline_tsc || deadline_tsc >= this_cpu()->timer_next)
		return;
	now = rdtsc();
	host_timer_oneshot(deadline_tsc > now ? deadline_tsc - now : 1);
}
