package scenarios

// validateConfidence checks the blocks that decide how far a run's figures
// can be trusted: host_busy thresholds.
func (v *validator) validateConfidence() {
	if h := v.s.HostBusy; h != nil {
		const p = "host_busy"
		if v.has(p+".foreign_cores") && !(h.ForeignCores > 0) {
			v.errf(p+".foreign_cores", "must be > 0 cores (got %s)", num(h.ForeignCores))
		}
		for _, f := range []struct {
			name string
			val  float64
		}{{"steal_fraction", h.StealFraction}, {"memory_stall_fraction", h.MemoryStallFraction}} {
			if v.has(p+"."+f.name) && !(f.val > 0 && f.val <= 1) {
				v.errf(p+"."+f.name, "must be a fraction in (0, 1] (got %s)", num(f.val))
			}
		}
	}
}
