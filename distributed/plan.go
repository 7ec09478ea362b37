package distributed

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/benchctl/benchctl/loadgen"
	"github.com/benchctl/benchctl/scenarios"
)

// PlanVersion is the version of plan.json.
const PlanVersion = 1

// Protocol defaults (a scenario's distributed block overrides them).
const (
	// DefaultLeadTime is how long after the last worker is ready T0 is.
	DefaultLeadTime = 2 * time.Second
	// DefaultReadyTimeout bounds the wait for every worker to be ready.
	DefaultReadyTimeout = 2 * time.Minute
	// DefaultLateBound is the start lag beyond which a worker is late.
	DefaultLateBound = 50 * time.Millisecond
	// DefaultPhaseGap separates consecutive phases on the common timeline
	// (requests of the previous phase drain in it).
	DefaultPhaseGap = time.Second
	// DefaultChunkInterval is how often a worker uploads its records.
	DefaultChunkInterval = 10 * time.Second
	// MaxLambdaWindow is the longest window of a Lambda invocation (the
	// function timeout is at most 15 minutes; the rest is for warm-up,
	// drain and upload).
	MaxLambdaWindow = 14 * time.Minute
)

// Plan is plan.json: everything a worker needs to run its share, written
// by the coordinator to the store before any worker starts.
type Plan struct {
	Version int    `json:"version"`
	RunID   string `json:"run_id"`
	Engine  string `json:"engine"`
	// BenchctlVersion is the coordinator's; a worker of another version
	// still runs when its share hashes the same.
	BenchctlVersion string `json:"benchctl_version"`
	// Scenario is the exact scenario input, ScenarioSHA256 its hash;
	// Files holds the files it names (payload corpus, traces) by the name
	// written in it.
	Scenario       []byte            `json:"scenario"`
	ScenarioSHA256 string            `json:"scenario_sha256"`
	ScenarioName   string            `json:"scenario_name"`
	Files          map[string][]byte `json:"files,omitempty"`
	Seed           uint64            `json:"seed"`
	// Workers is the number of worker indexes; Weights their partition
	// weights and Regions their regions (both one per worker).
	Workers int      `json:"workers"`
	Weights []int    `json:"weights"`
	Regions []string `json:"regions,omitempty"`
	// Store is the run's folder in the store.
	Store StoreRef `json:"store"`
	// Env holds the base URLs of services the coordinator started (for
	// engines on the same machine).
	Env loadgen.TargetEnv `json:"env"`
	// Phases is the common timeline, in order.
	Phases []PlanPhase `json:"phases"`
	// Window is the longest stretch of the timeline one invocation runs (0:
	// one window); Windows is how many windows the timeline has.
	Window  time.Duration `json:"window_ns,omitempty"`
	Windows int           `json:"windows"`
	// LeadTime, ReadyTimeout, LateBound: see the defaults.
	LeadTime      time.Duration `json:"lead_time_ns"`
	ReadyTimeout  time.Duration `json:"ready_timeout_ns"`
	LateBound     time.Duration `json:"late_bound_ns"`
	ChunkInterval time.Duration `json:"chunk_interval_ns"`
	// NTPServer is the SNTP server workers measure their clocks against.
	NTPServer string `json:"ntp_server,omitempty"`
}

// PlanPhase is one phase on the common timeline.
type PlanPhase struct {
	Name string `json:"name"`
	// Start is the phase's offset from T0, Duration its length.
	Start    time.Duration `json:"start_ns"`
	Duration time.Duration `json:"duration_ns"`
	Model    string        `json:"model"`
	Targets  []string      `json:"targets"`
	Recorded bool          `json:"recorded"`
	// Hits is the length of the phase's schedule (per target).
	Hits int `json:"hits"`
	// Shares is the ShareHash of each worker's share of the schedule.
	Shares []string `json:"shares"`
}

// End is the offset from T0 at which the phase's last hit may be due.
func (p PlanPhase) End() time.Duration { return p.Start + p.Duration }

// PlanOptions configures NewPlan.
type PlanOptions struct {
	RunID  string
	Engine string
	// Weights are the workers' partition weights (nil: equal, Workers of
	// them); Regions the workers' regions (nil: none).
	Workers int
	Weights []int
	Regions []string
	Store   StoreRef
	Env     loadgen.TargetEnv
	// Window is the engine's longest invocation window (0: unlimited).
	Window                            time.Duration
	LeadTime, ReadyTimeout, LateBound time.Duration
	PhaseGap, ChunkInterval           time.Duration
	NTPServer, BenchctlVersion        string
	Seed                              uint64
	Files                             map[string][]byte
}

