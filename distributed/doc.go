// Package distributed runs one seeded scenario from many load generators
// (workers) and merges their results into one ordinary run directory whose
// numbers are those a single ideal generator would have recorded.
//
// The protocol, the same for every engine (AWS Lambda, the local
// Lambda-compatible platform, Kubernetes Indexed Jobs):
//
//   - Plan: the coordinator (benchctl run) writes plan.json to an
//     S3-compatible store: the scenario bytes and hash, the files it names,
//     seed, worker count and weights, benchctl version, the phase timeline,
//     the windows and, per phase and worker, the hash of the worker's share.
//   - Partition: each phase's schedule is computed in full by every worker;
//     worker k sends the seqs its stripe owns (Partition), keeping the
//     global seq and intended time. A worker whose recomputed share hashes
//     differently (floating point differs across architectures) aborts.
//   - Start: a worker warms up, writes ready/<k> with If-None-Match: * (a
//     second writer gets 412: a duplicate, which sends nothing), the
//     coordinator writes go with T0 = now + lead time, and workers sleep to
//     T0 by the wall clock and pace by the monotonic clock. Clock offsets
//     (SNTP, else the store's Date header) and start lags are recorded; a
//     worker later than the bound is reported late, never shifted.
//   - Never replayed: engines launch each (worker, window) once, with
//     retries off; a worker that dies is a gap (its seq ranges), not a
//     retry. Phases longer than an engine's window (Lambda: 15 minutes per
//     invocation) are cut into windows on the common timeline, the next
//     invoked before the current one ends.
//   - Merge: every seq of every recorded phase and target exactly once,
//     records in intended-time order into results.jsonl, histograms merged
//     exactly, rates against T0, workers[] in summary.json.
package distributed
