package benchrun

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/benchctl/benchctl/loadgen"
	"github.com/benchctl/benchctl/locallambda"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// ServicesLogFile is the run-directory file that receives the output of the
// services benchctl run starts itself: reference servers' logs and the
// local Lambda platform's execution logs (START, handler output, END, REPORT).
const ServicesLogFile = "services.log"

// serverStartTimeout bounds how long a reference server may take to load
// its model and listen.
const serverStartTimeout = 2 * time.Minute

// serverStopTimeout bounds a reference server's graceful shutdown before it
// is killed.
const serverStopTimeout = 10 * time.Second

// The services a run starts share this host's cores with the load
// generator. At the default priority, when they saturate the cores (the
// quickstart's diurnal peak on 2 cores) the generator wakes late and its
// dispatch lag p99 reached 8–36 ms (flagged as "generator fell behind");
// with the servers at nice 10 and the function instances at cpu.shares
// 128 (nice 10 where there are no cgroups) it was 2.6–4.8 ms, and the
// targets' latencies did not rise (they only yield the little CPU the
// generator uses). The two values keep the servers' and the instances'
// weights in about the ratio they had at the default priority (2 worker
// threads at 1024 each vs one folder at 1024).
const (
	// serviceNice is the nice value of the reference servers.
	serviceNice = 10
	// functionCPUShares is the CPU weight of the local platform's instances.
	functionCPUShares = 128
)

// runStartServices starts what the scenario asks benchctl to run itself:
// each `servers:` entry as a `benchctl serve` subprocess on a loopback port,
// and the `functions:` block on the local Lambda-compatible platform. It
// returns their endpoints for the targets and how to stop them. Logs go to
// logPath. The services outlive the first Ctrl-C (so requests in flight can
// drain): they are stopped by runEnv.close, and die with this process.
// With lowPriority they run below the load generator (serviceNice,
// functionCPUShares).
func runStartServices(ctx context.Context, s *scenarios.Scenario, self, logPath string, lowPriority bool, describe ServiceDescriber) (env *runEnv, err error) {
	if describe == nil && (len(s.Servers) > 0 || len(s.Functions) > 0) {
		return nil, errors.New("benchrun: Options.DescribeService is needed to record the model of the services the scenario starts")
	}
	env = &runEnv{Targets: loadgen.TargetEnv{ServerURLs: map[string]string{}, FunctionEndpoints: map[string]string{}}}
	if len(s.Servers) == 0 && len(s.Functions) == 0 {
		return env, nil
	}
	defer func() {
		if err != nil {
			_ = env.close()
		}
	}()
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return env, fmt.Errorf("services log: %w", err)
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return env, fmt.Errorf("services log: %w", err)
	}
	env.stop = append(env.stop, logFile.Close)
	log := &lockedWriter{w: logFile}
	nice := 0
	priority := []string{} // what runs below the generator, for run.json
	if lowPriority {
		nice = serviceNice
		if len(s.Servers) > 0 {
			priority = append(priority, fmt.Sprintf("servers nice %d", nice))
		}
	}
	for _, sv := range s.Servers {
		info, err := describe(ctx, sv.Name, "server", append([]string{"--model", sv.Model}, sv.Args...))
		if err != nil {
			return env, fmt.Errorf("server %s: %w", sv.Name, err)
		}
		url, model, stop, err := startReferenceServer(ctx, self, sv, log, nice)
		if err != nil {
			return env, fmt.Errorf("server %s: %w", sv.Name, err)
		}
		if model != "" {
			info.Model = model // the name the server reports, after its flags
		}
		env.Services = append(env.Services, info)
		env.stop = append(env.stop, stop)
		env.Targets.ServerURLs[sv.Name] = url
	}
	for _, fn := range s.Functions {
		info := results.ServiceInfo{Name: fn.Name, Kind: "function"}
		if len(fn.Command) >= 2 && filepath.Base(fn.Command[0]) == "benchctl" && fn.Command[1] == "function" {
			if info, err = describe(ctx, fn.Name, "function", fn.Command[2:]); err != nil {
				return env, fmt.Errorf("function %s: %w", fn.Name, err)
			}
		}
		env.Services = append(env.Services, info)
	}
	if len(s.Functions) > 0 {
		popts := []locallambda.Option{locallambda.WithSelfExecutable(self), locallambda.WithLogger(log)}
		if lowPriority {
			popts = append(popts, locallambda.WithCPUShares(functionCPUShares), locallambda.WithInstanceNice(serviceNice))
		}
		p, err := locallambda.New(s.Functions, popts...)
		if err != nil {
			return env, fmt.Errorf("local Lambda platform: %w", err)
		}
		// The platform must outlive the first Ctrl-C so that requests in
		// flight drain; runEnv.close stops it.
		endpoint, err := p.Start(context.WithoutCancel(ctx), "127.0.0.1:0")
		if err != nil {
			return env, fmt.Errorf("local Lambda platform: %w", err)
		}
		env.stop = append(env.stop, func() error {
			cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			return p.Close(cctx)
		})
		for _, fn := range s.Functions {
			env.Targets.FunctionEndpoints[fn.Name] = endpoint
		}
		env.CPUIsolation = p.CPUIsolation()
		switch {
		case !lowPriority:
		case p.CPUShares() > 0:
			priority = append(priority, fmt.Sprintf("function instances cpu.shares %d (%s)", p.CPUShares(), env.CPUIsolation))
		case p.InstanceNice() > 0:
			priority = append(priority, fmt.Sprintf("function instances nice %d (no cgroups)", p.InstanceNice()))
		default:
			priority = append(priority, "function instances default (no cgroups, no nice(1))")
		}
		env.Notes = append(env.Notes, p.Warnings()...)
		if env.CPUIsolation == "none" && len(p.Warnings()) == 0 {
			env.Notes = append(env.Notes, "local Lambda platform: cgroups not writable, function instances ran WITHOUT CPU or memory limits (cpu_isolation: none); memory sizes do not change their speed")
		}
	}
	env.ServiceCPUPriority = "default (--normal-priority)"
	if lowPriority {
		env.ServiceCPUPriority = "lowered: " + strings.Join(priority, "; ")
	}
	return env, nil
}

