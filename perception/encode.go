package perception

import (
	"bytes"
	"encoding/binary"
	"github.com/klauspost/compress/flate"
	"hash/crc32"
	"image"
	"image/png"
	"runtime"
	"sync"
)

// encodeFastPNG writes img as an 8-bit RGB PNG (colour type 2), several times
// faster than image/png on a screenshot:
//
//   - Every row gets the same filter, pngFilter, where image/png tries all five
//     on every row to pick the one whose bytes sum smallest, which is most of
//     its time.
//   - The alpha channel is dropped: screens are opaque, and a quarter less data
//     is a quarter less to filter, hash and compress.
//   - The rows are split into bands compressed in parallel with compress/flate at
//     BestSpeed. Each band but the last ends with a sync flush, which ends its
//     deflate stream byte-aligned and not final, so the bands' outputs
//     concatenate into one valid zlib stream. Each band computes the Adler-32 of
//     its own filtered bytes, and they are combined (adler32Combine) into the
//     stream's checksum. A band cannot refer back into the previous band's data,
//     which costs well under 1 % of the size at these band heights.
//   - Each band becomes its own IDAT chunk, so its CRC is computed in parallel
//     too.
//
// ok is false, and nothing is written, when img is not fully opaque: then the
// caller must use image/png, which keeps the alpha channel.
func encodeFastPNG(buf *bytes.Buffer, img *image.RGBA) (ok bool) {
	return encodeFastPNGFilter(buf, img, pngFilter)
}

// encodeFastPNGFilter is encodeFastPNG with the given filter on every row.
func encodeFastPNGFilter(buf *bytes.Buffer, img *image.RGBA, filter byte) (ok bool) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if w <= 0 || h <= 0 {
		return false
	}
	return encodeBands(buf, w, h, func(b *pngBand, y0, y1 int, last bool) {
		b.encode(img, y0, y1, last, filter)
	})
}

// resizePNG writes src resized to size as a PNG, as encodeFastPNG(Resize(src,
// size)) would, byte for byte, but fused: each band's goroutine resizes a few
// rows straight into PNG's RGB row layout and compresses them while they are
// still in cache, so no intermediate image is made, written or read again, and
// resizing and compressing overlap across the bands instead of running as two
// phases that each wait for their slowest band. Each band checks that the
// source rows it reads are opaque, so the check is parallel too.
//
// ok is false, and nothing is written, when the source is not opaque or size is
// empty; then the caller must use Resize and encodePNG.
func resizePNG(buf *bytes.Buffer, src *image.RGBA, size image.Point) (ok bool) {
	return resizePNGFrom(buf, src, size, false)
}

// resizePNGFrom is resizePNG for a src whose pixels are B, G, R, x when bgr (see
// bgrx). A bgr src that is not resized is converted in place.
func resizePNGFrom(buf *bytes.Buffer, src *image.RGBA, size image.Point, bgr bool) (ok bool) {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	w, h := size.X, size.Y
	if w <= 0 || h <= 0 || sw <= 0 || sh <= 0 {
		return false
	}
	if w == sw && h == sh {
		if bgr {
			bgrxToRGBA(src.Pix)
		}
		return encodeFastPNG(buf, src)
	}
	xs, ys := cachedTaps(sw, w, true), cachedTaps(sh, h, false)
	return encodeBands(buf, w, h, func(b *pngBand, y0, y1 int, last bool) {
		b.encodeResized(src, xs, ys, y0, y1, last, bgr)
	})
}

