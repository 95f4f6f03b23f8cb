/*
 * svm/vmcb_check.h - explain a VMEXIT_INVALID.
 *
 * VMRUN refuses an illegal guest state with EXITCODE = VMEXIT_INVALID and no
 * further detail (APM Vol 2 §15.5.1 "Basic Operation", "Canonicalization and
 * Consistency Checks").  vmcb_check_state() re-runs those
 * checks in software so the hypervisor can say which field was wrong, and
 * vmcb_dump() prints a decoded VMCB for an exit nobody handles.
 */
#ifndef SVM_VMCB_CHECK_H
#define SVM_VMCB_CHECK_H

#include "svm/vmcb.h"

/*
 * Called once per problem, synchronously: field is "save.efer",
 * "control.asid", ...; problem a short phrase ("SVME (bit 12) clear").  Both
 * strings are valid only during the call.
 */
typedef void (*vmcb_report_fn)(void *ctx, const char *field, const char *problem);

/*
 * Runs the consistency checks on v and returns the number of problems found,
 * reporting each through report (which may be NULL).  max_phys_bits is the
 * CPU's physical address width (CPUID 0x8000_0008 EAX[7:0]); 0 or more than
 * 52 counts as 52.  The checks cover what the architecture states, not
 * CPU-specific feature gating: a bit reserved only on CPUs that lack a
 * feature is not reported.
 */
unsigned vmcb_check_state(const struct vmcb *v, unsigned max_phys_bits,
			  vmcb_report_fn report, void *ctx);

/*
 * Prints a decoded VMCB, one line per call to print (no newline in a line),
 * at most VMCB_DUMP_MAX_LINES lines, each shorter than VMCB_DUMP_LINE_MAX.
 */
#define VMCB_DUMP_MAX_LINES     20
#define VMCB_DUMP_LINE_MAX      512
void vmcb_dump(const struct vmcb *v, void (*print)(void *ctx, const char *line), void *ctx);

#endif
