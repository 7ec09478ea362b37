package benchrun

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/shopspring/decimal"

	"github.com/benchctl/benchctl/distributed"
	"github.com/benchctl/benchctl/distributed/kubeengine"
	"github.com/benchctl/benchctl/distributed/lambdaengine"
	"github.com/benchctl/benchctl/distributed/s3local"
	"github.com/benchctl/benchctl/locallambda"
	"github.com/benchctl/benchctl/pricing"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
	"github.com/benchctl/benchctl/summary"
)

// Distributed defaults of benchctl run.
const (
	defaultWorkerFunction = "benchctl-worker"
	defaultWorkerMemoryMB = 1769
	// defaultLocalWorkerTimeout is the local platform worker's timeout.
	defaultLocalWorkerTimeout = 5 * time.Minute
	defaultLambdaTimeout      = 15 * time.Minute
)

// distributedConfig is the scenario's distributed block with the flags
// applied (nil: a single-generator run).
func (opts *Options) distributedConfig(s *scenarios.Scenario) (*scenarios.Distributed, error) {
	if s.Distributed == nil && opts.Engine == "" && opts.Workers == 0 {
		return nil, nil
	}
	d := scenarios.Distributed{}
	if s.Distributed != nil {
		d = *s.Distributed
	}
	if opts.Engine != "" {
		d.Engine = opts.Engine
	}
	if d.Engine == "" {
		d.Engine = scenarios.EngineLocalLambda
	}
	switch d.Engine {
	case scenarios.EngineLocalLambda, scenarios.EngineLambda:
	case scenarios.EngineKubernetes:
		if d.Kubernetes == nil || d.Kubernetes.Image == "" {
			return nil, &InputError{Err: errors.New("run: engine kubernetes needs distributed.kubernetes.image in the scenario (an image holding benchctl; see docs/distributed.md)")}
		}
	default:
		return nil, &InputError{Err: fmt.Errorf("run: --engine %q isn't one of [%s]", d.Engine, strings.Join(scenarios.Engines(), " "))}
	}
	if opts.EmitManifest != "" && d.Engine != scenarios.EngineKubernetes {
		return nil, &InputError{Err: fmt.Errorf("run: --emit-manifest applies to engine kubernetes (got %s)", d.Engine)}
	}
	if opts.Workers != 0 {
		d.Workers = opts.Workers
	}
	if d.Workers == 0 {
		d.Workers = 1
	}
	if d.Workers < 1 || d.Workers > distributed.MaxWorkers {
		return nil, &InputError{Err: fmt.Errorf("run: --workers %d: want 1–%d", d.Workers, distributed.MaxWorkers)}
	}
	if d.Engine != scenarios.EngineLocalLambda && d.Store == "" {
		return nil, &InputError{Err: fmt.Errorf("run: engine %s needs distributed.store (s3://bucket/prefix) in the scenario", d.Engine)}
	}
	if e := s.Experiments; e.MemorySweep != nil || e.ColdStarts != nil || e.Capacity != nil {
		return nil, &InputError{Err: errors.New("run: distributed runs send the phases only; this scenario has experiments (memory_sweep, cold_starts, capacity), which need one generator")}
	}
	d.AllowPartial = d.AllowPartial || opts.AllowPartial
	if d.Function == "" {
		d.Function = defaultWorkerFunction
	}
	if d.MemoryMB == 0 {
		d.MemoryMB = defaultWorkerMemoryMB
	}
	if d.Timeout == 0 {
		d.Timeout = defaultLambdaTimeout
		if d.Engine == scenarios.EngineLocalLambda {
			d.Timeout = defaultLocalWorkerTimeout
		}
	}
	return &d, nil
}

// runDistributedSteps is Run's tail for a distributed run: run,
// report, print, decide the exit.
func (st *runState) runDistributedSteps(ctx context.Context, d *scenarios.Distributed, self string) error {
	// Run holds the interrupt drain: the first Ctrl-C cancels ctx
	// (the coordinator writes the store's stop object and collects what
	// the workers sent), the second exits at once.
	err := st.runDistributed(ctx, d, self)
	if st.summary == nil {
		return err
	}
	st.renderReport(ctx)
	st.printTable()
	printWorkerTable(st.opts.Stdout, st.summary.Workers)
	fmt.Fprintf(st.opts.Stdout, "results: %s\n", st.dir)
	if err != nil {
		return err
	}
	if st.interrupted || ctx.Err() != nil {
		return &InterruptedError{Dir: st.dir}
	}
	if v := results.SLOViolations(st.summary.Targets); st.opts.FailOnSLO && len(v) > 0 {
		return &SLOError{Violations: v}
	}
	return nil
}

