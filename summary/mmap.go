package summary

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// mapFile maps size bytes of f read-only when f is a file that can be
// mapped; ok is false otherwise (the pass then reads through ReadAt).
func mapFile(f io.ReaderAt, size int64) ([]byte, bool) {
	file, ok := f.(*os.File)
	if !ok || size <= 0 || int64(int(size)) != size {
		return nil, false
	}
	m, err := unix.Mmap(int(file.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, false
	}
	_ = unix.Madvise(m, unix.MADV_SEQUENTIAL)
	return m, true
}

func unmapFile(m []byte) { _ = unix.Munmap(m) }

// releaseMapped drops the whole pages of m[from:to] from the process
// (they stay in the page cache; a later access maps them back).
func releaseMapped(m []byte, from, to int64) {
	page := int64(os.Getpagesize())
	lo := (from + page - 1) / page * page
	hi := to / page * page
	if hi > lo {
		_ = unix.Madvise(m[lo:hi], unix.MADV_DONTNEED)
	}
}
