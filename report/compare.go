package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"

	"github.com/benchctl/benchctl/results"
)

// DefaultAlpha is the significance level of Compare's Mann-Whitney U test.
const DefaultAlpha = 0.01

// DefaultRegressionThreshold is the relative change Compare judges with
// until Judge sets another (the CLI's --fail-on-regression): 0.10 = 10 %.
const DefaultRegressionThreshold = 0.10

// Verdicts of a compared target (TargetDelta.Verdict).
const (
	// VerdictRegression: B's p50 or p99 rose by more than the threshold
	// and the Mann-Whitney test calls the shift significant, or B's error
	// rate rose by more than the error-rate threshold (absolute) and
	// ErrorRateTest calls the change significant, or B's cost per 1M rose
	// by more than the threshold.
	VerdictRegression = "regression"
	// VerdictImprovement: the mirror image (B significantly faster by more
	// than the threshold, significantly fewer errors by more than the
	// error-rate threshold, or cheaper by more than the threshold), with
	// no regression.
	VerdictImprovement = "improvement"
	// VerdictNoChange: neither.
	VerdictNoChange = "no_change"
)

// Comparison is two runs side by side, target by target.
type Comparison struct {
	RunA    string        `json:"run_a"`
	RunB    string        `json:"run_b"`
	Alpha   float64       `json:"alpha"`
	Targets []TargetDelta `json:"targets"`
	// Only lists targets present in one run only.
	OnlyA []string `json:"only_in_a,omitempty"`
	OnlyB []string `json:"only_in_b,omitempty"`
	// Threshold is the relative change the verdicts were judged with
	// (Judge); FailOnRegression says whether it decides the exit status
	// (the CLI's --fail-on-regression) or is only the display default.
	Threshold        float64 `json:"regression_threshold"`
	FailOnRegression bool    `json:"fail_on_regression"`
	// ErrorRateThreshold is the absolute error-rate increase (0.01 = one
	// percentage point) a significant change must exceed to count; Judge
	// reads it (DefaultErrorRateThreshold unless set).
	ErrorRateThreshold float64 `json:"error_rate_threshold"`
	// ProvenanceA and ProvenanceB say where each run came from.
	ProvenanceA RunProvenance `json:"provenance_a"`
	ProvenanceB RunProvenance `json:"provenance_b"`

	// chart overlays both runs' latency CDFs (nil without latencies, or
	// for a Comparison not built by Compare).
	chart *Chart
	// chartSkipped says why there is no chart.
	chartSkipped string
	// chartLink is the chart file compare.md links to, relative to it (set
	// by WriteComparisonFiles when it writes the chart beside it).
	chartLink string
	// colours maps each shared target to its chart colour.
	colours map[string]string
}

// RunProvenance identifies one compared run: its directory, scenario and
// record count, and the run's run.json (results.RunInfo, whose fields it
// promotes, in JSON too).
type RunProvenance struct {
	// Dir is the run directory as given to Compare.
	Dir          string `json:"dir"`
	Scenario     string `json:"scenario"`
	ScenarioFile string `json:"scenario_file,omitempty"`
	Records      int64  `json:"records"`
	results.RunInfo
}

func provenanceOf(dir string, m *Model) RunProvenance {
	return RunProvenance{Dir: dir, Scenario: m.Summary.Scenario.Name, ScenarioFile: m.Summary.Scenario.File,
		Records: m.Records, RunInfo: m.Summary.Run}
}