// printWorkerTable prints one row per worker of a distributed run.
func printWorkerTable(w io.Writer, workers []results.WorkerSummary) {
	if len(workers) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKER\tREGION\tSTATUS\tREQUESTS\tMISSING\tSTART LAG MS\tCLOCK OFFSET MS\tLAG P99 MS\tCOST USD")
	for _, wk := range workers {
		cost := "-"
		if wk.GeneratorCostUSD != nil {
			cost = fmt.Sprintf("%.6f", *wk.GeneratorCostUSD)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\t%.1f\t%.1f (%s)\t%.2f\t%s\n", wk.Index, wk.Region, wk.Status, wk.Requests, wk.Missing,
			wk.StartLagMs, wk.ClockOffsetMs, wk.ClockMethod, wk.DispatchLagP99Ms, cost)
	}
	tw.Flush()
}

// runDistributed runs the scenario's phases on an engine: it starts the
// store (loopback for local-lambda) and the engine, writes the plan,
// coordinates the start, merges the workers' records into the run
// directory and summarises it like any run, with workers[] added.
func (st *runState) runDistributed(ctx context.Context, d *scenarios.Distributed, self string) error {
	s, opts := st.scenario, st.opts
	errOut := opts.Stderr
	cleanup := []func(context.Context) error{}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		for i := len(cleanup) - 1; i >= 0; i-- {
			if err := cleanup[i](cctx); err != nil {
				fmt.Fprintln(errOut, "benchctl: warning: cleanup:", err)
			}
		}
	}()
	var suffix [3]byte
	_, _ = rand.Read(suffix[:])
	runID := results.RunDirName(st.info.Start, s.Name) + "-" + hex.EncodeToString(suffix[:])
	ref := distributed.StoreRef{URL: d.Store, Region: d.StoreRegion, Endpoint: d.StoreEndpoint}
	if d.Engine == scenarios.EngineLocalLambda {
		srv, err := s3local.Start("127.0.0.1:0")
		if err != nil {
			return err
		}
		cleanup = append(cleanup, srv.Close)
		ref = distributed.StoreRef{URL: "s3://benchctl/runs", Endpoint: srv.Endpoint()}
	}
	root, err := distributed.OpenStore(ctx, ref)
	if err != nil {
		return err
	}
	if d.Engine == scenarios.EngineLocalLambda {
		if err := root.EnsureBucket(ctx); err != nil {
			return err
		}
	}
	store := root.Sub(runID)

	regions, weights, err := distributed.RegionWorkers(d.Regions, d.Workers)
	if err != nil {
		return &InputError{Err: err}
	}
	if regions == nil && d.Engine != scenarios.EngineKubernetes {
		region := d.StoreRegion
		if region == "" {
			region = locallambda.DefaultRegion
		}
		for range d.Workers {
			regions = append(regions, region)
		}
	}
	lead := d.LeadTime
	if lead <= 0 {
		lead = distributed.DefaultLeadTime
	}
	// The Lambda engines come first: their function timeout sets the
	// windows of the plan. Kubernetes runs one window.
	var eng distributed.Engine
	var window, handover time.Duration
	if d.Engine != scenarios.EngineKubernetes {
		leng, closeEng, err := st.lambdaEngine(ctx, d, self, store, regions, lead)
		if err != nil {
			return err
		}
		cleanup = append(cleanup, closeEng)
		eng = leng
		window, handover = leng.Window()
		if window <= 0 {
			return &InputError{Err: fmt.Errorf("run: distributed.timeout %v leaves no window after the lead time %v, the handover %v and the drain margin: raise timeout or lower lead_time", d.Timeout, lead, handover)}
		}
	}
	files, err := scenarioFiles(s)
	if err != nil {
		return &InputError{Err: err}
	}
	plan, err := distributed.NewPlan(s, distributed.PlanOptions{RunID: runID, Engine: d.Engine, Workers: d.Workers,
		Weights: weights, Regions: regions, Store: store.Ref(), Env: st.env.Targets, Window: window,
		LeadTime: d.LeadTime, ReadyTimeout: d.ReadyTimeout, LateBound: d.LateBound, PhaseGap: d.PhaseGap,
		NTPServer: d.NTPServer, BenchctlVersion: st.info.BenchctlVersion, Seed: s.Seed, Files: files})
	if err != nil {
		return &InputError{Err: err}
	}
	if d.Engine == scenarios.EngineKubernetes {
		keng, closeEng, err := st.kubeEngine(ctx, d, store, plan)
		if err != nil {
			return err
		}
		cleanup = append(cleanup, closeEng)
		eng = keng
	}
	fmt.Fprintf(errOut, "benchctl: distributed run %s: %d workers on %s, %d window(s), store %s\n", runID, d.Workers, d.Engine, plan.Windows, store.URL())
	copts := distributed.CoordinatorOptions{Store: store, Plan: plan, Engine: eng, Log: errOut, Handover: handover}
	if opts.OnGo != nil {
		copts.OnGo = func(g distributed.GoSignal) { opts.OnGo(g.T0) }
	}
	out, err := distributed.Coordinate(ctx, copts)
	if err != nil {
		return err
	}
	mctx := ctx
	if out.Interrupted {
		var cancel context.CancelFunc
		mctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
	}
	st.info.Seed, st.info.Command = s.Seed, opts.Args
	st.info.CPUIsolation, st.info.ServiceCPUPriority = st.env.CPUIsolation, st.env.ServiceCPUPriority
	st.info.Distributed = &results.DistributedInfo{Engine: d.Engine, Workers: d.Workers, T0: out.Go.T0, Store: store.URL(),
		RunID: runID, Regions: d.Regions, Windows: plan.Windows, LeadTimeS: plan.LeadTime.Seconds(), LateBoundMs: float64(plan.LateBound) / 1e6}
	if plan.Windows > 1 {
		st.info.Distributed.WindowS = plan.Window.Seconds()
	}
	st.info.End = opts.Now().UTC()
	st.info.Interrupted = out.Interrupted
	st.interrupted = out.Interrupted
	merged, mergeErr := distributed.Merge(mctx, distributed.MergeOptions{Store: store, Plan: plan, Go: out.Go, Dir: st.dir,
		Info: st.info, AllowPartial: d.AllowPartial, Exits: out.Exits, Interrupted: out.Interrupted})
	if merged == nil {
		return mergeErr
	}
	st.info = merged.Info
	if merged.Missing > 0 {
		st.info.Distributed.Partial = true
		_ = results.WriteJSONFile(filepath.Join(st.dir, results.RunInfoFile), st.info)
	}
	return st.finishDistributed(merged, out, plan, d, mergeErr)
}

