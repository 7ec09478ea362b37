// Package summary is the one pipeline from a run's records to its results:
// the only code that turns a run directory (or a run in progress) into
// results.Summary (summary.json), histograms.hlog and the report's data.
// Every command goes through it: `benchctl run` feeds it live (Recorder;
// FinishFromFile reads the file once more only when lambda-url REPORT lines
// were folded into it after their records were seen), a distributed run
// summarises its merged directory (SummarizeDir), and `summary`, `report`,
// `compare` and `pricing breakeven --run` load saved runs with it (Load,
// Resummarize, BreakEven). No other package makes or fills a
// results.Summary (pricing/deps_test.go type-checks the module for it):
// what others add to a summary comes in as a Collector, or as options.
//
// # Loading a saved run
//
// Load reads run.json, scenario.yaml (ReadScenario: one policy — parsed and
// validated as run would, without requiring the payload and trace files
// next to the run; a scenario that does not validate is not applied and
// a note says so), summary.json, the price book (Book: --prices, else the
// scenario's pricing.prices — for a saved run its copy prices.yaml —,
// else the embedded book) and then reads results.jsonl exactly once
// (Options.Open is the test seam that counts it). A run killed before it
// wrote summary.json gets every section run would have written. SLOs come
// from scenarios.Scenario.SLOFor, the memory of a function's request from
// pricing's one fallback chain.
//
// # Collectors
//
// The pass feeds every record to every Collector (Add, then Apply to the
// summary), as vegeta's Report/Closer do: Phases (per-phase summaries),
// Experiments (memory sweep, cold starts, concurrency scaling), Capacity
// (the capacity searches, scored with package capacity's rule), the run
// cost (pricing.RunCost) and Series (the report's per-record series).
// None keeps per-request state beyond a bound: distributions are
// results.Dist accumulators (exact samples up to 1,024, then an HDR
// histogram), the capacity collector keeps the latencies of capacity steps
// only (bounded by the scenario's search), and the cost CI is a bootstrap
// up to 5,000 requests and batch means beyond. Options.Collectors adds
// collectors of one's own (per worker, per trial) to the same pass: they
// need Add and Apply only; implementing Merger (Fork, Merge) lets the
// pass stay parallel.
//
// # Parallel and live, bit for bit
//
// Pass cuts results.jsonl into ChunkSize chunks (the line starting at byte
// o belongs to chunk ⌊o / ChunkSize⌋), parses them on every core into
// forks of the collectors and folds the forks into the collectors in file
// order. Live (the run writer's record hook, through Recorder) cuts the
// records it is handed into the same chunks and folds them the same way,
// after turning each into what a decoder would read back
// (results.Canonical). A summary is therefore a function of the file's
// bytes alone: the same on one core or many, live or re-read.
//
// Collectors whose result depends on record order stay exact through the
// merge: Series (the every-N-th decimations, the clock started by the
// first record, the first cold-start points, the phase order, which error
// messages are kept), Experiments' concurrency scaling (steps counted
// from the phase's earliest intended time) and the run cost's CI units and
// memory fallback (the last memory size reported by an earlier record)
// keep the few per-record inputs of those parts in the fork (bounded by
// the chunk's size) and replay them in Merge; everything else only
// counts, sums (floating-point sums associate chunk by chunk, the same
// way every time) or merges histograms.
//
// # Histograms
//
// histograms.hlog holds one HDR histogram per (target, phase, step,
// metric), tagged Tag(target, phase, step, metric) =
// "target=<t>;phase=<p>;step=<s>;metric=<m>" with metric one of
// results.Metrics (latency = corrected_latency, service_latency,
// dispatch_lag, duration, billed_duration, init_duration), values in
// microseconds, written with HdrHistogram's NewHistogramLogWriter (V2
// compressed), readable by its log reader and tools. Phases.Histograms
// returns them; every HDR-method distribution in summary.json is the
// histogram's ValueAtQuantile/1000 capped to the distribution's exact min
// and max (results.HDRQuantileMs), and phases of at most 1,024 samples
// keep exact type-7 percentiles in summary.json. run and `summary --write`
// write the file (WriteHistograms).
//
// To merge the histograms of several workers or runs, read each file and
// merge: tags are matched and bucket counts added, exactly, so the merge
// equals the histograms of all the records:
//
//	all := summary.NewHistograms()
//	for _, f := range files {
//		hs, err := summary.ReadHistograms(f)
//		if err != nil { ... }
//		if err := all.Merge(hs); err != nil { ... }
//	}
//	_, err := all.WriteTo(w) // or summary.WriteHistograms(dir, all)
//
// A memory sweep row's distribution is the merge of its step's phases.
package summary
