// Package benchrun runs a scenario from its checks to a saved, summarised
// and reported run directory: the checks that need the other packages
// (schedules, traces, servers, the pricing block against its book), the
// spend guard, the services the scenario starts (reference servers, the
// local Lambda platform) below the load generator's CPU priority, the
// targets, phases and experiments (memory sweeps, cold starts, capacity
// searches) in trials, host-interference sampling, the distributed
// coordinator and Collect, and the report at the end.
//
// The command line (cmd/benchctl) fills Options from its flags and calls
// Run; how a run ended comes back as a typed error (InputError, SLOError,
// InterferenceError, InterruptedError) that the command line maps to its
// exit codes. What only the command line knows comes in through Options:
// how serve parses a server's arguments (CheckServers), what model a
// service's flags select (DescribeService) and the program's interrupt
// rule (DrainOnInterrupt).
package benchrun
