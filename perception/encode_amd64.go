//go:build amd64 && !purego

package perception

import "hash/adler32"

// adler32SSE2 is in encode_amd64.s.
//
//go:noescape
func adler32SSE2(adler uint32, p *byte, n int) uint32

// adler32Update returns the Adler-32 of p continuing from adler, several times
// faster than hash/adler32, which goes byte by byte.
func adler32Update(adler uint32, p []byte) uint32 {
	n := len(p) &^ 15
	if n > 0 {
		adler = adler32SSE2(adler, &p[0], n)
	}
	if n == len(p) {
		return adler
	}
	return adler32Combine(adler, adler32.Checksum(p[n:]), int64(len(p)-n))
}