// serverReady is the line `benchctl serve` prints on stdout once listening.
type serverReady struct {
	Listening string  `json:"listening"`
	Model     string  `json:"model"`
	LoadMs    float64 `json:"load_ms"`
}

// startReferenceServer starts `benchctl serve` for sv on a free loopback
// port and waits until it listens. stop sends SIGTERM (graceful: requests
// in flight finish) and kills it after serverStopTimeout.
func startReferenceServer(ctx context.Context, self string, sv scenarios.Server, log io.Writer, nice int) (url, model string, stop func() error, err error) {
	cmd := exec.Command(self, ServerArgs(sv, nice)...)
	cmd.Stderr = &prefixWriter{w: log, prefix: "[server " + sv.Name + "] "}
	// The server dies with benchctl, even on SIGKILL, and runs in its own
	// process group: a terminal's Ctrl-C goes to benchctl alone, which
	// drains the requests in flight before it stops the server.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", "", nil, fmt.Errorf("start %s serve: %w", self, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop = func() error {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
			return nil
		case <-time.After(serverStopTimeout):
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("server %s did not stop within %v; killed", sv.Name, serverStopTimeout)
		}
	}
	ready := make(chan serverReady, 1)
	readErr := make(chan error, 1)
	go func() {
		br := bufio.NewReader(stdout)
		line, err := br.ReadBytes('\n')
		if err != nil {
			readErr <- fmt.Errorf("read ready line: %w", err)
			return
		}
		var r serverReady
		if err := json.Unmarshal(line, &r); err != nil || r.Listening == "" {
			readErr <- fmt.Errorf("unexpected first line %q", line)
			return
		}
		ready <- r
		_, _ = io.Copy(io.Discard, br)
	}()
	timer := time.NewTimer(serverStartTimeout)
	defer timer.Stop()
	select {
	case r := <-ready:
		fmt.Fprintf(log, "[server %s] listening on %s (model %s loaded in %.0f ms)\n", sv.Name, r.Listening, r.Model, r.LoadMs)
		return "http://" + r.Listening, r.Model, stop, nil
	case err := <-readErr:
		_ = stop()
		return "", "", nil, fmt.Errorf("benchctl serve did not start (see %s): %w", ServicesLogFile, err)
	case <-timer.C:
		_ = stop()
		return "", "", nil, fmt.Errorf("benchctl serve did not listen within %v", serverStartTimeout)
	case <-ctx.Done():
		_ = stop()
		return "", "", nil, ctx.Err()
	}
}

// ServerArgs is the `benchctl serve` command line of sv: the flags
// benchctl sets itself (OwnServeFlag), then sv.Args.
func ServerArgs(sv scenarios.Server, nice int) []string {
	args := []string{"serve", "--model", sv.Model, "--addr", "127.0.0.1:0"}
	if nice != 0 {
		args = append(args, "--nice", strconv.Itoa(nice))
	}
	if sv.Workers > 0 {
		args = append(args, "--workers", strconv.Itoa(sv.Workers))
	}
	if sv.MaxBatch > 0 {
		args = append(args, "--max-batch", strconv.Itoa(sv.MaxBatch))
	}
	if sv.MaxWait > 0 {
		args = append(args, "--max-wait", sv.MaxWait.String())
	}
	return append(args, sv.Args...)
}

// OwnServeFlag reports whether benchctl run sets the serve flag name
// itself (ServerArgs), and the scenario field that sets it ("" when no
// field does): servers[].args must not set it.
func OwnServeFlag(name string) (field string, own bool) {
	switch name {
	case "addr", "nice":
		return "", true
	case "model", "workers":
		return name, true
	case "max-batch", "max-wait":
		return strings.ReplaceAll(name, "-", "_"), true
	}
	return "", false
}

// ServiceDescriber says what a service started with the arguments args
// serves (its model and weights, results.ServiceInfo), as the command
// that parses those arguments reads them; name is the scenario's name of
// the service, kind "server" or "function".
type ServiceDescriber func(ctx context.Context, name, kind string, args []string) (results.ServiceInfo, error)

// selfExecutable is the benchctl binary that services are started from.
func selfExecutable(opts *Options) (string, error) {
	if opts.Executable != "" {
		return opts.Executable, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find the benchctl executable: %w", err)
	}
	return exe, nil
}

// lockedWriter serialises writes from the services' goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// prefixWriter prefixes every line written through it (a server's log lines
// in services.log name the server).
type prefixWriter struct {
	w       io.Writer
	prefix  string
	midLine bool
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	var out []byte
	for _, c := range b {
		if !p.midLine {
			out = append(out, p.prefix...)
			p.midLine = true
		}
		out = append(out, c)
		if c == '\n' {
			p.midLine = false
		}
	}
	if _, err := p.w.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}