// TargetDelta compares one target across two runs, like with like: its
// embedded LatencyDelta pools the plain phases both runs ran by the same
// name at equal offered load; Units compares each of them, each memory-
// sweep size, the cold starts and each capacity search on its own. Deltas
// are relative: (B − A) / A, so +0.10 means B is 10 % higher.
type TargetDelta struct {
	Target string `json:"target"`
	LatencyDelta
	// Cost per 1M requests (the first priced plain phase both runs share),
	// with each run's 95% interval when known.
	CostPerMillionAUSD *float64    `json:"cost_per_million_a_usd,omitempty"`
	CostPerMillionBUSD *float64    `json:"cost_per_million_b_usd,omitempty"`
	CostDelta          *float64    `json:"cost_delta,omitempty"`
	CostCIA            *[2]float64 `json:"cost_per_million_a_ci_usd,omitempty"`
	CostCIB            *[2]float64 `json:"cost_per_million_b_ci_usd,omitempty"`
	// CostHostBusy: that phase ran while either run's host was busy; the
	// cost change is then shown but not judged.
	CostHostBusy bool `json:"cost_host_busy,omitempty"`
	// Break-even monthly requests of the target's first break-even row.
	BreakEvenA *float64 `json:"break_even_a_monthly_requests,omitempty"`
	BreakEvenB *float64 `json:"break_even_b_monthly_requests,omitempty"`
	// BreakEvenDelta is (B − A) / A of the break-even volume.
	BreakEvenDelta *float64 `json:"break_even_delta,omitempty"`
	// Units are the like-with-like comparisons: plain phases, memory-sweep
	// sizes, cold starts, capacity searches.
	Units []UnitDelta `json:"units,omitempty"`
	// Alpha is the significance level each of the target's tests is held
	// to: the comparison's alpha divided by the number of tests
	// (Bonferroni), so that an A/A comparison of many units stays quiet.
	Alpha float64 `json:"alpha"`
	// Verdict is VerdictRegression, VerdictImprovement or VerdictNoChange
	// at the Comparison's Threshold; VerdictReasons say why.
	Verdict        string   `json:"verdict"`
	VerdictReasons []string `json:"verdict_reasons,omitempty"`
}

// LatencyDelta compares the latency (from the intended send) and the
// errors of one unit in two runs.
type LatencyDelta struct {
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
	// ErrorsA and ErrorsB count the failed requests; ErrorRateDelta is
	// the absolute change ErrorRateB − ErrorRateA (0.043 = +4.3 points).
	ErrorsA        int64   `json:"errors_a"`
	ErrorsB        int64   `json:"errors_b"`
	ErrorRateDelta float64 `json:"error_rate_delta"`
	// ErrorPValue is the two-sided p-value of ErrorRateTest, ErrorTest the
	// test used (ErrorTestFisher, ErrorTestZ or ErrorTestNone).
	ErrorPValue float64 `json:"error_rate_p_value"`
	ErrorTest   string  `json:"error_rate_test"`
	// Mann-Whitney U test on the latency samples (two-sided, normal
	// approximation with tie correction), or, when both runs ran the unit
	// as trials, Welch's t-test on the per-trial log p50 (LatencyTest).
	SamplesA int     `json:"samples_a"`
	SamplesB int     `json:"samples_b"`
	U        float64 `json:"mann_whitney_u"`
	Z        float64 `json:"z"`
	PValue   float64 `json:"p_value"`
	// LatencyTest is LatencyTestMannWhitney or LatencyTestWelchTrials;
	// TrialsA and TrialsB the trials behind the latter.
	LatencyTest string `json:"latency_test,omitempty"`
	TrialsA     int    `json:"trials_a,omitempty"`
	TrialsB     int    `json:"trials_b,omitempty"`
	// P99Known says whether the p99s can be compared at all: both have
	// the samples to be numbers (confidence.SupportMin), or their
	// intervals do not overlap. Otherwise only the p50 and the test judge.
	P99Known bool `json:"p99_known"`
	// Shift says which run is slower when the test is significant:
	// "b_slower", "b_faster" or "none".
	Shift string `json:"shift"`
}

// Latency tests (LatencyDelta.LatencyTest).
const (
	LatencyTestMannWhitney = "mann_whitney_u"
	LatencyTestWelchTrials = "welch_t_over_trials_log_p50"
)

// Significant reports whether the latency distributions differ at alpha.
func (d LatencyDelta) Significant(alpha float64) bool { return d.PValue < alpha }

