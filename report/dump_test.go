package report

import (
	"os"
	"testing"

	"github.com/benchctl/benchctl/pricing"
)

func TestDumpForLook(t *testing.T) {
	dir := os.Getenv("H6_DUMP")
	if dir == "" {
		t.Skip("set H6_DUMP")
	}
	writeSyntheticRun(t, dir+"/synthetic-run", defaultSynth())
	if _, err := Render(t.Context(), dir+"/synthetic-run", dir+"/out", []string{"all"}); err != nil {
		t.Fatal(err)
	}
}

func TestDumpPricedForLook(t *testing.T) {
	dir := os.Getenv("H6_DUMP")
	if dir == "" {
		t.Skip("set H6_DUMP")
	}
	book, err := pricing.LoadBook("")
	if err != nil {
		t.Fatal(err)
	}
	o := defaultSynth()
	o.Priced = false
	writeSyntheticRun(t, dir+"/priced-run", o)
	if _, err := Render(t.Context(), dir+"/priced-run", dir+"/priced", []string{"all"}, WithAnalysis(PricingAnalysis(book)), WithCurves(PricingCurves(book))); err != nil {
		t.Fatal(err)
	}
}
