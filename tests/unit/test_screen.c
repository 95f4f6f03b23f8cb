/*
 * tests/unit/test_screen.c - the screen console's pure parts: the font
 * (lib/font8x16.c), drawing and pixel formats (lib/fb.c), the results tally
 * (lib/tally.c) and the screen= / screen_hold= keys.  A failure means the
 * screen shows wrong colours or text on some GOP mode, or a verdict screen
 * whose counts are not the serial console's.
 */
#include <stdlib.h>
#include <string.h>
#include "hv/config.h"
#include "lib/fb.h"
#include "lib/printf.h"
#include "lib/font8x16.h"
#include "lib/tally.h"
#include "tests/unit/unit.h"

TEST(font_glyphs_are_distinct_and_lit)
{
	for (int c = FONT_FIRST; c <= FONT_LAST; c++) {
		int lit = 0;

		for (int r = 0; r < FONT_H; r++)
			lit += font8x16[c - FONT_FIRST][r] != 0;
		if (c == ' ')
			CHECK_EQ(0, lit);
		else
			CHECK(lit > 0);
		/* Rows 0-1 stay dark: lines of text never touch. */
		CHECK_EQ(0, font8x16[c - FONT_FIRST][0] | font8x16[c - FONT_FIRST][1]);
		for (int d = FONT_FIRST; d < c; d++)
			CHECK(memcmp(font8x16[c - FONT_FIRST], font8x16[d - FONT_FIRST], FONT_H) != 0);
	}
	/* The compile-time row pictures: 'H' has its two stems and its bar. */
	CHECK_EQ(0xc6, font8x16['H' - FONT_FIRST][3]);
	CHECK_EQ(0xfe, font8x16['H' - FONT_FIRST][7]);
}

TEST(fb_pixel_formats)
{
	/* PixelRedGreenBlueReserved8BitPerColor: bytes R, G, B, X. */
	struct fb rgbx = { .rmask = 0xff, .gmask = 0xff00, .bmask = 0xff0000 };
	/* PixelBlueGreenRedReserved8BitPerColor: bytes B, G, R, X. */
	struct fb bgrx = { .rmask = 0xff0000, .gmask = 0xff00, .bmask = 0xff };
	/* PixelBitMask, 10 bits per channel (x2r10g10b10) and 5-6-5 in the low bits. */
	struct fb r10 = { .rmask = 0x3ff00000, .gmask = 0xffc00, .bmask = 0x3ff };
	struct fb r565 = { .rmask = 0xf800, .gmask = 0x7e0, .bmask = 0x1f };

	CHECK_EQ(0x00563412, fb_pixel(&rgbx, FB_RGB(0x12, 0x34, 0x56)));
	CHECK_EQ(0x00123456, fb_pixel(&bgrx, FB_RGB(0x12, 0x34, 0x56)));
	CHECK_EQ(0x3fffffff, fb_pixel(&r10, FB_RGB(0xff, 0xff, 0xff)));
	CHECK_EQ(0x20200000, fb_pixel(&r10, FB_RGB(0x80, 0, 0)));   /* 0x80 -> 0x202 */
	CHECK_EQ(0xffff, fb_pixel(&r565, FB_RGB(0xff, 0xff, 0xff)));
	CHECK_EQ(0x8000, fb_pixel(&r565, FB_RGB(0x80, 0, 0)));
	CHECK_EQ(FB_RGB(0x12, 0x34, 0x56), fb_rgb_of(&rgbx, fb_pixel(&rgbx, FB_RGB(0x12, 0x34, 0x56))));
	CHECK_EQ(FB_RGB(0x12, 0x34, 0x56), fb_rgb_of(&bgrx, fb_pixel(&bgrx, FB_RGB(0x12, 0x34, 0x56))));
}

