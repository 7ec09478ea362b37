package pricing

import (
	"testing"

	"github.com/shopspring/decimal"
)

// TestAddGenerators prices worker invocations at the book's Lambda rate
// and refuses inputs it cannot price.
func TestAddGenerators(t *testing.T) {
	t.Parallel()
	book := mustBook(t)
	var est SpendEstimate
	if err := est.AddGenerators(book, GeneratorSpend{Workers: 4, Invocations: 4, Region: "us-east-1", MemoryMB: 1024, BilledMs: 60000}); err != nil {
		t.Fatal(err)
	}
	e, err := book.Find(PlatformLambda, "us-east-1", ArchX86, "", "")
	if err != nil {
		t.Fatal(err)
	}
	want := e.Lambda.RequestUSD.Add(e.Lambda.DurationTiers[0].USD.Mul(decimal.NewFromInt(60))).Mul(decimal.NewFromInt(4))
	if !est.TotalUSD.Equal(want) || !est.RealCloud || len(est.Lines) != 1 || est.Lines[0].Target != GeneratorTarget {
		t.Errorf("estimate %+v, want total %s on one generator line", est, want)
	}
	for name, g := range map[string]GeneratorSpend{
		"no invocations": {Region: "us-east-1", MemoryMB: 1024, BilledMs: 1},
		"no duration":    {Invocations: 1, Region: "us-east-1", MemoryMB: 1024},
		"unknown region": {Invocations: 1, Region: "xx-nowhere-1", MemoryMB: 1024, BilledMs: 1},
	} {
		if err := (&SpendEstimate{}).AddGenerators(book, g); err == nil {
			t.Errorf("%s: priced", name)
		}
	}
}
