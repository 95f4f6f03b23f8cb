/* hv/mem.c - the page pool (see hv/mem.h). */
#include "hv/mem.h"
#include "hv/console.h"
#include "lib/string.h"

static u64 base, size, next;
static struct spinlock lock;

void pool_init(u64 b, u64 s)
{
	base = b;
	size = s;
	next = b;
}

void *pool_alloc_pages(u64 pages)
{
	u64 bytes = pages * PAGE_SIZE, p = 0;

	spin_lock(&lock);
	if (next + bytes <= base + size) {
		p = next;
		next += bytes;
	}
	spin_unlock(&lock);
	if (p)
		memset((void *)(uintptr_t)p, 0, bytes);
	return (void *)(uintptr_t)p;
}

void *pool_alloc_page(void)
{
	return pool_alloc_pages(1);
}

u64 pool_mark(void)
{
	return next;
}

void pool_release(u64 mark)
{
	HV_CHECK(mark >= base && mark <= next);
	next = mark;
}
