package locallambda

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/benchctl/benchctl/scenarios"
)

// Runtime API headers (as aws-lambda-go reads and writes them).
const (
	hdrRequestID     = "Lambda-Runtime-Aws-Request-Id"
	hdrDeadlineMs    = "Lambda-Runtime-Deadline-Ms"
	hdrFunctionArn   = "Lambda-Runtime-Invoked-Function-Arn"
	hdrTraceID       = "Lambda-Runtime-Trace-Id"
	hdrClientContext = "Lambda-Runtime-Client-Context"
	hdrErrorType     = "Lambda-Runtime-Function-Error-Type"
	hdrErrorBody     = "Lambda-Runtime-Function-Error-Body"
)

// maxLogBytes bounds the execution log kept for one invocation; older
// output is dropped first (the tail keeps only LogTailBytes anyway).
const maxLogBytes = 256 << 10

// instance is one function instance: an OS process with its own Runtime API
// listener and cgroup.
type instance struct {
	p    *Platform
	fn   *function
	gen  int
	cfg  scenarios.Function
	id   string
	cmd  *exec.Cmd
	srv  *http.Server
	cg   *instanceCgroup
	logR *os.File

	started  time.Time
	initAt   time.Time // first /next (valid once initDone is closed)
	lastUsed time.Time // guarded by fn.mu

	next       chan *invocation
	initDone   chan struct{}
	initOnce   sync.Once
	initFailed chan []byte // the /runtime/init/error body (buffered 1)
	exited     chan struct{}
	exitErr    error
	maxRSSKB   int64
	shutdown   chan struct{}
	killOnce   sync.Once
	killed     chan struct{} // closed when kill has finished

	mu      sync.Mutex
	cur     *invocation
	logs    bytes.Buffer
	readEOF bool
	dead    bool
}

// invocation is one event handed to an instance.
type invocation struct {
	id        string
	payload   []byte
	deadline  time.Time
	clientCtx string
	traceID   string
	arn       string
	done      chan runtimeResult // buffered 1
	// created is when the invocation was made; handed is set by /next to
	// time.Since(created) when the event is handed to the runtime (atomic:
	// the /next and /response handlers run on different goroutines).
	created time.Time
	handed  atomic.Int64
}

// duration is the REPORT Duration of a result: from handing the event to
// the runtime until the runtime's answer arrived.
func (inv *invocation) duration(res runtimeResult) time.Duration {
	d := res.at.Sub(inv.created) - time.Duration(inv.handed.Load())
	return max(d, 0)
}

// runtimeResult is what the runtime answered.
type runtimeResult struct {
	payload []byte
	failed  bool // posted to /error
	at      time.Time
}

// outcome is the platform's answer to one invocation.
type outcome struct {
	payload   []byte
	fnError   string // "" or "Unhandled"
	log       string // the full execution log of the invocation
	requestID string
}

