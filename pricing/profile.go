package pricing

import (
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/benchctl/benchctl/scenarios"
	"github.com/benchctl/benchctl/traces"
)

// Profile shapes.
const (
	ShapeConstant = "constant"
	ShapeDiurnal  = "diurnal"
	ShapeTrace    = "trace"
)

// DefaultPeakHours is the length of the daily peak of a diurnal profile
// when peak_hours is not set.
const DefaultPeakHours = 8.0

// Profile is the shape of a month of traffic: the month (HoursPerMonth
// hours) is cut into len(Weights) equal slots and slot k receives the share
// Weights[k] of the month's requests (Σ Weights = 1). A constant profile has
// one slot; a diurnal profile repeats 24 hourly slots, so its slot weights
// are per hour of the day.
type Profile struct {
	Shape   string
	Weights []float64
	// Label describes the profile for reports.
	Label string
}

// ConstantProfile spreads the month's requests evenly.
func ConstantProfile() Profile {
	return Profile{Shape: ShapeConstant, Weights: []float64{1}, Label: "constant rate"}
}

// DiurnalProfile is a day of 24 hourly slots repeated all month: peakHours
// hours at peakToAverage × the average rate, the other hours at the base
// rate b that keeps the daily mean at the average,
//
//	b = (24 − peakHours × peakToAverage) / (24 − peakHours),
//
// which needs peakToAverage ≤ 24/peakHours. A fractional peakHours gives its
// last hour a partial peak.
func DiurnalProfile(peakToAverage, peakHours float64) (Profile, error) {
	if peakHours == 0 {
		peakHours = DefaultPeakHours
	}
	if !(peakToAverage >= 1) {
		return Profile{}, fmt.Errorf("diurnal profile: peak_to_average must be >= 1 (got %g)", peakToAverage)
	}
	if !(peakHours > 0 && peakHours <= 24) {
		return Profile{}, fmt.Errorf("diurnal profile: peak_hours must be in (0, 24] (got %g)", peakHours)
	}
	if peakHours*peakToAverage > 24+1e-9 {
		return Profile{}, fmt.Errorf("diurnal profile: peak_to_average %g over %g peak hours exceeds the day's traffic (max %g)", peakToAverage, peakHours, 24/peakHours)
	}
	base := 0.0
	if peakHours < 24 {
		base = math.Max(0, (24-peakHours*peakToAverage)/(24-peakHours))
	}
	w := make([]float64, 24)
	for h := range w {
		peakPart := math.Max(0, math.Min(1, peakHours-float64(h)))
		w[h] = (peakPart*peakToAverage + (1-peakPart)*base) / 24
	}
	normalise(w)
	return Profile{Shape: ShapeDiurnal, Weights: w,
		Label: fmt.Sprintf("diurnal: %g h/day at %g× the average", peakHours, peakToAverage)}, nil
}

// TraceProfile builds hourly slot weights from a trace file (the formats the
// load generator replays): per-minute counts (plain, "minute,count", or the
// Azure Functions 2019 layout with all rows summed) or arrival timestamps in
// seconds (one column, or the Azure Functions 2021 layout where arrival =
// end_timestamp − duration). The trace's hours repeat over the month.
func TraceProfile(path, format string) (Profile, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Profile{}, fmt.Errorf("trace profile: %w", err)
	}
	var hourly []float64
	resolved, err := traces.Resolve(format, raw)
	if err != nil {
		return Profile{}, fmt.Errorf("trace profile %s: %w", path, err)
	}
	switch resolved {
	case traces.PerMinuteCounts:
		minutes, err := traces.ParseMinuteCounts(raw)
		if err != nil {
			return Profile{}, fmt.Errorf("trace profile %s: %w", path, err)
		}
		for i, c := range minutes {
			if i/60 >= len(hourly) {
				hourly = append(hourly, 0)
			}
			hourly[i/60] += c
		}
	default:
		ts, err := traces.ParseTimestamps(raw)
		if err != nil {
			return Profile{}, fmt.Errorf("trace profile %s: %w", path, err)
		}
		for _, t := range ts {
			h := int((t - ts[0]) / 3600)
			for h >= len(hourly) {
				hourly = append(hourly, 0)
			}
			hourly[h]++
		}
	}
	total := 0.0
	for _, c := range hourly {
		total += c
	}
	if total <= 0 {
		return Profile{}, fmt.Errorf("trace profile %s: no arrivals", path)
	}
	normalise(hourly)
	return Profile{Shape: ShapeTrace, Weights: hourly,
		Label: fmt.Sprintf("trace %s (%d h, peak-to-average %.2f)", filepath.Base(path), len(hourly), Profile{Weights: hourly}.PeakToAverage())}, nil
}

// ProfileFromScenario builds the profile of a scenario's pricing.profile;
// relative trace paths resolve against the scenario's folder.
func ProfileFromScenario(sc *scenarios.Scenario) (Profile, error) {
	if sc == nil {
		return ConstantProfile(), nil
	}
	p := sc.Pricing.Profile
	switch p.Shape {
	case "", ShapeConstant:
		return ConstantProfile(), nil
	case ShapeDiurnal:
		return DiurnalProfile(p.PeakToAverage, p.PeakHours)
	case ShapeTrace:
		path := p.Trace
		if !filepath.IsAbs(path) && sc.Path != "" {
			path = filepath.Join(filepath.Dir(sc.Path), path)
		}
		return TraceProfile(path, p.TraceFormat)
	}
	return Profile{}, fmt.Errorf("pricing.profile.shape %q isn't one of [constant diurnal trace]", p.Shape)
}

// SlotHours is the length of one slot in hours.
func (p Profile) SlotHours() float64 { return float64(HoursPerMonth) / float64(len(p.Weights)) }

// Rates returns each slot's mean request rate (requests/s) for a month of
// monthlyRequests: V × w_k / (slot hours × 3600).
func (p Profile) Rates(monthlyRequests float64) []float64 {
	out := make([]float64, len(p.Weights))
	slotS := p.SlotHours() * 3600
	for k, w := range p.Weights {
		out[k] = monthlyRequests * w / slotS
	}
	return out
}

// PeakToAverage is the busiest slot's rate over the month's average rate.
func (p Profile) PeakToAverage() float64 {
	m := 0.0
	for _, w := range p.Weights {
		m = math.Max(m, w)
	}
	return m * float64(len(p.Weights))
}

// AverageRPS converts a monthly volume to its average rate over 730 h.
func AverageRPS(monthlyRequests float64) float64 {
	return monthlyRequests / (HoursPerMonth * 3600)
}

// MonthlyRequests converts an average rate to a monthly volume over 730 h.
func MonthlyRequests(averageRPS float64) float64 { return averageRPS * HoursPerMonth * 3600 }

// scalePeak returns the profile with its peak-to-average ratio multiplied
// by f (a diurnal-like stretch around the mean, clamped at zero), for the
// sensitivity analysis.
func (p Profile) scalePeak(f float64) Profile {
	n := float64(len(p.Weights))
	w := make([]float64, len(p.Weights))
	for k, x := range p.Weights {
		w[k] = math.Max(0, 1/n+(x-1/n)*f)
	}
	normalise(w)
	return Profile{Shape: p.Shape, Weights: w, Label: p.Label}
}

func normalise(w []float64) {
	s := 0.0
	for _, x := range w {
		s += x
	}
	if s > 0 {
		for i := range w {
			w[i] /= s
		}
	}
}
