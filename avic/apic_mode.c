/*
 * avic/apic_mode.c - the virtual-APIC backend choice (see avic/apic_mode.h).
 * Reference 2.1 (requirements), 3.1 (x2AVIC), 3.7 (x2AVIC_EXT), 2.13 and
 * Appendix A/B on erratum 1235.
 */
#include "avic/apic_mode.h"
#include "lib/printf.h"
#include "lib/string.h"

/*
 * Erratum 1235 (family 17h, and Hygon family 18h built on it): the CPU can
 * miss an IsRunning update, so an IPI to a vCPU that just started running
 * may wait for an unrelated exit.  AVIC still runs; IPIs are sent by the
 * hypervisor (every ICR write exits as "target not running" would).
 */
static bool erratum_1235(const struct svm_caps *caps)
{
	if (!strcmp(caps->vendor, "AuthenticAMD"))
		return caps->family == 0x17;
	if (!strcmp(caps->vendor, "HygonGenuine"))
		return caps->family == 0x18;
	return false;
}

void apic_mode_choose(const struct svm_caps *caps, enum cfg_apic req, bool force,
		      struct apic_mode_choice *out)
{
	bool avic = caps->edx & SVM_FEAT_AVIC, x2avic = caps->edx & SVM_FEAT_X2AVIC;
	const char *cpu = avic ? (x2avic ? "AVIC and x2AVIC present" : "AVIC present, x2AVIC absent")
			       : (force ? "AVIC not in CPUID, forced with avic_force=on" : "AVIC absent");

	memset(out, 0, sizeof(*out));
	out->x2avic_ext = caps->ecx & SVM_FEAT_ECX_X2AVIC_EXT;
	switch (req) {
	case CFG_APIC_SOFT:
		out->backend = APIC_BACKEND_SOFT;
		out->name = "software";
		snprintf(out->reason, sizeof(out->reason), "apic=soft; CPU: %s", cpu);
		return;
	case CFG_APIC_AVIC_EMU:
		out->backend = APIC_BACKEND_AVIC_EMU;
		out->name = "AVIC emulation";
		out->x2avic = true;
		out->ipi_virt = true;
		snprintf(out->reason, sizeof(out->reason),
			 "apic=avic-emu: every access intercepted, a model of AVIC/x2AVIC decides; CPU: %s", cpu);
		return;
	case CFG_APIC_AVIC:
	case CFG_APIC_AUTO:
		break;
	}
	if (!avic && !force) {
		if (req == CFG_APIC_AVIC) {
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
	snprintf(out->reason, sizeof(out->reason), "apic=%s; CPU: %s%s%s",
		 req == CFG_APIC_AVIC ? "avic" : "auto", cpu,
		 x2avic ? "" : "; x2APIC guests run without acceleration (inhibit)",
		 out->ipi_virt ? "" : "; erratum 1235 (family 17h/Hygon 18h): IPIs through the hypervisor");
}