// startInstance starts a new instance of fn and waits for its INIT phase to
// end (its first /next). On failure the returned error payload is an AWS
// function error body and the instance is gone.
func (p *Platform) startInstance(fn *function, cfg scenarios.Function, gen int) (*instance, *invokeFailure) {
	inst := &instance{
		p: p, fn: fn, gen: gen, cfg: cfg,
		next:       make(chan *invocation),
		initDone:   make(chan struct{}),
		initFailed: make(chan []byte, 1),
		exited:     make(chan struct{}),
		shutdown:   make(chan struct{}),
		killed:     make(chan struct{}),
	}
	fail := func(errType, msg string) (*instance, *invokeFailure) {
		inst.kill()
		p.forget(fn, inst)
		return nil, &invokeFailure{errorType: errType, message: msg, log: inst.takeLogs()}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail("Runtime.Unknown", "starting the runtime API: "+err.Error())
	}
	inst.srv = &http.Server{Handler: inst.runtimeHandler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = inst.srv.Serve(ln) }()

	argv := append([]string(nil), cfg.Command...)
	if argv[0] == "benchctl" {
		argv[0] = p.cfg.selfExe
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return fail("Runtime.InvalidEntrypoint", fmt.Sprintf("RequestId: %%s Error: couldn't find valid bootstrap(s): %v", err))
	}
	argv[0] = path
	cg, err := p.cg.create(cfg.MemorySize)
	if err != nil {
		return fail("Runtime.Unknown", "creating the instance cgroup: "+err.Error())
	}
	inst.cg = cg
	var cmd *exec.Cmd
	if cg != nil {
		// The shell joins the cgroups itself before exec, so the function's
		// runtime starts confined (and e.g. Go sizes GOMAXPROCS by the quota).
		files := cg.procsFiles()
		args := []string{"-c", `n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 126; shift; n=$((n-1)); done; exec "$@"`, "sh", strconv.Itoa(len(files))}
		args = append(args, files...)
		args = append(args, argv...)
		cmd = exec.Command("/bin/sh", args...)
	} else if p.niceExe != "" {
		// Without cgroups, nice(1) lowers the instance's priority before
		// its runtime starts any thread (see WithInstanceNice).
		cmd = exec.Command(p.niceExe, append([]string{"-n", strconv.Itoa(p.cfg.instanceNice)}, argv...)...)
	} else {
		cmd = exec.Command(argv[0], argv[1:]...)
	}
	fn.mu.Lock()
	pk := fn.pkg
	fn.mu.Unlock()
	cmd.Env = p.instanceEnv(cfg, pk, ln.Addr().String())
	if pk != nil {
		cmd.Dir = pk.taskRoot
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	r, w, err := os.Pipe()
	if err != nil {
		return fail("Runtime.Unknown", "creating the log pipe: "+err.Error())
	}
	cmd.Stdout, cmd.Stderr = w, w
	inst.logR = r
	inst.logs.WriteString("INIT_START Runtime Version: benchctl-local.provided.al2023\tRuntime Version ARN: arn:aws:lambda:" +
		p.cfg.region + "::runtime:benchctl-local\n")
	// Register the starting instance so that Close can stop it.
	fn.mu.Lock()
	if p.isClosed() {
		fn.mu.Unlock()
		_ = w.Close()
		_ = r.Close()
		return fail("Runtime.ExitError", "RequestId: %s Error: platform closing")
	}
	fn.instances[inst] = struct{}{}
	fn.mu.Unlock()
	inst.mu.Lock()
	if inst.dead {
		inst.mu.Unlock()
		_ = w.Close()
		_ = r.Close()
		return fail("Runtime.ExitError", "RequestId: %s Error: instance stopped during init (platform closing)")
	}
	inst.started = time.Now()
	if err := cmd.Start(); err != nil {
		inst.mu.Unlock()
		_ = w.Close()
		_ = r.Close()
		return fail("Runtime.InvalidEntrypoint", "RequestId: %s Error: starting "+argv[0]+": "+err.Error())
	}
	inst.cmd = cmd
	inst.mu.Unlock()
	_ = w.Close()
	go inst.readLogs()
	go func() {
		err := cmd.Wait()
		if cmd.ProcessState != nil {
			if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
				inst.maxRSSKB = ru.Maxrss
			}
		}
		inst.exitErr = err
		close(inst.exited)
	}()

	timer := time.NewTimer(InitTimeout + cfg.Timeout)
	defer timer.Stop()
	select {
	case <-inst.initDone:
		return inst, nil
	case body := <-inst.initFailed:
		inst.kill()
		p.forget(fn, inst)
		f := failureFromBody(body, "Runtime.InitError")
		f.log = inst.takeLogs()
		return nil, f
	case <-inst.exited:
		inst.kill()
		p.forget(fn, inst)
		return nil, &invokeFailure{errorType: "Runtime.ExitError", message: "RequestId: %s Error: Runtime exited with error: " + inst.exitDescription(),
			reportErrorType: inst.exitErrorType(), log: inst.takeLogs()}
	case <-inst.shutdown:
		return fail("Runtime.ExitError", "RequestId: %s Error: instance stopped during init (platform closing)")
	case <-timer.C:
		return fail("Sandbox.Timedout", fmt.Sprintf("RequestId: %%s Error: INIT phase did not finish within %.2f seconds", (InitTimeout+cfg.Timeout).Seconds()))
	}
}

