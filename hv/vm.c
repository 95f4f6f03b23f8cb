/*
 * hv/vm.c - building a VM for one test: guest RAM, nested page tables,
 * permission maps, the guest image and boot information, and one VMCB per
 * vCPU in the entry state lib/hv_abi.h promises.
 */
#include "hv/hv.h"
#include "hv/console.h"
#include "hv/mem.h"
#include "hv/multiboot.h"
#include "hv/percpu.h"
#include "hv/lapic.h"
#include "svm/msrpm.h"
#include "hv/avic.h"
#include "svm/iopm.h"
#include "lib/string.h"
#include "lib/x86.h"

extern const u8 guest_image_start[], guest_image_end[];

void *vm_gpa_ptr(struct vm *vm, u64 gpa, u64 len)
{
	if (gpa >= vm->ram_size || len > vm->ram_size - gpa)
		return NULL;
	return vm->ram + gpa;
}

int vm_read_gpa(void *opaque, u64 gpa, void *buf, unsigned len)
{
	void *p = vm_gpa_ptr(opaque, gpa, len);

	if (!p)
		return -1;
	memcpy(buf, p, len);
	return 0;
}

static void *npt_page(void *ctx)
{
	(void)ctx;
	return pool_alloc_page();
}

int vm_npt_init(struct vm *vm, struct npt *npt)
{
	if (npt_init(npt, npt_page, NULL))
		return -1;
	return npt_map(npt, 0, (u64)(uintptr_t)vm->ram, vm->ram_size, NPT_WRITE | NPT_EXEC);
}

/*
 * MSRs the guest reaches directly.  Safe because the world switch VMLOADs
 * and VMSAVEs exactly these for the guest (APM Vol 2 §15.5.2 "VMSAVE and
 * VMLOAD Instructions"): the guest only
 * ever sees and changes its own copies.
 */
static const u32 passthrough_msrs[] = {
	MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE, MSR_STAR, MSR_LSTAR,
	MSR_CSTAR, MSR_SFMASK, MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP,
	MSR_IA32_SYSENTER_EIP,
};

static void vmcb_init(struct vcpu *vcpu, u64 entry)
{
	struct vm *vm = vcpu->vm;
	struct vmcb *v = vcpu->vmcb;
	struct vmcb_control *c = &v->control;
	struct vmcb_save *s = &v->save;

	/*
	 * Intercepts (APM Vol 2 Table B-1 "VMCB Layout, Control Area"): the
	 * events and instructions the hypervisor must own (VMRUN's is required,
	 * §15.9 "Instruction Intercepts"), plus what the tests need.
	 */
	c->intercept_exceptions = BIT(X86_MC);
	c->intercept_misc1 = INTERCEPT_INTR | INTERCEPT_NMI | INTERCEPT_SMI |
			     INTERCEPT_INIT | INTERCEPT_CPUID | INTERCEPT_HLT |
			     INTERCEPT_INVLPGA | INTERCEPT_IOIO_PROT |
			     INTERCEPT_MSR_PROT | INTERCEPT_SHUTDOWN |
			     INTERCEPT_FERR_FREEZE | INTERCEPT_TASK_SWITCH;
	c->intercept_misc2 = INTERCEPT2_VMRUN | INTERCEPT2_VMMCALL |
			     INTERCEPT2_VMLOAD | INTERCEPT2_VMSAVE |
			     INTERCEPT2_STGI | INTERCEPT2_CLGI |
			     INTERCEPT2_SKINIT | INTERCEPT2_MONITOR |
			     INTERCEPT2_MWAIT | INTERCEPT2_MWAIT_COND |
			     INTERCEPT2_RDPRU;
	c->iopm_base_pa = (u64)(uintptr_t)vm->iopm;
	c->msrpm_base_pa = (u64)(uintptr_t)vm->msrpm;
	/* One ASID per vCPU; a fresh VM reuses them, so flush on its first VMRUN. */
	c->asid = 1 + vcpu->index % (svm_caps.nr_asids > 1 ? svm_caps.nr_asids - 1 : 1);
	c->tlb_control = svm_has(CPUID_8000000A_EDX_FLUSH_BY_ASID) ? TLB_CONTROL_FLUSH_ASID
							  : TLB_CONTROL_FLUSH_ALL;
	/* Guest IF masks only virtual interrupts; host interrupts still exit (§1.16). */
	c->int_ctl = V_INTR_MASKING_MASK;
	c->misc_ctl = SVM_NESTED_CTL_NP_ENABLE;
	c->n_cr3 = npt_root(&vm->npt);
	c->clean = 0;

	/* 32-bit flat protected mode, paging off (lib/hv_abi.h "Entry"). */
	vmcb_save_set_segments(s, (struct vmcb_seg){ .selector = 0x08, .attrib = 0xc9b, .limit = 0xffffffff },
			       (struct vmcb_seg){ .selector = 0x10, .attrib = 0xc93, .limit = 0xffffffff });
	s->cpl = 0;
	s->efer = EFER_SVME;            /* must stay set in the VMCB; hidden from the guest */
	s->cr0 = CR0_PE | CR0_ET;
	s->cr3 = 0;
	s->cr4 = 0;
	s->dr6 = 0xffff0ff0;
	s->dr7 = 0x400;
	s->rflags = 0x2;
	s->rip = entry;
	s->rsp = 0;
	s->rax = HV_BOOT_MAGIC;
	s->g_pat = 0x0007040600070406ULL;
	vcpu->regs.rbx = HV_BOOT_INFO_GPA;
	vcpu->regs.rsi = vcpu->index;
}

