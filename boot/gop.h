/*
 * boot/gop.h - the UEFI GOP framebuffer for the screen console (boot/gop.c).
 */
#ifndef BOOT_GOP_H
#define BOOT_GOP_H

#include "lib/fb.h"

/*
 * Fills fb from the firmware's current GOP mode and *fb_end with the end of
 * the framebuffer; desc says "GOP WxH format ...".  -1 (desc: why) when
 * there is no framebuffer this code can draw on.  Boot services only.
 */
int gop_find(struct fb *fb, u64 *fb_end, char *desc, size_t len);

#endif
