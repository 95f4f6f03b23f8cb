/*
 * guest/lib/exception.c - the IDT, exception catching, unexpected exceptions.
 */
#include "guest/lib/percpu.h"


#define IDT_P                   BIT(7)
#define IDT_TYPE_INT_GATE       0xe     /* 64-bit interrupt gate: clears IF */

struct idtr {
	u16 limit;
	u64 base;
} __packed;

/*
 * One IDT for all vCPUs (every vCPU has its own IDTR).  The first vCPU to
 * get here fills it; the others wait until it is ready.  Interrupt gates
 * throughout: IF is clear in every handler until it sets it itself, which
 * is what lets a test control nesting (guest/lib/irq.h).
 */
static struct idt_gate idt[NR_VECTORS] __aligned(16);
enum { IDT_EMPTY, IDT_FILLING, IDT_READY };
static u32 idt_state;

static void idt_fill(void)
{
	for (int v = 0; v < NR_VECTORS; v++) {
		u64 addr = v < NR_EXCEPTIONS ? guest_exception_stubs[v]
					     : guest_irq_stubs[v - NR_EXCEPTIONS];

		idt[v] = (struct idt_gate){
			.offset_lo = (u16)addr,
			.selector = GUEST_SEL_CODE64,
			.ist = 0,
			.type_attr = IDT_P | IDT_TYPE_INT_GATE,
			.offset_mid = (u16)(addr >> 16),
			.offset_hi = (u32)(addr >> 32),
		};
	}
}

void exceptions_init(void)
{
	u32 expected = IDT_EMPTY;
	struct idtr idtr = { .limit = sizeof(idt) - 1, .base = (u64)(uintptr_t)idt };

	if (__atomic_compare_exchange_n(&idt_state, &expected, IDT_FILLING, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		idt_fill();
		__atomic_store_n(&idt_state, IDT_READY, __ATOMIC_RELEASE);
	} else {
		while (__atomic_load_n(&idt_state, __ATOMIC_ACQUIRE) != IDT_READY)
			cpu_relax();
	}
	__asm__ volatile("lidt %0" ::"m"(idtr) : "memory");
}

const char *exception_name(int vector)
{
	if (vector == EXC_NONE)
		return "none";
	if (vector < 0)
		return "vector ?";
	return x86_exception_name((unsigned int)vector);
}

const struct exception_info *last_exception(void)
{
	return &this_cpu()->last;
}

int catch_exception(void (*fn)(void *), void *arg)
{
	struct guest_percpu *cpu = this_cpu();
	u64 outer = cpu->catch_rsp;
	int vector;

	cpu->last = (struct exception_info){ .vector = EXC_NONE };
	vector = guest_catch_call(fn, arg, &cpu->catch_rsp);
	cpu->catch_rsp = outer;
	return vector;
}

void guest_exception(struct ex_regs *regs)
{
	struct guest_percpu *cpu = this_cpu();
	int vector = (int)regs->vector;
	u64 cr2 = vector == X86_PF ? read_cr2() : 0;

	if (cpu->catch_rsp && !cpu->exception_depth) {
		cpu->last = (struct exception_info){
			.vector = vector,
			.error_code = regs->error_code,
			.rip = regs->rip,
			.cs = regs->cs,
			.cr2 = cr2,
		};
		/* Resume in guest_catch_call(), which returns the vector. */
		regs->rip = (u64)(uintptr_t)guest_catch_landing;
		regs->rsp = cpu->catch_rsp;
		regs->rax = (u64)vector;
		cpu->catch_rsp = 0;
		return;
	}

	if (cpu->exception_depth++) {
		/* An exception while reporting one: nothing left to trust. */
		serial_puts("nested exception in the exception handler, ending this vCPU\n");
		guest_end(GUEST_END_CRASH);
	}
	printf("unexpected exception %s at RIP 0x%lx, error code 0x%lx, CR2 0x%lx, RSP 0x%lx\n",
	       exception_name(vector), (unsigned long)regs->rip,
	       (unsigned long)regs->error_code, (unsigned long)read_cr2(),
	       (unsigned long)regs->rsp);
	report_fail("unexpected exception %s at RIP 0x%lx, error code 0x%lx, CR2 0x%lx",
		    exception_name(vector), (unsigned long)regs->rip,
		    (unsigned long)regs->error_code, (unsigned long)read_cr2());
	guest_end(GUEST_END_CRASH);
}

struct msr_access {
	u32 msr;
	u64 val;
};

static void do_rdmsr(void *p)
{
	struct msr_access *a = p;

	a->val = rdmsr(a->msr);
}

static void do_wrmsr(void *p)
{
	struct msr_access *a = p;

	wrmsr(a->msr, a->val);
}

int rdmsr_safe(u32 msr, u64 *val)
{
	struct msr_access a = { .msr = msr };
	int vector = catch_exception(do_rdmsr, &a);

	*val = a.val;
	return vector;
}

int wrmsr_safe(u32 msr, u64 val)
{
	struct msr_access a = { .msr = msr, .val = val };

	return catch_exception(do_wrmsr, &a);
}
