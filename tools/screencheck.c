/*
 * tools/screencheck.c - checks a screenshot of the verdict screen (run.sh
 * --screenshot) pixel for pixel against the same screen drawn here, on the
 * host, by the hypervisor's own code (lib/fb.c, lib/font8x16.c, lib/tally.c)
 * from the run's serial log.
 *
 *   screencheck [--region X,Y,W,H] [--verdict WORD] [--expected OUT.png] LOG SHOT.png
 *
 * The log's lines (ANSI escapes and CR removed) go through the tally as the
 * hypervisor's console lines did; the screen is drawn at the PNG's size.
 * --region compares only that rectangle (default: the whole screen);
 * --verdict draws another verdict word instead of the log's (the scenario
 * uses it to show that a wrong screen is caught); --expected writes the
 * drawn screen as a PNG.  Exit status: 0 the same, 1 pixels differ (the
 * count and the first one are printed), 2 usage or file error.
 *
 * PNG (ISO/IEC 15948, "Portable Network Graphics"): the 8-byte signature,
 * then chunks (length, type, data, CRC-32); IHDR gives width, height, bit
 * depth, colour type, interlace; the IDAT data together are one zlib stream
 * of scan lines, each a filter-type byte (0 None, 1 Sub, 2 Up, 3 Average,
 * 4 Paeth) and the filtered bytes.  Read here: 8-bit RGB or RGBA, not
 * interlaced, which is what QEMU's screendump writes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "lib/fb.h"
#include "lib/tally.h"
#include "tools/verdict.h"

static const unsigned char png_sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "screencheck: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(2);
}

static unsigned char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t cap = 0, n = 0, k;

	if (!f)
		die("cannot open %s", path);
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 1 << 16;
			buf = realloc(buf, cap + 1);
			if (!buf)
				die("out of memory reading %s", path);
		}
		k = fread(buf + n, 1, cap - n, f);
		n += k;
	} while (k);
	if (ferror(f))
		die("cannot read %s", path);
	fclose(f);
	buf[n] = 0;
	*len = n;
	return buf;
}

static u32 be32(const unsigned char *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

static int paeth(int a, int b, int c)
{
	int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);

	return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* Decodes an 8-bit RGB(A) PNG into 0xRRGGBB pixels. */
static u32 *png_read(const char *path, u32 *w, u32 *h)
{
	size_t len, pos = 8, idat_len = 0;
	unsigned char *f = read_file(path, &len), *idat = NULL, *raw, *prev;
	unsigned bpp = 0;
	uLongf raw_len;
	u32 *px;

	*w = *h = 0;
	if (len < 8 || memcmp(f, png_sig, 8))
		die("%s: not a PNG file", path);
	while (pos + 12 <= len) {
		u32 n = be32(f + pos);
		const unsigned char *type = f + pos + 4, *d = f + pos + 8;

		if (n > len - pos - 12)
			die("%s: a chunk runs past the end of the file", path);
		if (!memcmp(type, "IHDR", 4)) {
			if (n < 13)
				die("%s: short IHDR", path);
			*w = be32(d);
			*h = be32(d + 4);
			if (d[8] != 8 || (d[9] != 2 && d[9] != 6) || d[12] != 0)
				die("%s: only 8-bit RGB or RGBA, not interlaced, is read", path);
			bpp = d[9] == 6 ? 4 : 3;
		} else if (!memcmp(type, "IDAT", 4)) {
			idat = realloc(idat, idat_len + n + 1);
			if (!idat)
				die("out of memory for %s", path);
			memcpy(idat + idat_len, d, n);
			idat_len += n;
		} else if (!memcmp(type, "IEND", 4)) {
			break;
		}
		pos += 12 + n;
	}
	if (!bpp || !*w || !*h || *w > 16384 || *h > 16384 || !idat)
		die("%s: no image (IHDR/IDAT missing or sizes out of range)", path);
	raw_len = (uLongf)*h * (1 + (uLongf)*w * bpp);
	raw = malloc(raw_len);
	px = malloc((size_t)*w * *h * sizeof(*px));
	prev = calloc((size_t)*w * bpp, 1);
	if (!raw || !px || !prev)
		die("out of memory for %s", path);
	if (uncompress(raw, &raw_len, idat, idat_len) != Z_OK || raw_len != (uLongf)*h * (1 + (uLongf)*w * bpp))
		die("%s: the image data does not inflate to its size", path);
	for (u32 y = 0; y < *h; y++) {
		unsigned char *line = raw + (size_t)y * (1 + *w * bpp), *cur = line + 1;
		size_t n = (size_t)*w * bpp;

		for (size_t i = 0; i < n; i++) {
			int a = i >= bpp ? cur[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;

			switch (line[0]) {
			case 0: break;
			case 1: cur[i] += a; break;
			case 2: cur[i] += b; break;
			case 3: cur[i] += (a + b) / 2; break;
			case 4: cur[i] += paeth(a, b, c); break;
			default: die("%s: unknown PNG filter type", path);
			}
		}
		for (u32 x = 0; x < *w; x++)
			px[(size_t)y * *w + x] = FB_RGB(cur[x * bpp], cur[x * bpp + 1], cur[x * bpp + 2]);
		memcpy(prev, cur, n);
	}
	free(f);
	free(idat);
	free(raw);
	free(prev);
	return px;
}

static void put32(FILE *f, u32 v)
{
	unsigned char b[4] = { v >> 24, v >> 16, v >> 8, v };

	fwrite(b, 1, 4, f);
}

static void chunk(FILE *f, const char *type, const unsigned char *d, u32 n)
{
	uLong crc = crc32(0, (const Bytef *)type, 4);

	put32(f, n);
	fwrite(type, 1, 4, f);
	if (n)
		fwrite(d, 1, n, f);
	/* crc32() with a NULL buffer returns its initial value, not crc: only call it with data. */
	put32(f, (u32)(n ? crc32(crc, d, n) : crc));
}

/* Writes 0xRRGGBB pixels as an 8-bit RGB PNG (filter None on every line). */
static void png_write(const char *path, const u32 *px, u32 w, u32 h)
{
	size_t raw_len = (size_t)h * (1 + (size_t)w * 3);
	unsigned char *raw = malloc(raw_len), ihdr[13] = { 0 };
	uLongf zlen = compressBound(raw_len);
	unsigned char *z = malloc(zlen);
	FILE *f;

	if (!raw || !z)
		die("out of memory for %s", path);
	for (u32 y = 0; y < h; y++) {
		unsigned char *l = raw + (size_t)y * (1 + w * 3);

		l[0] = 0;
		for (u32 x = 0; x < w; x++) {
			u32 p = px[(size_t)y * w + x];

			l[1 + 3 * x] = p >> 16;
			l[2 + 3 * x] = p >> 8;
			l[3 + 3 * x] = p;
		}
	}
	if (compress(z, &zlen, raw, raw_len) != Z_OK)
		die("cannot compress %s", path);
	f = fopen(path, "wb");
	if (!f)
		die("cannot write %s", path);
	fwrite(png_sig, 1, 8, f);
	ihdr[0] = w >> 24, ihdr[1] = w >> 16, ihdr[2] = w >> 8, ihdr[3] = w;
	ihdr[4] = h >> 24, ihdr[5] = h >> 16, ihdr[6] = h >> 8, ihdr[7] = h;
	ihdr[8] = 8, ihdr[9] = 2;
	chunk(f, "IHDR", ihdr, 13);
	chunk(f, "IDAT", z, (u32)zlen);
	chunk(f, "IEND", NULL, 0);
	if (fclose(f))
		die("cannot write %s", path);
	free(raw);
	free(z);
}

/* The log's lines, as the hypervisor's console printed them, into the tally. */
static void tally_log(struct tally *t, const char *path)
{
	size_t len;
	char *log = (char *)read_file(path, &len), *p = log, *end = log + len;

	tally_init(t);
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl)
			nl = end;
		*nl = 0;
		tally_line(t, p, verdict_strip(p));
		p = nl + 1;
	}
	free(log);
}