// Compare reads two run directories and compares the targets they share,
// like with like (compareTarget): plain phases by name at equal offered
// load, memory-sweep sizes, cold starts and capacity searches each on
// their own, each judged with the trials' spread when both runs ran
// trials. Options are those of Render (sample bounds).
func Compare(ctx context.Context, dirA, dirB string, opts ...Option) (*Comparison, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	ua, ub := newUnitCollector(cfg.maxSamples), newUnitCollector(cfg.maxSamples)
	ma, err := load(ctx, dirA, cfg, ua)
	if err != nil {
		return nil, fmt.Errorf("compare: %w", err)
	}
	mb, err := load(ctx, dirB, cfg, ub)
	if err != nil {
		return nil, fmt.Errorf("compare: %w", err)
	}
	c := compareModels(ma, mb, ua.units, ub.units, filepath.Base(filepath.Clean(dirA)), filepath.Base(filepath.Clean(dirB)))
	c.ProvenanceA, c.ProvenanceB = provenanceOf(dirA, ma), provenanceOf(dirB, mb)
	return c, nil
}

func compareModels(ma, mb *Model, ua, ub map[unitKey]*unitSamples, nameA, nameB string) *Comparison {
	c := &Comparison{RunA: nameA, RunB: nameB, Alpha: DefaultAlpha, ErrorRateThreshold: DefaultErrorRateThreshold}
	inB := map[string]bool{}
	for _, t := range mb.data.Targets {
		inB[t.Name] = true
	}
	inA := map[string]bool{}
	for _, ta := range ma.data.Targets {
		inA[ta.Name] = true
		if !inB[ta.Name] {
			c.OnlyA = append(c.OnlyA, ta.Name)
			continue
		}
		d := compareTarget(ta.Name, ma.Summary, mb.Summary, ua, ub)
		d.BreakEvenA, d.BreakEvenB = firstBreakEven(ma, ta.Name), firstBreakEven(mb, ta.Name)
		if d.BreakEvenA != nil && d.BreakEvenB != nil && !math.IsInf(*d.BreakEvenA, 0) && !math.IsInf(*d.BreakEvenB, 0) {
			x := relDelta(*d.BreakEvenA, *d.BreakEvenB)
			d.BreakEvenDelta = &x
		}
		c.Targets = append(c.Targets, d)
	}
	for _, t := range mb.data.Targets {
		if !inA[t.Name] {
			c.OnlyB = append(c.OnlyB, t.Name)
		}
	}
	c.Judge(DefaultRegressionThreshold)
	c.colours = map[string]string{}
	for _, d := range c.Targets {
		c.colours[d.Target] = ma.colour(d.Target)
	}
	c.chart, c.chartSkipped = compareCDFChart(ma, mb, c)
	return c
}

