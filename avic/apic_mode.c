/*
 * avic/apic_mode.c - the virtual-APIC backend choice (see avic/apic_mode.h).
 * Hardware: APM Vol 2 §15.29.7 "AVIC CPUID Feature Flags", §15.29.4.1 "VMCB
 * Virtual Interrupt Control Word" (AVIC needs nested paging), §15.29.10
 * "x2AVIC", §15.29.5.2 "Physical APIC ID Table" (x2AVIC_EXT).  Erratum 1235
 * and its gate: below, and docs/AVIC-MODEL.md (quirk isrunning_late).
 */
#include "avic/apic_mode.h"
#include "avic/avic_emu.h"
#include "avic/avic_hw.h"
#include "lib/printf.h"
#include "lib/string.h"

/*
 * Erratum 1235 (family 17h, and Hygon family 18h built on it): the CPU can
 * fail to see a software update that clears IsRunning, so a sender takes no
 * AVIC_INCOMPLETE_IPI exit for a target that has just stopped running (to
 * block, or to run without AVIC): the IRR bit is set, a doorbell goes to a
 * core that is not running that vCPU, and a blocked target is never woken.
 * AVIC still runs; IsRunning is never set, so every IPI to another vCPU
 * exits as "target not running" and the hypervisor wakes or rings the
 * target (KVM: enable_ipiv=false).
 */
struct apic_mode_choice apic_choice;

static bool erratum_1235(const struct svm_caps *caps)
{
	if (!strcmp(caps->vendor, "AuthenticAMD"))
		return caps->family == 0x17;
	if (!strcmp(caps->vendor, "HygonGenuine"))
		return caps->family == 0x18;
	return false;
}

void apic_mode_choose(const struct svm_caps *caps, enum apic_request req, bool force,
		      struct apic_mode_choice *out)
{
	bool avic = caps->edx & CPUID_8000000A_EDX_AVIC, x2avic = caps->edx & CPUID_8000000A_EDX_X2AVIC;
	const char *cpu = avic ? (x2avic ? "AVIC and x2AVIC present" : "AVIC present, x2AVIC absent")
			       : (force ? "AVIC not in CPUID, forced with avic_force=on" : "AVIC absent");

	memset(out, 0, sizeof(*out));
	out->x2avic_ext = caps->ecx & CPUID_8000000A_ECX_X2AVIC_EXT;
	switch (req) {
	case APIC_REQ_SOFT:
		out->backend = APIC_BACKEND_SOFT;
		out->name = "software";
		snprintf(out->reason, sizeof(out->reason), "apic=soft; CPU: %s", cpu);
		return;
	case APIC_REQ_AVIC_EMU:
		out->backend = APIC_BACKEND_AVIC_EMU;
		out->name = "AVIC emulation";
		out->x2avic = true;
		out->ipi_virt = true;
		snprintf(out->reason, sizeof(out->reason),
			 "apic=avic-emu: every access intercepted, a model of AVIC/x2AVIC decides; CPU: %s", cpu);
		return;
	case APIC_REQ_AVIC:
	case APIC_REQ_AUTO:
		break;
	}
	if (!avic && !force) {
		if (req == APIC_REQ_AVIC) {
			out->error = true;
			out->backend = APIC_BACKEND_SOFT;
			out->name = "none";
			snprintf(out->reason, sizeof(out->reason),
				 "apic=avic, but CPUID 0x8000000A EDX[13] says the CPU has no AVIC "
				 "(avic_force=on uses it anyway, apic=avic-emu runs the model)");
			return;
		}
		out->backend = APIC_BACKEND_SOFT;
		out->name = "software";
		snprintf(out->reason, sizeof(out->reason), "apic=auto; CPU: %s", cpu);
		return;
	}
	out->backend = APIC_BACKEND_AVIC;
	out->x2avic = x2avic;
	out->name = x2avic ? "AVIC+x2AVIC" : "AVIC";
	out->ipi_virt = !erratum_1235(caps);
	/*
	 * apic=auto uses AVIC wherever CPUID has it (this is a test tool);
	 * Linux KVM turns it on by itself only on Zen 4 and later with x2AVIC.
	 */
	out->linux_default = avic && x2avic && apic_mode_zen4_or_later(caps);
	snprintf(out->reason, sizeof(out->reason), "apic=%s; CPU: %s%s%s%s",
		 req == APIC_REQ_AVIC ? "avic" : "auto", cpu,
		 x2avic ? "" : "; x2APIC guests run without acceleration (inhibit)",
		 out->ipi_virt ? "" : "; erratum 1235 (family 17h/Hygon 18h): IPIs through the hypervisor",
		 out->linux_default ? "" : "; Linux KVM would not enable AVIC by default here "
					   "(only on Zen 4 and later, with x2AVIC)");
}

