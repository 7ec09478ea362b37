package summary

import (
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// trialsNote is the summary's note on what its intervals cover: one run
// only (trials: 1), or the trials (nil scenario: one run).
func trialsNote(s *scenarios.Scenario) string {
	if s != nil && s.Trials > 1 {
		return results.TrialsRunNote(s.Trials)
	}
	return results.TrialsNote
}

// closingNotes appends the notes every assembled summary ends with: what
// its intervals cover (trialsNote) and which function targets got no
// billing data (results.BillingNotes).
func closingNotes(sum *results.Summary, s *scenarios.Scenario) {
	sum.Notes = append(sum.Notes, trialsNote(s))
	sum.Notes = append(sum.Notes, results.BillingNotes(sum.Targets)...)
}