func relDelta(a, b float64) float64 {
	if a == 0 {
		return 0 // no baseline: no relative change to report
	}
	return (b - a) / a
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

// CompareFormatNames lists the formats WriteComparison accepts.
func CompareFormatNames() []string { return []string{"text", "md", "json", "html", "png", "svg"} }

// ChartCompareCDF is the file stem of the comparison's chart: both runs'
// latency CDFs overlaid per target.
const ChartCompareCDF = "compare_latency_cdf"

// CompareFileName is the file WriteComparisonFiles writes for a format,
// relative to the output directory: compare.txt, compare.md, compare.json,
// compare.html, charts/compare_latency_cdf.png or .svg.
func CompareFileName(format string) string {
	switch format {
	case "text":
		return "compare.txt"
	case "png", "svg":
		return ChartDir + "/" + ChartCompareCDF + "." + format
	}
	return "compare." + format
}

// WriteComparisonFiles writes c in each format into outDir (named by
// CompareFileName) and returns the files written: the charts (png, svg)
// first, so that compare.md links the chart written beside it (the PNG,
// else the SVG). Each file is written to a temporary name and renamed.
func WriteComparisonFiles(ctx context.Context, c *Comparison, outDir string, formats []string) ([]string, error) {
	var written []string
	// The charts go first, so compare.md can link the one written beside it.
	ordered := make([]string, 0, len(formats))
	for _, f := range formats {
		if f == "png" || f == "svg" {
			ordered = append(ordered, f)
		}
	}
	for _, f := range formats {
		if f != "png" && f != "svg" {
			ordered = append(ordered, f)
		}
	}
	defer func() { c.chartLink = "" }()
	for _, f := range ordered {
		if err := ctx.Err(); err != nil {
			return written, fmt.Errorf("write comparison: %w", err)
		}
		path := filepath.Join(outDir, filepath.FromSlash(CompareFileName(f)))
		if err := writeFileAtomic(path, func(w io.Writer) error { return WriteComparison(w, c, f) }); err != nil {
			return written, fmt.Errorf("write comparison as %s: %w", f, err)
		}
		written = append(written, path)
		// compare.md sits in outDir: link the PNG, else the SVG.
		if f == "png" || (f == "svg" && c.chartLink == "") {
			c.chartLink = CompareFileName(f)
		}
	}
	return written, nil
}

// ErrNoChart is returned when a chart format is asked of a comparison
// without latencies to draw.
var ErrNoChart = errors.New("no chart to draw")

// WriteComparison writes c in one of CompareFormatNames: text, md, json,
// html (one self-contained page, see WriteCompareHTML), or the latency
// chart as png or svg.
func WriteComparison(w io.Writer, c *Comparison, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(c); err != nil {
			return fmt.Errorf("encode comparison: %w", err)
		}
		return nil
	case "html":
		return WriteCompareHTML(w, c)
	case "png", "svg":
		if c.chart == nil {
			return fmt.Errorf("comparison chart: %w (%s)", ErrNoChart, c.chartSkipped)
		}
		if format == "png" {
			return c.chart.WritePNG(w)
		}
		return c.chart.WriteSVG(w)
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
		fmt.Fprintf(&b, "**Verdict: %s** (threshold %s, %s; Mann-Whitney U, alpha %g; error rates: %s, a significant change counts beyond ±%s)\n\n",
			verdictLabel(c.Overall()), fmtThreshold(c.Threshold), thresholdSource(c), c.Alpha, errorTestText, fmtPP(c.ErrorRateThreshold))
		for _, d := range c.Targets {
			fmt.Fprintf(&b, "- %s: **%s**: %s\n", esc(d.Target), verdictLabel(d.Verdict), esc(strings.Join(d.VerdictReasons, "; ")))
		}
		b.WriteString("\n| target | p50 A ms | p50 B ms | Δp50 | p99 A ms | p99 B ms | Δp99 | error rate A | error rate B | Δerror rate | error-rate p | cost/1M A | cost/1M B | Δcost | break-even A | break-even B | Mann-Whitney p | shift |\n")
		b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	} else {
		fmt.Fprintf(&b, "compare %s → %s (Mann-Whitney U, alpha %g; error rates: %s)\n", c.RunA, c.RunB, c.Alpha, errorTestText)
		fmt.Fprintf(&b, "verdict: %s (threshold %s, %s; error-rate threshold %s)\n", verdictLabel(c.Overall()), fmtThreshold(c.Threshold), thresholdSource(c), fmtPP(c.ErrorRateThreshold))
	}
	for _, d := range c.Targets {
		if md {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.3g | %s |\n", esc(d.Target),
				fmtMs(d.P50AMs), fmtMs(d.P50BMs), fmtDelta(d.P50Delta), fmtMs(d.P99AMs), fmtMs(d.P99BMs), fmtDelta(d.P99Delta),
				fmtPct(d.ErrorRateA), fmtPct(d.ErrorRateB), fmtPPDelta(d.ErrorRateDelta), errorP(d),
				fmtOpt(fmtUSD, d.CostPerMillionAUSD), fmtOpt(fmtUSD, d.CostPerMillionBUSD), fmtOpt(fmtDelta, d.CostDelta),
				fmtOpt(fmtVolume, d.BreakEvenA), fmtOpt(fmtVolume, d.BreakEvenB), d.PValue, d.Shift)
			continue
		}
		fmt.Fprintf(&b, "%s\n  p50 %s → %s ms (%s)  p99 %s → %s ms (%s)\n  errors %s/%s (%s) → %s/%s (%s) (%s), %s\n  cost/1M %s → %s (%s)  break-even %s → %s requests/month\n  Mann-Whitney U=%.0f z=%.2f p=%.3g (n=%d, %d): %s\n  verdict: %s: %s\n",
			d.Target, fmtMs(d.P50AMs), fmtMs(d.P50BMs), fmtDelta(d.P50Delta), fmtMs(d.P99AMs), fmtMs(d.P99BMs), fmtDelta(d.P99Delta),
			fmtInt(d.ErrorsA), fmtInt(d.RequestsA), fmtPct(d.ErrorRateA), fmtInt(d.ErrorsB), fmtInt(d.RequestsB), fmtPct(d.ErrorRateB),
			fmtPPDelta(d.ErrorRateDelta), errorTestSentence(d.LatencyDelta),
			fmtOpt(fmtUSD, d.CostPerMillionAUSD), fmtOpt(fmtUSD, d.CostPerMillionBUSD), fmtOpt(fmtDelta, d.CostDelta),
			fmtOpt(fmtVolume, d.BreakEvenA), fmtOpt(fmtVolume, d.BreakEvenB), d.U, d.Z, d.PValue, d.SamplesA, d.SamplesB, d.Shift,
			verdictLabel(d.Verdict), strings.Join(d.VerdictReasons, "; "))
		for _, u := range d.Units {
			fmt.Fprintf(&b, "  %s: %s; %s: %s: %s\n", u.Name, unitFigures(u), unitTest(u), verdictLabel(u.Verdict), strings.Join(u.VerdictReasons, "; "))
		}
	}
	if md && len(c.Targets) > 0 {
		b.WriteString("\n| target | unit | requests A | requests B | figures A → B | test | verdict | why |\n|---|---|---:|---:|---|---|---|---|\n")
		for _, d := range c.Targets {
			for _, u := range d.Units {
				fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", esc(d.Target), esc(u.Name), fmtInt(u.RequestsA), fmtInt(u.RequestsB),
					esc(unitFigures(u)), esc(unitTest(u)), verdictLabel(u.Verdict), esc(strings.Join(u.VerdictReasons, "; ")))
			}
		}
	}
	if md && c.chartLink != "" && c.chart != nil {
		fmt.Fprintf(&b, "\n![%s](%s)\n\n%s\n\n", c.chart.Title, c.chartLink, esc(c.chart.Caption))
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

// errorTestText names the error-rate tests in the documents.
const errorTestText = "two-proportion z-test, Fisher's exact test when an expected count is below 5"

// fmtDelta formats a relative change as a signed percentage (+12.3%).
func fmtDelta(v float64) string { return fmt.Sprintf("%+.1f%%", 100*v) }

// fmtOpt formats *v with f, "–" when v is nil (not measured or not priced).
func fmtOpt(f func(float64) string, v *float64) string {
	if v == nil {
		return "–"
	}
	return f(*v)
}

// fmtPPDelta formats an absolute error-rate change in percentage points.
func fmtPPDelta(v float64) string { return fmt.Sprintf("%+.2f pp", 100*v) }

// errorP is a target's error-rate p-value, "–" when nothing was tested.
func errorP(d TargetDelta) string {
	if d.ErrorTest == ErrorTestNone || d.ErrorTest == "" {
		return "–"
	}
	return fmt.Sprintf("%.3g", d.ErrorPValue)
}

// verdictLabel is a verdict as readers see it.
func verdictLabel(v string) string {
	switch v {
	case VerdictRegression:
		return "regression"
	case VerdictImprovement:
		return "improvement"
	}
	return "no significant change"
}

// thresholdSource says where the threshold came from, for the documents.
func thresholdSource(c *Comparison) string {
	if c.FailOnRegression {
		return "--fail-on-regression"
	}
	return "the default; --fail-on-regression not set"
}
