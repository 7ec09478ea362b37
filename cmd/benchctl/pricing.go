package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/benchctl/benchctl/pricing"
)

// pricingSeams holds the test seams of the pricing subcommands; nil fields
// run the real commands.
type pricingSeams struct {
	show      func(*PricingShowOptions) error
	estimate  func(*PricingEstimateOptions) error
	breakeven func(*PricingBreakevenOptions) error
	update    func(*PricingUpdateOptions) error
}

func newPricingCmd(streams *IOStreams, seams *pricingSeams) *cobra.Command {
	if seams == nil {
		seams = &pricingSeams{}
	}
	parent := &cobra.Command{
		Use:   "pricing",
		Short: "Price book, per-request cost estimates, break-even volumes, price refresh",
		Long: `Usage:
  benchctl pricing show|estimate|breakeven|update [options]

The price book (embedded, dated, with a source per entry), itemised cost
estimates, serverless-vs-fleet break-even volumes, and a refresh of the AWS
prices from the AWS Price List API. See docs/pricing.md for the formulas.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return &FlagError{Err: errors.New("pricing: give a subcommand (show, estimate, breakeven, update)")}
		},
	}
	parent.AddCommand(newPricingShowCmd(streams, seams.show), newPricingEstimateCmd(streams, seams.estimate),
		newPricingBreakevenCmd(streams, seams.breakeven), newPricingUpdateCmd(streams, seams.update))
	return parent
}

func pricingWriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// pricingFlagCheck collects the problems of a pricing command's flags, each
// naming the flag, what it allows and what was given.
type pricingFlagCheck struct {
	cmd      string
	problems []string
}

// in checks --flag's value v against r.
func (c *pricingFlagCheck) in(flag string, v float64, r pricing.Range) {
	if err := r.Check(v); err != nil {
		c.problems = append(c.problems, fmt.Sprintf("--%s %v", flag, err))
	}
}

// inInt is in for an integer flag.
func (c *pricingFlagCheck) inInt(flag string, v int64, r pricing.Range) { c.in(flag, float64(v), r) }

// inDur is in for a duration flag, in milliseconds.
func (c *pricingFlagCheck) inDur(flag string, d time.Duration, r pricing.Range) {
	c.in(flag, float64(d)/float64(time.Millisecond), r)
}

// oneOf checks --flag's value v against a discrete set.
func (c *pricingFlagCheck) oneOf(flag string, v int, o pricing.OneOf) {
	if err := o.Check(v); err != nil {
		c.problems = append(c.problems, fmt.Sprintf("--%s %v", flag, err))
	}
}

func (c *pricingFlagCheck) failf(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

// err is nil without problems, else a FlagError listing them all.
func (c *pricingFlagCheck) err() error {
	if len(c.problems) == 0 {
		return nil
	}
	return &FlagError{Err: fmt.Errorf("%s: %s", c.cmd, strings.Join(c.problems, "; "))}
}
