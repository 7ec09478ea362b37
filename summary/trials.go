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
