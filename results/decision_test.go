package results

import (
	"strings"
	"testing"
)

// TestMeasurementFlags lists a summary's flags in reading order, one per
// kind, each saying where.
func TestMeasurementFlags(t *testing.T) {
	t.Parallel()
	missing := int64(10)
	s := &Summary{
		Run: RunInfo{EndState: EndKilled, Interrupted: true,
			Services: []ServiceInfo{{Name: "ref", Kind: "server", Model: "tinybert-4l-312", Weights: WeightsSynthetic},
				{Name: "fn", Kind: "function", Model: "m", Weights: "/w/model.safetensors", WeightsSHA256: "abc"}}},
		HostInterference: &HostInterference{Busy: true, PhasesMeasured: 3, BusyPhases: []string{"fn/diurnal"},
			Reasons: []string{"other processes used up to 1.20 cores on average over a phase (threshold 0.25)"}, BusyFigures: []string{"cost fn/diurnal"}},
		Targets: []TargetSummary{
			{Name: "fn", Kind: "aws-lambda", Phases: []PhaseSummary{
				{Name: "diurnal", Requests: 10, BillingMissing: &missing, HostBusy: true, GeneratorFellBehind: true,
					SLO: &SLOResult{Passed: false, Violations: []string{"p99 312.4 ms > 300 ms"}}},
				{Name: "sweep", Step: "memory_mb=256", Experiment: ExperimentMemorySweep, GeneratorFellBehind: true,
					SLO: &SLOResult{Passed: false, Violations: []string{"p99 900 ms > 300 ms"}}},
				{Name: "sweep", Step: "memory_mb=512", Experiment: ExperimentMemorySweep},
			}},
		},
	}
	var names []string
	detail := map[string]string{}
	for _, f := range MeasurementFlags(s) {
		names = append(names, f.Name)
		detail[f.Name] = f.Detail
	}
	if got, want := strings.Join(names, ","), "interrupted,host_busy,billing_missing,slo_failed,generator_fell_behind,synthetic_weights"; got != want {
		t.Fatalf("flags %s, want %s", got, want)
	}
	for name, want := range map[string]string{
		FlagInterrupted:      "killed before it ended",
		FlagHostBusy:         "1 of 3 measured phases (fn / diurnal): other processes used up to 1.20 cores",
		FlagBillingMissing:   "fn: no billing data for 10 of 10 requests",
		FlagSLOFailed:        "fn / diurnal: p99 312.4 ms > 300 ms",
		FlagGeneratorBehind:  "fn / diurnal, fn / sweep (1 of 2 steps)",
		FlagSyntheticWeights: "ref (tinybert-4l-312) served synthetic weights",
	} {
		if !strings.Contains(detail[name], want) {
			t.Errorf("%s: %q lacks %q", name, detail[name], want)
		}
	}
	if strings.Contains(detail[FlagSLOFailed], "900 ms") {
		t.Errorf("an experiment step's SLO is flagged: %q", detail[FlagSLOFailed])
	}
	notes := ServiceNotes(s.Run.Services)
	if len(notes) != 2 || !strings.Contains(notes[1], "fn served weights /w/model.safetensors (SHA-256 abc)") {
		t.Errorf("service notes = %q", notes)
	}
	d := &Decision{Flags: []Flag{{Name: FlagRecalledPrices, Detail: "1 of 2"}, {Name: FlagSyntheticWeights, Detail: "stale"}}}
	d.RefreshFlags(s)
	if last := d.Flags[len(d.Flags)-1]; last.Name != FlagRecalledPrices || len(d.Flags) != 7 {
		t.Errorf("refreshed flags = %+v, want the six measurement flags then the recalled prices kept", d.Flags)
	}
}
