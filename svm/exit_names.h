/*
 * svm/exit_names.h - short names and counter indices for #VMEXIT codes
 * (APM Vol 2 Appendix C "SVM Intercept Exit Codes", Table C-1).
 *
 * The names appear in result lines ("EXITS cpuid=3 hlt=1 ..."), so they are
 * short, lowercase and stable: change one and the integration tests that
 * parse it break.
 */
#ifndef SVM_EXIT_NAMES_H
#define SVM_EXIT_NAMES_H

#include "lib/types.h"

/*
 * VMEXIT_INVALID test that also matches QEMU 7.2's zero-extended
 * 0x00000000FFFFFFFF: compare the low 32 bits, never
 * exit_code == SVM_EXIT_INVALID.
 */
static inline bool svm_exit_is_invalid(u64 exit_code)
{
	return (u32)exit_code == 0xffffffffu;
}

/*
 * "cpuid", "msr", "npf", "cr0_write", "excp_gp", ...; "invalid" for
 * VMEXIT_INVALID (any code whose low 32 bits are all ones: QEMU 7.2 writes it
 * as 0x00000000FFFFFFFF), "unknown" for a code with no name.  Never NULL;
 * the string is static.
 */
const char *svm_exit_name(u64 exit_code);

/*
 * A compact index for per-exit counters: codes 0x000-0x0ff map to
 * themselves, 0x400-0x403 to 0x100-0x103, VMEXIT_INVALID to 0x104 and every
 * other code to 0x105.
 */
#define SVM_EXIT_INDEX_MAX      0x106
#define SVM_EXIT_INDEX_INVALID  0x104
#define SVM_EXIT_INDEX_OTHER    0x105
static inline int svm_exit_index(u64 code)
{
	if (code <= 0xff)
		return (int)code;
	if (code >= 0x400 && code <= 0x403)
		return (int)(code - 0x400 + 0x100);
	if (svm_exit_is_invalid(code))
		return SVM_EXIT_INDEX_INVALID;
	return SVM_EXIT_INDEX_OTHER;
}

/*
 * The exit code an index stands for; the inverse of svm_exit_index.  For
 * SVM_EXIT_INDEX_OTHER (and an index out of range) it returns
 * SVM_EXIT_OTHER_CODE, an undefined code that svm_exit_index maps back to
 * SVM_EXIT_INDEX_OTHER and svm_exit_name calls "unknown".
 */
#define SVM_EXIT_OTHER_CODE     0xfffULL
u64 svm_exit_code_of_index(int idx);

#endif
