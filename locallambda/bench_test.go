package locallambda

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/benchctl/benchctl/scenarios"
)

// percentile returns the p-quantile (0..1) of sorted v (nearest rank).
func percentile(v []float64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	i := int(p*float64(len(v))+0.5) - 1
	return v[min(max(i, 0), len(v)-1)]
}

// BenchmarkWarmInvokeOverhead measures what the platform adds to a warm
// invocation of an empty aws-lambda-go handler: client-observed latency
// (real SDK client, LogType Tail) minus the REPORT Duration, p50 and p99
// (goal: p50 < 1 ms). As a baseline in the same run it measures the same
// SDK client's round trip to an httptest server that answers Invoke at once
// (SDK signing + loopback HTTP only); overhead_p50/baseline_p50 is the ratio
// to compare across machines.
func BenchmarkWarmInvokeOverhead(b *testing.B) {
	_, c, _ := startPlatform(b, []scenarios.Function{fnSpec(b, "empty", "empty", 1769, 5*time.Second)})
	ctx := context.Background()
	invoke(b, c, "empty", `{}`) // cold start outside the measurement

	base := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amz-Executed-Version", "$LATEST")
		_, _ = w.Write([]byte(`{}`))
	}))
	defer base.Close()
	bc := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(base.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""), RetryMaxAttempts: 1})

	var over, baseline []float64
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		_, rep, _ := invoke(b, c, "empty", `{}`)
		lat := float64(time.Since(t0).Microseconds()) / 1000
		over = append(over, lat-rep.DurationMs)

		t1 := time.Now()
		if _, err := bc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("empty"), LogType: types.LogTypeTail, Payload: []byte(`{}`)}); err != nil {
			b.Fatal(err)
		}
		baseline = append(baseline, float64(time.Since(t1).Microseconds())/1000)
	}
	b.StopTimer()
	sort.Float64s(over)
	sort.Float64s(baseline)
	b.ReportMetric(percentile(over, 0.5), "overhead_p50_ms")
	b.ReportMetric(percentile(over, 0.99), "overhead_p99_ms")
	b.ReportMetric(percentile(baseline, 0.5), "baseline_p50_ms")
	if bp := percentile(baseline, 0.5); bp > 0 {
		b.ReportMetric(percentile(over, 0.5)/bp, "overhead/baseline_p50")
	}
}

// BenchmarkColdStartFunction measures cold starts of `benchctl function
// --model tinybert-4l-312 --task sentiment` at 1,769 MB: the REPORT Init
// Duration (process start until the runtime's first /next, i.e. model
// load) and the client-observed latency of the cold call. Every iteration
// forces a new instance with UpdateFunctionConfiguration, as benchctl's
// cold-start experiment does. The warm call latency of the same run is the
// baseline (cold_p50/warm_p50).
func BenchmarkColdStartFunction(b *testing.B) {
	dir := b.TempDir()
	exe := filepath.Join(dir, "benchctl")
	if out, err := exec.Command("go", "build", "-o", exe, "../cmd/benchctl").CombinedOutput(); err != nil {
		b.Skipf("cannot build benchctl (cmd/benchctl does not compile right now): %v\n%s", err, out)
	}
	fn := scenarios.Function{Name: "sentiment", Command: []string{"benchctl", "function", "--model", "tinybert-4l-312", "--task", "sentiment"},
		MemorySize: 1769, Timeout: 30 * time.Second}
	_, c, _ := startPlatform(b, []scenarios.Function{fn}, WithSelfExecutable(exe))
	ctx := context.Background()
	payload := `{"text":"the battery life is great but the screen scratches easily"}`
	var initMs, coldMs, warmMs []float64
	b.ResetTimer()
	for i := range b.N {
		if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("sentiment"),
			Environment: &types.Environment{Variables: map[string]string{"ITERATION": string(rune('a' + i%26))}}}); err != nil {
			b.Fatal(err)
		}
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
			cfg, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("sentiment")})
			if err != nil {
				b.Fatal(err)
			}
			if cfg.LastUpdateStatus == types.LastUpdateStatusSuccessful {
				break
			}
		}
		t0 := time.Now()
		_, rep, _ := invoke(b, c, "sentiment", payload)
		coldMs = append(coldMs, float64(time.Since(t0).Microseconds())/1000)
		if !rep.Cold() {
			b.Fatalf("iteration %d was not cold", i)
		}
		initMs = append(initMs, *rep.InitDurationMs)
		t1 := time.Now()
		invoke(b, c, "sentiment", payload)
		warmMs = append(warmMs, float64(time.Since(t1).Microseconds())/1000)
	}
	b.StopTimer()
	sort.Float64s(initMs)
	sort.Float64s(coldMs)
	sort.Float64s(warmMs)
	b.ReportMetric(percentile(initMs, 0.5), "init_p50_ms")
	b.ReportMetric(percentile(coldMs, 0.5), "cold_call_p50_ms")
	b.ReportMetric(percentile(warmMs, 0.5), "warm_call_p50_ms")
	if w := percentile(warmMs, 0.5); w > 0 {
		b.ReportMetric(percentile(coldMs, 0.5)/w, "cold/warm_p50")
	}
	_ = os.Remove(exe)
}
