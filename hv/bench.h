/*
 * hv/bench.h - the bare world switch of `run.sh --bench` (hv/bench.c).
 *
 * HC_BENCH_WORLD_SWITCH (lib/hv_abi.h) arms a count of HC_BENCH_STEP
 * hypercalls that the run loop answers without its exit path: right after
 * VMRUN returns, bench_ws_again() advances RIP past the VMMCALL and the
 * run loop runs VMRUN again, still with GIF=0 and in_guest set.  The guest
 * times those round trips; every other round trip of the benchmark is
 * reported as a ratio to it.  Unarmed, the hook costs one load and one
 * compare per exit (struct percpu's bench_steps).
 */
#ifndef HV_BENCH_H
#define HV_BENCH_H

#include "hv/hv.h"
#include "hv/percpu.h"

/* HC_BENCH_WORLD_SWITCH: RAX for the guest. */
u64 bench_world_switch_arm(struct vcpu *vcpu, u64 steps);

/* The armed case, out of line: true when the exit was a step and the guest may resume at once. */
bool bench_ws_step(struct vcpu *vcpu, struct percpu *pc);

/* After VMRUN, before anything else of the exit path: VMRUN again? */
static inline bool bench_ws_again(struct vcpu *vcpu, struct percpu *pc)
{
	return __builtin_expect(pc->bench_steps != 0, 0) && bench_ws_step(vcpu, pc);
}

#endif