/* The VM and its vCPU array, from the pool; NULL when the pool is out. */
static struct vm *vm_alloc(const struct hv_test *test, u32 nr_vcpus)
{
	struct vm *vm;

	vm = pool_alloc_pages(ALIGN_UP(sizeof(*vm) + nr_vcpus * sizeof(struct vcpu), PAGE_SIZE) / PAGE_SIZE);
	if (!vm)
		return NULL;
	vm->vcpus = (struct vcpu *)(vm + 1);
	vm->test = test;
	vm->nr_vcpus = nr_vcpus;
	vm->ram_size = (u64)hv_cfg.guest_ram_mb << 20;
	return vm;
}

/* The embedded test image's header, checked against the VM's RAM; NULL if it is invalid. */
static const struct hv_guest_header *guest_image_header(const struct vm *vm)
{
	const struct hv_guest_header *hdr = (const void *)guest_image_start;
	u64 image_len = (u64)(guest_image_end - guest_image_start);

	if (image_len < sizeof(*hdr) || hdr->magic != HV_GUEST_HDR_MAGIC ||
	    hdr->load_gpa != HV_GUEST_LOAD_GPA || hdr->file_size > image_len ||
	    hdr->mem_size < hdr->file_size ||
	    hdr->load_gpa + (u64)hdr->mem_size > vm->ram_size / 2 ||
	    hdr->entry_gpa < hdr->load_gpa || hdr->entry_gpa >= hdr->load_gpa + hdr->file_size) {
		hv_err("vm", "embedded guest image header is invalid (magic %llx)",
		       (unsigned long long)hdr->magic);
		return NULL;
	}
	return hdr;
}

/* Guest RAM, nested page tables and the permission maps. */
static int vm_alloc_memory(struct vm *vm)
{
	vm->ram = pool_alloc_pages(vm->ram_size / PAGE_SIZE);
	vm->msrpm = pool_alloc_pages(MSRPM_SIZE / PAGE_SIZE);
	vm->iopm = pool_alloc_pages(IOPM_SIZE / PAGE_SIZE);
	if (!vm->ram || !vm->msrpm || !vm->iopm ||
	    vm_npt_init(vm, &vm->npt)) {
		hv_err("vm", "out of memory building the VM for %s", vm->test->name);
		return -1;
	}
	msrpm_init(vm->msrpm);
	for (unsigned i = 0; i < ARRAY_SIZE(passthrough_msrs); i++)
		msrpm_set(vm->msrpm, passthrough_msrs[i], false, false);
	iopm_init(vm->iopm);
	return 0;
}

/* The test image and its boot information (lib/hv_abi.h); returns the boot information. */
static struct hv_boot_info *vm_load_test_image(struct vm *vm, const struct hv_guest_header *hdr)
{
	struct hv_boot_info *bi;