// instanceEnv is the standard Lambda environment plus the function's own.
func (p *Platform) instanceEnv(cfg scenarios.Function, pk *pkg, runtimeAPI string) []string {
	cwd, _ := os.Getwd()
	runtime, handler := "provided.al2023", "bootstrap"
	if pk != nil {
		cwd, runtime, handler = pk.taskRoot, pk.runtime, pk.handler
	}
	env := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":        cfg.Name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(cfg.MemorySize),
		"AWS_LAMBDA_FUNCTION_VERSION":     Version,
		"AWS_LAMBDA_FUNCTION_TIMEOUT":     strconv.Itoa(timeoutSeconds(cfg.Timeout)),
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + cfg.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      time.Now().UTC().Format("2006/01/02") + "/[$LATEST]" + strings.ReplaceAll(newRequestID(), "-", ""),
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_LAMBDA_RUNTIME_API":          runtimeAPI,
		"AWS_REGION":                      p.cfg.region,
		"AWS_DEFAULT_REGION":              p.cfg.region,
		"AWS_EXECUTION_ENV":               "AWS_Lambda_" + runtime,
		"_HANDLER":                        handler,
		"LAMBDA_TASK_ROOT":                cwd,
		"LAMBDA_RUNTIME_DIR":              cwd,
		"TZ":                              ":UTC",
		"LANG":                            "en_US.UTF-8",
	}
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "LD_LIBRARY_PATH", "GOCOVERDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env[k] = v
		}
	}
	if _, ok := env["PATH"]; !ok {
		env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
	}
	for k, v := range cfg.Environment {
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// readLogs appends the instance's combined stdout/stderr to its log buffer.
func (inst *instance) readLogs() {
	buf := make([]byte, 32<<10)
	for {
		n, err := inst.logR.Read(buf)
		if n > 0 {
			inst.mu.Lock()
			inst.logs.Write(buf[:n])
			if inst.logs.Len() > maxLogBytes {
				keep := inst.logs.Bytes()[inst.logs.Len()-maxLogBytes/2:]
				var nb bytes.Buffer
				nb.WriteString("[benchctl: earlier output dropped]\n")
				nb.Write(keep)
				inst.logs = nb
			}
			inst.mu.Unlock()
		}
		if err != nil {
			inst.mu.Lock()
			inst.readEOF = true
			inst.mu.Unlock()
			_ = inst.logR.Close()
			return
		}
	}
}

// flushLogs waits (at most ~5 ms) until output the process has already
// written into the pipe has been read into the log buffer.
func (inst *instance) flushLogs() {
	if inst.logR == nil {
		return
	}
	sc, err := inst.logR.SyscallConn()
	if err != nil {
		return
	}
	for i := 0; i < 100; i++ {
		pending := 0
		cerr := sc.Control(func(fd uintptr) {
			pending, err = ioctlFIONREAD(fd)
		})
		if cerr != nil || err != nil || pending == 0 {
			return
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// takeLogs returns and clears the log buffer.
func (inst *instance) takeLogs() string {
	inst.mu.Lock()
	defer inst.mu.Unlock()
	s := inst.logs.String()
	inst.logs.Reset()
	return s
}

// kill stops the instance for good: process group SIGKILL, runtime API
// closed, cgroup removed. It blocks until done and is safe to call twice.
func (inst *instance) kill() {
	inst.killOnce.Do(func() {
		inst.mu.Lock()
		inst.dead = true
		cmd := inst.cmd
		inst.mu.Unlock()
		close(inst.shutdown)
		if cmd != nil && cmd.Process != nil {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			select {
			case <-inst.exited:
			case <-time.After(5 * time.Second):
			}
		}
		if inst.srv != nil {
			_ = inst.srv.Close()
		}
		inst.cg.remove()
		close(inst.killed)
	})
	<-inst.killed
}

// isDead reports whether the instance was killed or its process exited.
func (inst *instance) isDead() bool {
	select {
	case <-inst.exited:
		return true
	default:
	}
	inst.mu.Lock()
	defer inst.mu.Unlock()
	return inst.dead
}

// maxMemoryUsedMB is the instance's peak memory use in MB (rounded up,
// at most its memory size): the larger of the cgroup's peak charge and the
// process's peak resident set (VmHWM, or the exit rusage). The cgroup alone
// misses pages charged elsewhere before the process joined it (under
// cgroup v1 the binary's page cache: 2 MB charged against a 9.7 MB peak
// RSS), and Lambda's figure counts what the process had resident.
func (inst *instance) maxMemoryUsedMB() int {
	var cgPeak, rss int64
	if inst.cg != nil {
		if v, err := inst.cg.peakBytes(); err == nil {
			cgPeak = v
		}
	}
	select {
	case <-inst.exited:
		rss = inst.maxRSSKB << 10
	default:
		if inst.cmd != nil && inst.cmd.Process != nil {
			rss = peakRSS(inst.cmd.Process.Pid)
		}
	}
	b := max(cgPeak, rss)
	mb := int((b + (1<<20 - 1)) >> 20)
	return min(mb, inst.cfg.MemorySize)
}

// exitErrorType is the REPORT Error Type for an instance whose process
// exited: Runtime.OutOfMemory when the cgroup's OOM killer fired.
func (inst *instance) exitErrorType() string {
	if inst.cg != nil && inst.cg.oomKills() > 0 {
		return "Runtime.OutOfMemory"
	}
	return "Runtime.ExitError"
}

// peakRSS reads VmHWM (peak resident set) of pid in bytes.
func peakRSS(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

// exitDescription describes how the process ended, waiting briefly for
// its exit status when it is still being torn down.
func (inst *instance) exitDescription() string {
	select {
	case <-inst.exited:
		return exitText(inst.exitErr)
	case <-time.After(2 * time.Second):
		return "signal: killed"
	}
}

// exitText renders a process exit like the Lambda runtime does
// ("signal: killed", "exit status 2").
func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.Error()
	}
	return err.Error()
}

// runtimeHandler serves the Lambda Runtime API for this instance.
func (inst *instance) runtimeHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", inst.handleNext)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", func(w http.ResponseWriter, r *http.Request) {
		inst.handleResult(w, r, false)
	})
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", func(w http.ResponseWriter, r *http.Request) {
		inst.handleResult(w, r, true)
	})
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, MaxPayloadBytes))
		if len(body) == 0 {
			body = []byte(`{"errorMessage":"init error","errorType":` + strconv.Quote(r.Header.Get(hdrErrorType)) + `}`)
		}
		select {
		case inst.initFailed <- body:
		default:
		}
		writeRuntimeStatus(w, http.StatusAccepted, `{"status":"OK"}`)
	})
	return mux
}

