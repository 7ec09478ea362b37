package report

import (
	"fmt"
	"strings"

	"github.com/benchctl/benchctl/results"
)

// FlagView is one flag of the headline box: what a reader must know before
// trusting the figures.
type FlagView struct {
	// Name is the flag's name (results.Flag.Name), Title it in words.
	Name, Title string
	Detail      string
}

// flagTitle names a flag for readers; flags added later (a newer summary)
// read as their name.
func flagTitle(name string) string {
	switch name {
	case results.FlagInterrupted:
		return "Interrupted run"
	case results.FlagHostBusy:
		return "Host busy"
	case results.FlagBillingMissing:
		return "Billing data missing"
	case results.FlagGeneratorBehind:
		return "Generator fell behind"
	case results.FlagSLOFailed:
		return "SLO failed"
	case results.FlagSyntheticWeights:
		return "Synthetic weights"
	case results.FlagRecalledPrices:
		return "Recalled prices"
	}
	s := strings.ReplaceAll(name, "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// buildHeadline writes the headline sentence and its flags: from the
// summary's decision when it has one, else from the measurements alone.
func (m *Model) buildHeadline() {
	flags := results.MeasurementFlags(m.Summary)
	if d := m.Summary.Decision; d != nil {
		flags = d.Flags
	}
	for _, f := range flags {
		m.Flags = append(m.Flags, FlagView{Name: f.Name, Title: flagTitle(f.Name), Detail: f.Detail})
	}
	m.Headline = headlineText(m.Summary)
}

// headlineText is the one sentence that answers the question: the
// cheapest option meeting the SLO at the profile and its monthly cost, the
// cheapest of the other family and its cost, and where the answer flips
// with its 95% interval, e.g. "At 5.0 M requests/month: Lambda 1,024 MB
// arm64 $4.16/month vs t3.medium $30.37 (7.3× cheaper). Serverless stays
// cheaper up to 59.9 M requests/month (95% CI 44.7–98.6 M), 23 requests/s
// on average."
func headlineText(s *results.Summary) string {
	d := s.Decision
	if d == nil {
		if len(s.Cost) > 0 || len(s.BreakEven) > 0 {
			return "This run was priced by a benchctl without a decision: `benchctl report` on its directory re-prices it and adds one; the break-even volumes are below."
		}
		return "No decision: nothing was priced (no serverless configuration and instance type to compare, or no price book)."
	}
	if len(d.Options) == 0 {
		if len(s.BreakEven) > 0 {
			return "No traffic profile to price the options at (the scenario sets no pricing.profile): the break-even volumes below say where serverless stops being cheaper."
		}
		return "No decision: no option was priced for a month (set pricing.profile, and a capacity for instances)."
	}
	many := manyServerlessTargets(d)
	at := "At " + fmtVolume(d.MonthlyRequests) + " requests/month: "
	rec := decisionOption(d, d.Recommended)
	if rec == nil {
		c := d.Options[0]
		for _, o := range d.Options {
			if o.MonthlyCostUSD < c.MonthlyCostUSD {
				c = o
			}
		}
		p99 := ""
		if c.P99Ms != nil {
			p99 = fmt.Sprintf(" (p99 %s ms)", fmtMs(*c.P99Ms))
		}
		return fmt.Sprintf("%sno option met the SLO; the cheapest, %s, costs %s/month%s.", at, headlineLabel(c, many), fmtUSD(c.MonthlyCostUSD), p99)
	}
	other := d.AlwaysOn
	if rec.Kind != results.OptionServerless {
		other = d.Serverless
	}
	alt := decisionOption(d, other)
	if alt == nil || alt == rec {
		n := 0
		for _, o := range d.Options {
			if o.Kind == rec.Kind && o.MeetsSLO() {
				n++
			}
		}
		missing := "no always-on option was priced (no instance capacity)"
		if rec.Kind != results.OptionServerless {
			missing = "no serverless configuration was priced"
		}
		of := fmt.Sprintf("the cheapest of the %d %s options meeting the SLO", n, kindLabel(rec.Kind))
		if n == 1 {
			of = fmt.Sprintf("the only %s option meeting the SLO", kindLabel(rec.Kind))
		}
		return fmt.Sprintf("%s%s at %s/month is %s; %s.", at, headlineLabel(*rec, many), fmtUSD(rec.MonthlyCostUSD), of, missing)
	}
	if alt.MonthlyCostUSD < rec.MonthlyCostUSD {
		// Cheaper, but it fails the SLO (else it would be recommended).
		why := ""
		if len(alt.SLOViolations) > 0 {
			why = " (" + alt.SLOViolations[0] + ")"
		}
		meets := "meeting the SLO"
		if rec.SLO == results.SLOAssumed {
			meets = "assumed to meet the SLO (its capacity is given, not measured)"
		}
		family := "serverless configuration"
		if alt.Kind != results.OptionServerless {
			family = "always-on option"
		}
		return fmt.Sprintf("%s%s at %s/month is the cheapest option %s; the cheapest %s, %s, would cost %s but does not meet it%s.", at,
			headlineLabel(*rec, many), fmtUSD(rec.MonthlyCostUSD), meets, family, headlineLabel(*alt, many), fmtUSD(alt.MonthlyCostUSD), why)
	}
	var b strings.Builder
	b.WriteString(at)
	fmt.Fprintf(&b, "%s %s/month vs %s %s", headlineLabel(*rec, many), fmtUSD(rec.MonthlyCostUSD), headlineLabel(*alt, many), fmtUSD(alt.MonthlyCostUSD))
	var notes []string
	if r := fmtRatio(alt.MonthlyCostUSD, rec.MonthlyCostUSD); r != "" {
		notes = append(notes, r+" cheaper")
	}
	if !alt.MeetsSLO() {
		// Nothing of its family met the SLO: the comparison is on cost alone.
		why := headlineLabel(*alt, many) + " failed the SLO in this run"
		if len(alt.SLOViolations) > 0 {
			why += ": " + alt.SLOViolations[0]
		}
		notes = append(notes, why)
	}
	if len(notes) > 0 {
		b.WriteString(" (" + strings.Join(notes, "; ") + ")")
	}
	b.WriteString(".")
	if f := flipSentence(d, rec, alt, many); f != "" {
		b.WriteString(" " + f)
	}
	return b.String()
}

// flipSentence says where the answer between the recommended option and
// the alternative flips (empty when unknown).
func flipSentence(d *results.Decision, rec, alt *results.DecisionOption, many bool) string {
	f := d.Flip
	if f == nil {
		return ""
	}
	upTo := fmtVolume(d.BreakEvenMaxMonthlyRequests)
	at := func() string {
		s := fmtVolume(f.MonthlyRequests) + " requests/month"
		if ci := fmtVolumeCI(f.MonthlyRequestsLow, f.MonthlyRequestsHigh, d.BreakEvenMaxMonthlyRequests); ci != "" {
			s += " (95% CI " + ci + ")"
		}
		return s + ", " + fmtRate(f.AverageRPS) + " requests/s on average"
	}
	serverlessRec := rec.Kind == results.OptionServerless
	instance := headlineLabel(*alt, many)
	if !serverlessRec {
		instance = headlineLabel(*rec, many)
	}
	switch f.Outcome {
	case results.BreakEvenServerlessBelow:
		switch {
		case serverlessRec && f.MonthlyRequests >= d.MonthlyRequests:
			s := "Serverless stays cheaper up to " + at()
			if f.AlwaysOn != alt.Option {
				if o := decisionOption(d, f.AlwaysOn); o != nil {
					s += ", where " + headlineLabel(*o, many) + " becomes cheaper"
				}
			}
			return s + "."
		case serverlessRec:
			return fmt.Sprintf("The costs cross %d times: serverless is first dearer than %s at %s.", f.Crossings, instance, at())
		default:
			return "Serverless is cheaper only below " + at() + "."
		}
	case results.BreakEvenServerlessAbove:
		if serverlessRec {
			return fmt.Sprintf("%s is cheaper below %s.", instance, at())
		}
		return "Serverless becomes cheaper above " + at() + "."
	case results.BreakEvenServerlessAlways:
		return "Serverless stays cheaper at every volume up to " + upTo + " requests/month."
	case results.BreakEvenAlwaysOnAlways:
		return fmt.Sprintf("%s stays cheaper at every volume up to %s requests/month.", instance, upTo)
	}
	return "The two costs do not cross up to " + upTo + " requests/month."
}
