/* avic/apic_mode.c - the virtual-APIC mode choice (see avic/apic_mode.h). */
#include "avic/apic_mode.h"
#include "lib/printf.h"

void apic_mode_choose(const struct svm_caps *caps, struct apic_mode_choice *out)
{
	bool avic = caps->edx & SVM_FEAT_AVIC, x2avic = caps->edx & SVM_FEAT_X2AVIC;

	out->mode = APIC_MODE_SOFT;
	out->name = "software";
	snprintf(out->reason, sizeof(out->reason),
		 "only the software backend exists in this version (CPU: AVIC %s, x2AVIC %s)",
		 avic ? "present" : "absent", x2avic ? "present" : "absent");
}
