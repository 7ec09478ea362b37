package results

import "time"

// Worker statuses (WorkerSummary.Status, WorkerManifest.Status).
const (
	// WorkerOK: the worker sent its whole share on time.
	WorkerOK = "ok"
	// WorkerLate: the worker started a phase later than the bound after
	// its scheduled start; its requests kept their intended times (the
	// lateness shows in its dispatch lag), the phase is flagged.
	WorkerLate = "late"
	// WorkerFailed: the worker did not deliver its share (it died, timed
	// out, was not admitted, or aborted on a schedule mismatch); what it
	// did not deliver is a gap.
	WorkerFailed = "failed"
	// WorkerDuplicate: a second instance of a worker index (a replayed
	// invocation or pod); its conditional ready put failed, so it sent
	// nothing.
	WorkerDuplicate = "duplicate"
)

// DistributedInfo is run.json's distributed section: how a distributed
// run was executed.
type DistributedInfo struct {
	// Engine is lambda, local-lambda or kubernetes.
	Engine string `json:"engine"`
	// Workers is the number of worker indexes.
	Workers int `json:"workers"`
	// T0 is the common start (UTC) every worker's schedule is anchored to.
	T0 time.Time `json:"t0"`
	// Store is the store location (s3://bucket/prefix/run-id).
	Store string `json:"store"`
	// RunID names the run in the store.
	RunID string `json:"run_id,omitempty"`
	// Regions maps a region to its weight, for engines with regions.
	Regions map[string]float64 `json:"regions,omitempty"`
	// WindowS is the longest stretch one worker invocation ran (0: one
	// window), Windows the number of windows on the run's timeline.
	WindowS float64 `json:"window_s,omitempty"`
	Windows int     `json:"windows,omitempty"`
	// LeadTimeS is the time between the last ready worker and T0.
	LeadTimeS float64 `json:"lead_time_s,omitempty"`
	// LateBoundMs is the start lag beyond which a worker is late.
	LateBoundMs float64 `json:"late_bound_ms,omitempty"`
	// Partial is true when the run was merged with gaps (--allow-partial).
	Partial bool `json:"partial,omitempty"`
}

// WorkerSummary is one entry of summary.json's workers[]: one worker index
// of a distributed run (all its windows together), or a duplicate instance
// of one.
type WorkerSummary struct {
	Index  int    `json:"index"`
	Region string `json:"region,omitempty"`
	// Requests is the number of records the worker delivered.
	Requests int64 `json:"requests"`
	// StartLagMs is the worst lag of the worker's phase starts behind
	// their scheduled instant (true time when its clock offset is known).
	StartLagMs float64 `json:"start_lag_ms"`
	// ClockOffsetMs is true time − the worker's clock, ClockMethod how it
	// was measured (sntp:<server> or store-date, the store's HTTP Date
	// header: ±500 ms), ClockUncertaintyMs its bound.
	ClockOffsetMs      float64 `json:"clock_offset_ms"`
	ClockMethod        string  `json:"clock_method,omitempty"`
	ClockUncertaintyMs float64 `json:"clock_uncertainty_ms,omitempty"`
	// Status is ok, late, failed or duplicate.
	Status string `json:"status"`
	// GeneratorCostUSD is what the worker's invocations cost (or would
	// cost on AWS Lambda, for local-lambda: see GeneratorCostNote); absent
	// when unknown (kubernetes).
	GeneratorCostUSD *float64 `json:"generator_cost_usd,omitempty"`
	// DispatchLagP99Ms is the worst per-phase dispatch-lag p99 of the worker.
	DispatchLagP99Ms float64 `json:"dispatch_lag_p99_ms"`
	// Windows is the number of invocations the worker ran.
	Windows int `json:"windows,omitempty"`
	// Missing counts the worker's seqs that no record holds; Gaps lists
	// them as seq ranges per target and phase.
	Missing int64       `json:"missing,omitempty"`
	Gaps    []WorkerGap `json:"gaps,omitempty"`
	// Unsent counts scheduled requests a live worker never sent because
	// it fell behind and stopped at the phase's end (as one generator
	// does): not a gap; they count as late in dispatch_lag_ms.late_fraction.
	Unsent int64 `json:"unsent,omitempty"`
	// Error says why a worker failed.
	Error string `json:"error,omitempty"`
	// CPUSeconds and MaxRSSMB are the worker's own resource use.
	CPUSeconds float64 `json:"cpu_s,omitempty"`
	MaxRSSMB   int     `json:"max_rss_mb,omitempty"`
}

