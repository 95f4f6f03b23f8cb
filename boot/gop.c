/*
 * boot/gop.c - finds the UEFI Graphics Output Protocol's framebuffer for
 * the screen console (hv/screen.h), before ExitBootServices.
 *
 * UEFI spec §12.9 "Graphics Output Protocol": Mode->FrameBufferBase and
 * FrameBufferSize give the linear framebuffer of the current mode,
 * Mode->Info its HorizontalResolution, VerticalResolution,
 * PixelsPerScanLine and PixelFormat.  PixelRedGreenBlueReserved8BitPerColor
 * and PixelBlueGreenRedReserved8BitPerColor are 32-bit pixels with bytes
 * R,G,B,X resp. B,G,R,X; PixelBitMask describes the channels with
 * PixelInformation's masks; PixelBltOnly has no framebuffer at all (only
 * Blt(), a boot service).  The framebuffer stays valid after
 * ExitBootServices; we keep the mode the firmware set and call nothing.
 */
#include <efi.h>
#include <efilib.h>

#include "boot/gop.h"
#include "hv/screen.h"
#include "lib/printf.h"

/* The highest set bit of m, or -1. */
static int top_bit(u32 m)
{
	int b = -1;

	for (; m; m >>= 1)
		b++;
	return b;
}

int gop_find(struct fb *fb, u64 *fb_end, char *desc, size_t len)
{
	EFI_GRAPHICS_OUTPUT_PROTOCOL *gop = NULL;
	EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *info;
	const char *fmt;
	char masks[64];
	u64 need;

	if (BS->LocateProtocol(&GraphicsOutputProtocol, NULL, (void **)&gop) != EFI_SUCCESS || !gop ||
	    !gop->Mode || !gop->Mode->Info) {
		snprintf(desc, len, "no GOP (EFI_GRAPHICS_OUTPUT_PROTOCOL) from the firmware");
		return -1;
	}
	info = gop->Mode->Info;
	*fb = (struct fb){
		.base = (u32 *)(uintptr_t)gop->Mode->FrameBufferBase,
		.width = info->HorizontalResolution, .height = info->VerticalResolution,
		.stride = info->PixelsPerScanLine,
	};
	switch (info->PixelFormat) {
	case PixelRedGreenBlueReserved8BitPerColor:
		fb->rmask = 0xff, fb->gmask = 0xff00, fb->bmask = 0xff0000;
		fmt = "RGBX8888";
		break;
	case PixelBlueGreenRedReserved8BitPerColor:
		fb->bmask = 0xff, fb->gmask = 0xff00, fb->rmask = 0xff0000;
		fmt = "BGRX8888";
		break;
	case PixelBitMask: {
		EFI_PIXEL_BITMASK *m = &info->PixelInformation;
		u32 all = m->RedMask | m->GreenMask | m->BlueMask | m->ReservedMask;

		fb->rmask = m->RedMask, fb->gmask = m->GreenMask, fb->bmask = m->BlueMask;
		snprintf(masks, sizeof(masks), "bit masks R 0x%x G 0x%x B 0x%x", m->RedMask, m->GreenMask,
			 m->BlueMask);
		fmt = masks;
		/* Only 32-bit pixels are drawn: the masks' top bit must be in the 4th byte. */
		if (top_bit(all) < 24 || !m->RedMask || !m->GreenMask || !m->BlueMask ||
		    (m->RedMask & m->GreenMask) || ((m->RedMask | m->GreenMask) & m->BlueMask)) {
			snprintf(desc, len, "GOP %ux%u with %s: only 32-bit pixels are drawn", fb->width,
				 fb->height, masks);
			return -1;
		}
		break;
	}
	case PixelBltOnly:
		snprintf(desc, len, "GOP %ux%u is PixelBltOnly: no framebuffer to draw on after "
			 "ExitBootServices", fb->width, fb->height);
		return -1;
	default:
		snprintf(desc, len, "GOP pixel format %u unknown", (unsigned)info->PixelFormat);
		return -1;
	}
	need = (u64)fb->stride * fb->height * 4;
	if (!fb->base || fb->stride < fb->width || fb->width < 8 || fb->height < 16 ||
	    gop->Mode->FrameBufferSize < need) {
		snprintf(desc, len, "GOP %ux%u %s: framebuffer at 0x%llx of %llu bytes cannot hold %u pixels "
			 "per line", fb->width, fb->height, fmt, (unsigned long long)gop->Mode->FrameBufferBase,
			 (unsigned long long)gop->Mode->FrameBufferSize, fb->stride);
		return -1;
	}
	*fb_end = gop->Mode->FrameBufferBase + gop->Mode->FrameBufferSize;
	snprintf(desc, len, "GOP %ux%u %s, %u pixels per line, framebuffer at 0x%llx; %ux%u text",
		 fb->width, fb->height, fmt, fb->stride, (unsigned long long)gop->Mode->FrameBufferBase,
		 fb->width / 8, fb->height / 16);
	return 0;
}