// encodeBands writes a w×h RGB PNG whose rows are compressed in bands, in
// parallel, by work, which fills in the band's output and sets its opaque
// field. It writes nothing and returns false if any band is not opaque.
func encodeBands(buf *bytes.Buffer, w, h int, work func(b *pngBand, y0, y1 int, last bool)) bool {
	nb := pngBands(w, h)
	bands := make([]*pngBand, nb)
	var wg sync.WaitGroup
	for i := range nb {
		b := getBand()
		bands[i] = b
		y0, y1 := h*i/nb, h*(i+1)/nb
		wg.Go(func() { work(b, y0, y1, i == nb-1) })
	}
	wg.Wait()
	defer func() {
		for _, b := range bands {
			b.release()
		}
	}()
	for _, b := range bands {
		if !b.opaque {
			return false
		}
	}

	// The whole file's size is known: one allocation, no copies as it grows.
	size := 8 + 25 + 14 + 16 + 12 // signature, IHDR, zlib header, trailer, IEND
	for _, b := range bands {
		size += 12 + b.out.Len()
	}
	buf.Grow(size)
	buf.WriteString("\x89PNG\r\n\x1a\n")
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8] = 8  // bit depth
	ihdr[9] = 2  // colour type: RGB
	ihdr[10] = 0 // compression: deflate
	ihdr[11] = 0 // filter method 0
	ihdr[12] = 0 // no interlace
	writeChunk(buf, "IHDR", ihdr[:])
	// The zlib header: deflate with a 32 KiB window (0x78), fastest level, and the
	// check bits that make the pair a multiple of 31.
	writeChunk(buf, "IDAT", []byte{0x78, 0x01})
	sum := uint32(1) // the Adler-32 of no bytes
	for _, b := range bands {
		var head [8]byte
		binary.BigEndian.PutUint32(head[0:], uint32(b.out.Len()))
		copy(head[4:], "IDAT")
		buf.Write(head[:])
		buf.Write(b.out.Bytes())
		binary.BigEndian.PutUint32(head[0:], b.crc)
		buf.Write(head[:4])
		sum = adler32Combine(sum, b.adler, b.n)
	}
	var trailer [4]byte
	binary.BigEndian.PutUint32(trailer[:], sum)
	writeChunk(buf, "IDAT", trailer[:])
	writeChunk(buf, "IEND", nil)
	return true
}

// pngBands is how many bands to compress in parallel: one per processor, more
// for big images so a band of hard content does not keep the others waiting,
// and never bands so thin that their flushes cost compression.
func pngBands(w, h int) int {
	procs := runtime.GOMAXPROCS(0)
	n := procs
	if w*h >= 1<<20 {
		n = 2 * procs
	}
	return max(1, min(n, h/16))
}

func writeChunk(buf *bytes.Buffer, typ string, data []byte) {
	var b [8]byte
	binary.BigEndian.PutUint32(b[0:], uint32(len(data)))
	copy(b[4:], typ)
	buf.Write(b[:])
	buf.Write(data)
	crc := crc32.NewIEEE()
	crc.Write(b[4:8])
	crc.Write(data)
	binary.BigEndian.PutUint32(b[0:], crc.Sum32())
	buf.Write(b[:4])
}

// pngBand is one band's work and result; they are kept between frames (see
// getBand), since a flate.Writer holds about a megabyte of state.
type pngBand struct {
	fw     *flate.Writer
	out    bytes.Buffer
	row    []byte // the filtered row: the filter byte, then the RGB bytes
	zero   []byte // the row above the first: all zero
	adler  uint32 // of the filtered bytes
	n      int64  // how many filtered bytes
	crc    uint32 // of "IDAT" and out
	opaque bool

	raw []byte     // encodeResized's filtered rows, a few at a time
	rr  rowResizer // encodeResized's
}

// spareBands are the bands of earlier frames, ready for the next. Not a
// sync.Pool: a pool is emptied by every other garbage collection, and in a run
// a collection comes every few steps, seconds apart, so a pool would be empty
// for most frames and each would allocate, and fault in, its compressors anew:
// a 1920x1080 frame right after a collection took 41 ms with a pool, 34 ms
// with this list (BenchmarkPerception's ratio collects before each frame). A
// frame uses at most 2 × GOMAXPROCS bands, so that is all that is ever kept.
var spareBands struct {
	sync.Mutex
	free []*pngBand
}

func getBand() *pngBand {
	spareBands.Lock()
	defer spareBands.Unlock()
	if n := len(spareBands.free); n > 0 {
		b := spareBands.free[n-1]
		spareBands.free = spareBands.free[:n-1]
		return b
	}
	return new(pngBand)
}

func (b *pngBand) release() {
	b.out.Reset()
	spareBands.Lock()
	defer spareBands.Unlock()
	if len(spareBands.free) < 2*runtime.GOMAXPROCS(0) {
		spareBands.free = append(spareBands.free, b)
	}
}

// pngFilter is the filter every row gets: None. On real screenshots resized to
// the model's grid (BenchmarkPerception logs each filter's size), None came out
// the smallest, 10–20 % under image/png's adaptive filtering and 20 % under Up
// or Sub: deflate finds repeated glyphs in the raw pixels, while Sub and Up
// smear each glyph into differences that depend on its neighbours. It is also
// the cheapest to compute. (On the synthetic screen Up wins by 10 %.)
const pngFilter = filterNone

// PNG filter types.
const (
	filterNone = 0
	filterSub  = 1
	filterUp   = 2
)

