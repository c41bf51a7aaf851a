package overlay

import (
	"image"
	"image/color"
)

// The Windows overlay shows its pictures with UpdateLayeredWindow, which takes a
// 32-bit DIB section: rows top-down, bytes in B, G, R, A order, colours
// premultiplied by alpha, and alpha 0 letting both the pixels and the clicks
// through. Building those buffers is plain Go, here, so it is tested on every
// platform; overlay_windows.go only copies them to the screen.

// dibLen is the byte length of a top-down 32-bit DIB of size s.
func dibLen(s image.Point) int { return s.X * s.Y * 4 }

// drawMarkerDIB draws a marker into dst, a top-down BGRA DIB covering b on the
// screen (dibLen(b.Size()) bytes): c inside every rectangle of rs, nothing
// elsewhere. A color.RGBA is premultiplied already, as a DIB for
// UpdateLayeredWindow must be.
func drawMarkerDIB(dst []byte, b image.Rectangle, rs []image.Rectangle, c color.RGBA) {
	clear(dst[:dibLen(b.Size())])
	stride := b.Dx() * 4
	for _, r := range rs {
		r = r.Intersect(b).Sub(b.Min)
		for y := r.Min.Y; y < r.Max.Y; y++ {
			row := dst[y*stride+r.Min.X*4 : y*stride+r.Max.X*4]
			for i := 0; i < len(row); i += 4 {
				row[i], row[i+1], row[i+2], row[i+3] = c.B, c.G, c.R, c.A
			}
		}
	}
}

// drawPanelDIB copies img into dst, a top-down BGRA DIB of img's size: the same
// premultiplied pixels with red and blue swapped.
func drawPanelDIB(dst []byte, img *image.RGBA) {
	b := img.Bounds()
	w := b.Dx() * 4
	for y := 0; y < b.Dy(); y++ {
		src := img.Pix[img.PixOffset(b.Min.X, b.Min.Y+y):][:w]
		row := dst[y*w : (y+1)*w]
		for i := 0; i < w; i += 4 {
			row[i], row[i+1], row[i+2], row[i+3] = src[i+2], src[i+1], src[i], src[i+3]
		}
	}
}

// pointFromLParam is the point a mouse message carries in its lParam: two
// signed 16-bit words, x low and y high (GET_X_LPARAM, GET_Y_LPARAM), negative
// left of and above the window's origin.
func pointFromLParam(l uintptr) image.Point {
	return image.Pt(int(int16(uint16(l))), int(int16(uint16(l>>16))))
}