// WorkerGap is a run of seqs of one target and phase that a worker owned
// and no record holds: first, first+every, …, last.
type WorkerGap struct {
	Target   string `json:"target"`
	Phase    string `json:"phase"`
	FirstSeq uint64 `json:"first_seq"`
	LastSeq  uint64 `json:"last_seq"`
	Every    uint64 `json:"every"`
	Count    uint64 `json:"count"`
}

// WorkerManifest is what one worker invocation (worker index, window)
// uploads when it ends: manifest.json next to its records.
type WorkerManifest struct {
	Index  int    `json:"index"`
	Window int    `json:"window"`
	Region string `json:"region,omitempty"`
	// Invocation is the invocation's random id (also in its ready object).
	Invocation string `json:"invocation"`
	Host       string `json:"host,omitempty"`
	// Status is ok, late, failed or duplicate; Error says why it failed.
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`

	BenchctlVersion string `json:"benchctl_version"`
	GoVersion       string `json:"go_version"`
	OS              string `json:"os"`
	Arch            string `json:"arch"`

	// Requests counts the records delivered; Classes counts them by
	// outcome ("ok" or the error class).
	Requests int64            `json:"requests"`
	Classes  map[string]int64 `json:"classes,omitempty"`
	// StartLagMs is the worst phase start lag (see WorkerSummary).
	StartLagMs         float64 `json:"start_lag_ms"`
	ClockOffsetMs      float64 `json:"clock_offset_ms"`
	ClockMethod        string  `json:"clock_method,omitempty"`
	ClockUncertaintyMs float64 `json:"clock_uncertainty_ms,omitempty"`
	// Phases lists what the invocation ran per phase and target.
	Phases []WorkerPhase `json:"phases,omitempty"`
	// Chunks are the store keys of the records it uploaded (gzip JSON
	// lines, each sorted by intended time), Histograms its histograms.hlog.
	Chunks     []string `json:"chunks,omitempty"`
	Histograms string   `json:"histograms,omitempty"`

	Ready   time.Time `json:"ready"`
	Started time.Time `json:"started"`
	Ended   time.Time `json:"ended"`
	// CPUSeconds (user + system) and MaxRSSMB are the process's own use.
	CPUSeconds float64 `json:"cpu_s"`
	MaxRSSMB   int     `json:"max_rss_mb"`
}

// WorkerPhase is one phase and target as one worker invocation ran it.
type WorkerPhase struct {
	Phase  string `json:"phase"`
	Target string `json:"target"`
	// Scheduled is the invocation's part of the worker's share; Sent the
	// records it produced for it.
	Scheduled int64 `json:"scheduled"`
	Sent      int64 `json:"sent"`
	// StartLagMs is how late the phase's pacing began after its
	// scheduled instant (0 when the invocation started before it).
	StartLagMs       float64 `json:"start_lag_ms"`
	Late             bool    `json:"late,omitempty"`
	DispatchLagP50Ms float64 `json:"dispatch_lag_p50_ms"`
	DispatchLagP99Ms float64 `json:"dispatch_lag_p99_ms"`
	DispatchLagMaxMs float64 `json:"dispatch_lag_max_ms"`
	Interrupted      bool    `json:"interrupted,omitempty"`
}