	memcpy(vm->ram + hdr->load_gpa, guest_image_start, hdr->file_size);
	bi = (struct hv_boot_info *)(vm->ram + HV_BOOT_INFO_GPA);
	bi->magic = HV_BOOT_MAGIC;
	bi->nr_vcpus = vm->nr_vcpus;
	bi->ram_size = vm->ram_size;
	bi->hv_phys_base = hv_image_base;
	bi->hv_phys_size = hv_image_size;
	if (svm_caps.hypervisor && !strcmp(svm_caps.hv_signature, "TCGTCGTCGTCG"))
		bi->flags |= HV_BOOT_F_HOST_TCG;
	strlcpy(bi->test, vm->test->name, sizeof(bi->test));
	vm->progress = (volatile struct hv_progress *)(vm->ram + HV_PROGRESS_GPA);
	return bi;
}

/* The VM's APIC state and each vCPU: VMCB, local APIC, entry state (mb: a Multiboot kernel's layout). */
static int vm_vcpus_init(struct vm *vm, u64 entry_gpa, const struct mb_layout *mb)
{
	lapic_vm_init(vm);
	for (u32 i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];

		vcpu->vm = vm;
		vcpu->index = i;
		vcpu->cpu = i;
		vcpu->vmcb = pool_alloc_page();
		if (!vcpu->vmcb)
			return -1;
		vmcb_init(vcpu, entry_gpa);
		lapic_vcpu_init(vcpu);
		if (!vcpu->apic.page)
			return -1;
		/*
		 * Multiboot §3.2 "Machine state": EAX = 0x2BADB002, EBX = the MBI,
		 * the rest as the test image gets it.  The other vCPUs are APs
		 * of a PC: they wait for INIT/STARTUP from the kernel.
		 */
		if (hv_mb_guest.kernel && i == 0) {
			vcpu->vmcb->save.rip = mb->entry;
			vcpu->vmcb->save.rax = MB_BOOTLOADER_MAGIC;
			vcpu->regs.rbx = mb->info_gpa;
			vcpu->regs.rsi = 0;
		} else if (hv_mb_guest.kernel) {
			vcpu->mp.state = VCPU_MP_WAIT_SIPI;
		}
	}
	return 0;
}

/* The AVIC tables; the test image learns from bi (NULL for a Multiboot kernel) that AVIC is on. */
static int vm_avic_setup(struct vm *vm, struct hv_boot_info *bi)
{
	if (avic_vm_init(vm)) {
		hv_err("vm", "cannot set up the AVIC tables for %s", vm->test->name);
		return -1;
	}
	if (avic_vm(vm) && bi) {
		bi->flags |= HV_BOOT_F_AVIC;
		if (avic_vm_emulated(vm))
			bi->flags |= HV_BOOT_F_AVIC_EMU;
	}
	return 0;
}

struct vm *vm_create(const struct hv_test *test, u32 nr_vcpus)
{
	const struct hv_guest_header *hdr;
	struct hv_boot_info *bi = NULL;
	static struct mb_layout mb;     /* vm_create runs on the BSP only */
	char mb_err[200];
	struct vm *vm;

	vm = vm_alloc(test, nr_vcpus);
	if (!vm)
		return NULL;
	hdr = guest_image_header(vm);
	if (!hdr || vm_alloc_memory(vm))
		return NULL;
	if (hv_mb_guest.kernel) {
		/* A user's Multiboot kernel instead of the test image (docs/multiboot.md). */
		if (mb_load(&hv_mb_guest, vm->ram, vm->ram_size, &mb, mb_err, sizeof(mb_err))) {
			hv_err("vm", "guest %s: %s", hv_mb_guest.name, mb_err);
			return NULL;
		}
	} else {
		bi = vm_load_test_image(vm, hdr);
	}
	if (vm_vcpus_init(vm, hdr->entry_gpa, &mb) || vm_avic_setup(vm, bi))
		return NULL;
	/* Prepare hooks last: they may change anything above, the AVIC tables included. */
	for (u32 i = 0; i < nr_vcpus && test->prepare; i++)
		test->prepare(&vm->vcpus[i]);
	return vm;
}
