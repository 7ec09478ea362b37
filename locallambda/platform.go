// Package locallambda is a local AWS Lambda-compatible platform: the
// embedded default serverless target of benchctl.
//
// It has the two faces of Lambda, both speaking the real wire protocols:
//
//   - the control/invoke API (the subset of the Lambda REST API that
//     github.com/aws/aws-sdk-go-v2/service/lambda uses: Invoke, GetFunction,
//     GetFunctionConfiguration, UpdateFunctionConfiguration, ListFunctions,
//     Put/Get/DeleteFunctionConcurrency, and for .zip packages of custom
//     runtimes CreateFunction, UpdateFunctionCode, DeleteFunction and
//     Put/Update/Get/DeleteFunctionEventInvokeConfig), so the real SDK
//     client, or a SigV4 signing HTTP client, works against it with
//     BaseEndpoint set;
//   - the Lambda Runtime API (/2018-06-01/runtime/...), served to every
//     function instance through AWS_LAMBDA_RUNTIME_API, so that any function
//     built with github.com/aws/aws-lambda-go, or any custom-runtime
//     bootstrap, runs unchanged.
//
// Execution model (as Lambda): each instance is an OS process started from
// the function's command; it serves one request at a time; a new instance
// starts when all are busy, up to the reserved concurrency (else 429);
// idle instances are reaped after the idle timeout. Each instance runs in its
// own cgroup: CPU quota = min(memory/1769, 6, host cores) vCPU, memory limit
// = MemorySize (an instance killed by the limit fails the invocation with
// Runtime.ExitError and is replaced). Where cgroups are not writable the
// platform runs unthrottled, warns once in the log, and CPUIsolation()
// returns "none".
//
// Every invocation ends with a REPORT line in AWS's text format:
//
//	REPORT RequestId: <id>\tDuration: d ms\tBilled Duration: b ms\tMemory Size: m MB\tMax Memory Used: u MB\t[Init Duration: i ms\t]
//
// Duration runs from handing the event to the runtime (the /next response)
// until its /response or /error arrives. Init Duration runs from process
// start until the runtime's first /next. Billed Duration = ceil(Duration +
// Init Duration) on cold starts when INIT is billed (AWS, since
// 2025-08-01; WithInitBilling(false) selects the older rule ceil(Duration)),
// else ceil(Duration). Max Memory Used is the instance cgroup's peak
// (memory.max_usage_in_bytes / memory.peak) or, without cgroups, the
// process's peak RSS.
package locallambda

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/benchctl/benchctl/scenarios"
	"github.com/google/uuid"
)

// Defaults and limits (AWS's where AWS has one).
const (
	// DefaultIdleTimeout is how long an idle instance lives before it is reaped.
	DefaultIdleTimeout = 10 * time.Minute
	// DefaultMemorySize is the memory (MB) of a function that sets none.
	DefaultMemorySize = 128
	// DefaultTimeout is the timeout of a function that sets none.
	DefaultTimeout = 3 * time.Second
	// DefaultRegion is the region in ARNs and AWS_REGION.
	DefaultRegion = "us-east-1"
	// DefaultAccountConcurrency bounds concurrent invocations of a function
	// without reserved concurrency (AWS's default account limit).
	DefaultAccountConcurrency = 1000
	// MinMemorySize and MaxMemorySize bound MemorySize (MB).
	MinMemorySize = 128
	MaxMemorySize = 10240
	// DefaultEphemeralStorageMB and MaxEphemeralStorageMB bound the /tmp
	// size (MB); a function that sets none gets the default.
	DefaultEphemeralStorageMB = 512
	MaxEphemeralStorageMB     = 10240
	// MaxTimeout is the longest function timeout.
	MaxTimeout = 900 * time.Second
	// MaxPayloadBytes is the synchronous invocation payload limit (6 MB),
	// for requests and responses.
	MaxPayloadBytes = 6 * 1024 * 1024
	// InitTimeout bounds the INIT phase (process start until the first
	// /next) on top of the function timeout.
	InitTimeout = 10 * time.Second
	// LogTailBytes is how much of the execution log X-Amz-Log-Result carries.
	LogTailBytes = 4096
	// AccountID is the account in the platform's ARNs.
	AccountID = "000000000000"
	// Version is the only function version the platform has.
	Version = "$LATEST"
)

// ErrClosed is returned by operations on a closed platform.
var ErrClosed = errors.New("local lambda platform closed")

// Option configures a Platform (functional options, validated in New).
type Option func(*config) error

