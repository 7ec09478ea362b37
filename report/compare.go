package report

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strings"
)

// DefaultAlpha is the significance level of Compare's Mann-Whitney U test.
const DefaultAlpha = 0.01

// Comparison is two runs side by side, target by target.
type Comparison struct {
	RunA    string        `json:"run_a"`
	RunB    string        `json:"run_b"`
	Alpha   float64       `json:"alpha"`
	Targets []TargetDelta `json:"targets"`
	// Only lists targets present in one run only.
	OnlyA []string `json:"only_in_a,omitempty"`
	OnlyB []string `json:"only_in_b,omitempty"`
}

// TargetDelta compares one target across two runs. Deltas are relative:
// (B − A) / A, so +0.10 means B is 10 % higher (slower or dearer).
type TargetDelta struct {
	Target     string  `json:"target"`
	RequestsA  int64   `json:"requests_a"`
	RequestsB  int64   `json:"requests_b"`
	P50AMs     float64 `json:"p50_a_ms"`
	P50BMs     float64 `json:"p50_b_ms"`
	P50Delta   float64 `json:"p50_delta"`
	P99AMs     float64 `json:"p99_a_ms"`
	P99BMs     float64 `json:"p99_b_ms"`
	P99Delta   float64 `json:"p99_delta"`
	ErrorRateA float64 `json:"error_rate_a"`
	ErrorRateB float64 `json:"error_rate_b"`
	// Cost per 1M requests (first cost row of the target), when priced.
	CostPerMillionAUSD *float64 `json:"cost_per_million_a_usd,omitempty"`
	CostPerMillionBUSD *float64 `json:"cost_per_million_b_usd,omitempty"`
	CostDelta          *float64 `json:"cost_delta,omitempty"`
	// Break-even monthly requests of the target's first break-even row.
	BreakEvenA *float64 `json:"break_even_a_monthly_requests,omitempty"`
	BreakEvenB *float64 `json:"break_even_b_monthly_requests,omitempty"`
	// Mann-Whitney U test on the latency samples (two-sided, normal
	// approximation with tie correction).
	SamplesA int     `json:"samples_a"`
	SamplesB int     `json:"samples_b"`
	U        float64 `json:"mann_whitney_u"`
	Z        float64 `json:"z"`
	PValue   float64 `json:"p_value"`
	// Shift says which run is slower when the test is significant:
	// "b_slower", "b_faster" or "none".
	Shift string `json:"shift"`
}

// Significant reports whether the latency distributions differ at alpha.
func (d TargetDelta) Significant(alpha float64) bool { return d.PValue < alpha }

// Compare reads two run directories and compares the targets they share.
// Options are those of Render (sample bounds).
func Compare(ctx context.Context, dirA, dirB string, opts ...Option) (*Comparison, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	ma, err := load(ctx, dirA, cfg)
	if err != nil {
		return nil, fmt.Errorf("compare: %w", err)
	}
	mb, err := load(ctx, dirB, cfg)
	if err != nil {
		return nil, fmt.Errorf("compare: %w", err)
	}
	return compareModels(ma, mb, filepath.Base(filepath.Clean(dirA)), filepath.Base(filepath.Clean(dirB))), nil
}