bool apic_mode_zen4_or_later(const struct svm_caps *caps)
{
	u32 m = caps->model;

	if (strcmp(caps->vendor, "AuthenticAMD"))
		return false;
	if (caps->family > 0x19)
		return true;
	return caps->family == 0x19 && ((m >= 0x10 && m <= 0x1f) || (m >= 0x60 && m <= 0x7f) ||
					(m >= 0xa0 && m <= 0xaf));
}

static void reason_add(struct apic_mode_choice *out, const char *fmt, ...)
{
	size_t n = strlen(out->reason);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out->reason + n, sizeof(out->reason) - n, fmt, ap);
	va_end(ap);
}

void apic_mode_host_ids(u32 max_host_apic_id, struct apic_mode_choice *out)
{
	if (out->backend == APIC_BACKEND_SOFT || max_host_apic_id <= AVIC_PHYSICAL_ID_ENTRY_HOST_PHYSICAL_ID_MASK)
		return;
	out->host_ids_wide = true;
	out->ipi_virt = false;
	reason_add(out, "; host APIC ID 0x%x is wider than the physical APIC ID table's 12-bit host ID: "
		   "IsRunning never set, no doorbells, targets woken by kicks", max_host_apic_id);
}

void apic_mode_x2avic_off(struct apic_mode_choice *out)
{
	if (!out->x2avic || out->backend == APIC_BACKEND_SOFT)
		return;
	out->x2avic = false;
	if (out->backend == APIC_BACKEND_AVIC)
		out->name = "AVIC";
	reason_add(out, "; x2avic=off: x2APIC guests run without AVIC (inhibit)");
}

void apic_mode_emu_quirks(const struct svm_caps *caps, u8 cfg_quirks, struct apic_mode_choice *out)
{
	const char *which = cfg_quirks == APIC_REQ_QUIRKS_ALL ? "all" : "on";

	if (out->backend != APIC_BACKEND_AVIC_EMU || cfg_quirks == APIC_REQ_QUIRKS_OFF)
		return;
	out->emu_quirks = cfg_quirks == APIC_REQ_QUIRKS_ALL ? AVIC_EMU_QUIRKS_ALL : AVIC_EMU_QUIRKS_REPORTED;
	if (erratum_1235(caps)) {
		/*
		 * The erratum's gate (IsRunning never set) makes every IPI exit
		 * "not running", so the quirks that need IsRunning could never
		 * play: every other VM runs as a later family instead.
		 */
		out->ipi_virt = false;
		out->emu_fam17 = true;
		reason_add(out, "; avic_emu_quirks=%s: family 17h profile (erratum 1235 gate: IsRunning never set; "
			   "IsRunning seen late) in every other VM, the others as a later family (IsRunning used)", which);
	} else {
		out->emu_quirks &= ~(u32)BIT(AVIC_EMU_Q_ISRUNNING_LATE);
		reason_add(out, "; avic_emu_quirks=%s (IsRunning seen late only on a family 17h profile)", which);
	}
}