// encode filters and compresses rows [y0, y1) of img; last ends the stream.
func (b *pngBand) encode(img *image.RGBA, y0, y1 int, last bool, filter byte) {
	w := img.Rect.Dx()
	n := 3 * w
	if cap(b.row) < n+1 {
		b.row, b.zero = make([]byte, n+1), make([]byte, 4*w)
	}
	b.row, b.zero = b.row[:n+1], b.zero[:4*w]
	b.start()
	line := func(y int) []byte {
		off := img.PixOffset(img.Rect.Min.X, img.Rect.Min.Y+y)
		return img.Pix[off : off+4*w]
	}
	alpha := byte(255)
	ad := uint32(1)
	for y := y0; y < y1; y++ {
		cur, prev := line(y), b.zero
		if y > 0 {
			prev = line(y - 1)
		}
		b.row[0] = filter
		f := b.row[1:]
		switch filter {
		case filterUp:
			alpha &= upRow(f, cur, prev)
		case filterSub:
			alpha &= subRow(f, cur)
		default:
			alpha &= rgbRow(f, cur)
		}
		ad = adler32Update(ad, b.row)
		b.fw.Write(b.row) // writes to a bytes.Buffer cannot fail
	}
	b.opaque = alpha == 255
	b.finish(ad, int64(y1-y0)*int64(n+1), last)
}

// start readies b's output and compressor for a band.
func (b *pngBand) start() {
	b.out.Reset()
	b.out.WriteString("IDAT") // for the CRC; dropped in finish
	if b.fw == nil {
		b.fw, _ = flate.NewWriter(&b.out, flate.BestSpeed)
	} else {
		b.fw.Reset(&b.out)
	}
}

// finish ends the band's deflate output (the whole stream if last) and records
// the Adler-32 and count of its n filtered bytes and its chunk's CRC.
func (b *pngBand) finish(adler uint32, n int64, last bool) {
	if last {
		b.fw.Close()
	} else {
		b.fw.Flush()
	}
	b.adler = adler
	b.n = n
	b.crc = crc32.ChecksumIEEE(b.out.Bytes())
	b.out.Next(4)
}

// resizedRows is how many rows encodeResized resizes before compressing them:
// enough to make each Write worth its overhead, few enough (about 90 KB at
// 1904 wide) to stay in a core's cache until deflate reads them.
const resizedRows = 16

// encodeResized resizes rows [y0, y1) of the image that xs and ys map src onto,
// filters (None) and compresses them; last ends the stream. The pixels are
// exactly Resize's, from the same kernels.
func (b *pngBand) encodeResized(src *image.RGBA, xs, ys taps, y0, y1 int, last, bgr bool) {
	b.opaque = bgr || opaqueRows(src, ys.start[y0], ys.start[y1-1]+ys.n)
	if !b.opaque {
		return
	}
	w := len(xs.start)
	n := 3*w + 1 // a filtered row: the filter byte, then RGB
	if cap(b.raw) < resizedRows*n {
		b.raw = make([]byte, resizedRows*n)
	}
	b.rr.reset(src)
	defer func() { b.rr.srcOf = nil }() // the pool must not keep the capture
	b.start()
	ad := uint32(1)
	for y := y0; y < y1; y += resizedRows {
		k := min(resizedRows, y1-y)
		raw := b.raw[:k*n]
		for i := range k {
			row := raw[i*n : (i+1)*n]
			row[0] = filterNone
			b.rr.row(row[1:], xs, ys, y+i, 3)
			if bgr {
				swapRB(row[1:])
			}
		}
		ad = adler32Update(ad, raw)
		b.fw.Write(raw) // writes to a bytes.Buffer cannot fail
	}
	b.finish(ad, int64(y1-y0)*int64(n), last)
}

// opaqueRows reports whether rows [y0, y1) of img are fully opaque.
func opaqueRows(img *image.RGBA, y0, y1 int) bool {
	w := img.Rect.Dx()
	const alphas = 0xff000000ff000000
	a := uint64(alphas)
	for y := y0; y < y1; y++ {
		off := img.PixOffset(img.Rect.Min.X, img.Rect.Min.Y+y)
		p := img.Pix[off : off+4*w]
		for ; len(p) >= 8; p = p[8:] {
			a &= binary.LittleEndian.Uint64(p)
		}
		if len(p) == 4 && p[3] != 255 {
			return false
		}
		if a&alphas != alphas {
			return false
		}
	}
	return true
}