func compareModels(ma, mb *Model, nameA, nameB string) *Comparison {
	c := &Comparison{RunA: nameA, RunB: nameB, Alpha: DefaultAlpha}
	inB := map[string]*targetData{}
	for _, t := range mb.data.Targets {
		inB[t.Name] = t
	}
	inA := map[string]bool{}
	for _, ta := range ma.data.Targets {
		inA[ta.Name] = true
		tb, ok := inB[ta.Name]
		if !ok {
			c.OnlyA = append(c.OnlyA, ta.Name)
			continue
		}
		d := TargetDelta{Target: ta.Name, RequestsA: ta.Requests, RequestsB: tb.Requests}
		if ta.Requests > 0 {
			d.ErrorRateA = float64(ta.Errors) / float64(ta.Requests)
		}
		if tb.Requests > 0 {
			d.ErrorRateB = float64(tb.Errors) / float64(tb.Requests)
		}
		if ta.Latency.TotalCount() > 0 && tb.Latency.TotalCount() > 0 {
			d.P50AMs, d.P50BMs = quantileMs(ta.Latency, 0.5), quantileMs(tb.Latency, 0.5)
			d.P99AMs, d.P99BMs = quantileMs(ta.Latency, 0.99), quantileMs(tb.Latency, 0.99)
			d.P50Delta, d.P99Delta = relDelta(d.P50AMs, d.P50BMs), relDelta(d.P99AMs, d.P99BMs)
		}
		d.CostPerMillionAUSD, d.CostPerMillionBUSD = firstCost(ma, ta.Name), firstCost(mb, ta.Name)
		if d.CostPerMillionAUSD != nil && d.CostPerMillionBUSD != nil {
			x := relDelta(*d.CostPerMillionAUSD, *d.CostPerMillionBUSD)
			d.CostDelta = &x
		}
		d.BreakEvenA, d.BreakEvenB = firstBreakEven(ma, ta.Name), firstBreakEven(mb, ta.Name)
		sa, sb := ta.Samples(), tb.Samples()
		d.SamplesA, d.SamplesB = len(sa), len(sb)
		d.Shift = "none"
		if len(sa) > 1 && len(sb) > 1 {
			d.U, d.Z, d.PValue = MannWhitneyU(sa, sb)
			if d.PValue < c.Alpha {
				if d.Z > 0 {
					d.Shift = "b_slower"
				} else {
					d.Shift = "b_faster"
				}
			}
		} else {
			d.PValue = 1
		}
		c.Targets = append(c.Targets, d)
	}
	for _, t := range mb.data.Targets {
		if !inA[t.Name] {
			c.OnlyB = append(c.OnlyB, t.Name)
		}
	}
	return c
}

func relDelta(a, b float64) float64 {
	if a == 0 {
		return 0 // no baseline: no relative change to report
	}
	return (b - a) / a
}

func firstCost(m *Model, target string) *float64 {
	for _, c := range m.Summary.Cost {
		if c.Target == target && c.CostPerMillionUSD > 0 {
			v := c.CostPerMillionUSD
			return &v
		}
	}
	return nil
}

func firstBreakEven(m *Model, target string) *float64 {
	for _, b := range m.Summary.BreakEven {
		if strings.HasPrefix(b.Serverless, target) && b.MonthlyRequests > 0 {
			v := b.MonthlyRequests
			return &v
		}
	}
	return nil
}

// MannWhitneyU tests whether b tends to be larger than a. It returns U for
// b (the number of pairs (a_i, b_j) with b_j > a_i, ties counting ½), the
// z score of U under H0 (normal approximation with tie correction:
// σ² = n_a·n_b/12 · ((n+1) − Σ(t³−t)/(n(n−1)))), and the two-sided p-value
// erfc(|z|/√2). z > 0 means b is stochastically larger (slower).
func MannWhitneyU(a, b []float64) (u, z, p float64) {
	na, nb := float64(len(a)), float64(len(b))
	type obs struct {
		v    float64
		inB  bool
		rank float64
	}
	all := make([]obs, 0, len(a)+len(b))
	for _, v := range a {
		all = append(all, obs{v: v})
	}
	for _, v := range b {
		all = append(all, obs{v: v, inB: true})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].v < all[j].v })
	n := float64(len(all))
	var tieSum, rankB float64
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].v == all[i].v {
			j++
		}
		r := float64(i+j+1) / 2 // average of ranks i+1..j
		t := float64(j - i)
		tieSum += t*t*t - t
		for k := i; k < j; k++ {
			if all[k].inB {
				rankB += r
			}
		}
		i = j
	}
	u = rankB - nb*(nb+1)/2
	mean := na * nb / 2
	variance := na * nb / 12 * ((n + 1) - tieSum/(n*(n-1)))
	if variance <= 0 {
		return u, 0, 1
	}
	z = (u - mean) / math.Sqrt(variance)
	p = math.Erfc(math.Abs(z) / math.Sqrt2)
	return u, z, p
}

