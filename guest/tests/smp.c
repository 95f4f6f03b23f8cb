/*
 * guest/tests/smp.c - all vCPUs run at once and share memory.
 *
 * Behaviour: the hypervisor starts every vCPU of the VM at the same time,
 * each on its own physical CPU, all with the same nested page tables, so
 * guest RAM is one coherent memory for all of them (APM Vol 2 §15.25
 * "Nested Paging", §7.1 "Memory-Access Ordering").  Each vCPU writes its index into a
 * shared array and its physical CPU (HC_GET_INFO RDX) into another, then
 * increments a shared counter with a locked add and waits (bounded) until
 * the counter equals nr_vcpus.  vCPU 0 then checks every slot, and that no
 * two vCPUs share a physical CPU.
 *
 * A failure means a vCPU that never started or started only after another
 * finished (run one after the other, not at once), per-vCPU copies of guest
 * RAM (NPT pointing at different memory), a lost locked update, or two
 * vCPUs on one physical CPU.
 */
#include "guest/lib/guest.h"

/* ~0: not written.  .data, so that the initial value is not the 0 of vCPU 0. */
static u32 slot[GUEST_MAX_VCPUS] = { [0 ... GUEST_MAX_VCPUS - 1] = ~0u };
static u64 pcpu[GUEST_MAX_VCPUS];
static u32 arrived;

/* PAUSE iterations to wait for the others: seconds, on hardware and TCG. */
#define RENDEZVOUS_SPINS        (1u << 28)

static void check_slots(u32 n)
{
	for (u32 i = 0; i < n; i++)
		if (__atomic_load_n(&slot[i], __ATOMIC_ACQUIRE) != i) {
			report_eq(i, slot[i], "slot %u holds vCPU %u's index", i, i);
			return;
		}
	report_pass("all %u slots hold their vCPU's index", n);

	for (u32 i = 0; i < n; i++)
		for (u32 j = i + 1; j < n; j++)
			if (pcpu[i] == pcpu[j]) {
				report_fail("vcpu%u and vcpu%u run on the same physical CPU %lu",
					    i, j, (unsigned long)pcpu[i]);
				return;
			}
	report_pass("all %u vCPUs run on different physical CPUs", n);
}

GUEST_TEST(smp)
{
	u32 n = nr_vcpus(), me = this_vcpu(), seen;

	if (n < 2) {
		report_skip("needs at least 2 vCPUs, this VM has %u", n);
		return;
	}
	if (n > GUEST_MAX_VCPUS) {
		report_skip("the guest runtime supports %u vCPUs, this VM has %u",
			    GUEST_MAX_VCPUS, n);
		return;
	}

	pcpu[me] = hc_get_info().pcpu;
	__atomic_store_n(&slot[me], me, __ATOMIC_RELEASE);
	__atomic_fetch_add(&arrived, 1, __ATOMIC_SEQ_CST);

	seen = __atomic_load_n(&arrived, __ATOMIC_ACQUIRE);
	for (u32 i = 0; i < RENDEZVOUS_SPINS && seen != n; i++) {
		cpu_relax();
		seen = __atomic_load_n(&arrived, __ATOMIC_ACQUIRE);
	}
	if (!report_eq(n, seen, "met all %u vCPUs", n))
		return;
	if (me == 0)
		check_slots(n);
}
