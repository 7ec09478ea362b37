// Command testfn is a real aws-lambda-go function used by the locallambda
// tests. TESTFN_MODE selects its behaviour:
//
//	echo   returns the event unchanged and logs a line
//	empty  returns {} (for overhead benchmarks)
//	panic  panics (aws-lambda-go reports Runtime.Panic, the process exits)
//	sleep  sleeps {"ms": N} milliseconds
//	alloc  allocates and touches {"mb": N} MB
//	cpu    spins single-threaded for {"iters": N} iterations; returns iters and cpu_ms
//	env    returns its Lambda environment (and /proc/self/cgroup, /proc/self/stat)
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	MS    int    `json:"ms"`
	MB    int    `json:"mb"`
	Iters uint64 `json:"iters"`
}

var sink uint64

// cpuMs is the process's CPU time (user + system) in milliseconds.
func cpuMs() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e6
}

func main() {
	mode := os.Getenv("TESTFN_MODE")
	fmt.Println("testfn init, mode", mode)
	if ms, err := strconv.Atoi(os.Getenv("TESTFN_INIT_MS")); err == nil {
		time.Sleep(time.Duration(ms) * time.Millisecond) // a slow INIT phase
	}
	switch mode {
	case "empty":
		lambda.Start(func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
			return json.RawMessage(`{}`), nil
		})
	case "panic":
		lambda.Start(func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
			panic("testfn: deliberate panic")
		})
	case "sleep":
		lambda.Start(func(ctx context.Context, e event) (string, error) {
			time.Sleep(time.Duration(e.MS) * time.Millisecond)
			return "slept", nil
		})
	case "alloc":
		lambda.Start(func(ctx context.Context, e event) (int, error) {
			bufs := make([][]byte, 0, e.MB)
			for i := 0; i < e.MB; i++ {
				b := make([]byte, 1<<20)
				for j := range b {
					b[j] = byte(i + j)
				}
				bufs = append(bufs, b)
			}
			return len(bufs), nil
		})
	case "cpu":
		lambda.Start(func(ctx context.Context, e event) (map[string]float64, error) {
			before := cpuMs()
			x := uint64(1)
			for i := uint64(0); i < e.Iters; i++ {
				x ^= x << 13
				x ^= x >> 7
				x ^= x << 17
			}
			sink = x
			return map[string]float64{"iters": float64(e.Iters), "cpu_ms": cpuMs() - before}, nil
		})
	case "env":
		lambda.Start(func(ctx context.Context, in json.RawMessage) (map[string]string, error) {
			lc, _ := lambdacontext.FromContext(ctx)
			cg, _ := os.ReadFile("/proc/self/cgroup")
			stat, _ := os.ReadFile("/proc/self/stat")
			dl, _ := ctx.Deadline()
			return map[string]string{
				"name":       os.Getenv("AWS_LAMBDA_FUNCTION_NAME"),
				"memory":     os.Getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"),
				"version":    os.Getenv("AWS_LAMBDA_FUNCTION_VERSION"),
				"region":     os.Getenv("AWS_REGION"),
				"handler":    os.Getenv("_HANDLER"),
				"custom":     os.Getenv("CUSTOM"),
				"arn":        lc.InvokedFunctionArn,
				"request":    lc.AwsRequestID,
				"deadline":   dl.UTC().Format(time.RFC3339),
				"cgroup":     string(cg),
				"gomaxprocs": fmt.Sprint(runtime.GOMAXPROCS(0)),
				"stat":       string(stat),
			}, nil
		})
	default:
		lambda.Start(func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
			fmt.Println("echo handler got", len(in), "bytes")
			return in, nil
		})
	}
}
