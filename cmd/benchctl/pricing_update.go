package main

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/benchctl/benchctl/pricing"
)

// PricingUpdateOptions are the inputs of `benchctl pricing update`.
type PricingUpdateOptions struct {
	IO        *IOStreams
	Prices    string
	Regions   []string
	Instances []string
	// Output is the dated book to write (default prices-YYYY-MM-DD.yaml).
	Output   string
	Endpoint string
	JSON     bool
	Now      func() time.Time
	// NewClient makes the Price List client (a seam for tests).
	NewClient func(ctx context.Context, endpoint string) (pricing.ProductsAPI, error)
}

func newPricingUpdateCmd(streams *IOStreams, runF func(*PricingUpdateOptions) error) *cobra.Command {
	opts := &PricingUpdateOptions{IO: streams, Now: time.Now, NewClient: func(ctx context.Context, endpoint string) (pricing.ProductsAPI, error) {
		return pricing.NewClient(ctx, endpoint)
	}}
	cmd := &cobra.Command{
		Use:   "update [--region R]... [--instance TYPE]... [--output FILE]",
		Short: "Refresh AWS Lambda and EC2 prices from the AWS Price List API",
		Long: `Usage:
  benchctl pricing update [--region us-east-1]... [--instance c7g.large]... [--output FILE] [--json]

Queries the AWS Price List API (GetProducts, endpoint us-east-1) for AWS
Lambda (request and tiered duration prices per architecture) and EC2
on-demand Linux hourly prices, writes a dated price-book file that --prices
and pricing.prices accept, and prints what changed against the current book.
Needs AWS credentials allowed pricing:GetProducts (AWS_PROFILE, or
AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY). Google and Azure entries are copied.

Options:
  --region R       region to refresh (repeatable; default us-east-1)
  --instance TYPE  instance type (repeatable; default: the types in the book)
  --output FILE    where to write (default prices-YYYY-MM-DD.yaml)
  --prices FILE    the book to compare against and extend (default: embedded)
  --endpoint URL   Price List API endpoint (a VPC endpoint, or a test server)
  --json           print the changes as JSON`,
		Example: `  AWS_PROFILE=billing benchctl pricing update --region us-east-1 --region eu-west-1
  benchctl run scenario.yaml --prices prices-2026-11-27.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return pricingUpdateRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Prices, "prices", "", "price-book file to compare against")
	f.StringSliceVar(&opts.Regions, "region", nil, "region (repeatable)")
	f.StringSliceVar(&opts.Instances, "instance", nil, "instance type (repeatable)")
	f.StringVar(&opts.Output, "output", "", "output file")
	f.StringVar(&opts.Endpoint, "endpoint", "", "Price List API endpoint URL")
	f.BoolVar(&opts.JSON, "json", false, "print JSON")
	return cmd
}

func pricingUpdateRun(ctx context.Context, opts *PricingUpdateOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	base, err := pricing.LoadBook(opts.Prices)
	if err != nil {
		return &FlagError{Err: err}
	}
	client, err := opts.NewClient(ctx, opts.Endpoint)
	if err != nil {
		return err
	}
	nb, changes, err := pricing.Update(ctx, client, base, pricing.UpdateOptions{Regions: opts.Regions, Instances: opts.Instances, Now: opts.Now})
	if err != nil {
		return err
	}
	out := opts.Output
	if out == "" {
		out = "prices-" + nb.BookDate + ".yaml"
	}
	f, err := os.Create(out)
	if err != nil {
		return fmt.Errorf("pricing update: %w", err)
	}
	if err := pricing.WriteBook(f, nb); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("pricing update: %w", err)
	}
	if opts.JSON {
		if changes == nil {
			changes = []pricing.Change{}
		}
		return pricingWriteJSON(opts.IO.Out, map[string]any{"file": out, "book_date": nb.BookDate, "changes": changes})
	}
	fmt.Fprintf(opts.IO.Out, "wrote %s (book date %s)\n", out, nb.BookDate)
	if len(changes) == 0 {
		fmt.Fprintln(opts.IO.Out, "no price changes against the current book")
		return nil
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ENTRY\tFIELD\tOLD\tNEW")
	for _, c := range changes {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Entry, c.Field, c.Old, c.New)
	}
	return tw.Flush()
}
