//go:build !darwin && !windows

package perception

import "github.com/jezek/xgb/xproto"

// This file is apart from capture_x11.go because it needs no cgo: the app's
// overlay (app/x11draw) checks the same pixel format, with or without cgo.

// XRGB32 reports whether the root window's pixels come as 32-bit little-endian
// words with red, green and blue in bits 16–23, 8–15 and 0–7: bytes B, G, R, x.
func XRGB32(setup *xproto.SetupInfo, screen *xproto.ScreenInfo) bool {
	if setup.ImageByteOrder != xproto.ImageOrderLSBFirst || screen.RootDepth != 24 {
		return false
	}
	bpp := 0
	for _, f := range setup.PixmapFormats {
		if f.Depth == 24 {
			bpp = int(f.BitsPerPixel)
		}
	}
	if bpp != 32 {
		return false
	}
	for _, d := range screen.AllowedDepths {
		for _, v := range d.Visuals {
			if v.VisualId == screen.RootVisual {
				return v.RedMask == 0xff0000 && v.GreenMask == 0xff00 && v.BlueMask == 0xff
			}
		}
	}
	return false
}
