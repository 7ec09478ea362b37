package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// absurdPricingInputs is the table of absurd `pricing estimate` and
// `pricing breakeven` inputs: NaN, infinities, denormals, 1e-300,
// negatives, huge values and zeros, on every numeric flag. Before these
// were checked, some hung the break-even search forever (a capacity of
// 1e-23 requests/s made the fleet step every 1e-16 requests: the float loop
// counter stopped increasing above 2^53) or panicked with a stack trace in
// decimal.NewFromFloat (NaN and infinities).
func absurdPricingInputs() [][]string {
	// floats are never valid; tiny values (a denormal, 1e-300) are invalid
	// where the range starts above zero, and valid (see
	// TestPricingExtremeValidInputs) where zero itself is allowed.
	floats := []string{"NaN", "+Inf", "-Inf", "-1", "1e300"}
	floatsPositive := append([]string{"4.9e-324", "1e-300"}, floats...)
	ints := []string{"-1", "9223372036854775807", "NaN"}
	durations := []string{"-1ms", "2562047h", "NaN"}
	estimate := []string{"pricing", "estimate", "--memory", "1024", "--duration", "100ms"}
	breakeven := []string{"pricing", "breakeven", "--memory", "1024", "--duration", "100ms", "--capacity-rps", "40"}
	var cases [][]string
	add := func(base []string, flag string, values ...string) {
		for _, v := range values {
			cases = append(cases, append(append([]string(nil), base...), "--"+flag, v))
		}
	}
	// estimate: Lambda unless the flag belongs to another platform.
	add(estimate, "memory", "NaN", "-1", "0", "127", "100000", "9223372036854775807")
	add(estimate, "duration", durations...)
	add(estimate, "requests", ints...)
	add(estimate, "cold-starts", "-1", "2000000", "9223372036854775807")
	add(estimate, "init-duration", durations...)
	add(estimate, "ephemeral-storage-mb", "-1", "0", "511", "10241")
	add(estimate, "payload-bytes", "-1", "9223372036854775807")
	add(estimate, "provisioned", "-1", "2147483647")
	add(estimate, "provisioned-hours", floats...)
	add(estimate, "provisioned-requests", "-1", "2000000")
	cloudRun := []string{"pricing", "estimate", "--platform", "cloud-run", "--memory", "512", "--duration", "100ms"}
	add(cloudRun, "vcpu", floatsPositive...)
	add(cloudRun, "concurrency", append(floatsPositive, "0")...)
	add(cloudRun, "min-instances", "-1", "2147483647")
	add(cloudRun, "memory", "0", "100000")
	azure := []string{"pricing", "estimate", "--platform", "azure-functions", "--plan", "flex", "--duration", "50ms"}
	add(azure, "memory", "0", "1000", "100000")
	ec2 := []string{"pricing", "estimate", "--platform", "ec2", "--instance", "t3.micro"}
	add(ec2, "instances", "-1", "0", "2147483647")
	add(ec2, "hours", floats...)
	add(ec2, "cpu-utilisation", floats...)
	// breakeven from flags.
	add([]string{"pricing", "breakeven", "--capacity-rps", "40"}, "cost-per-million", append(floatsPositive, "0")...)
	add(breakeven, "capacity-rps", append(floatsPositive, "0", "1e-23")...)
	add(breakeven, "utilisation", append(floatsPositive, "0")...)
	add(breakeven, "peak-to-average", append(floatsPositive, "0", "25")...)
	add(breakeven, "peak-hours", append(floatsPositive, "0")...)
	add(breakeven, "cold-start-rate", floats...)
	add(breakeven, "init-duration", durations...)
	add(breakeven, "min-instances", "-1", "2147483647")
	add(breakeven, "payload-bytes", "-1", "9223372036854775807")
	add(breakeven, "ephemeral-storage-mb", "-1", "100000")
	add([]string{"pricing", "breakeven", "--duration", "100ms", "--capacity-rps", "40"}, "memory", "0", "127", "100000")
	add([]string{"pricing", "breakeven", "--memory", "1024", "--capacity-rps", "40"}, "duration", durations...)
	return cases
}

// TestPricingAbsurdInputsExitTwo runs each absurd input through benchctl's
// real entry point: every one must exit 2 with a message naming its flag,
// within 2 s, without a panic or a Go stack trace.
func TestPricingAbsurdInputsExitTwo(t *testing.T) {
	t.Parallel()
	cases := absurdPricingInputs()
	if len(cases) < 124 {
		t.Fatalf("%d cases, want at least 124", len(cases))
	}
	for _, args := range cases {
		name := strings.Join(args, " ")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			flag := args[len(args)-2]
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			var out, errOut bytes.Buffer
			type result struct {
				code  ExitCode
				panic string
			}
			done := make(chan result, 1)
			start := time.Now()
			go func() {
				defer func() {
					if r := recover(); r != nil {
						done <- result{panic: fmt.Sprintf("%v\n%s", r, debug.Stack())}
					}
				}()
				done <- result{code: Main(ctx, args, &IOStreams{In: strings.NewReader(""), Out: &out, Err: &errOut})}
			}()
			var r result
			select {
			case r = <-done:
			case <-time.After(3 * time.Second):
				t.Fatalf("still running after 3 s")
			}
			if r.panic != "" {
				t.Fatalf("panicked: %s", r.panic)
			}
			if el := time.Since(start); el > 2*time.Second {
				t.Errorf("took %v, want at most 2 s", el)
			}
			msg := errOut.String()
			if r.code != ExitBadInput {
				t.Errorf("exit %d, want 2; stdout %q stderr %q", r.code, out.String(), msg)
			}
			if !strings.Contains(msg, flag) && !strings.Contains(msg, strings.TrimPrefix(flag, "--")) {
				t.Errorf("message %q does not name %s", msg, flag)
			}
			for _, bad := range []string{"goroutine ", "panic:", ".go:"} {
				if strings.Contains(msg, bad) {
					t.Errorf("message has a stack trace (%q): %s", bad, msg)
				}
			}
		})
	}
}

