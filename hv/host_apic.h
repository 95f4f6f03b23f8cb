/*
 * hv/host_apic.h - the host's own local APIC (not the guests' virtual one):
 * IPIs between physical CPUs, the periodic tick that drives the watchdog,
 * INIT/SIPI for starting CPUs.  Works in xAPIC (MMIO) and x2APIC (MSR) mode,
 * whichever the firmware left enabled, or x2APIC when host_apic=x2apic asks
 * for it (APM Vol 2 §16.3.1 "Local APIC Enable", §16.9 "Detecting and
 * Enabling x2APIC Mode").
 */
#ifndef HV_HOST_APIC_H
#define HV_HOST_APIC_H

#include "lib/types.h"
#include "hv/config.h"

/* Host interrupt vectors. */
#define HOST_VEC_TIMER          0x20
#define HOST_VEC_KICK           0x21    /* "look at your mailbox" IPI */
#define HOST_VEC_SPURIOUS       0xff

/* Register offsets (xAPIC MMIO; the x2APIC MSR is 0x800 + off/16). */
#define APIC_REG_ID             0x020
#define APIC_REG_VERSION        0x030
#define APIC_REG_TPR            0x080
#define APIC_REG_EOI            0x0b0
#define APIC_REG_SVR            0x0f0
#define APIC_REG_ESR            0x280
#define APIC_REG_ICR_LOW        0x300
#define APIC_REG_ICR_HIGH       0x310
#define APIC_REG_LVT_TIMER      0x320
#define APIC_REG_LVT_LINT0      0x350
#define APIC_REG_LVT_LINT1      0x360
#define APIC_REG_LVT_ERROR      0x370
#define APIC_REG_TIMER_INIT     0x380
#define APIC_REG_TIMER_CUR      0x390
#define APIC_REG_TIMER_DIV      0x3e0

#define APIC_SVR_ENABLE         BIT(8)
#define APIC_LVT_MASKED         BIT(16)
#define APIC_LVT_TIMER_PERIODIC BIT(17)
#define APIC_ICR_DM_FIXED       (0u << 8)
#define APIC_ICR_DM_NMI         (4u << 8)
#define APIC_ICR_DM_INIT        (5u << 8)
#define APIC_ICR_DM_STARTUP     (6u << 8)
#define APIC_ICR_BUSY           BIT(12)
#define APIC_ICR_LEVEL_ASSERT   BIT(14)
#define APIC_ICR_TRIGGER_LEVEL  BIT(15)

/* The run's host APIC mode, decided before ExitBootServices (hv/host_apic_mode.c). */
struct host_apic_choice {
	bool x2apic;                    /* the mode every CPU runs in */
	bool switch_at_boot;            /* the firmware left xAPIC: set EXTD after ExitBootServices */
	bool error;                     /* the request cannot be met: stop before ExitBootServices */
	char reason[256];               /* for the capability report or the error */
};
void host_apic_choose(enum cfg_host_apic want, bool cpu_has_x2apic, bool firmware_x2apic,
		      struct host_apic_choice *out);
extern struct host_apic_choice host_apic_choice;        /* the run's (made by boot/efi_main.c) */
u32 host_apic_id_decode(u32 id_reg, bool x2apic);       /* the ID register's value -> APIC ID */
bool host_apic_id_reachable(u32 apic_id, bool x2apic);  /* a physical destination in this mode */
u64 host_apic_icr_x2apic(u32 apic_id, u32 icr_low);     /* MSR 0x830 value */
u32 host_apic_icr_high_xapic(u32 apic_id);              /* ICR high word (xAPIC, ID <= 0xfe) */

void host_apic_init_mode(void);                 /* detect xAPIC/x2APIC, map nothing (identity) */
void host_apic_enable_x2apic(void);             /* this CPU: xAPIC (or disabled) -> x2APIC */
bool host_apic_cpu_match_mode(void);            /* an AP: into the BSP's mode; false if it cannot */
bool host_apic_x2apic(void);
u32 host_apic_read(u32 reg);
void host_apic_write(u32 reg, u32 val);
u32 host_apic_id(void);
void host_apic_eoi(void);
void host_apic_send_ipi(u32 apic_id, u32 icr_low);
void host_apic_cpu_init(void);                  /* per CPU: SVR, mask LINT0/timer/error, clear ESR */
void host_apic_timer_calibrate(u64 tsc_hz);     /* BSP, once */
void host_apic_timer_start(u32 period_us);      /* per CPU: the HOST_VEC_TIMER tick */
void host_timer_tick(void);                     /* from the tick interrupt: re-arm */
void host_timer_wake_at(u64 deadline_tsc);      /* an earlier one-shot, if deadline < next tick */

extern u64 tsc_hz;                              /* measured before ExitBootServices */
void udelay(u64 us);
u64 tsc_to_us(u64 ticks);
u64 us_to_tsc(u64 us);

#endif