// finishDistributed summarises the merged run directory and adds the
// workers, their generator cost and the late phases.
func (st *runState) finishDistributed(merged *distributed.MergeResult, out *distributed.Outcome, plan *distributed.Plan, d *scenarios.Distributed, mergeErr error) error {
	// The pipeline assembles summary.json; the distributed collector
	// gives it workers[] (the generators priced first) and the notes.
	col, err := distributed.NewCollector(plan, merged, generatorCosts(st.book, merged.Workers, out.Exits, plan, d))
	if err != nil {
		return errors.Join(mergeErr, err)
	}
	run, err := summary.SummarizeDir(context.Background(), st.dir, summary.DirOptions{
		RecorderOptions: summary.RecorderOptions{Scenario: st.scenario, Book: st.book, Info: st.info,
			Series: &summary.SeriesOptions{}},
		Final: st.info, Notes: st.env.Notes, Generators: col})
	if err != nil {
		return errors.Join(mergeErr, err)
	}
	st.run = run
	st.summary = run.Summary
	if err := results.WriteJSONFile(filepath.Join(st.dir, results.SummaryFile), run.Summary); err != nil {
		return errors.Join(mergeErr, err)
	}
	return mergeErr
}

// generatorCosts prices each worker's invocations from their REPORT
// lines at the price book's Lambda rates (x86_64, the worker's region):
// real for engine lambda, what the same invocations would cost on AWS
// Lambda for local-lambda (said in a note).
func generatorCosts(book *pricing.Book, workers []results.WorkerSummary, exits map[distributed.Invocation]distributed.Exit, plan *distributed.Plan, d *scenarios.Distributed) []string {
	if d.Engine == scenarios.EngineKubernetes {
		k := d.Kubernetes
		if k == nil {
			k = &scenarios.KubernetesEngine{}
		}
		return []string{fmt.Sprintf("load generators: not priced: benchctl has no price for your cluster's nodes (%d pods of %s CPU, %s memory for the run's length); the system under test is priced on its own",
			len(workers), orText(k.CPU, kubeengine.DefaultCPU), orText(k.Memory, kubeengine.DefaultMemory))}
	}
	if book == nil {
		return []string{"generator cost not computed: no price book"}
	}
	var notes []string
	total := decimal.Zero
	var source, date string
	for i := range workers {
		w := &workers[i]
		if w.Status == results.WorkerDuplicate {
			continue
		}
		cost := decimal.Zero
		known := false
		for win := range plan.Windows {
			ex, ok := exits[distributed.Invocation{Index: w.Index, Window: win}]
			if !ok || ex.BilledMs <= 0 {
				continue
			}
			e, err := book.Find(pricing.PlatformLambda, w.Region, "x86_64", "", "")
			if err != nil || e.Lambda == nil {
				notes = append(notes, fmt.Sprintf("generator cost of worker %d not computed: %v", w.Index, err))
				break
			}
			mem := ex.MemoryMB
			if mem == 0 {
				mem = d.MemoryMB
			}
			cost = cost.Add(pricing.LambdaRequestCost(e.Lambda, mem, decimal.NewFromFloat(ex.BilledMs)))
			source, date, known = e.Source, e.EffectiveDate, true
		}
		if known {
			f, _ := cost.Float64()
			w.GeneratorCostUSD = &f
			total = total.Add(cost)
		}
	}
	if source != "" {
		t, _ := total.Float64()
		what := "what the workers' invocations cost"
		if d.Engine == scenarios.EngineLocalLambda {
			what = "what the same worker invocations would cost on AWS Lambda (they ran on the local platform: $0 spent)"
		}
		notes = append(notes, fmt.Sprintf("load generators: $%.6f, %s, x86_64 Lambda rates (%s, effective %s); priced separately from the system under test", t, what, source, date))
	}
	return notes
}