// TestPricingExtremeValidInputs: tiny values that are inside their ranges
// (zero is allowed) are priced, quickly, with exit 0.
func TestPricingExtremeValidInputs(t *testing.T) {
	t.Parallel()
	tests := [][]string{
		{"pricing", "breakeven", "--memory", "1024", "--duration", "100ms", "--capacity-rps", "40", "--cold-start-rate", "1e-300", "--init-duration", "1s"},
		{"pricing", "breakeven", "--memory", "1024", "--duration", "100ms", "--capacity-rps", "0.001"},
		{"pricing", "breakeven", "--memory", "1024", "--duration", "1ms", "--capacity-rps", "10000000", "--peak-to-average", "3", "--fleet", "autoscaled"},
		{"pricing", "breakeven", "--cost-per-million", "0.000001", "--capacity-rps", "0.001", "--utilisation", "0.01"},
		{"pricing", "estimate", "--platform", "ec2", "--instance", "t3.micro", "--cpu-utilisation", "4.9e-324", "--hours", "1e-300"},
		{"pricing", "estimate", "--memory", "128", "--duration", "1ns", "--requests", "1000000000000000"},
	}
	for _, args := range tests {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			var out, errOut bytes.Buffer
			start := time.Now()
			code := Main(ctx, args, &IOStreams{In: strings.NewReader(""), Out: &out, Err: &errOut})
			if code != ExitOK {
				t.Fatalf("exit %d, want 0; stderr %s", code, errOut.String())
			}
			if el := time.Since(start); el > 2*time.Second {
				t.Errorf("took %v, want at most 2 s", el)
			}
			if out.Len() == 0 {
				t.Error("no output")
			}
		})
	}
}

// TestPricingBadPriceBookFile: a garbage or incomplete --prices file is an
// exit-2 error naming the file, the line and the field, for every pricing
// subcommand that reads one.
func TestPricingBadPriceBookFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]struct{ body, want string }{
		"garbage.yaml": {"\x00\x01 {not: [yaml", "garbage.yaml"},
		"incomplete.yaml": {"version: 1\nentries:\n  - platform: ec2\n    region: us-east-1\n    architecture: arm64\n    instance: c7g.large\n    source: mine\n    effective_date: \"2026-01-01\"\n    ec2: {hourly_usd: \"0.05\", vcpu: 2}\n",
			"incomplete.yaml:3:5: entries[0].retrieved: is required"},
		"typo.yaml": {"version: 1\nentries:\n  - platform: ec2\n    region: us-east-1\n    architecture: arm64\n    instance: c7g.large\n    source: mine\n    effective_date: \"2026-01-01\"\n    retrieved: \"2026-01-01\"\n    confidence: P\n    ec2: {hourly_usd: \"0.05\", vcpus: 2}\n",
			"typo.yaml:11:31: entries[0].ec2.vcpus: unknown field"},
	}
	for name, f := range files {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(f.body), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{
			{"pricing", "estimate", "--memory", "1024", "--duration", "100ms", "--prices", path},
			{"pricing", "breakeven", "--memory", "1024", "--duration", "100ms", "--capacity-rps", "40", "--prices", path},
			{"pricing", "show", "--prices", path},
		} {
			var out, errOut bytes.Buffer
			code := Main(context.Background(), args, &IOStreams{In: strings.NewReader(""), Out: &out, Err: &errOut})
			if code != ExitBadInput {
				t.Errorf("%s %s: exit %d, want 2", name, args[1], code)
			}
			if !strings.Contains(errOut.String(), strings.Replace(f.want, name, path, 1)) {
				t.Errorf("%s %s: stderr %q, want %q", name, args[1], errOut.String(), f.want)
			}
		}
	}
}

// TestPricingBreakevenInterrupted: a cancelled context (the first Ctrl-C)
// stops the break-even search, and benchctl exits 130.
func TestPricingBreakevenInterrupted(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errOut bytes.Buffer
	start := time.Now()
	code := Main(ctx, []string{"pricing", "breakeven", "--cost-per-million", "0.72", "--capacity-rps", "40", "--fleet", "autoscaled", "--peak-to-average", "3"},
		&IOStreams{In: strings.NewReader(""), Out: &out, Err: &errOut})
	if code != ExitInterrupted {
		t.Fatalf("exit %d, want 130; stderr %s", code, errOut.String())
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("took %v after the interrupt, want under a second", el)
	}
}