type config struct {
	selfExe            string
	logger             io.Writer
	cgroupRoot         string
	initBilling        bool
	idleTimeout        time.Duration
	region             string
	accountConcurrency int
	cpuShares          int
	instanceNice       int
	noLogTail          bool
	invokeOnly         bool
}

// WithSelfExecutable sets what a command's first element "benchctl" means
// (default: os.Executable()).
func WithSelfExecutable(path string) Option {
	return func(c *config) error {
		if path == "" {
			return errors.New("self executable: empty path")
		}
		c.selfExe = path
		return nil
	}
}

// WithLogger sets where the platform writes its log: every invocation's
// execution log (INIT_START, the handler's output, START, END, REPORT), each
// line prefixed with "[function] ", and warnings. Default os.Stderr.
func WithLogger(w io.Writer) Option {
	return func(c *config) error {
		if w == nil {
			w = io.Discard
		}
		c.logger = w
		return nil
	}
}

// WithCgroupRoot sets where the cgroup file systems are mounted (default
// DefaultCgroupRoot). "" or "none" turns CPU and memory isolation off.
func WithCgroupRoot(root string) Option {
	return func(c *config) error {
		c.cgroupRoot = root
		return nil
	}
}

// WithInitBilling says whether a cold start's Init Duration is billed
// (included in Billed Duration), as AWS does for all on-demand functions
// since 2025-08-01 (default true). False selects the older rule for managed
// runtimes: Billed Duration = ceil(Duration).
func WithInitBilling(on bool) Option {
	return func(c *config) error {
		c.initBilling = on
		return nil
	}
}

// WithIdleTimeout sets the idle timeout of functions that set none
// (default DefaultIdleTimeout).
func WithIdleTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("idle timeout: must be positive, got %v", d)
		}
		c.idleTimeout = d
		return nil
	}
}

// WithRegion sets the region used in ARNs and AWS_REGION (default us-east-1).
func WithRegion(region string) Option {
	return func(c *config) error {
		if region == "" {
			return errors.New("region: empty")
		}
		c.region = region
		return nil
	}
}

// WithCPUShares sets the CPU weight of all the platform's instances
// together against the other processes of the host: cpu.shares of the
// platform's cgroup folder (cgroup v1, 2–262144, the kernel's default
// 1024; on cgroup v2 cpu.weight = shares×100/1024). Lower it when the
// process that measures the instances, a load generator, shares the host:
// then it is not delayed behind them when they saturate the cores. It only
// orders who runs first under contention; each instance's CPU quota (its
// memory's share of a vCPU) is unchanged. Without cgroups it has no effect.
func WithCPUShares(shares int) Option {
	return func(c *config) error {
		if shares < 2 || shares > 262144 {
			return fmt.Errorf("cpu shares: %d is outside 2–262144", shares)
		}
		c.cpuShares = shares
		return nil
	}
}

// WithInstanceNice starts instances at nice n (1–19) when there are no
// cgroups to give them a lower CPU weight (WithCPUShares): with the same
// purpose, a load generator on the same host is not delayed behind them.
// It needs nice(1) on the PATH (coreutils, busybox); without it the
// instances run at the default priority and Warnings says so.
func WithInstanceNice(n int) Option {
	return func(c *config) error {
		if n < 1 || n > 19 {
			return fmt.Errorf("instance nice: %d is outside 1–19", n)
		}
		c.instanceNice = n
		return nil
	}
}

// WithAccountConcurrency bounds concurrent invocations of each function
// without reserved concurrency (default DefaultAccountConcurrency).
func WithAccountConcurrency(n int) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("account concurrency: must be positive, got %d", n)
		}
		c.accountConcurrency = n
		return nil
	}
}

// WithLogTail says whether an Invoke with X-Amz-Log-Type: Tail gets the
// execution log (and its REPORT line) back in X-Amz-Log-Result (default
// true, as AWS does). False behaves like endpoints that never return one
// (AWS's Lambda Runtime Interface Emulator, Lambda-compatible gateways):
// a client then has no billing data for its requests.
func WithLogTail(on bool) Option {
	return func(c *config) error {
		c.noLogTail = !on
		return nil
	}
}

// WithInvokeOnly serves the Invoke operation only: every other path of the
// API (GetFunctionConfiguration, UpdateFunctionConfiguration, ...) answers
// 404 with a plain-text body, as AWS's Lambda Runtime Interface Emulator
// does. Clients that need the control API (memory sweeps, forced cold
// starts) must detect it.
func WithInvokeOnly() Option {
	return func(c *config) error {
		c.invokeOnly = true
		return nil
	}
}

