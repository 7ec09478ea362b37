package locallambda

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	smithy "github.com/aws/smithy-go"

	"github.com/benchctl/benchctl/scenarios"
)

// zipOf packs files (name → content) with mode 0755, as a user's build
// does for a bootstrap.
func zipOf(tb testing.TB, files map[string][]byte) []byte {
	tb.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, body := range files {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(0o755)
		w, err := zw.CreateHeader(h)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := w.Write(body); err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// TestDeployAPI drives CreateFunction, the waiters, Invoke, GetFunction's
// code location, UpdateFunctionCode, the event invoke configuration and
// DeleteFunction through the real SDK client.
func TestDeployAPI(t *testing.T) {
	t.Parallel()
	bin, err := os.ReadFile(testFn.get(t))
	if err != nil {
		t.Fatal(err)
	}
	p, c, _ := startPlatform(t, nil)
	ctx := context.Background()
	pkgA := zipOf(t, map[string][]byte{"bootstrap": bin})
	pkgB := zipOf(t, map[string][]byte{"bootstrap": bin, "model/README": []byte("v2")})
	in := &lambda.CreateFunctionInput{FunctionName: aws.String("zipped"), Runtime: types.RuntimeProvidedal2023,
		Role: aws.String("arn:aws:iam::123456789012:role/worker"), Handler: aws.String("bootstrap"),
		Code: &types.FunctionCode{ZipFile: pkgA}, MemorySize: aws.Int32(256), Timeout: aws.Int32(5),
		Architectures: []types.Architecture{types.ArchitectureX8664},
		Environment:   &types.Environment{Variables: map[string]string{"TESTFN_MODE": "env", "CUSTOM": "a"}}}
	out, err := c.CreateFunction(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if out.State != types.StatePending || aws.ToString(out.CodeSha256) != codeSHA(pkgA) || aws.ToInt64(&out.CodeSize) != int64(len(pkgA)) {
		t.Errorf("create: state %s sha %s size %d", out.State, aws.ToString(out.CodeSha256), out.CodeSize)
	}
	if _, err := c.CreateFunction(ctx, in); apiCode(err) != ErrCodeResourceConflict {
		t.Errorf("second create: %v, want %s", err, ErrCodeResourceConflict)
	}
	if err := lambda.NewFunctionActiveV2Waiter(c).Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("zipped")}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	res, _, _ := invoke(t, c, "zipped", `{}`)
	if !strings.Contains(string(res.Payload), `"handler":"bootstrap"`) || !strings.Contains(string(res.Payload), `"custom":"a"`) {
		t.Errorf("invoke: %s", res.Payload)
	}
	// The code location serves the package (to restore it later).
	gf, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("zipped")})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(aws.ToString(gf.Code.Location))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(got, pkgA) {
		t.Errorf("code location %s: %d bytes, want the %d-byte package", aws.ToString(gf.Code.Location), len(got), len(pkgA))
	}
	root := p.lookup("zipped").pkg.taskRoot
	up, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("zipped"), ZipFile: pkgB})
	if err != nil {
		t.Fatal(err)
	}
	if up.LastUpdateStatus != types.LastUpdateStatusInProgress || aws.ToString(up.CodeSha256) != codeSHA(pkgB) {
		t.Errorf("update: %s %s", up.LastUpdateStatus, aws.ToString(up.CodeSha256))
	}
	if err := lambda.NewFunctionUpdatedV2Waiter(c).Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("zipped")}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(root); !os.IsNotExist(err) {
		t.Errorf("the old task root %s is still there (%v)", root, err)
	}
	if _, rep, _ := invoke(t, c, "zipped", `{}`); !rep.Cold() {
		t.Error("the first invocation after an update is not cold")
	}
	// Event invoke configuration.
	if _, err := c.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("zipped")}); apiCode(err) != ErrCodeResourceNotFound {
		t.Errorf("get before put: %v", err)
	}
	if _, err := c.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("zipped"), MaximumRetryAttempts: aws.Int32(3)}); apiCode(err) != ErrCodeInvalidParameterValue {
		t.Errorf("3 retries: %v, want %s", err, ErrCodeInvalidParameterValue)
	}
	if _, err := c.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("zipped"), MaximumRetryAttempts: aws.Int32(0)}); err != nil {
		t.Fatal(err)
	}
	eic, err := c.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String("zipped")})
	if err != nil || aws.ToInt32(eic.MaximumRetryAttempts) != 0 || eic.MaximumRetryAttempts == nil || eic.LastModified == nil {
		t.Errorf("event invoke config %+v, %v", eic, err)
	}
	// Delete.
	root = p.lookup("zipped").pkg.taskRoot
	if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("zipped")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("zipped")}); apiCode(err) != ErrCodeResourceNotFound {
		t.Errorf("get after delete: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := os.Stat(root); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("task root %s left after DeleteFunction", root)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCreateFunctionRefuses: what the platform cannot run is refused with
// AWS's error codes, and a command function's code cannot be replaced.
func TestCreateFunctionRefuses(t *testing.T) {
	t.Parallel()
	_, c, _ := startPlatform(t, []scenarios.Function{fnSpec(t, "cmdfn", "empty", 128, time.Second)})
	ctx := context.Background()
	good := func() *lambda.CreateFunctionInput {
		return &lambda.CreateFunctionInput{FunctionName: aws.String("f"), Runtime: types.RuntimeProvidedal2023,
			Role: aws.String("arn:aws:iam::123456789012:role/worker"), Code: &types.FunctionCode{ZipFile: zipOf(t, map[string][]byte{"bootstrap": []byte("#!/bin/sh\n")})}}
	}
	for name, mut := range map[string]func(*lambda.CreateFunctionInput){
		"managed runtime": func(in *lambda.CreateFunctionInput) { in.Runtime = types.RuntimePython312 },
		"bad role":        func(in *lambda.CreateFunctionInput) { in.Role = aws.String("worker") },
		"not a zip":       func(in *lambda.CreateFunctionInput) { in.Code.ZipFile = []byte("hello") },
		"s3 code": func(in *lambda.CreateFunctionInput) {
			in.Code = &types.FunctionCode{S3Bucket: aws.String("b"), S3Key: aws.String("k")}
		},
		"memory":    func(in *lambda.CreateFunctionInput) { in.MemorySize = aws.Int32(64) },
		"two archs": func(in *lambda.CreateFunctionInput) { in.Architectures = []types.Architecture{"x86_64", "arm64"} },
		"zip slip": func(in *lambda.CreateFunctionInput) {
			in.Code.ZipFile = zipOf(t, map[string][]byte{"../evil": []byte("x")})
		},
	} {
		in := good()
		mut(in)
		if _, err := c.CreateFunction(ctx, in); apiCode(err) != ErrCodeInvalidParameterValue {
			t.Errorf("%s: %v, want %s", name, err, ErrCodeInvalidParameterValue)
		}
	}
	if _, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("cmdfn"), ZipFile: good().Code.ZipFile}); apiCode(err) != ErrCodeInvalidParameterValue {
		t.Errorf("update code of a command function: %v", err)
	}
	if _, err := c.CreateFunction(ctx, good()); err != nil {
		t.Errorf("a good package: %v", err)
	}
}
