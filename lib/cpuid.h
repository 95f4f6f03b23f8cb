/*
 * lib/cpuid.h - CPUID feature bits by (leaf, register, bit), named
 * CPUID_<leaf>_<register>_<feature> after AMD64 APM Vol 3 Appendix E
 * "Obtaining Processor Information Via the CPUID Instruction".  The one
 * place for these bits: the hypervisor and the guests both include it.
 * Only the bits the code tests or filters are named, except the SVM
 * feature leaf, which the capability report prints whole.
 */
#ifndef LIB_CPUID_H
#define LIB_CPUID_H

#include "lib/types.h"

/* Fn0000_0001 ECX / EDX (APM Vol 3 Appendix E.3.2). */
#define CPUID_1_ECX_MONITOR             BIT(3)  /* MONITOR/MWAIT */
#define CPUID_1_ECX_VMX                 BIT(5)  /* Intel VMX; reserved on AMD */
#define CPUID_1_ECX_X2APIC              BIT(21)
#define CPUID_1_ECX_TSC_DEADLINE        BIT(24)
#define CPUID_1_ECX_OSXSAVE             BIT(27) /* a copy of CR4.OSXSAVE */
#define CPUID_1_ECX_HYPERVISOR          BIT(31) /* running under a hypervisor */
#define CPUID_1_EDX_APIC                BIT(9)  /* APIC present and enabled (APIC_BASE.EN) */
#define CPUID_1_EDX_MTRR                BIT(12)

/* Fn8000_0001 ECX / EDX, extended processor feature identifiers. */
#define CPUID_80000001_ECX_SVM          BIT(2)
#define CPUID_80000001_ECX_SKINIT       BIT(12) /* SKINIT and STGI legal without EFER.SVME */
#define CPUID_80000001_ECX_WDT          BIT(13) /* watchdog timer */
#define CPUID_80000001_EDX_NX           BIT(20)
#define CPUID_80000001_EDX_PAGE1GB      BIT(26) /* 1 GiB pages */

/*
 * Fn8000_000A EDX, SVM feature identification (APM Vol 3 Appendix E "Obtaining
 * Processor Information Via the CPUID Instruction"; each feature is described
 * in its APM Vol 2 chapter 15 section, e.g. §15.29.7 "AVIC CPUID Feature Flags").
 */
#define CPUID_8000000A_EDX_NP                   BIT(0)
#define CPUID_8000000A_EDX_LBRV                 BIT(1)
#define CPUID_8000000A_EDX_SVML                 BIT(2)
#define CPUID_8000000A_EDX_NRIPS                BIT(3)
#define CPUID_8000000A_EDX_TSC_RATE             BIT(4)
#define CPUID_8000000A_EDX_VMCB_CLEAN           BIT(5)
#define CPUID_8000000A_EDX_FLUSH_BY_ASID        BIT(6)
#define CPUID_8000000A_EDX_DECODE_ASSISTS       BIT(7)
#define CPUID_8000000A_EDX_PMC_VIRT             BIT(8)
#define CPUID_8000000A_EDX_PAUSE_FILTER         BIT(10)
#define CPUID_8000000A_EDX_PFTHRESHOLD          BIT(12)
#define CPUID_8000000A_EDX_AVIC                 BIT(13)
#define CPUID_8000000A_EDX_V_VMSAVE_VMLOAD      BIT(15)
#define CPUID_8000000A_EDX_VGIF                 BIT(16)
#define CPUID_8000000A_EDX_GMET                 BIT(17)
#define CPUID_8000000A_EDX_X2AVIC               BIT(18)
#define CPUID_8000000A_EDX_SSS_CHECK            BIT(19)
#define CPUID_8000000A_EDX_V_SPEC_CTRL          BIT(20)
#define CPUID_8000000A_EDX_ROGPT                BIT(21)
#define CPUID_8000000A_EDX_HOST_MCE_OVERRIDE    BIT(23)
#define CPUID_8000000A_EDX_TLBICTL              BIT(24)
#define CPUID_8000000A_EDX_VNMI                 BIT(25)
#define CPUID_8000000A_EDX_IBS_VIRT             BIT(26)
#define CPUID_8000000A_EDX_EXTLVT_AVIC          BIT(27)
#define CPUID_8000000A_EDX_SVME_ADDR_CHK        BIT(28)
#define CPUID_8000000A_EDX_BUS_LOCK_THRESH      BIT(29)
#define CPUID_8000000A_EDX_IDLE_HLT             BIT(30)
/* Fn8000_000A ECX */
#define CPUID_8000000A_ECX_X2AVIC_EXT           BIT(6)  /* x2AVIC with 4K vCPU IDs */

#endif