// handleNext hands the next event to the runtime (blocking until there is one).
func (inst *instance) handleNext(w http.ResponseWriter, r *http.Request) {
	inst.initOnce.Do(func() {
		inst.initAt = time.Now()
		close(inst.initDone)
	})
	select {
	case inv := <-inst.next:
		inv.handed.Store(int64(time.Since(inv.created)))
		h := w.Header()
		h[hdrRequestID] = []string{inv.id}
		h[hdrDeadlineMs] = []string{strconv.FormatInt(inv.deadline.UnixMilli(), 10)}
		h[hdrFunctionArn] = []string{inv.arn}
		h[hdrTraceID] = []string{inv.traceID}
		if inv.clientCtx != "" {
			h[hdrClientContext] = []string{inv.clientCtx}
		}
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", strconv.Itoa(len(inv.payload)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(inv.payload)
	case <-inst.shutdown:
		writeRuntimeStatus(w, http.StatusGone, `{"errorMessage":"instance shutting down","errorType":"Runtime.Shutdown"}`)
	case <-r.Context().Done():
	}
}

// handleResult takes a /response or /error for the current invocation.
func (inst *instance) handleResult(w http.ResponseWriter, r *http.Request, failed bool) {
	at := time.Now()
	id := r.PathValue("id")
	inst.mu.Lock()
	inv := inst.cur
	inst.mu.Unlock()
	if inv == nil || inv.id != id {
		writeRuntimeStatus(w, http.StatusBadRequest, `{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}`)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxPayloadBytes+1))
	at = time.Now()
	if err != nil {
		failed, body = true, errorBody("Runtime.Unknown", "reading the function response: "+err.Error())
	}
	if t := r.Trailer.Get(hdrErrorType); t != "" {
		failed = true
		if eb, derr := base64.StdEncoding.DecodeString(r.Trailer.Get(hdrErrorBody)); derr == nil && len(eb) > 0 {
			body = eb
		} else {
			body = errorBody(t, "the function's response stream failed")
		}
	}
	status := http.StatusAccepted
	if len(body) > MaxPayloadBytes {
		failed = true
		body = errorBody("Function.ResponseSizeTooLarge", fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", MaxPayloadBytes))
		status = http.StatusRequestEntityTooLarge
	}
	if failed && !json.Valid(body) {
		errType := r.Header.Get(hdrErrorType)
		if errType == "" {
			errType = "Runtime.Unknown"
		}
		body = errorBody(errType, string(body))
	}
	select {
	case inv.done <- runtimeResult{payload: body, failed: failed, at: at}:
	default:
		writeRuntimeStatus(w, http.StatusBadRequest, `{"errorMessage":"Invalid state transition: the invocation already has a result","errorType":"InvalidStateTransition"}`)
		return
	}
	if status == http.StatusAccepted {
		writeRuntimeStatus(w, status, `{"status":"OK"}`)
	} else {
		writeRuntimeStatus(w, status, string(body))
	}
}