TEST(fb_glyph_scaled_and_clipped)
{
	static u32 px[40 * 40];
	struct fb fb = { .base = px, .width = 36, .height = 40, .stride = 40,
			 .rmask = 0xff0000, .gmask = 0xff00, .bmask = 0xff };

	memset(px, 0xee, sizeof(px));
	fb_glyph(&fb, 0, 0, 'H', 2, 1, 0);
	/* Row 3 of 'H' (0xc6) at scale 2: pixels 0-3 lit, 4-9 dark, 10-13 lit, on rows 6 and 7. */
	for (int y = 6; y < 8; y++)
		for (int x = 0; x < 16; x++)
			CHECK_EQ((0xc6 >> (7 - x / 2)) & 1, px[y * 40 + x]);
	CHECK_EQ(0, px[0]);
	CHECK_EQ(0xeeeeeeee, px[16]);   /* the cell ends at 16 */
	/* Clipped at the right edge (width 36) and bottom: nothing past them. */
	fb_glyph(&fb, 32, 32, 'H', 2, 1, 0);
	CHECK_EQ(0xeeeeeeee, px[39 * 40 + 36]);
	CHECK_EQ(0, px[32 * 40 + 35]);
	/* Characters without a glyph are a box, not nothing. */
	fb_glyph(&fb, 16, 0, '\x01', 1, 1, 0);
	CHECK_EQ(1, px[2 * 40 + 17]);
}

TEST(tally_counts_like_the_verdict_tool)
{
	static const char log[] =
		"avic-hv 0.1\r\nPASS: a: one\r\nPASS: a: two\nFAIL: b: vcpu0: x (expected 1, got 2)\n"
		"[guest b/0] PASS: not a result\nFAIL: b: vcpu1: again\nSKIP: c: why\nFAIL: d:\n"
		"SUMMARY: 4 tests, 2 unexpected failures, 1 skipped  \r\nTest result: FAILURE\r\n"
		"Test result: SUCCESS\n";
	struct tally t;

	tally_init(&t);
	/* Fed in awkward pieces, as the console writes them. */
	for (size_t i = 0; i < sizeof(log) - 1; i += 7)
		tally_feed(&t, log + i, sizeof(log) - 1 - i < 7 ? sizeof(log) - 1 - i : 7);
	CHECK_EQ(2, t.pass);
	CHECK_EQ(3, t.fail);
	CHECK_EQ(1, t.skip);
	CHECK_EQ(2, t.nr_failed);
	CHECK_STR_EQ("b", t.failed[0]);
	CHECK_STR_EQ("d", t.failed[1]);
	CHECK_STR_EQ("4 tests, 2 unexpected failures, 1 skipped", t.summary);
	CHECK_STR_EQ("FAILURE", t.verdict);     /* the first final line */
}

TEST(tally_keeps_a_bounded_list)
{
	char line[64];
	struct tally t;

	tally_init(&t);
	for (int i = 0; i < TALLY_FAILED_MAX + 3; i++) {
		int n = snprintf(line, sizeof(line), "FAIL: test_%d: x", i);

		tally_line(&t, line, (size_t)n);
	}
	CHECK_EQ(TALLY_FAILED_MAX, t.nr_failed);
	CHECK(t.failed_more);
	CHECK_EQ(TALLY_FAILED_MAX + 3, t.fail);
}

TEST(verdict_screen_colour_and_text)
{
	u32 w = 640, h = 400, *px = calloc((size_t)w * h, sizeof(u32));
	struct fb fb = { .base = px, .width = w, .height = h, .stride = w,
			 .rmask = 0xff0000, .gmask = 0xff00, .bmask = 0xff };
	struct tally t;
	u32 white = 0, first_white_row = h;

	CHECK(px != NULL);
	tally_init(&t);
	tally_line(&t, "Test result: SUCCESS", 20);
	fb_verdict_screen(&fb, &t);
	CHECK_EQ(FB_RGB(0x00, 0x60, 0x20), px[0]);
	for (u32 i = 0; i < w * h; i++)
		if (px[i] == 0xffffff) {
			white++;
			first_white_row = MIN(first_white_row, i / w);
		}
	CHECK(white > 1000);
	CHECK(first_white_row >= h / 10);       /* nothing above the title */
	tally_line(&t, "FAIL: x: y", 10);
	memcpy(t.verdict, "FAILURE", 8);
	fb_verdict_screen(&fb, &t);
	CHECK_EQ(FB_RGB(0xa0, 0x10, 0x10), px[0]);
	free(px);
}

