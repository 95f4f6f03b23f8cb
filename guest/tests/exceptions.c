/*
 * guest/tests/exceptions.c - exceptions reach the guest's own IDT.
 *
 * Behaviour: the hypervisor intercepts none of these exceptions (or
 * reflects them unchanged), so each is delivered through the guest's IDT
 * with the architectural vector, error code, RIP and, for #PF, CR2
 * (APM Vol 2 §8.2 "Vectors": #DE, #BP, #UD, #GP, #PF; §8.4.2 "Page-Fault
 * Error Code"; §8.9 "Long-Mode Interrupt Control Transfers").  Faults
 * report the faulting instruction, the #BP trap the next one.
 *
 * A failure means an exception intercept that swallows or mangles the
 * exception (wrong vector or error code on reinjection, RIP advanced), a
 * #PF resolved by the hypervisor instead of the guest, or guest CR2 not
 * kept across exits.
 */
#include "guest/lib/guest.h"
#include "guest/lib/irq.h"

/* Not mapped by the guest's page tables: PML4 entry 128 is not present. */
#define UNMAPPED_ADDR           0x0000400000000000ULL
#define NONCANONICAL_ADDR       0x8000000000000000ULL

/* #PF error code: P (bit 0) clear = not present; W (bit 1) = write. */
#define PF_EC_W         BIT(1)

struct probe {
	u64 addr;       /* in: the address the instruction uses */
	u64 insn_rip;   /* out: where the instruction is */
	u64 next_rip;   /* out: where the next instruction is */
};

/*
 * Each probe records where its instruction is, runs it, and would record
 * the following RIP; "2:" is right after the instruction under test.
 */
#define PROBE_PROLOGUE "lea 1f(%%rip), %%r8\n\tmov %%r8, %0\n\t" \
		       "lea 2f(%%rip), %%r8\n\tmov %%r8, %1\n"

static void do_div0(void *arg)
{
	struct probe *p = arg;

	__asm__ volatile(PROBE_PROLOGUE
			 "1:\tdivq %%rcx\n2:"
			 : "=m"(p->insn_rip), "=m"(p->next_rip)
			 : "a"(1), "d"(0), "c"(0)
			 : "r8", "memory");
}

static void do_ud2(void *arg)
{
	struct probe *p = arg;

	__asm__ volatile(PROBE_PROLOGUE "1:\tud2\n2:"
			 : "=m"(p->insn_rip), "=m"(p->next_rip) : : "r8", "memory");
}

static void do_int3(void *arg)
{
	struct probe *p = arg;

	__asm__ volatile(PROBE_PROLOGUE "1:\tint3\n2:"
			 : "=m"(p->insn_rip), "=m"(p->next_rip) : : "r8", "memory");
}

static void do_load(void *arg)
{
	struct probe *p = arg;

	__asm__ volatile(PROBE_PROLOGUE "1:\tmov (%2), %%rax\n2:"
			 : "=m"(p->insn_rip), "=m"(p->next_rip)
			 : "r"(p->addr)
			 : "rax", "r8", "memory");
}

static void do_store(void *arg)
{
	struct probe *p = arg;

	__asm__ volatile(PROBE_PROLOGUE "1:\tmovq $0, (%2)\n2:"
			 : "=m"(p->insn_rip), "=m"(p->next_rip)
			 : "r"(p->addr)
			 : "r8", "memory");
}

/*
 * Runs one probe; one report for vector, error code, RIP (the next
 * instruction for a trap) and CS of the frame.  Returns true on PASS.
 */
static bool check(const char *what, void (*fn)(void *), struct probe *p,
		  int vector, u64 error_code, bool trap)
{
	int got = catch_exception(fn, p);
	const struct exception_info *ex = last_exception();
	u64 rip = trap ? p->next_rip : p->insn_rip;
	const char *name = exception_name(vector);

	if (got != vector)
		return report_vector(vector, got, "%s raises %s", what, name);
	if (ex->error_code != error_code)
		return report_eq(error_code, ex->error_code, "%s: %s error code", what, name);
	if (ex->rip != rip)
		return report_eq(rip, ex->rip, "%s: %s RIP is the %s instruction", what, name,
				 trap ? "next" : "faulting");
	if ((ex->cs & 0xffff) != GUEST_SEL_CODE64)
		return report_eq(GUEST_SEL_CODE64, ex->cs & 0xffff, "%s: %s CS in the frame",
				 what, name);
	report_pass("%s raises %s, error code 0x%lx, RIP at the %s instruction", what, name,
		    (unsigned long)error_code, trap ? "next" : "faulting");
	return true;
}