// upRow writes the Up filter of RGBA row cur over prev into dst as RGB bytes
// and returns the AND of cur's alpha values (255 when the row is opaque).
func upRow(dst, cur, prev []byte) byte {
	a := byte(255)
	prev = prev[:len(cur)]
	for i, j := 0, 0; i+4 <= len(cur) && j+3 <= len(dst); i, j = i+4, j+3 {
		s, p, d := cur[i:i+4:i+4], prev[i:i+4:i+4], dst[j:j+3:j+3]
		d[0], d[1], d[2] = s[0]-p[0], s[1]-p[1], s[2]-p[2]
		a &= s[3]
	}
	return a
}

// subRow writes the Sub filter of RGBA row cur into dst as RGB bytes and returns
// the AND of cur's alpha values.
func subRow(dst, cur []byte) byte {
	a := byte(255)
	var r, g, bl byte
	for i, j := 0, 0; i+4 <= len(cur) && j+3 <= len(dst); i, j = i+4, j+3 {
		s, d := cur[i:i+4:i+4], dst[j:j+3:j+3]
		d[0], d[1], d[2] = s[0]-r, s[1]-g, s[2]-bl
		r, g, bl = s[0], s[1], s[2]
		a &= s[3]
	}
	return a
}

// rgbRow copies RGBA row src into dst as RGB (the None filter) and returns the
// AND of its alpha values.
func rgbRow(dst, src []byte) byte {
	a := byte(255)
	for i, j := 0, 0; i+4 <= len(src) && j+3 <= len(dst); i, j = i+4, j+3 {
		s, d := src[i:i+4:i+4], dst[j:j+3:j+3]
		d[0], d[1], d[2] = s[0], s[1], s[2]
		a &= s[3]
	}
	return a
}

// adler32Combine returns the Adler-32 of the concatenation of two byte strings,
// given the checksum of each and the length of the second (zlib's
// adler32_combine).
func adler32Combine(a1, a2 uint32, len2 int64) uint32 {
	const base = 65521
	rem := uint64(len2 % base)
	s1a, s2a := uint64(a1&0xffff), uint64(a1>>16)
	s1b, s2b := uint64(a2&0xffff), uint64(a2>>16)
	s1 := (s1a + s1b + base - 1) % base
	s2 := (rem*s1a%base + s2a + s2b + base - rem) % base
	return uint32(s1 | s2<<16)
}

// stdPNG is image/png at its fastest, for the images encodeFastPNG declines.
// Its buffer pool keeps the encoder's buffers and deflate state between captures.
var stdPNG = png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: new(pngPool)}

type pngPool struct{ p sync.Pool }

func (p *pngPool) Get() *png.EncoderBuffer {
	b, _ := p.p.Get().(*png.EncoderBuffer)
	return b
}

func (p *pngPool) Put(b *png.EncoderBuffer) { p.p.Put(b) }

// bgrxToRGBA turns B, G, R, x pixels into opaque R, G, B, A in place, two
// pixels per 64-bit word: a whole screen is millions of pixels, and the word
// version does in four operations what the byte version does in six moves.
func bgrxToRGBA(p []byte) {
	const (
		green = 0x0000ff000000ff00
		low   = 0x000000ff000000ff
		alpha = 0xff000000ff000000
	)
	i := 0
	for ; i+8 <= len(p); i += 8 {
		x := binary.LittleEndian.Uint64(p[i:])
		binary.LittleEndian.PutUint64(p[i:], x&green|x>>16&low|(x&low)<<16|alpha)
	}
	for ; i+4 <= len(p); i += 4 {
		q := p[i : i+4 : i+4]
		q[0], q[2], q[3] = q[2], q[0], 255
	}
}

// blackOpaque fills RGBA pixels with opaque black.
func blackOpaque(p []byte) {
	for i := 3; i < len(p); i += 4 {
		p[i] = 255
	}
}

// bgrx marks a capture whose pixels are B, G, R, x as the X server sends them,
// not R, G, B, A: a frame resizes and compresses them where they are and swaps
// red and blue in each resized row, a 1904-pixel row instead of converting
// every captured pixel first. The x byte is not alpha (it is undefined), so such
// a capture counts as opaque.

// swapRB swaps the first and third byte of each RGB triple of p.
func swapRB(p []byte) {
	for i := 0; i+3 <= len(p); i += 3 {
		q := p[i : i+3 : i+3]
		q[0], q[2] = q[2], q[0]
	}
}
