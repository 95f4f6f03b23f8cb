/*
 * lib/asm-offsets.h - the markers the offset generators emit (svm/asm-offsets.c
 * for the world switch, boot/asm-offsets.c for the AP trampoline).  Compiled
 * with -S only; the Makefile turns each "@@OFFSET@@ NAME value" line into a
 * NASM %define.
 */
#ifndef LIB_ASM_OFFSETS_H
#define LIB_ASM_OFFSETS_H

#include <stddef.h>

#define OFFSET(sym, type, field) \
	__asm__ volatile("\n@@OFFSET@@ " #sym " %0" ::"i"(offsetof(type, field)))
#define CONSTANT(sym, val) \
	__asm__ volatile("\n@@OFFSET@@ " #sym " %0" ::"i"(val))

#endif
