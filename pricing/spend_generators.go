package pricing

import (
	"fmt"
	"math"

	"github.com/shopspring/decimal"
)

// GeneratorSpend describes the load generators of a distributed run on
// AWS Lambda for the pre-run estimate: Invocations worker invocations
// (workers × windows), each billed at most BilledMs at MemoryMB on the
// Lambda rates of Region and Arch (x86_64, arm64).
type GeneratorSpend struct {
	Workers, Invocations int
	Region, Arch         string
	MemoryMB             int
	BilledMs             float64
	// Source says how BilledMs was bounded (for the estimate's line).
	Source string
}

// GeneratorTarget is the Target of the estimate's generator line.
const GeneratorTarget = "load generators"

// AddGenerators adds the generators' line to the estimate: Invocations ×
// (request fee + GB(MemoryMB) × BilledMs/1000 × the GB-s rate), priced
// apart from the system under test's lines, so --max-spend covers both.
func (s *SpendEstimate) AddGenerators(book *Book, g GeneratorSpend) error {
	if g.Invocations <= 0 || g.MemoryMB <= 0 || !(g.BilledMs > 0) || math.IsInf(g.BilledMs, 0) {
		return fmt.Errorf("estimate the generators' spend: %d invocations of %d MB for %g ms", g.Invocations, g.MemoryMB, g.BilledMs)
	}
	arch := g.Arch
	if arch == "" {
		arch = ArchX86
	}
	e, err := book.Find(PlatformLambda, g.Region, arch, "", "")
	if err != nil || e.Lambda == nil {
		return fmt.Errorf("estimate the generators' spend: no Lambda rates for %s %s: %v", g.Region, arch, err)
	}
	unit := CeilMs(g.BilledMs)
	usd := LambdaRequestCost(e.Lambda, g.MemoryMB, unit).Mul(decimal.NewFromInt(int64(g.Invocations)))
	s.Lines = append(s.Lines, SpendLine{Target: GeneratorTarget, Phase: fmt.Sprintf("%d workers", g.Workers), Step: g.Region, Platform: PlatformLambda,
		MemoryMB: g.MemoryMB, Requests: int64(g.Invocations), AssumedDurationMs: unit.InexactFloat64(), DurationSource: g.Source,
		USD: usd, PriceSource: e.Source})
	s.TotalUSD = s.TotalUSD.Add(usd)
	s.RealCloud = true
	s.Notes = append(s.Notes, fmt.Sprintf("load generators: %d invocations of the worker function (%d MB, %s, %s), priced at the book's Lambda rates apart from the system under test",
		g.Invocations, g.MemoryMB, arch, g.Region))
	return nil
}
