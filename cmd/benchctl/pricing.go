package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/benchctl/benchctl/scenarios"
	"github.com/spf13/cobra"
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

// pricingCheckEphemeral rejects an ephemeral storage size outside Lambda's range.
func pricingCheckEphemeral(cmd string, mb int) error {
	if err := scenarios.CheckEphemeralStorageMB(mb); err != nil {
		return &FlagError{Err: fmt.Errorf("%s: --ephemeral-storage-mb %w", cmd, err)}
	}
	return nil
}
