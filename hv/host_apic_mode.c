/*
 * hv/host_apic_mode.c - the pure part of the host-APIC driver: which mode
 * the run uses (host_apic=), how an APIC ID is read and addressed in each
 * mode.  No hardware access, so the host unit tests (tests/unit/
 * test_host_apic.c) reach what QEMU cannot: APIC IDs above 254.
 */
#include "hv/host_apic.h"
#include "lib/printf.h"

/*
 * APM Vol 2 §16.9 "Detecting and Enabling x2APIC Mode": CPUID Fn0000_0001
 * ECX[21] says the APIC has x2APIC mode; setting IA32_APIC_BASE[EXTD] (bit
 * 10) with EN (bit 11) set enters it.  The way back is not a WRMSR from
 * x2APIC to xAPIC mode (that is #GP): Intel SDM Vol 3 §11.12.5 "x2APIC
 * State Transitions" allows x2APIC -> disabled (EN=0, EXTD=0) -> xAPIC
 * only, and the disabled state loses every APIC register but the ID.  We
 * do not take that path: a firmware that enabled x2APIC may have done so
 * because some APIC ID is above 254 (no xAPIC destination can name it),
 * and an INIT keeps an AP's mode, so the APs would need the same trip.
 * host_apic=xapic on such a machine is therefore refused (set x2APIC off
 * in the firmware setup, or use host_apic=auto).
 */
void host_apic_choose(enum cfg_host_apic want, bool cpu_has_x2apic, bool firmware_x2apic,
		      struct host_apic_choice *out)
{
	*out = (struct host_apic_choice){ .x2apic = firmware_x2apic };
	if (firmware_x2apic) {
		if (want == CFG_HOST_APIC_XAPIC) {
			out->error = true;
			snprintf(out->reason, sizeof(out->reason),
				 "host_apic=xapic, but the firmware left the host APIC in x2APIC mode; "
				 "going back needs the APIC disabled (its state lost) or a reset: use "
				 "host_apic=auto, or turn x2APIC off in the firmware setup");
			return;
		}
		snprintf(out->reason, sizeof(out->reason), "%s",
			 want == CFG_HOST_APIC_X2APIC ? "host_apic=x2apic; the firmware had enabled it"
						      : "left enabled by the firmware");
		return;
	}
	switch (want) {
	case CFG_HOST_APIC_X2APIC:
		if (!cpu_has_x2apic) {
			out->error = true;
			snprintf(out->reason, sizeof(out->reason),
				 "host_apic=x2apic, but CPUID 0x1 ECX[21] says this CPU has no x2APIC: "
				 "use host_apic=auto or host_apic=xapic");
			return;
		}
		out->x2apic = out->switch_at_boot = true;
		snprintf(out->reason, sizeof(out->reason),
			 "host_apic=x2apic: switched from xAPIC after ExitBootServices, on every CPU");
		return;
	case CFG_HOST_APIC_XAPIC:
		snprintf(out->reason, sizeof(out->reason), "host_apic=xapic; as the firmware left it");
		return;
	case CFG_HOST_APIC_AUTO:
	default:
		snprintf(out->reason, sizeof(out->reason), "as the firmware left it%s",
			 cpu_has_x2apic ? "; host_apic=x2apic switches to x2APIC" : "; the CPU has no x2APIC");
		return;
	}
}

/*
 * The ID register: xAPIC has the 8-bit ID in bits 31:24 (APM Vol 2 §16.3.3
 * "Local APIC ID"); x2APIC MSR 0x802 holds all 32 bits (APM Vol 2 §16.12
 * "x2APIC_ID").
 */
u32 host_apic_id_decode(u32 id_reg, bool x2apic)
{
	return x2apic ? id_reg : id_reg >> 24;
}

/*
 * A physical destination we may send to: in xAPIC mode the 8-bit field
 * cannot name an ID above 0xfe (0xff is the broadcast); in x2APIC mode
 * every 32-bit ID but 0xffffffff (its broadcast) is a CPU.
 */
bool host_apic_id_reachable(u32 apic_id, bool x2apic)
{
	return x2apic ? apic_id != 0xffffffffu : apic_id <= 0xfe;
}

/* x2APIC ICR, MSR 0x830: destination in 63:32, the low word as in xAPIC (APM Vol 2 §16.13). */
u64 host_apic_icr_x2apic(u32 apic_id, u32 icr_low)
{
	return ((u64)apic_id << 32) | icr_low;
}

/* xAPIC ICR high word (offset 0x310): destination in 31:24 (APM Vol 2 §16.5). */
u32 host_apic_icr_high_xapic(u32 apic_id)
{
	return (apic_id & 0xff) << 24;
}
