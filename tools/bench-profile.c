/*
 * tools/bench-profile.c - instructions per hypervisor function in each
 * round trip of the benchmark (tools/bench-profile.sh runs it).
 *
 * Reads QEMU's "-d exec,nochain" log of a run with one instruction per
 * translation block (-singlestep; QEMU 10: -accel tcg,one-insn-per-tb=on),
 * so that every executed instruction in the -dfilter ranges is one line:
 *     Trace <cpu>: <host ptr> [<cs base>/<pc>/<flags>/<cflags>] ...
 * Only CPU 0 (the vCPU that measures) is followed.  A window runs from
 * one guest RDTSC to the next, as the guest's measurement does; each
 * window with hypervisor instructions in it becomes one line:
 *     <exit pc> <end pc> <total> guest=<n> <function>=<n> ...
 * <exit pc> is the last guest instruction before the first hypervisor one
 * (the exiting instruction), <end pc> the closing RDTSC.  Functions are
 * named from "nm -n" of build/hv.so, shifted by the image base.
 *
 *   bench-profile HV_SYMS IMAGE_BASE GUEST_LO GUEST_HI RDTSC_PCS < LOG
 * HV_SYMS: "addr name" lines sorted by address; RDTSC_PCS: one guest
 * address (hex) per line.  Host program, libc only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned long long u64;

struct sym {
	u64 addr;
	char name[256];
};

static struct sym *syms;
static size_t nsyms;
static u64 *rdtsc_pcs;
static size_t nrdtsc;

static long sym_index(u64 off)
{
	long lo = 0, hi = (long)nsyms - 1, r = -1;

	while (lo <= hi) {
		long m = (lo + hi) / 2;

		if (syms[m].addr <= off) {
			r = m;
			lo = m + 1;
		} else {
			hi = m - 1;
		}
	}
	return r;
}

static int is_rdtsc(u64 pc)
{
	for (size_t i = 0; i < nrdtsc; i++)
		if (rdtsc_pcs[i] == pc)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	FILE *f;
	char line[512], name[256];
	u64 a, base, glo, ghi, exit_pc = 0, last_guest = 0;
	unsigned *count, host = 0, guest = 0;
	int open_window = 0;
	size_t cap = 0;

	if (argc != 6) {
		fprintf(stderr, "usage: %s HV_SYMS IMAGE_BASE GUEST_LO GUEST_HI RDTSC_PCS < LOG\n", argv[0]);
		return 2;
	}
	base = strtoull(argv[2], NULL, 16);
	glo = strtoull(argv[3], NULL, 16);
	ghi = strtoull(argv[4], NULL, 16);
	if (!(f = fopen(argv[1], "r"))) {
		perror(argv[1]);
		return 2;
	}
	while (fscanf(f, "%llx %255s", &a, name) == 2) {
		if (nsyms == cap) {
			cap = cap ? cap * 2 : 1024;
			syms = realloc(syms, cap * sizeof(*syms));
			if (!syms)
				return 2;
		}
		syms[nsyms].addr = a;
		snprintf(syms[nsyms].name, sizeof(syms[nsyms].name), "%s", name);
		nsyms++;
	}
	fclose(f);
	if (!(f = fopen(argv[5], "r"))) {
		perror(argv[5]);
		return 2;
	}
	cap = 0;
	while (fscanf(f, "%llx", &a) == 1) {
		if (nrdtsc == cap) {
			cap = cap ? cap * 2 : 64;
			rdtsc_pcs = realloc(rdtsc_pcs, cap * sizeof(*rdtsc_pcs));
			if (!rdtsc_pcs)
				return 2;
		}
		rdtsc_pcs[nrdtsc++] = a;
	}
	fclose(f);
	count = calloc(nsyms + 1, sizeof(*count));
	if (!count || !nsyms || !nrdtsc) {
		fprintf(stderr, "bench-profile: no symbols or no RDTSC addresses\n");
		return 2;
	}

	while (fgets(line, sizeof(line), stdin)) {
		char *p;
		u64 pc;
		int in_guest;

		if (strncmp(line, "Trace 0:", 8) || !(p = strchr(line, '/')))
			continue;
		pc = strtoull(p + 1, NULL, 16);
		in_guest = pc >= glo && pc < ghi;
		if (in_guest && is_rdtsc(pc)) {
			if (open_window && host) {
				printf("%llx %llx %u guest=%u", exit_pc, pc, host + guest, guest);
				for (size_t i = 0; i <= nsyms; i++)
					if (count[i])
						printf(" %s=%u", i < nsyms ? syms[i].name : "?", count[i]);
				printf("\n");
			}
			memset(count, 0, (nsyms + 1) * sizeof(*count));
			host = guest = 0;
			open_window = 1;
			last_guest = pc;
			continue;
		}
		if (!open_window)
			continue;
		if (in_guest) {
			guest++;
			last_guest = pc;
		} else {
			long s = pc >= base ? sym_index(pc - base) : -1;

			if (!host)
				exit_pc = last_guest;
			host++;
			count[s >= 0 ? (size_t)s : nsyms]++;
		}
	}
	return 0;
}