/*
 * QEMU TCG can deliver an injected interrupt a second time while the guest
 * still handles it (docs/ARCHITECTURE.md "Interrupt injection and QEMU's
 * re-delivery"; guest/lib/irq.h).  Played here by hand,
 * twice, with IF=0: the frame of a delivery of vector 32 (back to label 1),
 * then on top the frame of a second delivery that interrupted vector 32's
 * own stub, and a jump to that stub; and a delivery of vector 32 whose
 * handler, on its first run, plays a second one.  guest_irq() must ignore
 * each second one (count it) and run the handler once, for the first.
 */
extern char irq_stubs_start[];          /* guest/isr.asm: vector 32's stub comes first */
static u32 redelivery_runs[GUEST_MAX_VCPUS];    /* every vCPU runs this at once */

static void on_redelivery(struct ex_regs *regs)
{
	(void)regs;
	redelivery_runs[this_vcpu()]++;
}

static void check_redelivery(void)
{
	u32 before = irq_redelivered(), n = irq_count(32);

	irq_set_handler(32, on_redelivery);
	redelivery_runs[this_vcpu()] = 0;
	cli();
	__asm__ volatile("mov %%rsp, %%rax\n\t"
			 "mov %%ss, %%ecx\n\tpush %%rcx\n\tpush %%rax\n\tpushfq\n\t"
			 "mov %%cs, %%ecx\n\tpush %%rcx\n\tlea 1f(%%rip), %%rcx\n\tpush %%rcx\n\t"
			 "mov %%rsp, %%rdx\n\t"
			 "mov %%ss, %%ecx\n\tpush %%rcx\n\tpush %%rdx\n\tpushfq\n\t"
			 "mov %%cs, %%ecx\n\tpush %%rcx\n\tpush %0\n\t"
			 "jmp *%0\n"
			 "1:"
			 : : "r"(irq_stubs_start) : "rax", "rcx", "rdx", "memory", "cc");
	irq_set_handler(32, NULL);
	report_eq(1, redelivery_runs[this_vcpu()], "a second delivery into an IRQ entry stub with IF=0: the handler runs once");
	report_eq(before + 1, irq_redelivered(), "... and the second delivery is counted as a re-delivery");
	report_eq(n + 1, irq_count(32), "... and the vector is counted once");
}

/* One delivery of vector 32 played by hand, with RFLAGS as they are now; returns after its IRETQ. */
static void play_irq32(void)
{
	__asm__ volatile("mov %%rsp, %%rax\n\t"
			 "mov %%ss, %%ecx\n\tpush %%rcx\n\tpush %%rax\n\tpushfq\n\t"
			 "mov %%cs, %%ecx\n\tpush %%rcx\n\tlea 1f(%%rip), %%rcx\n\tpush %%rcx\n\t"
			 "jmp *%0\n"
			 "1:"
			 : : "r"(irq_stubs_start) : "rax", "rcx", "memory", "cc");
}

/* The first run plays the second delivery from inside the handler, as QEMU may before the handler's first exit. */
static void on_redelivery_inside(struct ex_regs *regs)
{
	(void)regs;
	if (redelivery_runs[this_vcpu()]++ == 0)
		play_irq32();
}

static void check_redelivery_inside(void)
{
	u32 before = irq_redelivered(), n = irq_count(32);

	irq_set_handler(32, on_redelivery_inside);
	redelivery_runs[this_vcpu()] = 0;
	cli();
	play_irq32();
	irq_set_handler(32, NULL);
	report_eq(1, redelivery_runs[this_vcpu()],
		  "a second delivery with IF=0 into vector 32's handler, before it returns: the handler runs once");
	report_eq(before + 1, irq_redelivered(), "... and the second delivery is counted as a re-delivery");
	report_eq(n + 1, irq_count(32), "... and the vector is counted once");
}

GUEST_TEST(exceptions)
{
	struct probe p = { 0 };

	check("DIV by zero", do_div0, &p, X86_DE, 0, false);
	check("UD2", do_ud2, &p, X86_UD, 0, false);
	check("INT3", do_int3, &p, X86_BP, 0, true);

	p.addr = NONCANONICAL_ADDR;
	check("load from non-canonical address", do_load, &p, X86_GP, 0, false);

	p.addr = UNMAPPED_ADDR;
	if (check("load from unmapped address", do_load, &p, X86_PF, 0, false))
		report_eq(UNMAPPED_ADDR, last_exception()->cr2, "#PF on load: CR2 is the address");
	if (check("store to unmapped address", do_store, &p, X86_PF, PF_EC_W, false))
		report_eq(UNMAPPED_ADDR, last_exception()->cr2, "#PF on store: CR2 is the address");
	check_redelivery();
	check_redelivery_inside();
}
