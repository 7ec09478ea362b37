package results

import (
	"math"
	"testing"
)

func TestMergeHostLoads(t *testing.T) {
	t.Parallel()
	a := &HostLoad{ForeignCPUCores: CoresStat{Mean: 0.1, P95: 0.2}, Samples: 10, MemoryAvailableMinMB: 500}
	b := &HostLoad{ForeignCPUCores: CoresStat{Mean: 0.4, P95: 1.0}, Samples: 30, Busy: true, BusyReasons: []string{"x"}, MemoryAvailableMinMB: 400}
	m := MergeHostLoads([]*HostLoad{a, nil, b}, []float64{1, 5, 3})
	if m == nil || math.Abs(m.ForeignCPUCores.Mean-0.325) > 1e-12 || m.ForeignCPUCores.P95 != 1.0 || !m.Busy || m.Samples != 40 || m.MemoryAvailableMinMB != 400 {
		t.Errorf("merged %+v", m)
	}
	if MergeHostLoads([]*HostLoad{nil}, nil) != nil {
		t.Error("merge of no loads is not nil")
	}
}

func TestStallCause(t *testing.T) {
	t.Parallel()
	h := func(own float64) *HostLoad { return &HostLoad{Cores: 2, OwnCPUCores: own} }
	cases := []struct {
		p    PhaseSummary
		want string
	}{
		{PhaseSummary{GeneratorFellBehind: false, Host: h(2)}, ""},
		{PhaseSummary{GeneratorFellBehind: true}, ""},
		{PhaseSummary{GeneratorFellBehind: true, Host: h(0.5), HostBusy: true}, "other processes on the host"},
		{PhaseSummary{GeneratorFellBehind: true, Host: h(1.9)}, "the run's own processes held the cores"},
		{PhaseSummary{GeneratorFellBehind: true, Host: h(0.4)}, "the generator itself (the host had idle CPU)"},
	}
	for i, c := range cases {
		if got := StallCause(c.p); got != c.want {
			t.Errorf("case %d: %q, want %q", i, got, c.want)
		}
	}
}
