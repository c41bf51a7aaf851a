//go:build !amd64 || purego

package perception

import "hash/adler32"

// adler32Update returns the Adler-32 of p continuing from adler.
func adler32Update(adler uint32, p []byte) uint32 {
	return adler32Combine(adler, adler32.Checksum(p), int64(len(p)))
}