// Platform is a running local Lambda-compatible platform. Create it with
// New, serve it with Start, stop it with Close.
type Platform struct {
	cfg       config
	cg        *cgroupManager
	isolation string
	cpuShares int
	// niceExe is nice(1) when instances start under it (WithInstanceNice).
	niceExe string

	mu  sync.Mutex
	fns map[string]*function
	// code holds the task roots of packaged functions (made on the first
	// CreateFunction, removed by Close).
	code      string
	srv       *http.Server
	closed    bool
	warnings  []string
	stopReap  chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup // reaper and background instance work

	logMu sync.Mutex
}

// function is the mutable state of one function.
type function struct {
	name string

	mu               sync.Mutex
	cfg              scenarios.Function
	reserved         *int
	gen              int
	idle             []*instance
	instances        map[*instance]struct{}
	inflight         int
	coldStarts       int
	lastUpdateStatus string
	lastModified     time.Time
	revision         string
	// state is Pending right after CreateFunction, else Active ("").
	state string
	// pkg is the .zip package of a function made by CreateFunction (nil
	// for the functions given to New, which run a command).
	pkg *pkg
	// eventConfig is the asynchronous invocation configuration.
	eventConfig *eventInvokeConfig
}

// New validates the functions and options and prepares the platform
// (cgroup probing and stale-cgroup cleanup happen here). Nothing is served
// and no instance starts until Start and the first invocation.
func New(functions []scenarios.Function, opts ...Option) (*Platform, error) {
	cfg := config{
		logger:             os.Stderr,
		cgroupRoot:         DefaultCgroupRoot,
		initBilling:        true,
		idleTimeout:        DefaultIdleTimeout,
		region:             DefaultRegion,
		accountConcurrency: DefaultAccountConcurrency,
	}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, fmt.Errorf("local lambda: %w", err)
		}
	}
	if cfg.selfExe == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("local lambda: finding own executable: %w", err)
		}
		cfg.selfExe = exe
	}
	p := &Platform{cfg: cfg, fns: map[string]*function{}, stopReap: make(chan struct{})}
	now := time.Now().UTC()
	for i, f := range functions {
		f, err := normalize(f)
		if err != nil {
			return nil, fmt.Errorf("local lambda: functions[%d]: %w", i, err)
		}
		if _, dup := p.fns[f.Name]; dup {
			return nil, fmt.Errorf("local lambda: functions[%d]: duplicate function name %q", i, f.Name)
		}
		p.fns[f.Name] = &function{
			name: f.Name, cfg: f, reserved: f.ReservedConcurrency,
			instances: map[*instance]struct{}{}, lastUpdateStatus: "Successful",
			lastModified: now, revision: uuid.NewString(),
		}
	}
	cg, warn := newCgroupManager(cfg.cgroupRoot)
	p.cg = cg
	p.isolation = cg.mode
	if cfg.instanceNice > 0 && cg.mode == IsolationNone {
		if exe, err := exec.LookPath("nice"); err != nil {
			p.warn("WARNING: instances run at the default CPU priority: " + err.Error())
		} else {
			p.niceExe = exe
		}
	}
	if cfg.cpuShares > 0 && cg.mode != IsolationNone {
		if err := cg.setCPUShares(cfg.cpuShares); err != nil {
			p.warn("WARNING: could not lower the instances' CPU weight: " + err.Error())
		} else {
			p.cpuShares = cfg.cpuShares
		}
	}
	if warn != "" {
		p.warn("WARNING: CPU and memory isolation is OFF (cpu_isolation: none): function instances run " +
			"unthrottled, so Duration does not scale with memory as on AWS Lambda, and Max Memory Used is peak RSS. Reason: " + warn)
	}
	return p, nil
}

