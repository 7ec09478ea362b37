package locallambda

import (
	"time"

	"github.com/benchctl/benchctl/lambdareport"
	"github.com/google/uuid"
)

// newRequestID returns a request id in AWS's form (a random UUID).
func newRequestID() string { return uuid.NewString() }

// reportFor builds the REPORT record of one invocation. Billed Duration is
// ceil(Duration + Init Duration) on cold starts when INIT is billed, else
// ceil(Duration) (lambdareport.BilledMs, at least 1 ms).
func reportFor(reqID string, durMs float64, memMB, usedMB int, initDur *time.Duration, initBilling bool) lambdareport.Report {
	rep := lambdareport.Report{
		RequestID:       reqID,
		DurationMs:      round2(durMs),
		MemorySizeMB:    memMB,
		MaxMemoryUsedMB: usedMB,
	}
	billed := rep.DurationMs
	if initDur != nil {
		ms := round2(float64(initDur.Microseconds()) / 1000)
		rep.InitDurationMs = &ms
		if initBilling {
			billed += ms
		}
	}
	rep.BilledDurationMs = lambdareport.BilledMs(billed)
	return rep
}

// round2 rounds to the two decimals the REPORT line shows.
func round2(v float64) float64 {
	return float64(int64(v*100+0.5)) / 100
}
