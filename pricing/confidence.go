package pricing

import (
	"strings"

	"github.com/benchctl/benchctl/results"
)

// Recalled reports whether the entry's prices are not confirmed from a
// source: its confidence mark is U (recalled or single-source), or it has
// none (an override file that does not say). P (primary) and S (several
// agreeing secondary sources) are confirmed.
func (e *Entry) Recalled() bool {
	c := strings.TrimSpace(e.Confidence)
	return !strings.HasPrefix(c, "P") && !strings.HasPrefix(c, "S")
}

// confidenceOf is the price confidence of a figure priced from entries
// (nil entries are skipped): results.PriceRecalled when any of them is
// recalled, else results.PriceSourced.
func confidenceOf(entries ...*Entry) string {
	for _, e := range entries {
		if e != nil && e.Recalled() {
			return results.PriceRecalled
		}
	}
	return results.PriceSourced
}

// entries are the price-book entries a fleet is priced from: its
// instances', and the management and request fees of Lambda Managed
// Instances.
func (f *Fleet) entries() []*Entry {
	if f.Managed != nil {
		return []*Entry{f.Entry, f.Managed.Entry}
	}
	return []*Entry{f.Entry}
}

// platform names what a fleet runs on: its instances' platform, or Lambda
// Managed Instances'.
func (f *Fleet) platform() string {
	if f.Managed != nil {
		return f.Managed.Entry.Platform
	}
	return f.Entry.Platform
}

// pricesUsed lists the distinct entries behind a run's figures in the
// order given (nil entries skipped), each with its confidence.
func pricesUsed(entries []*Entry) []results.PriceUsed {
	seen := map[string]bool{}
	var out []results.PriceUsed
	for _, e := range entries {
		if e == nil || seen[e.Key()] {
			continue
		}
		seen[e.Key()] = true
		out = append(out, results.PriceUsed{Entry: e.Name(), Platform: e.Platform, Region: e.Region, Architecture: e.Architecture,
			Instance: e.Instance, Source: e.Source, EffectiveDate: e.EffectiveDate, Retrieved: e.Retrieved,
			Confidence: confidenceOf(e), ConfidenceNote: e.Confidence})
	}
	return out
}
