package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNewValidateCmd(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		args        []string
		wantErr     bool
		wantArgs    []string
		wantShipped bool
	}{
		{name: "one file", args: []string{"a.yaml"}, wantArgs: []string{"a.yaml"}},
		{name: "several", args: []string{"a.yaml", "quickstart"}, wantArgs: []string{"a.yaml", "quickstart"}},
		{name: "shipped only", args: []string{"--shipped"}, wantShipped: true},
		{name: "nothing", args: nil, wantErr: true},
		{name: "unknown flag", args: []string{"--nope", "a.yaml"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got *ValidateOptions
			streams := &IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}
			cmd := newValidateCmd(streams, func(o *ValidateOptions) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tt.wantErr {
				if err == nil {
					t.Fatal("want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got.Scenarios, ",") != strings.Join(tt.wantArgs, ",") || got.Shipped != tt.wantShipped {
				t.Errorf("options = %+v, want scenarios %v shipped %v", got, tt.wantArgs, tt.wantShipped)
			}
		})
	}
}

func TestValidateRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("version: 1\nname: bad\ntargets:\n  - {name: a, kind: http, url: \"http://127.0.0.1:1/\"}\nphases:\n  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: -3}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		wantCode ExitCode
		wantOut  string
		wantErr  string
	}{
		{
			name:     "shipped by name",
			args:     []string{"validate", "http-smoke"},
			wantCode: ExitOK,
			wantOut:  "ok: http-smoke: 1 target, 2 phases (12s), 1 server (shipped http-smoke.yaml)\n",
		},
		{
			name:     "invalid file",
			args:     []string{"validate", bad},
			wantCode: ExitBadInput,
			wantErr:  bad + ":6:76: phases[0].traffic.rate: must be > 0 (got -3)\nbenchctl: " + bad + ": 1 problem\n",
		},
		{
			name:     "unknown name",
			args:     []string{"validate", "no-such"},
			wantCode: ExitBadInput,
			wantErr:  "benchctl: open scenario \"no-such\": no such file and no shipped scenario of that name",
		},
		{
			name:     "one of two invalid",
			args:     []string{"validate", "http-smoke", bad},
			wantCode: ExitBadInput,
			wantOut:  "ok: http-smoke:",
			wantErr:  "benchctl: 1 of 2 scenarios are invalid\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errb bytes.Buffer
			code := Main(context.Background(), tt.args, &IOStreams{In: strings.NewReader(""), Out: &out, Err: &errb})
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, tt.wantCode, errb.String())
			}
			if !strings.HasPrefix(out.String(), tt.wantOut) || (tt.wantOut == "" && out.Len() > 0) {
				t.Errorf("stdout = %q, want prefix %q", out.String(), tt.wantOut)
			}
			if got := errb.String(); !strings.Contains(got, tt.wantErr) || (tt.wantErr == "" && got != "") {
				t.Errorf("stderr = %q, want it to contain %q", got, tt.wantErr)
			}
		})
	}
}
