/*
 * hv/screen.c - the screen console (see hv/screen.h).
 *
 * The text lives in a grid of rows x cols characters used as a ring (screen
 * row r is grid line (top + r) % rows); `shown` remembers what each cell of
 * the framebuffer holds, and a flush draws only the cells that differ.  At
 * the bottom the text jumps up by a quarter of the screen at once, so the
 * framebuffer is redrawn once per rows/4 lines instead of once per line:
 * under QEMU TCG every pixel is an emulated store, and the console prints
 * thousands of lines.  No framebuffer reads, no memmove of pixels.
 */
#include "hv/screen.h"
#include "lib/font8x16.h"
#include "lib/string.h"
#include "lib/x86.h"

enum { COL_TEXT, COL_PASS, COL_FAIL, COL_SKIP, COL_NR };

static const u32 colour_rgb[COL_NR] = {
	[COL_TEXT] = FB_RGB(0xc0, 0xc0, 0xc0),
	[COL_PASS] = FB_RGB(0x60, 0xd0, 0x60),
	[COL_FAIL] = FB_RGB(0xff, 0x60, 0x60),
	[COL_SKIP] = FB_RGB(0xe0, 0xc0, 0x40),
};

static struct {
	struct fb fb;
	bool ready, active;
	u32 cols, rows, jump;
	char *grid;             /* rows * cols */
	u16 *shown;             /* rows * cols: character | colour << 8 */
	u32 top, row, col;      /* row: the cursor's screen row */
	u32 dirty_from, dirty_to; /* screen rows to look at in the next flush, [from, to) */
	u32 pixel[COL_NR], black;
	struct tally tally;
	u64 draw_tsc;           /* TSC ticks spent drawing text (METRIC: screen.draw_ms) */
} scr;

static u32 cells(const struct fb *fb)
{
	return (fb->width / FONT_W) * (fb->height / FONT_H);
}

size_t screen_grid_bytes(const struct fb *fb)
{
	return (size_t)cells(fb) * (sizeof(char) + sizeof(u16));
}

void screen_init(const struct fb *fb, void *grid_mem)
{
	memset(&scr, 0, sizeof(scr));
	scr.fb = *fb;
	scr.cols = fb->width / FONT_W;
	scr.rows = fb->height / FONT_H;
	scr.jump = MAX(scr.rows / 4, 1u);
	scr.grid = grid_mem;
	scr.shown = (u16 *)(scr.grid + cells(fb));
	memset(scr.grid, ' ', cells(fb));
	for (u32 i = 0; i < COL_NR; i++)
		scr.pixel[i] = fb_pixel(fb, colour_rgb[i]);
	scr.black = fb_pixel(fb, 0);
	tally_init(&scr.tally);
	scr.ready = scr.cols && scr.rows;
}

bool screen_active(void)
{
	return scr.active;
}

static char *grid_line(u32 screen_row)
{
	return scr.grid + (u64)((scr.top + screen_row) % scr.rows) * scr.cols;
}

static void mark_dirty(u32 from, u32 to)
{
	if (scr.dirty_from >= scr.dirty_to) {
		scr.dirty_from = from;
		scr.dirty_to = to;
	} else {
		scr.dirty_from = MIN(scr.dirty_from, from);
		scr.dirty_to = MAX(scr.dirty_to, to);
	}
}

static u32 line_colour(const char *l)
{
	if (!memcmp(l, "PASS:", 5))
		return COL_PASS;
	if (!memcmp(l, "FAIL:", 5))
		return COL_FAIL;
	if (!memcmp(l, "SKIP:", 5))
		return COL_SKIP;
	return COL_TEXT;
}

static void flush(void)
{
	for (u32 r = scr.dirty_from; r < scr.dirty_to; r++) {
		const char *l = grid_line(r);
		u16 *shown = scr.shown + (u64)r * scr.cols;
		u32 colour = scr.cols >= 5 ? line_colour(l) : COL_TEXT;

		for (u32 c = 0; c < scr.cols; c++) {
			u16 cell = l[c] == ' ' ? ' ' : (u16)((u8)l[c] | colour << 8);

			if (shown[c] == cell)
				continue;
			fb_glyph(&scr.fb, c * FONT_W, r * FONT_H, l[c], 1, scr.pixel[colour], scr.black);
			shown[c] = cell;
		}
	}
	scr.dirty_from = scr.dirty_to = 0;
}

void screen_take_over(void)
{
	if (!scr.ready)
		return;
	fb_fill(&scr.fb, 0, 0, scr.fb.width, scr.fb.height, scr.black);
	for (u32 i = 0; i < scr.rows * scr.cols; i++)
		scr.shown[i] = ' ';
	scr.active = true;
	mark_dirty(0, scr.rows);
	flush();
}

static void newline(void)
{
	scr.col = 0;
	if (++scr.row < scr.rows)
		return;
	/* Jump scroll: the top `jump` lines leave, as many blank ones come in at the bottom. */
	scr.top = (scr.top + scr.jump) % scr.rows;
	scr.row = scr.rows - scr.jump;
	for (u32 r = scr.row; r < scr.rows; r++)
		memset(grid_line(r), ' ', scr.cols);
	mark_dirty(0, scr.rows);
}

void screen_write(const char *s, size_t n)
{
	if (!scr.ready)
		return;
	tally_feed(&scr.tally, s, n);
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '\r')
			continue;
		if (c == '\n') {
			newline();
			continue;
		}
		if (scr.col == scr.cols)
			newline();
		grid_line(scr.row)[scr.col++] = c == '\t' ? ' ' : c;
		mark_dirty(scr.row, scr.row + 1);
	}
	if (scr.active) {
		u64 t0 = rdtsc();

		flush();
		scr.draw_tsc += rdtsc() - t0;
	}
}

u64 screen_draw_tsc(void)
{
	return scr.draw_tsc;
}

bool screen_verdict(void)
{
	if (!scr.active)
		return false;
	scr.active = false;
	fb_verdict_screen(&scr.fb, &scr.tally);
	return true;
}
