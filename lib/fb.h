/*
 * lib/fb.h - drawing on a linear 32-bit framebuffer with the built-in font
 * (lib/font8x16.h): filled rectangles, glyphs at any integer scale, and the
 * verdict screen.  The same code draws the UEFI GOP framebuffer on the
 * machine (hv/screen.c) and an RGB buffer on the host (tools/screencheck.c),
 * which is how a screenshot is checked pixel for pixel.  Freestanding.
 */
#ifndef LIB_FB_H
#define LIB_FB_H

#include "lib/types.h"
#include "lib/tally.h"

struct fb {
	u32 *base;              /* pixel (x, y) is base[y * stride + x] */
	u32 width, height;      /* visible pixels */
	u32 stride;             /* pixels per scan line (>= width) */
	u32 rmask, gmask, bmask; /* where red, green and blue sit in a pixel */
};

/* A colour as 0xRRGGBB. */
#define FB_RGB(r, g, b) (((u32)(r) << 16) | ((u32)(g) << 8) | (u32)(b))

/* 0xRRGGBB -> this framebuffer's pixel value (each channel scaled to its mask's width). */
u32 fb_pixel(const struct fb *fb, u32 rgb);
/* A pixel value back to 0xRRGGBB (exact for 8-bit channels). */
u32 fb_rgb_of(const struct fb *fb, u32 pixel);
/* Fills a rectangle, clipped to the screen. Colours here are pixel values. */
void fb_fill(const struct fb *fb, u32 x, u32 y, u32 w, u32 h, u32 pixel);
/* One character cell (FONT_W*scale x FONT_H*scale) at (x, y); non-printables as a box. */
void fb_glyph(const struct fb *fb, u32 x, u32 y, char c, u32 scale, u32 fg, u32 bg);
/* n characters from (x, y), cut at the right edge. */
void fb_text(const struct fb *fb, u32 x, u32 y, const char *s, size_t n, u32 scale, u32 fg, u32 bg);

/*
 * The verdict screen: the whole screen in the verdict's colour, the
 * verdict in large letters, the counts of PASS/FAIL/SKIP lines, the
 * SUMMARY line and the names of the failed tests.  Depends only on the
 * tally and the screen size.
 */
void fb_verdict_screen(const struct fb *fb, const struct tally *t);

#endif
