package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/benchctl/benchctl/pricing"
	"github.com/benchctl/benchctl/results"
	"github.com/shopspring/decimal"
)

// WriteEstimate writes a what-if estimate (benchctl pricing estimate) as
// a table of line items with their entries, the total, the cost per 1 M
// requests (for a per-request platform) and the price book's provenance
// and notes.
func WriteEstimate(w io.Writer, est pricing.Estimate, requests int64) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "ITEM\tQUANTITY\tUNIT\tRATE USD\tUSD\tENTRY\t")
	for _, it := range est.Items {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", it.Name, it.Quantity.String(), it.Unit, it.RateUSD.String(), it.USD.StringFixed(6), est.ItemEntry(it))
	}
	fmt.Fprintf(tw, "total\t\t\t\t%s\t\t\n", est.TotalUSD.StringFixed(6))
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "total: $%s\n", est.TotalUSD.StringFixed(2))
	if requests > 0 && est.PriceBook.Platform != pricing.PlatformEC2 {
		perM := est.TotalUSD.Div(decimal.NewFromInt(requests)).Mul(decimal.NewFromInt(1_000_000))
		fmt.Fprintf(w, "per 1M requests: $%s\n", perM.StringFixed(4))
	}
	fmt.Fprintf(w, "prices: %s, effective %s, retrieved %s, %s\n", est.PriceBook.Source, est.PriceBook.EffectiveDate, est.PriceBook.Retrieved, est.PriceBook.Confidence)
	for _, r := range est.Extra {
		fmt.Fprintf(w, "prices: %s (%s), effective %s, retrieved %s, %s\n", r.Source, r.Name(), r.EffectiveDate, r.Retrieved, r.Confidence)
	}
	for _, n := range est.Notes {
		fmt.Fprintln(w, "note:", n)
	}
	return nil
}

// WriteBreakEven writes break-even rows (benchctl pricing breakeven) as a
// table, then each pair's crossings, note and sensitivities, then the
// notes; volumes in words (28.4 M, never e-notation).
func WriteBreakEven(w io.Writer, rows []results.BreakEvenRow, notes []string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVERLESS\tINSTANCE\tKIND\tBREAK-EVEN REQ/MONTH\tAVG RPS\t95% INTERVAL\tCROSSINGS\tMOST SENSITIVE TO")
	for _, r := range rows {
		be, rps, iv := "none", "-", "-"
		if r.MonthlyRequests > 0 {
			be, rps = fmtVolume(r.MonthlyRequests), fmtVolume(r.AverageRPS)
		}
		if ci := fmtVolumeCI(r.MonthlyRequestsLow, r.MonthlyRequestsHigh, 0); ci != "" {
			iv = ci
		}
		crossings := r.CrossingsCount
		if crossings == 0 {
			crossings = len(r.Crossings)
		}
		kind := r.InstanceKind
		if kind == "" {
			kind = results.OptionFleet
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", r.Serverless, r.Instance, kind, be, rps, iv, crossings, r.MostSensitive)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rows {
		fmt.Fprintf(w, "\n%s vs %s (%s; capacity: %s)\n", r.Serverless, r.Instance, r.Fleet, r.CapacityAssumption)
		for i, c := range r.Crossings {
			if r.CrossingsTruncated && i == len(r.Crossings)/2 {
				fmt.Fprintf(w, "  … %d more crossings (see the note) …\n", r.CrossingsCount-len(r.Crossings))
			}
			fmt.Fprintf(w, "  at %s requests/month (%s rps): %s, $%.2f/month\n", fmtVolume(c.MonthlyRequests), fmtVolume(c.AverageRPS), strings.ReplaceAll(c.Direction, "_", " "), c.CostUSD)
		}
		if r.Note != "" {
			fmt.Fprintln(w, "  note:", r.Note)
		}
		for _, s := range r.Sensitivity {
			fmt.Fprintf(w, "  %s ×%g → %s, ×%g → %s (swing %.0f%%)\n", s.Assumption, s.LowFactor, fmtVolume(s.MonthlyRequestsLow), s.HighFactor, fmtVolume(s.MonthlyRequestsHigh), s.Swing*100)
		}
	}
	for _, n := range notes {
		fmt.Fprintln(w, "note:", n)
	}
	return nil
}
