/*
 * svm/svm.h - SVM detection, per-CPU enable and the world switch.
 * APM Vol 2 §15.4 "Enabling SVM" (detection and enabling), §15.30.1 "VM_CR
 * MSR (C001_0114h)", §15.30.4 "VM_HSAVE_PA MSR (C001_0117h)"; §15.5.1 "Basic
 * Operation" and §15.5.2 "VMSAVE and VMLOAD Instructions" (what VMRUN
 * switches and what it does not).
 */
#ifndef SVM_SVM_H
#define SVM_SVM_H

#include "lib/types.h"
#include "lib/cpuid.h"

/* The SVM feature bits are CPUID_8000000A_EDX_* / _ECX_* in lib/cpuid.h. */

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
