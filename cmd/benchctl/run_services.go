package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
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

	"github.com/spf13/pflag"

	"github.com/benchctl/benchctl/inference"
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
func runStartServices(ctx context.Context, s *scenarios.Scenario, self, logPath string, lowPriority bool) (env *runEnv, err error) {
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
		info, err := describeService(ctx, sv.Name, "server", append([]string{"--model", sv.Model}, sv.Args...))
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
			if info, err = describeService(ctx, fn.Name, "function", fn.Command[2:]); err != nil {
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

// describeService records what a service started with the model flags in
// args serves (the flags of benchctl serve and benchctl function; others
// are ignored): its model name and its weights, "synthetic" or the
// weights file (absolute) with its SHA-256. Without --model the model is
// the default preset's shape, as for both commands. A weights file that
// cannot be read is an error: the service could not load it either.
func describeService(ctx context.Context, name, kind string, args []string) (results.ServiceInfo, error) {
	info := results.ServiceInfo{Name: name, Kind: kind}
	var mo ModelOptions
	fs := pflag.NewFlagSet(kind, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.ParseErrorsWhitelist.UnknownFlags = true
	addModelFlags(fs, &mo, "")
	if err := fs.Parse(args); err != nil {
		return info, fmt.Errorf("model flags %q: %w", args, err)
	}
	if mo.ModelDir != "" {
		if err := mo.applyModelDir(kind); err != nil {
			return info, err
		}
	}
	if mo.Model == "" {
		mo.Model = inference.DefaultPreset // as benchctl function does with --weights
	}
	info.Model = mo.Model
	if mo.Name != "" {
		info.Model = mo.Name
	}
	if cfg, err := mo.config(kind); err == nil {
		info.Model = cfg.Name
	}
	if mo.WeightsFile == "" {
		info.Weights = results.WeightsSynthetic
		return info, nil
	}
	path, err := filepath.Abs(mo.WeightsFile)
	if err != nil {
		return info, fmt.Errorf("weights %s: %w", mo.WeightsFile, err)
	}
	sum, err := fileSHA256(ctx, path)
	if err != nil {
		return info, fmt.Errorf("weights: %w", err)
	}
	info.Weights, info.WeightsSHA256 = path, sum
	return info, nil
}

// fileSHA256 is the hex SHA-256 of a file's content, read in 1 MiB blocks
// (ctx is checked between them).
func fileSHA256(ctx context.Context, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	buf := make([]byte, 1<<20)
	for {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		n, err := f.Read(buf)
		h.Write(buf[:n])
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("read %s: %w", path, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
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
	cmd := exec.Command(self, serverArgs(sv, nice)...)
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

// serverArgs is the `benchctl serve` command line of sv: the flags
// benchctl sets itself (serverOwnFlags), then sv.Args.
func serverArgs(sv scenarios.Server, nice int) []string {
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

// serverOwnFlags are the serve flags benchctl run sets itself, with the
// scenario field that sets them ("" when no field does).
var serverOwnFlags = map[string]string{
	"addr": "", "model": "model", "workers": "workers", "max-batch": "max_batch", "max-wait": "max_wait", "nice": "",
}

// checkServers checks the servers block as `benchctl serve` will see it,
// before anything starts: servers[].args must not set a flag benchctl
// sets itself (--addr above all: benchctl picks a loopback port, and a
// shared scenario must not bind a server off loopback), the arguments must
// parse as serve flags, and the model must resolve (a preset name, a
// config, a shape) with its weights and vocabulary files present.
func checkServers(s *scenarios.Scenario) []scenarios.FieldError {
	var errs []scenarios.FieldError
	for i, sv := range s.Servers {
		p := fmt.Sprintf("servers[%d]", i)
		bad := false
		for j, a := range sv.Args {
			name, ok := strings.CutPrefix(a, "--")
			if !ok {
				continue
			}
			name, _, _ = strings.Cut(name, "=")
			field, own := serverOwnFlags[name]
			switch {
			case !own:
			case name == "addr":
				errs = append(errs, s.FieldErrorAt(fmt.Sprintf("%s.args[%d]", p, j), "--addr is set by benchctl run (a free port on 127.0.0.1); a server's address cannot be chosen by the scenario"))
				bad = true
			case field == "":
				errs = append(errs, s.FieldErrorAt(fmt.Sprintf("%s.args[%d]", p, j), "--%s is set by benchctl run", name))
				bad = true
			default:
				errs = append(errs, s.FieldErrorAt(fmt.Sprintf("%s.args[%d]", p, j), "--%s is set by benchctl run: use %s.%s instead", name, p, field))
				bad = true
			}
		}
		if bad {
			continue
		}
		var opts *ServeOptions
		cmd := newServeCmd(&IOStreams{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard}, func(o *ServeOptions) error { opts = o; return nil })
		cmd.SetArgs(serverArgs(sv, 0)[1:])
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		cmd.SilenceErrors, cmd.SilenceUsage = true, true
		if err := cmd.Execute(); err != nil {
			field := p + ".args"
			if len(sv.Args) == 0 {
				field = p
			}
			errs = append(errs, s.FieldErrorAt(field, "as benchctl serve flags: %v", err))
			continue
		}
		if opts == nil {
			errs = append(errs, s.FieldErrorAt(p+".args", "ask benchctl serve for its help instead of starting it"))
			continue
		}
		if _, err := opts.config("serve"); err != nil {
			field := p + ".args"
			if strings.Contains(err.Error(), "--model") {
				field = p + ".model"
			}
			errs = append(errs, s.FieldErrorAt(field, "%s", strings.TrimPrefix(strings.TrimPrefix(err.Error(), "serve: "), "--model: ")))
			continue
		}
		for _, f := range []struct{ flag, path string }{{"--weights", opts.WeightsFile}, {"--vocab", opts.VocabFile}} {
			if f.path == "" {
				continue
			}
			if st, err := os.Stat(f.path); err != nil || !st.Mode().IsRegular() {
				errs = append(errs, s.FieldErrorAt(p+".args", "%s %s: not a readable regular file (paths are relative to where benchctl run starts)", f.flag, f.path))
			}
		}
	}
	return errs
}

// selfExecutable is the benchctl binary that services are started from.
func selfExecutable(opts *RunOptions) (string, error) {
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