// NewPlan computes the plan of scenario s: every phase's schedule (exactly
// as a single generator computes it), the common timeline and every
// worker's share hash.
func NewPlan(s *scenarios.Scenario, o PlanOptions) (*Plan, error) {
	if o.Workers < 1 || o.Workers > MaxWorkers {
		return nil, fmt.Errorf("plan: %d workers, want 1–%d", o.Workers, MaxWorkers)
	}
	weights := o.Weights
	if weights == nil {
		weights = make([]int, o.Workers)
		for i := range weights {
			weights[i] = 1
		}
	}
	if len(weights) != o.Workers || (o.Regions != nil && len(o.Regions) != o.Workers) {
		return nil, errors.New("plan: one weight and one region per worker")
	}
	part, err := NewPartition(weights)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(s.Raw)
	p := &Plan{
		Version: PlanVersion, RunID: o.RunID, Engine: o.Engine, BenchctlVersion: o.BenchctlVersion,
		Scenario: s.Raw, ScenarioSHA256: hex.EncodeToString(sum[:]), ScenarioName: s.Name, Files: o.Files,
		Seed: o.Seed, Workers: o.Workers, Weights: weights, Regions: o.Regions, Store: o.Store, Env: o.Env,
		Window: o.Window, LeadTime: orDefault(o.LeadTime, DefaultLeadTime),
		ReadyTimeout: orDefault(o.ReadyTimeout, DefaultReadyTimeout), LateBound: orDefault(o.LateBound, DefaultLateBound),
		ChunkInterval: orDefault(o.ChunkInterval, DefaultChunkInterval), NTPServer: o.NTPServer,
	}
	gap := orDefault(o.PhaseGap, DefaultPhaseGap)
	runner := &loadgen.Runner{Seed: o.Seed, ReadFile: p.ReadFile}
	at := time.Duration(0)
	for i, ph := range s.Phases {
		if i > 0 {
			at += gap
		}
		sched, err := runner.Schedule(loadgen.PhaseRun{Phase: ph})
		if err != nil {
			return nil, fmt.Errorf("plan: %w", err)
		}
		pp := PlanPhase{Name: ph.Name, Start: at, Duration: ph.Duration, Model: sched.Model, Targets: ph.Targets,
			Recorded: ph.Recorded(), Hits: sched.Len()}
		for k := range o.Workers {
			pp.Shares = append(pp.Shares, ShareHash(part.Seqs(sched.Len(), k), sched.Offsets))
		}
		p.Phases = append(p.Phases, pp)
		at += ph.Duration
	}
	p.Windows = 1
	if p.Window > 0 && at > p.Window {
		p.Windows = int((at + p.Window - 1) / p.Window)
	}
	return p, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// Partition is the plan's partition of seqs among workers.
func (p *Plan) Partition() (*Partition, error) { return NewPartition(p.Weights) }

// ReadFile reads a file the scenario names from the plan.
func (p *Plan) ReadFile(name string) ([]byte, error) {
	b, ok := p.Files[name]
	if !ok {
		return nil, fmt.Errorf("plan: the scenario's file %s was not shipped with the plan", name)
	}
	return b, nil
}

// Length is the timeline's length: T0 to the end of the last phase.
func (p *Plan) Length() time.Duration {
	if len(p.Phases) == 0 {
		return 0
	}
	return p.Phases[len(p.Phases)-1].End()
}

// WindowStart is the offset from T0 at which window w begins.
func (p *Plan) WindowStart(w int) time.Duration {
	if p.Window <= 0 {
		return 0
	}
	return time.Duration(w) * p.Window
}

// InWindow reports whether a hit due at offset off from T0 belongs to
// window w (windows cut the timeline into [w·Window, (w+1)·Window)).
func (p *Plan) InWindow(off time.Duration, w int) bool {
	if p.Window <= 0 || p.Windows <= 1 {
		return true
	}
	win := int(off / p.Window)
	win = min(win, p.Windows-1)
	return win == w
}

// Region is worker k's region ("" without regions).
func (p *Plan) Region(k int) string {
	if k < 0 || k >= len(p.Regions) {
		return ""
	}
	return p.Regions[k]
}

// Marshal encodes the plan as JSON.
func (p *Plan) Marshal() ([]byte, error) { return json.Marshal(p) }

// RegionWorkers spreads n workers over weighted regions by largest
// remainder (each region at least one), and gives every worker the
// partition weight that makes each region's share its weight: it returns
// each worker's region and integer weight. Weights are normalised; a
// region with weight 0 is refused.
func RegionWorkers(regions map[string]float64, n int) ([]string, []int, error) {
	if len(regions) == 0 {
		return nil, nil, nil
	}
	names := make([]string, 0, len(regions))
	total := 0.0
	for r, w := range regions {
		if !(w > 0) || math.IsInf(w, 0) {
			return nil, nil, fmt.Errorf("regions: %s has weight %g, want > 0", r, w)
		}
		names = append(names, r)
		total += w
	}
	sort.Strings(names)
	if n < len(names) {
		return nil, nil, fmt.Errorf("regions: %d workers for %d regions; want at least one worker per region", n, len(names))
	}
	// Workers per region: one each, the rest by largest remainder.
	count := make([]int, len(names))
	rem := make([]float64, len(names))
	left := n - len(names)
	for i, r := range names {
		exact := float64(left) * regions[r] / total
		count[i] = 1 + int(exact)
		rem[i] = exact - math.Floor(exact)
		left -= int(exact)
	}
	order := make([]int, len(names))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return rem[order[a]] > rem[order[b]] })
	for i := 0; left > 0; i, left = i+1, left-1 {
		count[order[i%len(order)]]++
	}
	// A worker's weight: its region's share over the region's workers, on
	// a common scale of 1/10000 (reduced by the partition).
	var regionOf []string
	var weights []int
	for i, r := range names {
		w := int(math.Round(regions[r] / total * 10000 / float64(count[i])))
		for range count[i] {
			regionOf = append(regionOf, r)
			weights = append(weights, max(w, 1))
		}
	}
	return regionOf, weights, nil
}