TEST(config_screen_keys)
{
	struct hv_config c;
	char err[160] = "", desc[300];

	config_defaults(&c);
	CHECK(c.screen);
	CHECK(!c.screen_hold);
	CHECK_EQ(0, config_parse(&c, "screen=off screen_hold=on", err, sizeof(err)));
	CHECK(!c.screen);
	CHECK(c.screen_hold);
	config_describe(&c, desc, sizeof(desc));
	CHECK(strstr(desc, " screen=off screen_hold=on") != NULL);
	CHECK_EQ((u64)-1, config_parse(&c, "screen=maybe", err, sizeof(err)));
	CHECK(strstr(err, "screen=maybe") != NULL);
	CHECK_EQ((u64)-1, config_parse(&c, "screen_hold=2", err, sizeof(err)));
}

/* ---- hv/screen.c: the text grid, the jump scroll, the verdict screen ---------------- */

#include "hv/screen.h"

#define SW 32                   /* 4 columns */
#define SH 64                   /* 4 rows: a jump is 1 row */

/* The screen as it should be: rows of text (NULL = blank), drawn cell by cell. */
static bool screen_is(const u32 *got, const char *const rows[4])
{
	static u32 want[SW * SH];
	struct fb fb = { .base = want, .width = SW, .height = SH, .stride = SW,
			 .rmask = 0xff0000, .gmask = 0xff00, .bmask = 0xff };

	for (int r = 0; r < 4; r++)
		for (int c = 0; c < 4; c++) {
			char ch = rows[r] && c < (int)strlen(rows[r]) ? rows[r][c] : ' ';

			fb_glyph(&fb, c * 8, r * 16, ch, 1, fb_pixel(&fb, FB_RGB(0xc0, 0xc0, 0xc0)), 0);
		}
	return !memcmp(want, got, sizeof(want));
}

TEST(screen_console_grid_and_jump_scroll)
{
	static u32 px[SW * SH];
	struct fb fb = { .base = px, .width = SW, .height = SH, .stride = SW,
			 .rmask = 0xff0000, .gmask = 0xff00, .bmask = 0xff };
	void *grid = malloc(screen_grid_bytes(&fb));

	CHECK(grid != NULL);
	memset(px, 0x5a, sizeof(px));
	screen_init(&fb, grid);
	screen_write("ab\ncd", 5);
	/* Kept, but nothing drawn before the take-over (the firmware still owns the screen). */
	CHECK_EQ(0x5a5a5a5a, px[0]);
	CHECK(!screen_active());
	screen_take_over();
	CHECK(screen_active());
	CHECK(screen_is(px, (const char *const[4]){ "ab", "cd", NULL, NULL }));
	/*
	 * A long line wraps at 4 columns; '\r' is dropped.  The newline after
	 * "i" puts the cursor below the last row: the text jumps up by a
	 * quarter of the screen (one row here) and the cursor's row is blank.
	 */
	screen_write("\r\nefghi\n", 8);
	CHECK(screen_is(px, (const char *const[4]){ "cd", "efgh", "i", NULL }));
	screen_write("jk\n", 3);
	CHECK(screen_is(px, (const char *const[4]){ "efgh", "i", "jk", NULL }));
	screen_write("l\nm\n", 4);
	CHECK(screen_is(px, (const char *const[4]){ "jk", "l", "m", NULL }));
	/* The verdict screen replaces the text, and the text console stops. */
	screen_write("Test result: SKIP\n", 18);
	CHECK(screen_verdict());
	CHECK(!screen_active());
	CHECK(!screen_verdict());
	CHECK_EQ(FB_RGB(0x70, 0x60, 0x00), px[0]);
	screen_write("more\n", 5);
	CHECK_EQ(FB_RGB(0x70, 0x60, 0x00), px[0]);
	free(grid);
}