// startWorkerPlatform starts the local Lambda-compatible platform hosting
// the worker function (this binary's `benchctl worker`).
func startWorkerPlatform(ctx context.Context, self string, d *scenarios.Distributed, env map[string]string) (string, func(context.Context) error, error) {
	fn := scenarios.Function{Name: d.Function, Command: []string{self, "worker"}, MemorySize: d.MemoryMB, Timeout: d.Timeout,
		Environment: env}
	p, err := locallambda.New([]scenarios.Function{fn}, locallambda.WithSelfExecutable(self), locallambda.WithLogger(io.Discard))
	if err != nil {
		return "", nil, fmt.Errorf("local platform for the workers: %w", err)
	}
	endpoint, err := p.Start(context.WithoutCancel(ctx), "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("local platform for the workers: %w", err)
	}
	return endpoint, p.Close, nil
}

// scenarioFiles reads the files the scenario names (payload corpus,
// traces) for the plan.
func scenarioFiles(s *scenarios.Scenario) (map[string][]byte, error) {
	files := map[string][]byte{}
	add := func(name string) error {
		if name == "" {
			return nil
		}
		b, err := s.ReadFile(name)
		if err != nil {
			return err
		}
		files[name] = b
		return nil
	}
	if err := add(s.Payloads.File); err != nil {
		return nil, err
	}
	for _, ph := range s.Phases {
		if err := add(ph.Traffic.File); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// lambdaEngine builds the engine of local-lambda (the local platform
// hosting this binary's worker) and lambda.
func (st *runState) lambdaEngine(ctx context.Context, d *scenarios.Distributed, self string, store *distributed.Store, regions []string, lead time.Duration) (*lambdaengine.Engine, func(context.Context) error, error) {
	eopts := lambdaengine.Options{Function: d.Function, Regions: regions, Store: store.Ref(), Timeout: d.Timeout, Window: d.Window, LeadTime: lead}
	var closers []func(context.Context) error
	if d.Engine == scenarios.EngineLocalLambda {
		endpoint, closePlatform, err := startWorkerPlatform(ctx, self, d, st.opts.WorkerEnv)
		if err != nil {
			return nil, nil, err
		}
		closers = append(closers, closePlatform)
		eopts.Endpoint = endpoint
	}
	closeAll := func(ctx context.Context) error {
		var errs []error
		for i := len(closers) - 1; i >= 0; i-- {
			errs = append(errs, closers[i](ctx))
		}
		return errors.Join(errs...)
	}
	eng, err := lambdaengine.New(ctx, eopts)
	if err != nil {
		_ = closeAll(ctx)
		return nil, nil, err
	}
	closers = append(closers, eng.Close)
	if d.Engine == scenarios.EngineLambda {
		pkg, arch, err := st.workerPackage(d, self)
		if err != nil {
			_ = closeAll(ctx)
			return nil, nil, err
		}
		if err := eng.Deploy(ctx, lambdaengine.DeployOptions{Package: pkg, Architecture: arch, Role: d.Role, MemoryMB: d.MemoryMB,
			RunID: store.Ref().URL, Log: st.opts.Stderr}); err != nil {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
			defer cancel()
			return nil, nil, errors.Join(err, closeAll(cctx))
		}
	}
	return eng, closeAll, nil
}

// workerPackage is the worker function's .zip: distributed.zip when
// given, else one made from this binary when it runs on Lambda (Linux,
// amd64 or arm64).
func (st *runState) workerPackage(d *scenarios.Distributed, self string) ([]byte, string, error) {
	if d.Zip != "" {
		pkg, err := st.scenario.ReadFile(d.Zip)
		if err != nil {
			return nil, "", &InputError{Err: fmt.Errorf("run: distributed.zip: %w", err)}
		}
		if err := lambdaengine.CheckPackage(pkg); err != nil {
			return nil, "", &InputError{Err: fmt.Errorf("run: distributed.zip %s: %w", d.Zip, err)}
		}
		arch := d.Architecture
		if arch == "" {
			arch = "x86_64"
		}
		return pkg, arch, nil
	}
	arch, ok := lambdaengine.Architecture(runtime.GOARCH)
	if runtime.GOOS != "linux" || !ok {
		return nil, "", &InputError{Err: fmt.Errorf("run: this benchctl is a %s/%s binary, which Lambda cannot run: build a worker package (GOOS=linux GOARCH=amd64 or arm64, see docs/distributed.md) and set distributed.zip and distributed.architecture", runtime.GOOS, runtime.GOARCH)}
	}
	if d.Architecture != "" && d.Architecture != arch {
		return nil, "", &InputError{Err: fmt.Errorf("run: distributed.architecture %s, but this benchctl is a %s binary: build a %s package and set distributed.zip", d.Architecture, arch, d.Architecture)}
	}
	pkg, err := lambdaengine.PackageBinary(self)
	if err != nil {
		return nil, "", err
	}
	return pkg, arch, nil
}

// kubeEngine builds engine kubernetes: the Indexed Job submitted to the
// cluster, or written as a manifest (--emit-manifest).
func (st *runState) kubeEngine(ctx context.Context, d *scenarios.Distributed, store *distributed.Store, plan *distributed.Plan) (distributed.Engine, func(context.Context) error, error) {
	k := *d.Kubernetes
	drain := 10*time.Second + time.Minute
	o := kubeengine.Options{RunID: plan.RunID, Workers: d.Workers, Store: store.Ref(), Namespace: k.Namespace, Image: k.Image,
		Command: k.Command, ImagePullPolicy: k.ImagePullPolicy, ServiceAccount: k.ServiceAccount,
		CredentialsSecret: k.CredentialsSecret, CPU: k.CPU, Memory: k.Memory, NodeSelector: k.NodeSelector,
		Deadline: plan.ReadyTimeout + plan.LeadTime + plan.Length() + drain + time.Minute}
	errOut := st.opts.Stderr
	if path := st.opts.EmitManifest; path != "" {
		if o.Namespace == "" {
			o.Namespace = kubeengine.DefaultNamespace
		}
		w, closeW := io.Writer(st.opts.Stdout), func() error { return nil }
		if path != "-" {
			f, err := os.Create(path)
			if err != nil {
				return nil, nil, &InputError{Err: fmt.Errorf("run: --emit-manifest: %w", err)}
			}
			w, closeW = f, f.Close
		}
		em, err := kubeengine.NewEmitter(o, w, path, store, errOut)
		if err != nil {
			_ = closeW()
			return nil, nil, &InputError{Err: err}
		}
		return em, func(ctx context.Context) error { return errors.Join(em.Close(ctx), closeW()) }, nil
	}
	c, ns, err := kubeengine.Connect(k.Kubeconfig, k.Context)
	if err != nil {
		return nil, nil, err
	}
	if o.Namespace == "" {
		o.Namespace = ns
	}
	if k.CopyCredentials {
		creds, err := awsCredentialsEnv(ctx, d.StoreRegion)
		if err != nil {
			return nil, nil, err
		}
		o.Credentials = creds
	}
	eng, err := kubeengine.New(c, o, errOut)
	if err != nil {
		return nil, nil, &InputError{Err: err}
	}
	return eng, eng.Close, nil
}

// awsCredentialsEnv resolves the coordinator's AWS credentials (the
// default chain) as the environment variables the SDK reads.
func awsCredentialsEnv(ctx context.Context, region string) (map[string]string, error) {
	if region == "" {
		region = locallambda.DefaultRegion
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region))
	if err != nil {
		return nil, fmt.Errorf("distributed.kubernetes.copy_credentials: %w", err)
	}
	c, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("distributed.kubernetes.copy_credentials: no AWS credentials to copy: %w", err)
	}
	env := map[string]string{"AWS_ACCESS_KEY_ID": c.AccessKeyID, "AWS_SECRET_ACCESS_KEY": c.SecretAccessKey}
	if c.SessionToken != "" {
		env["AWS_SESSION_TOKEN"] = c.SessionToken
	}
	return env, nil
}

