/*
 * svm/svm.c - SVM detection and per-CPU enable (reference §1.1, §1.2;
 * APM Vol 2 §15.4 "Enabling SVM").
 */
#include "svm/svm.h"
#include "lib/string.h"
#include "lib/x86.h"

struct svm_caps svm_caps;

const struct svm_feature_name svm_edx_features[] = {
	{ 0, "NP" }, { 1, "LbrVirt" }, { 2, "SVML" }, { 3, "NRIPS" },
	{ 4, "TscRateMsr" }, { 5, "VmcbClean" }, { 6, "FlushByAsid" },
	{ 7, "DecodeAssists" }, { 8, "PmcVirt" }, { 10, "PauseFilter" },
	{ 12, "PauseFilterThreshold" }, { 13, "AVIC" }, { 15, "vVMSAVE" },
	{ 16, "VGIF" }, { 17, "GMET" }, { 18, "x2AVIC" }, { 19, "SSSCheck" },
	{ 20, "V_SPEC_CTRL" }, { 21, "ROGPT" }, { 23, "HOST_MCE_OVERRIDE" },
	{ 24, "TlbiCtl" }, { 25, "vNMI" }, { 26, "IbsVirt" },
	{ 27, "ExtLvtAvicAccessChg" }, { 28, "SvmeAddrChk" },
	{ 29, "BusLockThreshold" }, { 30, "IdleHlt" },
};
const unsigned svm_edx_features_count = ARRAY_SIZE(svm_edx_features);

const struct svm_feature_name svm_ecx_features[] = {
	{ 6, "x2AVIC_EXT" },
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
	c->hypervisor = (r.ecx & BIT(31)) != 0;
	c->x2apic = (r.ecx & BIT(21)) != 0;
	if (c->hypervisor)
		cpuid_string(0x40000000, c->hv_signature);

	max_ext = cpuid(0x80000000).eax;
	if (max_ext >= 0x80000001) {
		r = cpuid(0x80000001);
		c->svm = (r.ecx & BIT(2)) != 0;
		c->page1gb = (r.edx & BIT(26)) != 0;
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
