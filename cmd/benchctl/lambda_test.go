package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/benchctl/benchctl/lambdareport"
	"github.com/benchctl/benchctl/locallambda"
	"github.com/benchctl/benchctl/scenarios"
)

// asBinaryEnv makes the test binary act as benchctl itself (see TestMain),
// so that the platform can start `benchctl function` instances from it.
const asBinaryEnv = "BENCHCTL_TEST_AS_BINARY"

// TestMain runs the test binary as the benchctl command when asBinaryEnv is
// set (a function instance started by TestFunctionUnderLocalPlatform), and
// runs the tests otherwise.
func TestMain(m *testing.M) {
	if os.Getenv(asBinaryEnv) == "1" {
		os.Exit(int(Main(context.Background(), os.Args[1:], &IOStreams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})))
	}
	os.Exit(m.Run())
}

// TestFunctionUnderLocalPlatform runs the real `benchctl function` (this
// test binary acting as benchctl) as a function of the local platform and
// invokes it through the real SDK client.
func TestFunctionUnderLocalPlatform(t *testing.T) {
	t.Parallel()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	fn := scenarios.Function{Name: "sentiment", Command: []string{"benchctl", "function", "--model", "tinybert-4l-312", "--task", "sentiment"},
		MemorySize: 1769, Timeout: 30 * time.Second, Environment: map[string]string{asBinaryEnv: "1"}}
	p, err := locallambda.New([]scenarios.Function{fn}, locallambda.WithSelfExecutable(exe), locallambda.WithLogger(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	endpoint, err := p.Start(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = p.Close(ctx) }()
	c := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""), RetryMaxAttempts: 1})
	for i, wantCold := range []bool{true, false} {
		out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("sentiment"), LogType: types.LogTypeTail,
			Payload: []byte(`{"text":"the battery lasts for days"}`)})
		if err != nil {
			t.Fatal(err)
		}
		if out.FunctionError != nil {
			t.Fatalf("call %d: function error %s: %s", i, *out.FunctionError, out.Payload)
		}
		var res struct {
			Label  string  `json:"label"`
			Score  float64 `json:"score"`
			Tokens int     `json:"tokens"`
		}
		if err := json.Unmarshal(out.Payload, &res); err != nil || res.Label == "" || res.Tokens == 0 {
			t.Errorf("call %d: payload %s (%v), want a sentiment result", i, out.Payload, err)
		}
		rep, err := lambdareport.ParseLogResult(aws.ToString(out.LogResult))
		if err != nil {
			t.Fatal(err)
		}
		if rep.Cold() != wantCold || rep.MemorySizeMB != 1769 {
			t.Errorf("call %d: REPORT %+v, want cold=%v at 1769 MB", i, rep, wantCold)
		}
		if wantCold && rep.MaxMemoryUsedMB < 50 {
			t.Errorf("Max Memory Used = %d MB; the tinybert weights alone are ~57 MB", rep.MaxMemoryUsedMB)
		}
	}
}

func TestNewLambdaServeCmd(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		wantErr  bool
		wantFile string
		wantAddr string
		wantIdle time.Duration
	}{
		{name: "defaults", args: []string{"serve", "--functions", "f.yaml"}, wantFile: "f.yaml", wantAddr: "127.0.0.1:9001", wantIdle: 10 * time.Minute},
		{name: "addr and idle", args: []string{"serve", "--functions", "f.yaml", "--addr", "127.0.0.1:0", "--idle-timeout", "5s"}, wantFile: "f.yaml", wantAddr: "127.0.0.1:0", wantIdle: 5 * time.Second},
		{name: "no functions file", args: []string{"serve"}, wantErr: true},
		{name: "cleanup needs no functions file", args: []string{"serve", "--cleanup"}, wantAddr: "127.0.0.1:9001", wantIdle: 10 * time.Minute},
		{name: "bad idle timeout", args: []string{"serve", "--functions", "f.yaml", "--idle-timeout", "0s"}, wantErr: true},
		{name: "no subcommand", args: nil, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got *LambdaServeOptions
			streams := &IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}
			cmd := newLambdaCmd(streams, func(o *LambdaServeOptions) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tt.wantErr {
				var fe *FlagError
				if !errors.As(err, &fe) && err == nil {
					t.Fatal("want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.FunctionsFile != tt.wantFile || got.Addr != tt.wantAddr || got.IdleTimeout != tt.wantIdle {
				t.Errorf("options = %+v", got)
			}
		})
	}
}

func TestLambdaServeRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "functions.yaml")
	yaml := "functions:\n  - name: hello\n    command: [/bin/true]\n    memory_size: 512\n    timeout: 5s\n"
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("bad file is a FlagError", func(t *testing.T) {
		t.Parallel()
		bad := filepath.Join(dir, "bad.yaml")
		if err := os.WriteFile(bad, []byte("functions:\n  - name: x\n    memory_size: 64\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		opts := &LambdaServeOptions{IO: &IOStreams{Out: io.Discard, Err: io.Discard}, FunctionsFile: bad, Addr: "127.0.0.1:0", IdleTimeout: time.Minute, NoCgroups: true, Region: "us-east-1"}
		var fe *FlagError
		if err := lambdaServeRun(context.Background(), opts); !errors.As(err, &fe) {
			t.Errorf("err = %v, want a FlagError", err)
		}
	})

	t.Run("serves until cancelled", func(t *testing.T) {
		t.Parallel()
		pr, pw := io.Pipe()
		var errBuf bytes.Buffer
		opts := &LambdaServeOptions{IO: &IOStreams{Out: pw, Err: &errBuf}, FunctionsFile: file, Addr: "127.0.0.1:0",
			IdleTimeout: time.Minute, NoCgroups: true, Region: "us-east-1"}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- lambdaServeRun(ctx, opts); _ = pw.Close() }()
		line, err := bufio.NewReader(pr).ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		endpoint, ok := strings.CutPrefix(strings.TrimSpace(line), "local lambda endpoint: ")
		if !ok || !strings.HasPrefix(endpoint, "http://127.0.0.1:") {
			t.Fatalf("first line = %q, want the endpoint", line)
		}
		go func() { _, _ = io.Copy(io.Discard, pr) }()
		c := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
			Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""), RetryMaxAttempts: 1})
		cfg, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("hello")})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToInt32(cfg.MemorySize) != 512 || aws.ToInt32(cfg.Timeout) != 5 {
			t.Errorf("configuration = %d MB %d s, want 512 MB 5 s", aws.ToInt32(cfg.MemorySize), aws.ToInt32(cfg.Timeout))
		}
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("lambdaServeRun after cancel = %v, want nil", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("lambda serve did not stop after cancel")
		}
	})
}