func orText(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// addGeneratorSpend adds the load generators of a distributed run on
// engine lambda to the pre-run spend estimate (so --max-spend covers
// them): per region, its workers × their invocations' bound
// (lambdaengine.Options.Invocations over the timeline) at the worker
// function's memory and architecture. Local-lambda generators cost
// nothing; kubernetes ones are not priced (said in a note).
func addGeneratorSpend(opts *Options, s *scenarios.Scenario, book *pricing.Book, est *pricing.SpendEstimate) error {
	d, err := opts.distributedConfig(s)
	if err != nil || d == nil {
		return err
	}
	switch d.Engine {
	case scenarios.EngineKubernetes:
		est.Notes = append(est.Notes, "load generators: kubernetes pods are not priced (benchctl has no price for your cluster's nodes)")
		return nil
	case scenarios.EngineLambda:
	default:
		return nil
	}
	gap := d.PhaseGap
	if gap <= 0 {
		gap = distributed.DefaultPhaseGap
	}
	var timeline time.Duration
	for i, ph := range s.Phases {
		if i > 0 {
			timeline += gap
		}
		timeline += ph.Duration
	}
	lead := d.LeadTime
	if lead <= 0 {
		lead = distributed.DefaultLeadTime
	}
	invs := lambdaengine.Options{Timeout: d.Timeout, Window: d.Window, LeadTime: lead}.Invocations(timeline)
	if len(invs) == 0 {
		return nil // the run refuses this timeout later, with its reason
	}
	var total time.Duration
	for _, b := range invs {
		total += b
	}
	arch := d.Architecture
	if arch == "" {
		arch, _ = lambdaengine.Architecture(runtime.GOARCH)
	}
	regions, _, err := distributed.RegionWorkers(d.Regions, d.Workers)
	if err != nil {
		return &InputError{Err: err}
	}
	perRegion := map[string]int{}
	for _, r := range regions {
		perRegion[r]++
	}
	if regions == nil {
		region := d.StoreRegion
		if region == "" {
			region = locallambda.DefaultRegion
		}
		perRegion[region] = d.Workers
	}
	for _, r := range slices.Sorted(maps.Keys(perRegion)) {
		n := perRegion[r]
		g := pricing.GeneratorSpend{Workers: n, Invocations: n * len(invs), Region: r, Arch: arch, MemoryMB: d.MemoryMB,
			BilledMs: float64(total.Milliseconds()) / float64(len(invs)),
			Source:   fmt.Sprintf("%d window(s): lead + timeline + drain, at most the %v timeout", len(invs), d.Timeout)}
		if err := est.AddGenerators(book, g); err != nil {
			return &InputError{Err: err}
		}
	}
	return nil
}
