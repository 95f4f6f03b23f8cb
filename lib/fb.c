/*
 * lib/fb.c - see lib/fb.h.
 */
#include "lib/fb.h"
#include "lib/font8x16.h"
#include "lib/printf.h"
#include "lib/string.h"

/* Plain loops: __builtin_popcount would call libgcc, which the UEFI image does not link. */
static u32 mask_shift(u32 m)
{
	u32 s = 0;

	while (m && !(m & 1))
		m >>= 1, s++;
	return s;
}

static u32 mask_bits(u32 m)
{
	u32 n = 0;

	for (; m; m &= m - 1)
		n++;
	return n;
}

/* An 8-bit channel into a mask of any width (a bit-mask GOP mode may have 5 or 6 bits). */
static u32 put_channel(u32 v, u32 m)
{
	u32 bits = mask_bits(m);

	if (!bits || bits > 16)
		return 0;
	/* Wider than 8 bits: repeat the top bits, so that 0xff stays full intensity. */
	v = bits >= 8 ? v << (bits - 8) | v >> (16 - bits) : v >> (8 - bits);
	return (v << mask_shift(m)) & m;
}

static u32 get_channel(u32 p, u32 m)
{
	u32 bits = mask_bits(m), v = (p & m) >> mask_shift(m);

	if (!bits)
		return 0;
	return bits >= 8 ? v >> (bits - 8) : v << (8 - bits);
}

u32 fb_pixel(const struct fb *fb, u32 rgb)
{
	return put_channel((rgb >> 16) & 0xff, fb->rmask) | put_channel((rgb >> 8) & 0xff, fb->gmask) |
	       put_channel(rgb & 0xff, fb->bmask);
}

u32 fb_rgb_of(const struct fb *fb, u32 pixel)
{
	return FB_RGB(get_channel(pixel, fb->rmask), get_channel(pixel, fb->gmask),
		      get_channel(pixel, fb->bmask));
}

void fb_fill(const struct fb *fb, u32 x, u32 y, u32 w, u32 h, u32 pixel)
{
	if (x >= fb->width || y >= fb->height)
		return;
	w = MIN(w, fb->width - x);
	h = MIN(h, fb->height - y);
	for (u32 r = 0; r < h; r++) {
		u32 *p = fb->base + (u64)(y + r) * fb->stride + x;

		for (u32 c = 0; c < w; c++)
			p[c] = pixel;
	}
}

/* The box drawn for a character the font has no glyph for. */
static const u8 box_glyph[FONT_H] = {
	0, 0, 0x7e, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x7e, 0, 0, 0,
};

void fb_glyph(const struct fb *fb, u32 x, u32 y, char c, u32 scale, u32 fg, u32 bg)
{
	u8 ch = (u8)c;
	const u8 *g = ch >= FONT_FIRST && ch <= FONT_LAST ? font8x16[ch - FONT_FIRST] : box_glyph;
	u32 w = FONT_W * scale, h = FONT_H * scale;

	if (x >= fb->width || y >= fb->height || !scale)
		return;
	w = MIN(w, fb->width - x);
	h = MIN(h, fb->height - y);
	for (u32 r = 0; r < h; r++) {
		u32 *p = fb->base + (u64)(y + r) * fb->stride + x;
		u8 bits = g[r / scale];

		if (scale == 1) {
			for (u32 k = 0; k < w; k++)
				p[k] = bits & (0x80 >> k) ? fg : bg;
			continue;
		}
		for (u32 k = 0; k < w; k++)
			p[k] = bits & (0x80 >> (k / scale)) ? fg : bg;
	}
}

void fb_text(const struct fb *fb, u32 x, u32 y, const char *s, size_t n, u32 scale, u32 fg, u32 bg)
{
	for (size_t i = 0; i < n && x < fb->width; i++, x += FONT_W * scale)
		fb_glyph(fb, x, y, s[i], scale, fg, bg);
}

/* ---- the verdict screen ------------------------------------------------------ */

/* Background per verdict; the text is white on all of them. */
static u32 verdict_colour(const char *v)
{
	if (!strcmp(v, "SUCCESS"))
		return FB_RGB(0x00, 0x60, 0x20);
	if (!strcmp(v, "FAILURE"))
		return FB_RGB(0xa0, 0x10, 0x10);
	if (!strcmp(v, "SKIP"))
		return FB_RGB(0x70, 0x60, 0x00);
	return FB_RGB(0x60, 0x10, 0x70);        /* ERROR, or no verdict */
}

/* One line centred at y; returns the y below it. */
static u32 centred(const struct fb *fb, u32 y, const char *s, u32 scale, u32 fg, u32 bg)
{
	size_t n = strlen(s);
	u32 w = (u32)n * FONT_W * scale;

	/* Too wide: the largest scale that fits, but never below 1. */
	while (scale > 1 && w > fb->width) {
		scale--;
		w = (u32)n * FONT_W * scale;
	}
	fb_text(fb, w < fb->width ? (fb->width - w) / 2 : 0, y, s, n, scale, fg, bg);
	return y + FONT_H * scale;
}

void fb_verdict_screen(const struct fb *fb, const struct tally *t)
{
	const char *v = t->verdict[0] ? t->verdict : "NO VERDICT";
	u32 bg = fb_pixel(fb, verdict_colour(v)), fg = fb_pixel(fb, FB_RGB(0xff, 0xff, 0xff));
	u32 small = fb->width >= 640 && fb->height >= 400 ? 2 : 1;
	u32 big = MIN(fb->width * 3 / 4 / (FONT_W * (u32)strlen(v)), fb->height / 4 / FONT_H);
	u32 y = fb->height / 10, x0 = FONT_W * small, x;
	char line[TALLY_LINE_MAX + 40];

	big = MAX(MIN(big, 12u), 1u);
	fb_fill(fb, 0, 0, fb->width, fb->height, bg);
	y = centred(fb, y, "avic-hv: Test result", small, fg, bg) + FONT_H * small;
	y = centred(fb, y, v, big, fg, bg) + FONT_H * small;
	snprintf(line, sizeof(line), "checks: %u passed, %u failed, %u skipped", t->pass, t->fail, t->skip);
	y = centred(fb, y, line, small, fg, bg) + FONT_H * small / 2;
	snprintf(line, sizeof(line), "tests: %s", t->summary[0] ? t->summary : "(no SUMMARY line)");
	y = centred(fb, y, line, small, fg, bg);
	if (!t->nr_failed)
		return;
	/* The failed tests, as many per line as fit, until the screen ends. */
	y += FONT_H * small / 2;
	fb_text(fb, x0, y, "failed tests:", 13, small, fg, bg);
	y += FONT_H * small * 3 / 2;
	x = x0;
	for (u32 i = 0; i <= t->nr_failed; i++) {
		const char *name = i < t->nr_failed ? t->failed[i] : t->failed_more ? "(and more)" : NULL;
		u32 w;

		if (!name)
			break;
		w = (u32)(strlen(name) + 2) * FONT_W * small;
		if (x > x0 && x + w > fb->width) {
			x = x0;
			y += FONT_H * small * 3 / 2;
		}
		if (y + FONT_H * small > fb->height)
			break;
		fb_text(fb, x, y, name, strlen(name), small, fg, bg);
		x += w;
	}
}
