/*
 * svm/svm.c - SVM detection and per-CPU enable (APM Vol 2 §15.4 "Enabling
 * SVM", §15.30.1 "VM_CR MSR (C001_0114h)", §15.30.4 "VM_HSAVE_PA MSR
 * (C001_0117h)").
 */
#include "svm/svm.h"
#include "lib/string.h"
#include "lib/x86.h"

struct svm_caps svm_caps;

/* Bit numbers of the lib/cpuid.h masks, for the capability report. */
#define EDX(feat, name) { __builtin_ctz(CPUID_8000000A_EDX_##feat), name }
#define ECX(feat, name) { __builtin_ctz(CPUID_8000000A_ECX_##feat), name }

const struct svm_feature_name svm_edx_features[] = {
	EDX(NP, "NP"), EDX(LBRV, "LbrVirt"), EDX(SVML, "SVML"), EDX(NRIPS, "NRIPS"),
	EDX(TSC_RATE, "TscRateMsr"), EDX(VMCB_CLEAN, "VmcbClean"), EDX(FLUSH_BY_ASID, "FlushByAsid"),
	EDX(DECODE_ASSISTS, "DecodeAssists"), EDX(PMC_VIRT, "PmcVirt"), EDX(PAUSE_FILTER, "PauseFilter"),
	EDX(PFTHRESHOLD, "PauseFilterThreshold"), EDX(AVIC, "AVIC"), EDX(V_VMSAVE_VMLOAD, "vVMSAVE"),
	EDX(VGIF, "VGIF"), EDX(GMET, "GMET"), EDX(X2AVIC, "x2AVIC"), EDX(SSS_CHECK, "SSSCheck"),
	EDX(V_SPEC_CTRL, "V_SPEC_CTRL"), EDX(ROGPT, "ROGPT"), EDX(HOST_MCE_OVERRIDE, "HOST_MCE_OVERRIDE"),
	EDX(TLBICTL, "TlbiCtl"), EDX(VNMI, "vNMI"), EDX(IBS_VIRT, "IbsVirt"),
	EDX(EXTLVT_AVIC, "ExtLvtAvicAccessChg"), EDX(SVME_ADDR_CHK, "SvmeAddrChk"),
	EDX(BUS_LOCK_THRESH, "BusLockThreshold"), EDX(IDLE_HLT, "IdleHlt"),
};
const unsigned svm_edx_features_count = ARRAY_SIZE(svm_edx_features);

const struct svm_feature_name svm_ecx_features[] = {
	ECX(X2AVIC_EXT, "x2AVIC_EXT"),
};
const unsigned svm_ecx_features_count = ARRAY_SIZE(svm_ecx_features);

static void cpuid_string(u32 leaf, char out[13])
{
	struct cpuid_regs r = cpuid(leaf);

	memcpy(out, &r.ebx, 4);
	memcpy(out + 4, leaf ? &r.ecx : &r.edx, 4);
	memcpy(out + 8, leaf ? &r.edx : &r.ecx, 4);
	out[12] = 0;
}

void svm_detect(struct svm_caps *c)
{
	struct cpuid_regs r;
	u32 max_ext;

	memset(c, 0, sizeof(*c));
	cpuid_string(0, c->vendor);
	r = cpuid(1);
	c->stepping = r.eax & 0xf;
	c->family = (r.eax >> 8) & 0xf;
	c->model = (r.eax >> 4) & 0xf;
	if (c->family == 0xf) {
		c->family += (r.eax >> 20) & 0xff;
		c->model |= ((r.eax >> 16) & 0xf) << 4;
	}
	c->hypervisor = (r.ecx & CPUID_1_ECX_HYPERVISOR) != 0;
	c->x2apic = (r.ecx & CPUID_1_ECX_X2APIC) != 0;
	if (c->hypervisor)
		cpuid_string(0x40000000, c->hv_signature);

	max_ext = cpuid(0x80000000).eax;
	if (max_ext >= 0x80000001) {
		r = cpuid(0x80000001);
		c->svm = (r.ecx & CPUID_80000001_ECX_SVM) != 0;
		c->page1gb = (r.edx & CPUID_80000001_EDX_PAGE1GB) != 0;
	}
	c->max_phys_bits = 36;
	if (max_ext >= 0x80000008)
		c->max_phys_bits = cpuid(0x80000008).eax & 0xff;
	if (c->svm && max_ext >= 0x8000000a) {
		u64 vm_cr = rdmsr(MSR_VM_CR);

		r = cpuid(0x8000000a);
		c->revision = r.eax & 0xff;
		c->nr_asids = r.ebx;
		c->edx = r.edx;
		c->ecx = r.ecx;
		c->svm_disabled = (vm_cr & VM_CR_SVMDIS) != 0;
		c->svm_locked = (vm_cr & VM_CR_LOCK) != 0;
	}
}

int svm_cpu_enable(u64 hsave_pa)
{
	if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS)
		return -1;
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
	wrmsr(MSR_VM_HSAVE_PA, hsave_pa);
	return 0;
}
