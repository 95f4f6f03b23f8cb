/*
 * guest/lib/paging.h - changes to the guest's own page tables.
 * guest/entry.asm identity-maps 0-4 GiB; tests that need a guest-physical
 * address above that (hv_phys_base on a large machine) map a window here.
 */
#ifndef GUEST_LIB_PAGING_H
#define GUEST_LIB_PAGING_H

#include "lib/types.h"

#define PAGE_SIZE_2M    (2ULL << 20)

/*
 * Identity-maps the 2 MiB page holding gpa (virtual == physical), shared
 * by all vCPUs.  Returns 0, or -1 when gpa is beyond the CPU's physical
 * address width or the lower canonical half, or the spare page-table pages
 * are used up.
 */
int guest_map_2m(u64 gpa);

#endif
