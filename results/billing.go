package results

import "fmt"

// BillingNotes says, per function target whose requests got responses
// without a REPORT line, how many had no billing data: "fn: no billing
// data for 10 of 10 requests (...)". Their billed duration, memory and
// cold starts are unknown, so costs are estimates from client latency.
// The summary pipeline adds the notes to summary.json; benchctl run also
// prints them on stderr at the end of the run.
func BillingNotes(targets []TargetSummary) []string {
	var notes []string
	for _, t := range targets {
		var missing, requests int64
		unknownCold := false
		for _, p := range t.Phases {
			if p.BillingMissing == nil {
				continue
			}
			missing += *p.BillingMissing
			requests += p.Requests
			unknownCold = unknownCold || p.ColdStarts == nil
		}
		if missing == 0 {
			continue
		}
		why := "the Invoke responses carried no log tail (X-Amz-Log-Result): the endpoint does not return one (e.g. the Lambda Runtime Interface Emulator), or the invoke asked for none"
		if t.Kind == "lambda-url" {
			why = "their REPORT lines were not found in CloudWatch Logs"
		}
		cold := "cold starts are a lower bound"
		if unknownCold {
			cold = "cold starts are unknown"
		}
		notes = append(notes, fmt.Sprintf("%s: no billing data for %d of %d requests (%s); %s, and their cost is an estimate from client latency",
			t.Name, missing, requests, why, cold))
	}
	return notes
}
