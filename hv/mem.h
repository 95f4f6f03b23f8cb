/*
 * hv/mem.h - all memory the run uses comes from one pool, allocated from
 * UEFI before ExitBootServices.  A bump allocator with a mark: the
 * per-test VM memory is released back to the mark after each test.
 * Addresses are physical = virtual (identity map).
 */
#ifndef HV_MEM_H
#define HV_MEM_H

#include "lib/types.h"

void pool_init(u64 base, u64 size);
void *pool_alloc_pages(u64 pages);      /* zeroed, page-aligned; NULL when exhausted */
void *pool_alloc_page(void);
u64 pool_mark(void);
void pool_release(u64 mark);

#endif
