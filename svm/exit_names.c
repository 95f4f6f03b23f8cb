/*
 * svm/exit_names.c - #VMEXIT code names.
 *
 * Codes as in APM Vol 2 Appendix C "SVM Intercept Exit Codes" (Table C-1).
 * Every name is a string literal, so svm_exit_name() is safe to
 * call from any CPU at any time (no shared buffer).
 */
#include "svm/exit_names.h"
#include "svm/vmcb.h"

#define N16(pfx, sfx) \
	pfx "0" sfx, pfx "1" sfx, pfx "2" sfx, pfx "3" sfx, \
	pfx "4" sfx, pfx "5" sfx, pfx "6" sfx, pfx "7" sfx, \
	pfx "8" sfx, pfx "9" sfx, pfx "10" sfx, pfx "11" sfx, \
	pfx "12" sfx, pfx "13" sfx, pfx "14" sfx, pfx "15" sfx

/* 0x000-0x03f: MOV from/to CRn and DRn. */
static const char *const crdr_names[0x40] = {
	N16("cr", "_read"), N16("cr", "_write"),
	N16("dr", "_read"), N16("dr", "_write"),
};

/*
 * 0x040-0x05f: exception vector n.  Mnemonics from APM Vol 2 §8.2
 * "Vectors" (Table 8-1); reserved or unnamed vectors as excp_<decimal>.
 */
static const char *const excp_names[32] = {
	"excp_de", "excp_db", "excp_nmi", "excp_bp",
	"excp_of", "excp_br", "excp_ud", "excp_nm",
	"excp_df", "excp_09", "excp_ts", "excp_np",
	"excp_ss", "excp_gp", "excp_pf", "excp_15",
	"excp_mf", "excp_ac", "excp_mc", "excp_xf",
	"excp_20", "excp_cp", "excp_22", "excp_23",
	"excp_24", "excp_25", "excp_26", "excp_27",
	"excp_hv", "excp_vc", "excp_sx", "excp_31",
};

/* 0x060-0x0a6: the other intercepts, in exit-code order. */
static const char *const misc_names[] = {
	[SVM_EXIT_INTR - 0x60] = "intr",
	[SVM_EXIT_NMI - 0x60] = "nmi",
	[SVM_EXIT_SMI - 0x60] = "smi",
	[SVM_EXIT_INIT - 0x60] = "init",
	[SVM_EXIT_VINTR - 0x60] = "vintr",
	[SVM_EXIT_CR0_SEL_WRITE - 0x60] = "cr0_sel_write",
	[0x66 - 0x60] = "idtr_read",
	[0x67 - 0x60] = "gdtr_read",
	[0x68 - 0x60] = "ldtr_read",
	[0x69 - 0x60] = "tr_read",
	[0x6a - 0x60] = "idtr_write",
	[0x6b - 0x60] = "gdtr_write",
	[0x6c - 0x60] = "ldtr_write",
	[0x6d - 0x60] = "tr_write",
	[SVM_EXIT_RDTSC - 0x60] = "rdtsc",
	[SVM_EXIT_RDPMC - 0x60] = "rdpmc",
	[SVM_EXIT_PUSHF - 0x60] = "pushf",
	[SVM_EXIT_POPF - 0x60] = "popf",
	[SVM_EXIT_CPUID - 0x60] = "cpuid",
	[SVM_EXIT_RSM - 0x60] = "rsm",
	[SVM_EXIT_IRET - 0x60] = "iret",
	[SVM_EXIT_SWINT - 0x60] = "swint",
	[SVM_EXIT_INVD - 0x60] = "invd",
	[SVM_EXIT_PAUSE - 0x60] = "pause",
	[SVM_EXIT_HLT - 0x60] = "hlt",
	[SVM_EXIT_INVLPG - 0x60] = "invlpg",
	[SVM_EXIT_INVLPGA - 0x60] = "invlpga",
	[SVM_EXIT_IOIO - 0x60] = "ioio",
	[SVM_EXIT_MSR - 0x60] = "msr",
	[SVM_EXIT_TASK_SWITCH - 0x60] = "task_switch",
	[SVM_EXIT_FERR_FREEZE - 0x60] = "ferr_freeze",
	[SVM_EXIT_SHUTDOWN - 0x60] = "shutdown",
	[SVM_EXIT_VMRUN - 0x60] = "vmrun",
	[SVM_EXIT_VMMCALL - 0x60] = "vmmcall",
	[SVM_EXIT_VMLOAD - 0x60] = "vmload",
	[SVM_EXIT_VMSAVE - 0x60] = "vmsave",
	[SVM_EXIT_STGI - 0x60] = "stgi",
	[SVM_EXIT_CLGI - 0x60] = "clgi",
	[SVM_EXIT_SKINIT - 0x60] = "skinit",
	[SVM_EXIT_RDTSCP - 0x60] = "rdtscp",
	[SVM_EXIT_ICEBP - 0x60] = "icebp",
	[SVM_EXIT_WBINVD - 0x60] = "wbinvd",
	[SVM_EXIT_MONITOR - 0x60] = "monitor",
	[SVM_EXIT_MWAIT - 0x60] = "mwait",
	[SVM_EXIT_MWAIT_COND - 0x60] = "mwait_cond",
	[SVM_EXIT_XSETBV - 0x60] = "xsetbv",
	[SVM_EXIT_RDPRU - 0x60] = "rdpru",
	[SVM_EXIT_EFER_WRITE_TRAP - 0x60] = "efer_write_trap",
	[0x90 - 0x60] = N16("cr", "_write_trap"),
	[0xa0 - 0x60] = "invlpgb",
	[0xa1 - 0x60] = "invlpgb_illegal",
	[SVM_EXIT_INVPCID - 0x60] = "invpcid",
	[0xa3 - 0x60] = "mcommit",
	[0xa4 - 0x60] = "tlbsync",
	[0xa5 - 0x60] = "buslock",
	[0xa6 - 0x60] = "idle_hlt",
};

_Static_assert(SVM_EXIT_CR0_WRITE_TRAP == 0x90, "CR write traps start at 0x90");

/* 0x400-0x403. */
static const char *const high_names[] = {
	[SVM_EXIT_NPF - 0x400] = "npf",
	[SVM_EXIT_AVIC_INCOMPLETE_IPI - 0x400] = "avic_incomplete_ipi",
	[SVM_EXIT_AVIC_UNACCELERATED_ACCESS - 0x400] = "avic_unaccelerated_access",
	[SVM_EXIT_VMGEXIT - 0x400] = "vmgexit",
};

const char *svm_exit_name(u64 code)
{
	const char *name = NULL;

	if (code < 0x40)
		name = crdr_names[code];
	else if (code < 0x60)
		name = excp_names[code - 0x40];
	else if (code - 0x60 < ARRAY_SIZE(misc_names))
		name = misc_names[code - 0x60];
	else if (code - 0x400 < ARRAY_SIZE(high_names))
		name = high_names[code - 0x400];
	else if (svm_exit_is_invalid(code))
		name = "invalid";
	return name ? name : "unknown";
}

u64 svm_exit_code_of_index(int idx)
{
	if (idx >= 0 && idx <= 0xff)
		return (u64)idx;
	if (idx >= 0x100 && idx <= 0x103)
		return (u64)(idx - 0x100 + 0x400);
	if (idx == SVM_EXIT_INDEX_INVALID)
		return SVM_EXIT_INVALID;
	return SVM_EXIT_OTHER_CODE;
}
