package loadgen

import (
	"context"
	"errors"
	"fmt"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// Experiment names and step labels stamped on experiment records (defined
// by the record contract in package results).
const (
	ExperimentMemorySweep = results.ExperimentMemorySweep
	ExperimentColdStarts  = results.ExperimentColdStarts
	StepColdStart         = results.StepColdStart
	StepWarm              = results.StepWarm
)

// Lambda memory limits (MB) a sweep accepts.
const (
	MinLambdaMemoryMB = 128
	MaxLambdaMemoryMB = 10240
)

// ExperimentStep labels one run of an experiment's phases. Every record the
// StepFunc writes must carry Step and Experiment.
type ExperimentStep struct {
	Experiment string
	Step       string
	// MemoryMB is the memory size in effect (memory sweep).
	MemoryMB int
}

// StepFunc runs an experiment's configured phases once (warm-up then
// measured phases, in scenario order) with every record labelled by step.
// benchctl run builds it from the Runner: for each phase named in the
// experiment, RunPhase with the phase, the target and step.Step /
// step.Experiment as labels.
type StepFunc func(ctx context.Context, step ExperimentStep) error

// MemoryController reads, changes and restores a function's memory size;
// *LambdaControl implements it.
type MemoryController interface {
	Configuration(ctx context.Context) (FunctionConfig, error)
	SetMemory(ctx context.Context, mb int) error
	Restore(ctx context.Context, fc FunctionConfig) error
}

var _ MemoryController = (*LambdaControl)(nil)

// ValidateMemorySizes checks a sweep's sizes: at least one, each within
// [MinLambdaMemoryMB, MaxLambdaMemoryMB], no duplicates.
func ValidateMemorySizes(sizes []int) error {
	if len(sizes) == 0 {
		return errors.New("memory_sweep: memory_sizes is empty")
	}
	seen := map[int]bool{}
	for _, mb := range sizes {
		if mb < MinLambdaMemoryMB || mb > MaxLambdaMemoryMB {
			return fmt.Errorf("memory_sweep: memory size %d MB is outside [%d, %d]", mb, MinLambdaMemoryMB, MaxLambdaMemoryMB)
		}
		if seen[mb] {
			return fmt.Errorf("memory_sweep: memory size %d MB listed twice", mb)
		}
		seen[mb] = true
	}
	return nil
}

// RunMemorySweep runs the memory sweep: it saves the function's
// configuration, then for each size calls SetMemory (which waits for
// LastUpdateStatus Successful) and run with Step "memory_mb=<size>" and
// Experiment "memory_sweep". At the end, also after an error or a
// cancelled ctx, it restores the saved configuration with a fresh context
// bounded by DefaultRestoreTimeout; a restore failure is joined to the
// returned error. Build the summary rows afterwards with an
// ExperimentCollector fed with the records.
func RunMemorySweep(ctx context.Context, ctl MemoryController, sizes []int, run StepFunc) (err error) {
	if err := ValidateMemorySizes(sizes); err != nil {
		return err
	}
	orig, err := ctl.Configuration(ctx)
	if err != nil {
		return fmt.Errorf("memory sweep: read configuration: %w", err)
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), DefaultRestoreTimeout)
		defer cancel()
		if rerr := ctl.Restore(rctx, orig); rerr != nil {
			err = errors.Join(err, fmt.Errorf("memory sweep: restore %d MB: %w", orig.MemorySizeMB, rerr))
		}
	}()
	for _, mb := range sizes {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("memory sweep: %w", err)
		}
		if err := ctl.SetMemory(ctx, mb); err != nil {
			return fmt.Errorf("memory sweep: %w", err)
		}
		step := ExperimentStep{Experiment: ExperimentMemorySweep, Step: results.MemoryStep(mb), MemoryMB: mb}
		if err := run(ctx, step); err != nil {
			return fmt.Errorf("memory sweep at %d MB: %w", mb, err)
		}
	}
	return nil
}

// PhasesStep returns the StepFunc benchctl run passes to RunMemorySweep:
// it runs phases in order through runner against targets, each with
// step.Step and step.Experiment as record labels (warm-up phases with
// record: false run but are not written), and hands every outcome to
// onOutcome when it is non-nil. An interrupted phase ends the step with
// ctx's error.
func PhasesStep(runner *Runner, phases []scenarios.Phase, targets []Target, onOutcome func(ExperimentStep, PhaseOutcome)) StepFunc {
	return func(ctx context.Context, step ExperimentStep) error {
		for _, p := range phases {
			out, err := runner.RunPhase(ctx, PhaseRun{Phase: p, Targets: targets, Step: step.Step, Experiment: step.Experiment})
			if onOutcome != nil {
				onOutcome(step, out)
			}
			if err != nil {
				return fmt.Errorf("phase %s: %w", p.Name, err)
			}
			if out.Interrupted {
				return fmt.Errorf("phase %s: interrupted: %w", p.Name, context.Cause(ctx))
			}
		}
		return nil
	}
}