// normalize applies defaults and checks one function's settings.
func normalize(f scenarios.Function) (scenarios.Function, error) {
	if f.Name == "" {
		return f, errors.New("name: required")
	}
	if len(f.Command) == 0 || f.Command[0] == "" {
		return f, fmt.Errorf("function %q: command: required (an argv list)", f.Name)
	}
	if f.MemorySize == 0 {
		f.MemorySize = DefaultMemorySize
	}
	if f.MemorySize < MinMemorySize || f.MemorySize > MaxMemorySize {
		return f, fmt.Errorf("function %q: memory_size: %d MB is outside %d–%d", f.Name, f.MemorySize, MinMemorySize, MaxMemorySize)
	}
	if f.Timeout == 0 {
		f.Timeout = DefaultTimeout
	}
	if f.Timeout < 0 || f.Timeout > MaxTimeout {
		return f, fmt.Errorf("function %q: timeout: %v is outside 1s–15m", f.Name, f.Timeout)
	}
	if f.EphemeralStorageMB == 0 {
		f.EphemeralStorageMB = DefaultEphemeralStorageMB
	}
	if f.EphemeralStorageMB < DefaultEphemeralStorageMB || f.EphemeralStorageMB > MaxEphemeralStorageMB {
		return f, fmt.Errorf("function %q: ephemeral_storage_mb: %d MB is outside %d–%d", f.Name, f.EphemeralStorageMB, DefaultEphemeralStorageMB, MaxEphemeralStorageMB)
	}
	if f.ReservedConcurrency != nil && *f.ReservedConcurrency < 0 {
		return f, fmt.Errorf("function %q: reserved_concurrency: must be ≥ 0, got %d", f.Name, *f.ReservedConcurrency)
	}
	if f.IdleTimeout < 0 {
		return f, fmt.Errorf("function %q: idle_timeout: must be positive, got %v", f.Name, f.IdleTimeout)
	}
	switch f.Architecture {
	case "":
		f.Architecture = "x86_64"
	case "x86_64", "arm64":
	default:
		return f, fmt.Errorf("function %q: architecture: %q is not one of [x86_64 arm64]", f.Name, f.Architecture)
	}
	env := make(map[string]string, len(f.Environment))
	for k, v := range f.Environment {
		env[k] = v
	}
	f.Environment = env
	f.Command = append([]string(nil), f.Command...)
	return f, nil
}

// Start serves the control/invoke API on addr (a loopback address such as
// "127.0.0.1:9001" or "127.0.0.1:0") and returns its base URL
// (http://127.0.0.1:PORT), the BaseEndpoint for an SDK client. Cancelling
// ctx closes the platform.
func (p *Platform) Start(ctx context.Context, addr string) (string, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("local lambda: address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return "", fmt.Errorf("local lambda: address %q: the platform binds loopback addresses only (127.0.0.1, ::1)", addr)
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return "", ErrClosed
	}
	if p.srv != nil {
		p.mu.Unlock()
		return "", errors.New("local lambda: already started")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		p.mu.Unlock()
		return "", fmt.Errorf("local lambda: listening on %s: %w", addr, err)
	}
	p.srv = &http.Server{Handler: p.apiHandler(), ReadHeaderTimeout: 10 * time.Second}
	srv := p.srv
	p.wg.Add(2)
	p.mu.Unlock()

	go func() {
		defer p.wg.Done()
		_ = srv.Serve(ln)
	}()
	go func() {
		defer p.wg.Done()
		p.reap()
	}()
	go func() {
		select {
		case <-ctx.Done():
			cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = p.Close(cctx)
		case <-p.stopReap:
		}
	}()
	return "http://" + ln.Addr().String(), nil
}

// Close stops serving, kills every instance, removes the platform's
// cgroups and waits (bounded by ctx) for background work. It is safe to
// call more than once.
func (p *Platform) Close(ctx context.Context) error {
	var err error
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.closed = true
		srv := p.srv
		fns := make([]*function, 0, len(p.fns))
		for _, f := range p.fns {
			fns = append(fns, f)
		}
		p.mu.Unlock()
		close(p.stopReap)
		if srv != nil {
			sctx, cancel := context.WithTimeout(ctx, time.Second)
			if e := srv.Shutdown(sctx); e != nil {
				_ = srv.Close()
			}
			cancel()
		}
		var all []*instance
		for _, f := range fns {
			f.mu.Lock()
			for inst := range f.instances {
				all = append(all, inst)
			}
			f.instances = map[*instance]struct{}{}
			f.idle = nil
			f.mu.Unlock()
		}
		var kw sync.WaitGroup
		for _, inst := range all {
			kw.Add(1)
			go func() { defer kw.Done(); inst.kill() }()
		}
		kw.Wait()
		done := make(chan struct{})
		go func() { p.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
			err = fmt.Errorf("local lambda: closing: %w", ctx.Err())
		}
		p.cg.close()
		p.mu.Lock()
		if p.code != "" {
			_ = os.RemoveAll(p.code)
		}
		p.mu.Unlock()
	})
	return err
}