int main(int argc, char **argv)
{
	const char *verdict = NULL, *expected = NULL, *region = NULL;
	u32 w, h, rx = 0, ry = 0, rw, rh, *shot, *mine;
	unsigned long long diff = 0;
	struct tally t;
	struct fb fb;
	int i;

	for (i = 1; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (!strcmp(argv[i], "--verdict"))
			verdict = argv[i + 1];
		else if (!strcmp(argv[i], "--expected"))
			expected = argv[i + 1];
		else if (!strcmp(argv[i], "--region"))
			region = argv[i + 1];
		else
			die("unknown option %s (usage: screencheck [--region X,Y,W,H] [--verdict WORD] "
			    "[--expected OUT.png] LOG SHOT.png)", argv[i]);
	}
	if (argc - i != 2)
		die("%s", "usage: screencheck [--region X,Y,W,H] [--verdict WORD] [--expected OUT.png] LOG SHOT.png");
	tally_log(&t, argv[i]);
	if (verdict)
		snprintf(t.verdict, sizeof(t.verdict), "%s", verdict);
	shot = png_read(argv[i + 1], &w, &h);
	rw = w, rh = h;
	if (region && (sscanf(region, "%u,%u,%u,%u", &rx, &ry, &rw, &rh) != 4 || !rw || !rh ||
		       rx >= w || ry >= h || rw > w - rx || rh > h - ry))
		die("--region %s: give X,Y,W,H inside the picture", region);

	mine = calloc((size_t)w * h, sizeof(*mine));
	if (!mine)
		die("%s", "out of memory");
	fb = (struct fb){ .base = mine, .width = w, .height = h, .stride = w,
			  .rmask = 0xff0000, .gmask = 0xff00, .bmask = 0xff };
	fb_verdict_screen(&fb, &t);
	if (expected)
		png_write(expected, mine, w, h);

	for (u32 y = ry; y < ry + rh; y++)
		for (u32 x = rx; x < rx + rw; x++) {
			u32 a = mine[(size_t)y * w + x], b = shot[(size_t)y * w + x];

			if (a == b)
				continue;
			if (!diff++)
				printf("screencheck: first difference at (%u,%u): drawn #%06x, screenshot #%06x\n",
				       x, y, a, b);
		}
	printf("screencheck: %ux%u screen, region %u,%u %ux%u, verdict '%s' (%u pass, %u fail, %u skip "
	       "lines): %llu of %llu pixels differ\n", w, h, rx, ry, rw, rh, t.verdict, t.pass, t.fail, t.skip,
	       diff, (unsigned long long)rw * rh);
	free(shot);
	free(mine);
	return diff ? 1 : 0;
}