// GoSignal is the go object: the common start, written by the coordinator
// once every worker is ready (or the ready timeout passed).
type GoSignal struct {
	// T0 is the common start in true time (the coordinator's clock
	// corrected by its measured offset, when precise).
	T0 time.Time `json:"t0"`
	// Admitted lists the worker indexes that were ready in time; a worker
	// not listed sends nothing in window 0.
	Admitted []int `json:"admitted"`
	// ClockMethod and ClockOffsetMs: how the coordinator's clock was
	// measured.
	ClockMethod   string  `json:"clock_method"`
	ClockOffsetMs float64 `json:"clock_offset_ms"`
}

// IsAdmitted reports whether worker k is in the go signal's admitted list.
func (g GoSignal) IsAdmitted(k int) bool { return slices.Contains(g.Admitted, k) }

// ReadySignal is a worker's ready/<k> object.
type ReadySignal struct {
	Index      int       `json:"index"`
	Window     int       `json:"window"`
	Invocation string    `json:"invocation"`
	Host       string    `json:"host,omitempty"`
	At         time.Time `json:"at"`
	// ClockOffsetMs and ClockMethod: the worker's measured clock.
	ClockOffsetMs float64 `json:"clock_offset_ms"`
	ClockMethod   string  `json:"clock_method"`
}

// Store keys of a run's folder.
const (
	KeyPlan       = "plan.json"
	KeyGo         = "go"
	KeyStop       = "stop"
	keyReady      = "ready/"
	keyDuplicates = "duplicates/"
	keyWorkers    = "workers/"
)

// ReadyKey is the ready object of worker k in window w: ready/<k> for the
// first window, ready/<k>.w<w> for the later ones.
func ReadyKey(k, w int) string {
	if w == 0 {
		return fmt.Sprintf("%s%d", keyReady, k)
	}
	return fmt.Sprintf("%s%d.w%d", keyReady, k, w)
}

// WorkerDir is the folder of worker k's window w: its record chunks,
// histograms and manifest.
func WorkerDir(k, w int) string { return fmt.Sprintf("%s%d/w%d/", keyWorkers, k, w) }

// ManifestKey is worker k's window w manifest.
func ManifestKey(k, w int) string { return WorkerDir(k, w) + "manifest.json" }

// DuplicateKey is where a duplicate instance of worker k in window w
// leaves its manifest.
func DuplicateKey(k, w int, invocation string) string {
	return fmt.Sprintf("%s%d.w%d/%s.json", keyDuplicates, k, w, invocation)
}

// Environment variables a worker reads its run's store from when no flag
// gives it (the Kubernetes engine's ConfigMap sets them).
const (
	EnvStore         = "BENCHCTL_STORE"
	EnvStoreEndpoint = "BENCHCTL_STORE_ENDPOINT"
	EnvStoreRegion   = "BENCHCTL_STORE_REGION"
)
