/*
 * svm/svm.h - SVM detection, per-CPU enable and the world switch.
 * Reference: ../shared/docs/avic-reference.md §1.1 (detection), §1.2
 * (enabling), §1.3 and §1.17b (what VMRUN switches and what it does not).
 */
#ifndef SVM_SVM_H
#define SVM_SVM_H

#include "lib/types.h"

/* CPUID 0x8000000A EDX feature bits (reference §1.1). */
#define SVM_FEAT_NP             BIT(0)
#define SVM_FEAT_LBRV           BIT(1)
#define SVM_FEAT_SVML           BIT(2)
#define SVM_FEAT_NRIPS          BIT(3)
#define SVM_FEAT_TSC_RATE       BIT(4)
#define SVM_FEAT_VMCB_CLEAN     BIT(5)
#define SVM_FEAT_FLUSH_BY_ASID  BIT(6)
#define SVM_FEAT_DECODE_ASSISTS BIT(7)
#define SVM_FEAT_PMC_VIRT       BIT(8)
#define SVM_FEAT_PAUSE_FILTER   BIT(10)
#define SVM_FEAT_PFTHRESHOLD    BIT(12)
#define SVM_FEAT_AVIC           BIT(13)
#define SVM_FEAT_V_VMSAVE_VMLOAD BIT(15)
#define SVM_FEAT_VGIF           BIT(16)
#define SVM_FEAT_GMET           BIT(17)
#define SVM_FEAT_X2AVIC         BIT(18)
#define SVM_FEAT_SSS_CHECK      BIT(19)
#define SVM_FEAT_V_SPEC_CTRL    BIT(20)
#define SVM_FEAT_ROGPT          BIT(21)
#define SVM_FEAT_HOST_MCE_OVERRIDE BIT(23)
#define SVM_FEAT_TLBICTL        BIT(24)
#define SVM_FEAT_VNMI           BIT(25)
#define SVM_FEAT_IBS_VIRT       BIT(26)
#define SVM_FEAT_EXTLVT_AVIC    BIT(27)
#define SVM_FEAT_SVME_ADDR_CHK  BIT(28)
#define SVM_FEAT_BUS_LOCK_THRESH BIT(29)
#define SVM_FEAT_IDLE_HLT       BIT(30)
/* CPUID 0x8000000A ECX */
#define SVM_FEAT_ECX_X2AVIC_EXT BIT(6)

struct svm_feature_name {
	u32 bit;
	const char *name;
};
/* Every known EDX bit by name, in bit order, for the capability report. */
extern const struct svm_feature_name svm_edx_features[];
extern const unsigned svm_edx_features_count;
extern const struct svm_feature_name svm_ecx_features[];
extern const unsigned svm_ecx_features_count;

struct svm_caps {
	char vendor[13];
	u32 family, model, stepping;
	bool svm;               /* CPUID 0x80000001 ECX[2] */
	bool svm_disabled;      /* VM_CR.SVMDIS */
	bool svm_locked;        /* VM_CR.LOCK */
	u32 revision;           /* 0x8000000A EAX[7:0] */
	u32 nr_asids;           /* 0x8000000A EBX */
	u32 edx, ecx;           /* 0x8000000A EDX / ECX */
	u32 max_phys_bits;      /* 0x80000008 EAX[7:0] */
	bool hypervisor;        /* CPUID 1 ECX[31]: we run nested */
	char hv_signature[13];  /* CPUID 0x40000000, when nested */
	bool x2apic;            /* CPUID 1 ECX[21] */
	bool page1gb;
};

extern struct svm_caps svm_caps;

/* Fills svm_caps from CPUID (and VM_CR when SVM is present). */
void svm_detect(struct svm_caps *caps);
static inline bool svm_has(u32 feat) { return (svm_caps.edx & feat) != 0; }

/* Per CPU: EFER.SVME and VM_HSAVE_PA.  0 on success. */
int svm_cpu_enable(u64 hsave_pa);

/* The general purpose registers VMRUN does not switch (RAX is in the VMCB). */
struct guest_regs {
	u64 rbx, rcx, rdx, rsi, rdi, rbp;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
};

/*
 * svm/vmrun.asm: one world switch.  VMSAVE host state, load guest GPRs,
 * VMLOAD guest, VMRUN, VMSAVE guest, store guest GPRs, VMLOAD host.
 * Called with GIF=0 (clgi) by the run loop.
 */
void svm_vmrun(u64 vmcb_pa, struct guest_regs *regs, u64 host_save_pa);

static inline void clgi(void) { __asm__ volatile("clgi" ::: "memory"); }
static inline void stgi(void) { __asm__ volatile("stgi" ::: "memory"); }

#endif
