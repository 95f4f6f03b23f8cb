/*
 * lib/font8x16.h - the built-in 8x16 bitmap font of the screen console
 * (lib/font8x16.c): one glyph per printable ASCII character.
 */
#ifndef LIB_FONT8X16_H
#define LIB_FONT8X16_H

#include "lib/types.h"

#define FONT_W      8
#define FONT_H      16
#define FONT_FIRST  0x20
#define FONT_LAST   0x7e
#define FONT_GLYPHS (FONT_LAST - FONT_FIRST + 1)

/* Row r of a glyph: bit 7 is its leftmost pixel. */
extern const u8 font8x16[FONT_GLYPHS][FONT_H];

#endif