func writeRuntimeStatus(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// errorBody is a Lambda function error payload.
func errorBody(errType, msg string) []byte {
	b, _ := json.Marshal(struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}{msg, errType})
	return b
}

// invokeFailure is a platform-side failure of an invocation (init failed,
// runtime exited, timeout), answered as a function error.
type invokeFailure struct {
	errorType       string
	message         string // may hold one %s for the request id
	reportErrorType string // REPORT "Error Type" when it differs from errorType
	status          string // REPORT Status ("error" unless set)
	log             string
	payload         []byte // a body the runtime posted, used as is
}

func failureFromBody(body []byte, fallbackType string) *invokeFailure {
	var e struct {
		ErrorType string `json:"errorType"`
	}
	_ = json.Unmarshal(body, &e)
	if e.ErrorType == "" {
		e.ErrorType = fallbackType
	}
	return &invokeFailure{errorType: e.ErrorType, payload: body}
}

func (f *invokeFailure) body(requestID string) []byte {
	if f.payload != nil {
		return f.payload
	}
	msg := f.message
	if strings.Contains(msg, "%s") {
		msg = fmt.Sprintf(msg, requestID)
	}
	return errorBody(f.errorType, msg)
}

// run hands inv to the (initialised, idle) instance and waits for the
// result, the instance's death or the timeout. It returns the result, the
// measured Duration, a failure when the platform had to answer itself, and
// whether the runtime took the event at all.
func (inst *instance) run(inv *invocation, timeout time.Duration) (res runtimeResult, dur time.Duration, fail *invokeFailure, delivered bool) {
	inst.mu.Lock()
	inst.cur = inv
	inst.mu.Unlock()
	defer func() {
		inst.mu.Lock()
		inst.cur = nil
		inst.mu.Unlock()
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	timedOut := func() *invokeFailure {
		msg := fmt.Sprintf("Task timed out after %.2f seconds", timeout.Seconds())
		inst.mu.Lock()
		inst.logs.WriteString(time.Now().UTC().Format("2006-01-02T15:04:05.000Z") + " " + inv.id + " " + msg + "\n")
		inst.mu.Unlock()
		return &invokeFailure{errorType: "Sandbox.Timedout", message: "RequestId: %s Error: " + msg, status: "timeout"}
	}
	exitFailure := func() *invokeFailure {
		return &invokeFailure{errorType: "Runtime.ExitError", message: "RequestId: %s Error: Runtime exited with error: " + inst.exitDescription(),
			reportErrorType: inst.exitErrorType()}
	}
	start := time.Now()
	select {
	case inst.next <- inv:
	case <-inst.exited:
		return runtimeResult{}, time.Since(start), exitFailure(), false
	case <-inst.shutdown:
		return runtimeResult{}, time.Since(start), exitFailure(), false
	case <-timer.C:
		inst.kill()
		return runtimeResult{}, timeout, timedOut(), false
	}
	start = time.Now()
	select {
	case res := <-inv.done:
		return res, inv.duration(res), nil, true
	case <-inst.exited:
		select {
		case res := <-inv.done:
			return res, inv.duration(res), nil, true
		default:
		}
		return runtimeResult{}, time.Since(start), exitFailure(), true
	case <-inst.shutdown:
		return runtimeResult{}, time.Since(start), exitFailure(), true
	case <-timer.C:
		select {
		case res := <-inv.done:
			return res, inv.duration(res), nil, true
		default:
		}
		inst.kill()
		return runtimeResult{}, timeout, timedOut(), true
	}
}

// errThrottled is returned by invoke when the concurrency limit is reached.
var errThrottled = errors.New("rate exceeded")

// invoke runs one synchronous invocation of fn: it picks an idle instance
// (or starts one), hands the event over, waits, and writes the START, END
// and REPORT lines.
func (p *Platform) invoke(ctx context.Context, fn *function, payload []byte, clientCtx string) (*outcome, error) {
	_ = ctx // invocations run to completion like on AWS, even if the caller goes away
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	fn.mu.Lock()
	limit := p.cfg.accountConcurrency
	if fn.reserved != nil {
		limit = *fn.reserved
	}
	if fn.inflight >= limit {
		fn.mu.Unlock()
		return nil, errThrottled
	}
	fn.inflight++
	var inst *instance
	var stale []*instance
	for len(fn.idle) > 0 && inst == nil {
		cand := fn.idle[len(fn.idle)-1]
		fn.idle = fn.idle[:len(fn.idle)-1]
		if cand.gen == fn.gen && !cand.isDead() {
			inst = cand
		} else {
			delete(fn.instances, cand)
			stale = append(stale, cand)
		}
	}
	cfg, gen := fn.cfg, fn.gen
	if inst == nil {
		fn.coldStarts++
	}
	fn.mu.Unlock()
	for _, s := range stale {
		p.background(s.kill)
	}

	reqID := newRequestID()
	inv := &invocation{
		id: reqID, payload: payload, clientCtx: clientCtx, arn: p.ARN(fn.name),
		traceID:  "Root=1-" + strconv.FormatInt(time.Now().Unix(), 16) + "-" + strings.ReplaceAll(reqID, "-", "")[:24] + ";Parent=" + strings.ReplaceAll(reqID, "-", "")[:16] + ";Sampled=0",
		deadline: time.Now().Add(cfg.Timeout),
		done:     make(chan runtimeResult, 1),
		created:  time.Now(),
	}
	var (
		res      runtimeResult
		dur      time.Duration
		fail     *invokeFailure
		initDur  *time.Duration
		initLogs string
	)
	var preLogs string
	for attempt := 0; ; attempt++ {
		if inst == nil {
			var f *invokeFailure
			inst, f = p.startInstance(fn, cfg, gen)
			if f != nil {
				fail = f
				initLogs = f.log
				break
			}
			d := inst.initAt.Sub(inst.started)
			initDur = &d
			if p.isClosed() {
				inst.kill()
				fail = &invokeFailure{errorType: "Runtime.ExitError", message: "RequestId: %s Error: platform closing"}
				break
			}
		}
		inst.flushLogs()
		preLogs = inst.takeLogs()
		inv.deadline = time.Now().Add(cfg.Timeout)
		var delivered bool
		res, dur, fail, delivered = inst.run(inv, cfg.Timeout)
		inst.flushLogs()
		if fail != nil && !delivered && fail.status != "timeout" && initDur == nil && attempt == 0 && !p.isClosed() {
			// A warm instance died before it took the event (e.g. its
			// runtime exited right after its previous answer, as
			// aws-lambda-go does after a panic): Lambda replaces it, so
			// this call becomes a cold start instead of failing.
			p.forget(fn, inst)
			p.background(inst.kill)
			inst, fail = nil, nil
			fn.mu.Lock()
			fn.coldStarts++
			fn.mu.Unlock()
			continue
		}
		break
	}
	var handlerLogs string
	if inst != nil {
		handlerLogs = inst.takeLogs()
	}

	// REPORT line.
	memUsed := 0
	if inst != nil {
		memUsed = inst.maxMemoryUsedMB()
	}
	durMs := float64(dur.Microseconds()) / 1000
	rep := reportFor(reqID, durMs, cfg.MemorySize, memUsed, initDur, p.cfg.initBilling)
	out := &outcome{requestID: reqID}
	switch {
	case fail != nil:
		out.payload = fail.body(reqID)
		out.fnError = "Unhandled"
		rep.Status = "error"
		if fail.status != "" {
			rep.Status = fail.status
		} else {
			rep.ErrorType = fail.errorType
			if fail.reportErrorType != "" {
				rep.ErrorType = fail.reportErrorType
			}
		}
	case res.failed:
		out.payload = res.payload
		out.fnError = "Unhandled"
	default:
		out.payload = res.payload
	}
	var lb strings.Builder
	lb.WriteString(initLogs)
	lb.WriteString(preLogs)
	lb.WriteString("START RequestId: " + reqID + " Version: " + Version + "\n")
	lb.WriteString(handlerLogs)
	if handlerLogs != "" && !strings.HasSuffix(handlerLogs, "\n") {
		lb.WriteByte('\n')
	}
	lb.WriteString("END RequestId: " + reqID + "\n")
	lb.WriteString(rep.String() + "\n")
	out.log = lb.String()
	p.logLines(fn.name, out.log)

	// Release the concurrency slot; keep the instance warm if it is healthy.
	fn.mu.Lock()
	fn.inflight--
	keep := inst != nil && fail == nil && !inst.isDead() && inst.gen == fn.gen && !p.isClosed()
	if keep {
		inst.lastUsed = time.Now()
		fn.idle = append(fn.idle, inst)
	} else if inst != nil {
		delete(fn.instances, inst)
	}
	fn.mu.Unlock()
	if !keep && inst != nil {
		p.background(inst.kill)
	}
	return out, nil
}

// forget removes inst from fn's instances.
func (p *Platform) forget(fn *function, inst *instance) {
	fn.mu.Lock()
	delete(fn.instances, inst)
	fn.mu.Unlock()
}

// background runs f tracked by the platform's wait group.
func (p *Platform) background(f func()) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		f()
		return
	}
	p.wg.Add(1)
	p.mu.Unlock()
	go func() {
		defer p.wg.Done()
		f()
	}()
}

func (p *Platform) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// timeoutSeconds is a timeout as AWS's whole seconds (rounded up).
func timeoutSeconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	return max(s, 1)
}

// ioctlFIONREAD returns how many bytes are waiting in a pipe.
func ioctlFIONREAD(fd uintptr) (int, error) {
	var n int32
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, uintptr(syscall.TIOCINQ), uintptr(unsafe.Pointer(&n)))
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}
