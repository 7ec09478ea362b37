package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"github.com/benchctl/benchctl/pricing"
)

// PricingShowOptions are the inputs of `benchctl pricing show`.
type PricingShowOptions struct {
	IO *IOStreams
	// Prices is an optional price-book file overriding the embedded one.
	Prices   string
	Platform string
	Region   string
	JSON     bool
}

func newPricingShowCmd(streams *IOStreams, runF func(*PricingShowOptions) error) *cobra.Command {
	opts := &PricingShowOptions{IO: streams}
	cmd := &cobra.Command{
		Use:   "show [--platform P] [--region R]",
		Short: "Print the price book with sources and dates",
		Long: `Usage:
  benchctl pricing show [--platform aws-lambda] [--region us-east-1] [--prices FILE] [--json]

Prints every price-book entry (or those of one platform and region): its
rates, effective date, retrieval date, source URL and confidence.

Options:
  --platform P   aws-lambda, aws-apigw-http, cloud-run, azure-functions or ec2
  --region R     a region (aliases: us-east-1 also finds us-east1 and eastus)
  --prices FILE  a price-book file overriding/extending the embedded one
  --json         print {"book_date", "files", "entries": [...]}`,
		Example: `  benchctl pricing show --platform ec2
  benchctl pricing show --platform aws-lambda --region eu-west-1 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return pricingShowRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Prices, "prices", "", "price-book file overriding the embedded one")
	f.StringVar(&opts.Platform, "platform", "", "only this platform")
	f.StringVar(&opts.Region, "region", "", "only this region")
	f.BoolVar(&opts.JSON, "json", false, "print JSON")
	return cmd
}

func pricingShowRun(_ context.Context, opts *PricingShowOptions) error {
	book, err := pricing.LoadBook(opts.Prices)
	if err != nil {
		return &FlagError{Err: err}
	}
	var entries []pricing.Entry
	for _, e := range book.Entries {
		if opts.Platform != "" && e.Platform != opts.Platform {
			continue
		}
		if opts.Region != "" && e.Region != opts.Region {
			found := false
			for _, r := range pricingRegionFamily(opts.Region) {
				found = found || e.Region == r
			}
			if !found {
				continue
			}
		}
		entries = append(entries, e)
	}
	if len(entries) == 0 {
		return &FlagError{Err: fmt.Errorf("pricing show: no entries for platform %q region %q (regions: %s)", opts.Platform, opts.Region, strings.Join(book.Regions(opts.Platform), ", "))}
	}
	if opts.JSON {
		return pricingWriteJSON(opts.IO.Out, map[string]any{"book_date": book.BookDate, "hours_per_month": book.HoursPerMonth, "files": book.Files, "entries": entries})
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "price book %s (%s); a month is %d hours\n\n", book.BookDate, strings.Join(book.Files, ", "), book.HoursPerMonth)
	fmt.Fprintln(tw, "PLATFORM\tREGION\tVARIANT\tRATES\tEFFECTIVE\tRETRIEVED\tSOURCE")
	for _, e := range entries {
		variant := strings.TrimSpace(strings.Join([]string{e.Architecture, e.Plan, e.Instance}, " "))
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Platform, e.Region, variant, pricingRateSummary(&e), e.EffectiveDate, e.Retrieved, e.Source)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(opts.IO.Out, "\nconfidence:")
	for _, e := range entries {
		fmt.Fprintf(opts.IO.Out, "  %s: %s\n", e.Name(), e.Confidence)
	}
	return nil
}

func pricingRegionFamily(r string) []string {
	switch r {
	case "us-east-1":
		return []string{"us-east-1", "us-east1", "eastus"}
	case "eu-west-1":
		return []string{"eu-west-1", "europe-west1", "westeurope"}
	}
	return []string{r}
}

func pricingRateSummary(e *pricing.Entry) string {
	switch {
	case e.Lambda != nil:
		l := e.Lambda
		var tiers []string
		for _, t := range l.DurationTiers {
			up := "∞"
			if t.UpToGBSeconds != nil {
				up = t.UpToGBSeconds.Div(decimal.NewFromInt(1_000_000_000)).String() + "B"
			}
			tiers = append(tiers, fmt.Sprintf("%s/GB-s to %s", t.USD, up))
		}
		return fmt.Sprintf("%s/req; %s; PC %s/GB-s", l.RequestUSD, strings.Join(tiers, ", "), l.ProvisionedGBSecondUSD)
	case e.APIGateway != nil:
		return fmt.Sprintf("%s/req first tier, %d KB metering", e.APIGateway.RequestTiers[0].USD, e.APIGateway.MeteringKB)
	case e.CloudRun != nil:
		c := e.CloudRun
		return fmt.Sprintf("%s/vCPU-s, %s/GiB-s, %s/req, %d ms rounding", c.VCPUSecondUSD, c.GiBSecondUSD, c.RequestUSD, c.RoundingMs)
	case e.Azure != nil:
		s := fmt.Sprintf("%s/GB-s, %s/execution", e.Azure.GBSecondUSD, e.Azure.ExecutionUSD)
		if e.Azure.MinDurationMs > 0 {
			s += fmt.Sprintf(", at least %d ms in %d ms steps", e.Azure.MinDurationMs, max(e.Azure.RoundingMs, 1))
		}
		return s
	case e.EC2 != nil:
		s := fmt.Sprintf("%s/h (%d vCPU, %s GiB)", e.EC2.HourlyUSD, e.EC2.VCPU, e.EC2.MemoryGiB)
		if e.EC2.Burstable {
			s += " burstable"
		}
		if e.EC2.Accelerator != "" {
			s += fmt.Sprintf(" %d× %s", e.EC2.AcceleratorCount, e.EC2.Accelerator)
		}
		return s
	case e.LambdaManaged != nil:
		m := e.LambdaManaged
		return fmt.Sprintf("EC2 on-demand + %s%% fee, %s/req; min %d instances, max %d vCPU; families %s",
			m.ManagementFee.Mul(decimal.NewFromInt(100)), m.RequestUSD, m.DefaultMinInstances, m.MaxVCPU, strings.Join(m.InstanceFamilies, ","))
	case e.SageMaker != nil:
		var ps []string
		for _, t := range e.SageMaker.ComputeTiers {
			ps = append(ps, fmt.Sprintf("%d MB %s/s", t.MemoryMB, t.SecondUSD))
		}
		return fmt.Sprintf("%s; data %s/GB", strings.Join(ps, ", "), e.SageMaker.DataGBUSD)
	}
	return ""
}