// Regressions lists the targets where B is worse than A by more than
// threshold (a fraction: 0.10 = 10 %): a p50 or p99 increase that the
// Mann-Whitney test finds significant, or a cost per 1M increase.
func (c *Comparison) Regressions(threshold float64) []string {
	var out []string
	for _, d := range c.Targets {
		sig := d.Significant(c.Alpha) && d.Shift == "b_slower"
		if sig && d.P99Delta > threshold {
			out = append(out, fmt.Sprintf("%s: p99 %s → %s ms (%+.1f%%, p=%.2g)", d.Target, fmtMs(d.P99AMs), fmtMs(d.P99BMs), 100*d.P99Delta, d.PValue))
		} else if sig && d.P50Delta > threshold {
			out = append(out, fmt.Sprintf("%s: p50 %s → %s ms (%+.1f%%, p=%.2g)", d.Target, fmtMs(d.P50AMs), fmtMs(d.P50BMs), 100*d.P50Delta, d.PValue))
		}
		if d.CostDelta != nil && *d.CostDelta > threshold {
			out = append(out, fmt.Sprintf("%s: cost per 1M %s → %s (%+.1f%%)", d.Target, fmtUSD(*d.CostPerMillionAUSD), fmtUSD(*d.CostPerMillionBUSD), 100**d.CostDelta))
		}
	}
	return out
}

// CompareFormatNames lists the formats WriteComparison accepts.
func CompareFormatNames() []string { return []string{"text", "md", "json"} }

// WriteComparison writes c in format text, md or json.
func WriteComparison(w io.Writer, c *Comparison, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(c); err != nil {
			return fmt.Errorf("encode comparison: %w", err)
		}
		return nil
	case "text", "md", "markdown":
	default:
		return fmt.Errorf("format %q isn't one of [%s]: %w", format, strings.Join(CompareFormatNames(), ", "), ErrUnknownFormat)
	}
	md := format != "text"
	esc := func(s string) string { return s }
	if md {
		esc = mdEscape
	}
	var b strings.Builder
	if md {
		fmt.Fprintf(&b, "# benchctl compare: %s → %s\n\n", esc(c.RunA), esc(c.RunB))
		b.WriteString("| target | p50 A ms | p50 B ms | Δp50 | p99 A ms | p99 B ms | Δp99 | cost/1M A | cost/1M B | Δcost | break-even A | break-even B | Mann-Whitney p | shift |\n")
		b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	} else {
		fmt.Fprintf(&b, "compare %s → %s (Mann-Whitney U, alpha %g)\n", c.RunA, c.RunB, c.Alpha)
	}
	opt := func(f func(float64) string, v *float64) string {
		if v == nil {
			return "–"
		}
		return f(*v)
	}
	pctS := func(v float64) string { return fmt.Sprintf("%+.1f%%", 100*v) }
	for _, d := range c.Targets {
		if md {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.3g | %s |\n", esc(d.Target),
				fmtMs(d.P50AMs), fmtMs(d.P50BMs), pctS(d.P50Delta), fmtMs(d.P99AMs), fmtMs(d.P99BMs), pctS(d.P99Delta),
				opt(fmtUSD, d.CostPerMillionAUSD), opt(fmtUSD, d.CostPerMillionBUSD), opt(pctS, d.CostDelta),
				opt(fmtVolume, d.BreakEvenA), opt(fmtVolume, d.BreakEvenB), d.PValue, d.Shift)
			continue
		}
		fmt.Fprintf(&b, "%s\n  p50 %s → %s ms (%s)  p99 %s → %s ms (%s)\n  cost/1M %s → %s (%s)  break-even %s → %s requests/month\n  Mann-Whitney U=%.0f z=%.2f p=%.3g (n=%d, %d): %s\n",
			d.Target, fmtMs(d.P50AMs), fmtMs(d.P50BMs), pctS(d.P50Delta), fmtMs(d.P99AMs), fmtMs(d.P99BMs), pctS(d.P99Delta),
			opt(fmtUSD, d.CostPerMillionAUSD), opt(fmtUSD, d.CostPerMillionBUSD), opt(pctS, d.CostDelta),
			opt(fmtVolume, d.BreakEvenA), opt(fmtVolume, d.BreakEvenB), d.U, d.Z, d.PValue, d.SamplesA, d.SamplesB, d.Shift)
	}
	for _, n := range c.OnlyA {
		fmt.Fprintf(&b, "only in %s: %s\n", esc(c.RunA), esc(n))
	}
	for _, n := range c.OnlyB {
		fmt.Fprintf(&b, "only in %s: %s\n", esc(c.RunB), esc(n))
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write comparison: %w", err)
	}
	return nil
}
