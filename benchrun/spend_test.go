package benchrun

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/benchctl/benchctl/locallambda"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// TestFunctionConfigs reads an aws-lambda target's memory and timeout
// through the real SDK client from a Lambda-compatible endpoint (the local
// platform), and notes a function it cannot read.
func TestFunctionConfigs(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDLOCAL")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secretlocal")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	p, err := locallambda.New([]scenarios.Function{{Name: "senti", Command: []string{"true"}, MemorySize: 512, Timeout: 20 * time.Second, EphemeralStorageMB: 2048}},
		locallambda.WithCgroupRoot(""), locallambda.WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	endpoint, err := p.Start(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	s := &scenarios.Scenario{Targets: []scenarios.Target{
		{Name: "fn", Kind: "aws-lambda", Function: "senti", Region: "us-east-1", Endpoint: endpoint},
		{Name: "gone", Kind: "aws-lambda", Function: "missing", Region: "us-east-1", Endpoint: endpoint},
		{Name: "web", Kind: "http", URL: "http://127.0.0.1:1/"},
	}}
	configs, notes := functionConfigs(ctx, s)
	known := spendOptions(configs)
	if got := known.FunctionMemoryMB["fn"]; got != 512 {
		t.Errorf("memory of fn = %d MB, want 512", got)
	}
	if got := known.FunctionTimeout["fn"]; got != 20*time.Second {
		t.Errorf("timeout of fn = %v, want 20s", got)
	}
	if len(configs) != 1 || configs[0] != (results.FunctionConfigInfo{Target: "fn", Function: "senti", MemorySizeMB: 512, TimeoutS: 20, EphemeralStorageMB: 2048}) {
		t.Errorf("configs = %+v, want fn's 512 MB, 20 s, 2048 MB of /tmp", configs)
	}
	if _, ok := known.FunctionMemoryMB["gone"]; ok {
		t.Errorf("a function that does not exist got a memory size")
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "target gone") {
		t.Errorf("notes = %q, want one about target gone", notes)
	}
}
