/*
 * hv/bench.h - the bare world switch of `run.sh --bench` (hv/bench.c).
 *
 * HC_BENCH_WORLD_SWITCH (lib/hv_abi.h) arms a count of HC_BENCH_STEP
 * hypercalls that the run loop answers without its exit path: right after
 * VMRUN returns, bench_ws_again() advances RIP past the VMMCALL and the
 * run loop runs VMRUN again, still with GIF=0 and in_guest set.  The guest
 * times those round trips; every other round trip of the benchmark is
 * reported as a ratio to it.  Unarmed, the hook costs one load and one
 * compare per exit.
 */
#ifndef HV_BENCH_H
#define HV_BENCH_H

#include "hv/hv.h"
#include "hv/percpu.h"

struct bench_ws {
	struct vcpu *vcpu;      /* the vCPU that armed the loop on this CPU */
	u32 left;               /* HC_BENCH_STEP exits it still answers */
};

extern struct bench_ws bench_ws[HV_MAX_CPUS];

/* HC_BENCH_WORLD_SWITCH: RAX for the guest. */
u64 bench_world_switch_arm(struct vcpu *vcpu, u64 steps);

/* The armed case, out of line: true when the exit was a step and the guest may resume at once. */
bool bench_ws_step(struct vcpu *vcpu, struct bench_ws *ws);

/* After VMRUN, before anything else of the exit path: VMRUN again? */
static inline bool bench_ws_again(struct vcpu *vcpu, u32 cpu)
{
	struct bench_ws *ws = &bench_ws[cpu];

	return __builtin_expect(ws->left != 0, 0) && bench_ws_step(vcpu, ws);
}

#endif
