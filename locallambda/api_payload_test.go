package locallambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/benchctl/benchctl/scenarios"
)

// TestInvokeRejectsNonJSONPayload: as AWS, a payload that is not JSON is
// a 400 InvalidRequestContentException and never reaches the function
// (nothing runs, nothing is billed: no instance starts).
func TestInvokeRejectsNonJSONPayload(t *testing.T) {
	t.Parallel()
	p, c, _ := startPlatform(t, []scenarios.Function{fnSpec(t, "echo", "echo", 128, 5*time.Second)})
	for _, payload := range []string{"text=great", `{"text": "unterminated`, "{} {}"} {
		_, err := c.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("echo"), Payload: []byte(payload)})
		var ic *types.InvalidRequestContentException
		if !errors.As(err, &ic) || !strings.Contains(aws.ToString(ic.Message), "Could not parse request body into json") {
			t.Errorf("payload %q: err = %v, want InvalidRequestContentException", payload, err)
		}
	}
	if st, _ := p.Stats("echo"); st.ColdStarts != 0 {
		t.Errorf("%d instances started for payloads that are not JSON, want none", st.ColdStarts)
	}
	if _, err := c.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("echo"), Payload: []byte(`"a JSON string"`)}); err != nil {
		t.Errorf("a JSON string payload: %v", err)
	}
}

// TestLikeTheRuntimeInterfaceEmulator: WithLogTail(false) answers Invoke
// without X-Amz-Log-Result; WithInvokeOnly answers every other operation
// 404 text/plain, which the real SDK surfaces as an HTTP 404 without a
// Lambda error code.
func TestLikeTheRuntimeInterfaceEmulator(t *testing.T) {
	t.Parallel()
	_, c, endpoint := startPlatform(t, []scenarios.Function{fnSpec(t, "echo", "echo", 128, 5*time.Second)}, WithLogTail(false), WithInvokeOnly())
	ctx := context.Background()
	out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("echo"), LogType: types.LogTypeTail, Payload: []byte(`{"a":1}`)})
	if err != nil || string(out.Payload) != `{"a":1}` {
		t.Fatalf("invoke: %v %s", err, out.Payload)
	}
	if out.LogResult != nil {
		t.Errorf("LogResult = %q, want none", *out.LogResult)
	}
	_, err = c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("echo")})
	var nf *types.ResourceNotFoundException
	var ae smithy.APIError
	if err == nil || errors.As(err, &nf) || (errors.As(err, &ae) && ae.ErrorCode() == "ResourceNotFoundException") {
		t.Errorf("GetFunctionConfiguration on an Invoke-only endpoint: err = %v, want a 404 without a Lambda error code", err)
	}
	resp, err := http.Get(endpoint + "/2015-03-31/functions/echo/configuration")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("control API: %d %s, want 404 text/plain", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// TestMaxMemoryUsedCoversPeakRSS: Max Memory Used is at least the
// instance process's peak resident set (VmHWM); under cgroup v1 the cgroup's
// own peak misses the binary's page cache charged before the process
// joined (2 MB reported against a 9.7 MB peak RSS).
func TestMaxMemoryUsedCoversPeakRSS(t *testing.T) {
	t.Parallel()
	_, c, _ := startPlatform(t, []scenarios.Function{fnSpec(t, "env", "env", 256, 5*time.Second)})
	out, _, _ := invoke(t, c, "env", `{}`)
	var env map[string]string
	if err := json.Unmarshal(out.Payload, &env); err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.Fields(env["stat"])[0])
	if err != nil {
		t.Fatalf("stat %q: %v", env["stat"], err)
	}
	hwm := peakRSS(pid)
	if hwm == 0 {
		t.Skipf("no VmHWM for pid %d (no procfs?)", pid)
	}
	_, rep, _ := invoke(t, c, "env", `{}`)
	want := int((hwm + (1<<20 - 1)) >> 20)
	if rep.MaxMemoryUsedMB < want {
		t.Errorf("Max Memory Used = %d MB, below the instance's peak RSS %d MB (%s)", rep.MaxMemoryUsedMB, want, fmt.Sprint(hwm))
	}
	t.Logf("Max Memory Used %d MB, VmHWM %.1f MB before the invoke", rep.MaxMemoryUsedMB, float64(hwm)/(1<<20))
}
