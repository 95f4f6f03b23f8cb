/*
 * hv/screen.h - the screen console: the UEFI GOP framebuffer, found before
 * ExitBootServices (boot/gop.c), drawn by the hypervisor itself after it
 * (no firmware calls): every console line with the built-in font, then at
 * the end the verdict screen (lib/fb.h).  hv/console.c calls these under its
 * console lock, so lines from several CPUs never mix here either.
 */
#ifndef HV_SCREEN_H
#define HV_SCREEN_H

#include "lib/fb.h"

/*
 * boot/: the framebuffer and memory for the text grid (screen_grid_bytes()
 * of them, kept past ExitBootServices).  From here on every console line is
 * kept in the grid; nothing is drawn before screen_take_over().
 */
size_t screen_grid_bytes(const struct fb *fb);
void screen_init(const struct fb *fb, void *grid_mem);
/* At ExitBootServices, when screen=on: clears the screen and draws the grid. */
void screen_take_over(void);
/* Console output (hv/console.c, under its lock). */
void screen_write(const char *s, size_t n);
/* The verdict screen from what the console printed (true if drawn); the text console stops. */
bool screen_verdict(void);
bool screen_active(void);
/* TSC ticks spent drawing console text so far. */
u64 screen_draw_tsc(void);

#endif
