package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/results"
)

// TestWriteBreakEvenWords checks that the terminal break-even table writes
// volumes in words, never in e-notation, and "none" without a crossing.
func TestWriteBreakEvenWords(t *testing.T) {
	t.Parallel()
	rows := []results.BreakEvenRow{
		{Serverless: "fn 1024 MB", Instance: "c7g.large", MonthlyRequests: 28_352_627.94, AverageRPS: 10.94,
			MonthlyRequestsLow: 21_000_000, MonthlyRequestsHigh: 45_500_000,
			Crossings: []results.Crossing{{MonthlyRequests: 28_352_627.94, AverageRPS: 10.94, Direction: "instance_cheaper_above", CostUSD: 52.5}}},
		{Serverless: "fn 1024 MB", Instance: "t3.medium"},
	}
	var b bytes.Buffer
	if err := WriteBreakEven(&b, rows, []string{"traffic profile: constant"}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"28.4 M", "21.0–45.5 M", "at 28.4 M requests/month (10.9 rps)", "none"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "e+") {
		t.Errorf("output has e-notation:\n%s", out)
	}
}
