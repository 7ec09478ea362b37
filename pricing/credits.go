package pricing

import (
	"math"
	"sort"
)

// creditWindowHours is the window over which burstable (T-family)
// instances in unlimited mode are charged for surplus CPU credits: AWS
// charges them when the instance's average CPU utilisation over a rolling
// 24-hour period exceeds its baseline (EC2 pricing pages: "If the average
// CPU usage over a 24-hour period exceeds the baseline, you will also
// incur charges for surplus credits").
const creditWindowHours = 24

// surplusVCPUSlots is the surplus CPU a burstable fleet pays for, in
// vCPU × slot units (multiply by the slot's hours and the credit rate), by
// the 24-hour rule. The month's slots are cut into windows of consecutive
// slots covering a day (a constant profile's single slot, or a trace's
// hours 24 at a time; a profile shorter than a day repeats within it, so
// its slots are one window). Instance i of the fleet runs in the slots
// whose count n_k ≥ i, at the slot's utilisation u_k = rate_k /
// (n_k × capacity) (the load is spread evenly); it earns its baseline b
// and spends u_k per vCPU in each of them, and pays for what it spent
// above what it earned over the window:
//
//	surplus = Σ_windows Σ_i vCPU × max(0, Σ_{k∈W, n_k≥i} (u_k − b))
//
// Instances that share the same slots are summed as one level (at most one
// level per slot), so the cost is O(slots²) per window whatever the fleet
// size. An hour-by-hour rule (surplus wherever u_k > b) over-prices a
// diurnal load whose daily average stays under the baseline.
func surplusVCPUSlots(rates []float64, counts []int, capacity, baseline float64, vcpu int, slotHours float64) float64 {
	if capacity <= 0 || len(rates) == 0 {
		return 0
	}
	window := len(rates)
	if slotHours < creditWindowHours {
		window = max(1, min(len(rates), int(math.Round(creditWindowHours/slotHours))))
	}
	total := 0.0
	for start := 0; start < len(rates); start += window {
		end := min(len(rates), start+window)
		levels := make([]int, 0, end-start)
		for k := start; k < end; k++ {
			if counts[k] > 0 {
				levels = append(levels, counts[k])
			}
		}
		sort.Ints(levels)
		prev := 0
		for _, c := range levels {
			if c == prev {
				continue
			}
			// Instances prev+1..c run in every slot with n_k ≥ c.
			net := 0.0
			for k := start; k < end; k++ {
				if counts[k] >= c {
					u := math.Min(1, rates[k]/(float64(counts[k])*capacity))
					net += u - baseline
				}
			}
			if net > 0 {
				total += float64(c-prev) * float64(vcpu) * net
			}
			prev = c
		}
	}
	return total
}
