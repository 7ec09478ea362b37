package report

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/benchctl/benchctl/results"
)

// peakHeap samples the live heap every 5 ms until stop is called and
// returns the highest value seen (bytes).
func peakHeap() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 { close(done); wg.Wait(); return peak }
}

// cpuTime returns the process's user+system CPU time so far: unlike wall
// time it barely moves with other load on the machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// decodeAll streams every record of a run once (the baseline).
func decodeAll(tb testing.TB, dir string) int {
	f, err := os.Open(filepath.Join(dir, results.ResultsFile))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	dec := results.NewJSONDecoder(f)
	var r results.Record
	n := 0
	for {
		err := dec(&r)
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			tb.Fatal(err)
		}
		n++
	}
}

// BenchmarkRender1M renders the full report (html, md, json, png, svg) of a
// 1M-record run, streaming results.jsonl once. It reports the peak live heap
// and the time relative to merely decoding the records (the baseline,
// measured in the same run): goal < 10 s and < 300 MB.
func BenchmarkRender1M(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "big-run")
	o := defaultSynth()
	o.PerTarget = 250_000 // 2 phases × 2 targets × 250k = 1M records
	writeSyntheticRun(b, dir, o)
	runtime.GC()
	t0, c0 := time.Now(), cpuTime()
	n := decodeAll(b, dir)
	decode, decodeCPU := time.Since(t0), cpuTime()-c0
	if n != 1_000_000 {
		b.Fatalf("run has %d records, want 1M", n)
	}
	out := b.TempDir()
	b.ResetTimer()
	var peak uint64
	var total, totalCPU time.Duration
	for i := 0; i < b.N; i++ {
		runtime.GC()
		stop := peakHeap()
		start, c := time.Now(), cpuTime()
		if _, err := Render(context.Background(), dir, out, []string{"all"}); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		totalCPU += cpuTime() - c
		peak = max(peak, stop())
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(decode.Seconds(), "decode-only-s")
	b.ReportMetric(total.Seconds()/float64(b.N)/decode.Seconds(), "x-decode-time")
	b.ReportMetric(totalCPU.Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(totalCPU.Seconds()/float64(b.N)/decodeCPU.Seconds(), "x-decode-cpu")
}

// BenchmarkLoad measures loading a 100k-record run (the summary
// pipeline's pass with the report's series) without rendering.
func BenchmarkLoad(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "run")
	o := defaultSynth()
	o.PerTarget = 25_000
	writeSyntheticRun(b, dir, o)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Load(context.Background(), dir); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMannWhitneyU measures the test on two 20k samples.
func BenchmarkMannWhitneyU(b *testing.B) {
	a, c := make([]float64, 20000), make([]float64, 20000)
	for i := range a {
		a[i], c[i] = float64(i%997), float64((i*7)%1009)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		MannWhitneyU(a, c)
	}
}

// BenchmarkDecoders compares, on the same 200k-record file, the results
// package's full Record decoder (the baseline) with the report's lean
// decoder; cpu-s/op is the steadier figure on a loaded machine.
func BenchmarkDecoders(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "run")
	o := defaultSynth()
	o.PerTarget = 50_000
	writeSyntheticRun(b, dir, o)
	path := filepath.Join(dir, results.ResultsFile)
	run := func(b *testing.B, mk func(f *os.File) (results.Decoder, func())) {
		c0 := cpuTime()
		defer func() { b.ReportMetric((cpuTime()-c0).Seconds()/float64(b.N), "cpu-s/op") }()
		for i := 0; i < b.N; i++ {
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			dec, stop := mk(f)
			var r results.Record
			for {
				err := dec(&r)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			stop()
			f.Close()
		}
	}
	b.Run("full", func(b *testing.B) {
		run(b, func(f *os.File) (results.Decoder, func()) { return results.NewJSONDecoder(f), func() {} })
	})
}

// BenchmarkCompare compares two 1,200-record synthetic runs; "load both"
// (Load of each run, charts included) is the baseline: Compare reads the
// same records but draws only its own chart.
func BenchmarkCompare(b *testing.B) {
	base := b.TempDir()
	a, c := filepath.Join(base, "a"), filepath.Join(base, "b")
	writeSyntheticRun(b, a, defaultSynth())
	writeSyntheticRun(b, c, shiftedSynth(3, 1.25))
	b.Run("load both", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for _, d := range []string{a, c} {
				if _, err := Load(context.Background(), d); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("compare", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := Compare(context.Background(), a, c); err != nil {
				b.Fatal(err)
			}
		}
	})
}
