// Package pricing turns measured requests into money: a dated price book
// (embedded, overridable, refreshable from the AWS Price List API), the cost
// of each request on AWS Lambda, Google Cloud Run and Azure Functions, the
// monthly cost of serverless and of always-on EC2 fleets for a traffic
// profile, and the break-even volumes at which the cheaper option flips.
//
// Money is exact: every sum is a shopspring/decimal.Decimal, never a float64.
// Floats appear only in chart coordinates and in the summary.json fields
// (rounded from the exact values). Every computed cost carries the price-book
// Ref (source URL, effective date) it came from.
//
// The formulas, with GB = MB/1024 and ceil_ms rounding each invocation up to
// a whole millisecond (sum of ceilings, not ceiling of sums):
//
//	lambda_request = request_usd + GB × ceil_ms(duration [+ init if billed]) / 1000 × gb_s_rate
//	                 + max(0, ephemeral_MB − 512)/1024 × billed_s × ephemeral_rate
//	lambda_month   = Σ_tiers marginal(GB-s of the month) + requests × request_usd
//	                 − free tier (optional: 1M requests, 400k GB-s at tier-1 rates)
//	cloud_run_req  = ceil_100ms(busy) / concurrency × (vCPU × vcpu_rate + GiB × gib_rate) + request_usd
//	azure_cons_req = max(100 ms, ceil_ms(d)) × max(128, ceil_128(observed_MB) ≤ 1536)/1024 × gb_s_rate + execution_usd
//	fleet_month    = Σ_hours n_h × hourly,  n_h = max(min, ceil(rate_h / (capacity × utilisation))) [+1]
//
// A month is 730 hours on both sides.
package pricing
