/*
 * avic/apic_mode.h - which virtual-APIC backend the run uses, and why.
 * Only the choice lives here for now; the software APIC and the AVIC
 * backends arrive with their own issues (see docs/ARCHITECTURE.md).
 */
#ifndef AVIC_APIC_MODE_H
#define AVIC_APIC_MODE_H

#include "svm/svm.h"

enum apic_mode { APIC_MODE_SOFT };

struct apic_mode_choice {
	enum apic_mode mode;
	const char *name;
	char reason[160];
};

void apic_mode_choose(const struct svm_caps *caps, struct apic_mode_choice *out);

#endif