// InstanceNice is the nice value instances start at (WithInstanceNice,
// only without cgroups), 0 when they run at the default priority.
func (p *Platform) InstanceNice() int {
	if p.niceExe == "" {
		return 0
	}
	return p.cfg.instanceNice
}

// CPUShares is the CPU weight of the platform's instances together
// (WithCPUShares), 0 when it was left at the kernel's default.
func (p *Platform) CPUShares() int { return p.cpuShares }

// CPUIsolation says how instances are confined: "cgroup-v1", "cgroup-v2"
// or "none" (unthrottled; record it in the run's metadata).
func (p *Platform) CPUIsolation() string { return p.isolation }

// Warnings returns the warnings the platform logged (e.g. isolation off).
func (p *Platform) Warnings() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.warnings...)
}

// Functions returns the names of the platform's functions, sorted.
func (p *Platform) Functions() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	names := make([]string, 0, len(p.fns))
	for n := range p.fns {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// InstanceStats counts a function's instances.
type InstanceStats struct {
	// Live is the number of instances (busy, idle or starting).
	Live int
	// Idle is the number of warm instances waiting for work.
	Idle int
	// InFlight is the number of invocations running.
	InFlight int
	// ColdStarts is how many instances the function has started.
	ColdStarts int
}

// Stats returns a function's instance counts (ok false for unknown names).
func (p *Platform) Stats(name string) (InstanceStats, bool) {
	p.mu.Lock()
	f := p.fns[name]
	p.mu.Unlock()
	if f == nil {
		return InstanceStats{}, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return InstanceStats{Live: len(f.instances), Idle: len(f.idle), InFlight: f.inflight, ColdStarts: f.coldStarts}, true
}

// ARN returns the function ARN of name.
func (p *Platform) ARN(name string) string {
	return "arn:aws:lambda:" + p.cfg.region + ":" + AccountID + ":function:" + name
}

// lookup returns the function called name, or nil.
func (p *Platform) lookup(name string) *function {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fns[name]
}

// warn logs a warning once and keeps it for Warnings.
func (p *Platform) warn(msg string) {
	p.mu.Lock()
	p.warnings = append(p.warnings, msg)
	p.mu.Unlock()
	p.logLines("platform", msg+"\n")
}

// logLines writes text to the logger, each line prefixed by "[name] ".
func (p *Platform) logLines(name, text string) {
	if p.cfg.logger == io.Discard || text == "" {
		return
	}
	var b strings.Builder
	for _, line := range strings.SplitAfter(text, "\n") {
		if line == "" {
			continue
		}
		b.WriteString("[" + name + "] ")
		b.WriteString(line)
		if !strings.HasSuffix(line, "\n") {
			b.WriteByte('\n')
		}
	}
	p.logMu.Lock()
	_, _ = io.WriteString(p.cfg.logger, b.String())
	p.logMu.Unlock()
}

// idleTimeout is the function's idle timeout or the platform default.
func (p *Platform) idleTimeout(cfg scenarios.Function) time.Duration {
	if cfg.IdleTimeout > 0 {
		return cfg.IdleTimeout
	}
	return p.cfg.idleTimeout
}

// reap kills instances idle longer than their function's idle timeout.
func (p *Platform) reap() {
	tick := time.NewTicker(p.reapInterval())
	defer tick.Stop()
	for {
		select {
		case <-p.stopReap:
			return
		case now := <-tick.C:
			p.mu.Lock()
			fns := make([]*function, 0, len(p.fns))
			for _, f := range p.fns {
				fns = append(fns, f)
			}
			p.mu.Unlock()
			for _, f := range fns {
				f.mu.Lock()
				limit := p.idleTimeout(f.cfg)
				keep := f.idle[:0]
				var dead []*instance
				for _, inst := range f.idle {
					if now.Sub(inst.lastUsed) >= limit {
						dead = append(dead, inst)
						delete(f.instances, inst)
					} else {
						keep = append(keep, inst)
					}
				}
				f.idle = keep
				f.mu.Unlock()
				for _, inst := range dead {
					inst.kill()
				}
			}
		}
	}
}

// reapInterval is a quarter of the smallest idle timeout, in [10ms, 1s].
func (p *Platform) reapInterval() time.Duration {
	d := p.cfg.idleTimeout
	p.mu.Lock()
	for _, f := range p.fns {
		if t := f.cfg.IdleTimeout; t > 0 && t < d {
			d = t
		}
	}
	p.mu.Unlock()
	d /= 4
	return min(max(d, 10*time.Millisecond), time.Second)
}
