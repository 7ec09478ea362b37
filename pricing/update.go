package pricing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	awspricing "github.com/aws/aws-sdk-go-v2/service/pricing"
	"github.com/aws/aws-sdk-go-v2/service/pricing/types"
	"github.com/aws/smithy-go/logging"
	"github.com/shopspring/decimal"
	"go.yaml.in/yaml/v3"
)

// PriceListRegion is the region of the Price List API endpoint (it serves
// every region's prices; filter by regionCode).
const PriceListRegion = "us-east-1"

// PriceListSource is the source recorded for entries refreshed from the API.
const PriceListSource = "https://api.pricing.us-east-1.amazonaws.com (AWS Price List API GetProducts)"

// ErrPriceList marks a Price List response benchctl could not interpret.
var ErrPriceList = errors.New("unexpected price list response")

// ProductsAPI is the part of the Price List API client that Update uses
// (satisfied by *pricing.Client from aws-sdk-go-v2).
type ProductsAPI interface {
	GetProducts(ctx context.Context, in *awspricing.GetProductsInput, optFns ...func(*awspricing.Options)) (*awspricing.GetProductsOutput, error)
}

var _ ProductsAPI = (*awspricing.Client)(nil)

// UpdateOptions says what to refresh.
type UpdateOptions struct {
	// Regions to refresh (default: us-east-1).
	Regions []string
	// Instances to refresh (default: the EC2 types of the base book).
	Instances []string
	// Now dates the new book (default time.Now).
	Now func() time.Time
}

// Change is one difference between the base book and the refreshed one.
type Change struct {
	Entry string `json:"entry"`
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// ErrNoCredentials is returned (wrapped) by NewClient when no AWS
// credentials can be found.
var ErrNoCredentials = errors.New("no AWS credentials")

// NewClient returns a Price List API client for the us-east-1 endpoint (or
// endpoint, when not empty) with the default credential chain, checking
// first that credentials exist so that a missing setup fails with a clear
// message instead of a signing error.
func NewClient(ctx context.Context, endpoint string) (*awspricing.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(PriceListRegion), config.WithRetryMaxAttempts(2), config.WithLogger(logging.Nop{}))
	if err != nil {
		return nil, fmt.Errorf("pricing update: load AWS config: %w", err)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := cfg.Credentials.Retrieve(cctx); err != nil {
		return nil, fmt.Errorf("pricing update: %w: the AWS Price List API needs credentials allowed pricing:GetProducts "+
			"(set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY); the embedded book still works offline: %v", ErrNoCredentials, err)
	}
	return awspricing.NewFromConfig(cfg, func(o *awspricing.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), nil
}

// priceDoc is one PriceList element (itself a JSON document in a string).
type priceDoc struct {
	Product struct {
		ProductFamily string            `json:"productFamily"`
		SKU           string            `json:"sku"`
		Attributes    map[string]string `json:"attributes"`
	} `json:"product"`
	Terms struct {
		OnDemand map[string]struct {
			EffectiveDate   string `json:"effectiveDate"`
			PriceDimensions map[string]struct {
				Unit         string            `json:"unit"`
				Description  string            `json:"description"`
				BeginRange   string            `json:"beginRange"`
				EndRange     string            `json:"endRange"`
				PricePerUnit map[string]string `json:"pricePerUnit"`
			} `json:"priceDimensions"`
		} `json:"OnDemand"`
	} `json:"terms"`
	PublicationDate string `json:"publicationDate"`
}

// dimension is one parsed OnDemand price dimension.
type dimension struct {
	begin decimal.Decimal
	end   *decimal.Decimal // nil = Inf
	usd   decimal.Decimal
	unit  string
	desc  string
}

// parsed is one product with its OnDemand dimensions sorted by beginRange.
type parsed struct {
	attrs     map[string]string
	dims      []dimension
	effective string
	published string
}

// parseProduct decodes a PriceList string and walks its OnDemand terms and
// price dimensions without assuming any offer or rate code.
func parseProduct(s string) (parsed, error) {
	var doc priceDoc
	if err := json.Unmarshal([]byte(s), &doc); err != nil {
		return parsed{}, fmt.Errorf("%w: price list entry is not a JSON document: %v", ErrPriceList, err)
	}
	if doc.Product.Attributes == nil {
		return parsed{}, fmt.Errorf("%w: product has no attributes", ErrPriceList)
	}
	p := parsed{attrs: doc.Product.Attributes, published: doc.PublicationDate}
	if len(doc.Terms.OnDemand) == 0 {
		return parsed{}, fmt.Errorf("%w: product %s has no OnDemand terms", ErrPriceList, doc.Product.SKU)
	}
	for _, term := range doc.Terms.OnDemand {
		if p.effective == "" || term.EffectiveDate < p.effective {
			p.effective = term.EffectiveDate
		}
		for code, dim := range term.PriceDimensions {
			usdStr, ok := dim.PricePerUnit["USD"]
			if !ok {
				return parsed{}, fmt.Errorf("%w: dimension %s has no USD price", ErrPriceList, code)
			}
			usd, err := decimal.NewFromString(usdStr)
			if err != nil {
				return parsed{}, fmt.Errorf("%w: dimension %s: price %q: %v", ErrPriceList, code, usdStr, err)
			}
			d := dimension{usd: usd, unit: dim.Unit, desc: dim.Description}
			if dim.BeginRange != "" {
				if d.begin, err = decimal.NewFromString(dim.BeginRange); err != nil {
					return parsed{}, fmt.Errorf("%w: dimension %s: beginRange %q: %v", ErrPriceList, code, dim.BeginRange, err)
				}
			}
			if dim.EndRange != "" && !strings.EqualFold(dim.EndRange, "Inf") {
				end, err := decimal.NewFromString(dim.EndRange)
				if err != nil {
					return parsed{}, fmt.Errorf("%w: dimension %s: endRange %q: %v", ErrPriceList, code, dim.EndRange, err)
				}
				d.end = &end
			}
			p.dims = append(p.dims, d)
		}
	}
	if len(p.dims) == 0 {
		return parsed{}, fmt.Errorf("%w: product %s has no price dimensions", ErrPriceList, doc.Product.SKU)
	}
	sort.Slice(p.dims, func(i, j int) bool { return p.dims[i].begin.LessThan(p.dims[j].begin) })
	if len(p.effective) >= 10 {
		p.effective = p.effective[:10]
	}
	return p, nil
}

// getProducts fetches every page of a GetProducts query.
func getProducts(ctx context.Context, client ProductsAPI, service string, filters map[string]string) ([]parsed, error) {
	keys := make([]string, 0, len(filters))
	for k := range filters {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	in := &awspricing.GetProductsInput{ServiceCode: aws.String(service), FormatVersion: aws.String("aws_v1"), MaxResults: aws.Int32(100)}
	for _, k := range keys {
		in.Filters = append(in.Filters, types.Filter{Type: types.FilterTypeTermMatch, Field: aws.String(k), Value: aws.String(filters[k])})
	}
	pg := awspricing.NewGetProductsPaginator(client, in, func(o *awspricing.GetProductsPaginatorOptions) { o.StopOnDuplicateToken = true })
	var out []parsed
	for page := 0; pg.HasMorePages(); page++ {
		if page >= 100 {
			return nil, fmt.Errorf("%w: %s: more than 100 pages", ErrPriceList, service)
		}
		res, err := pg.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("get products %s %v: %w", service, filters, err)
		}
		for i, s := range res.PriceList {
			p, err := parseProduct(s)
			if err != nil {
				return nil, fmt.Errorf("get products %s page %d entry %d: %w", service, page+1, i+1, err)
			}
			if p.attrs["location"] == "Any" {
				continue
			}
			out = append(out, p)
		}
	}
	return out, nil
}

// Update refreshes the AWS Lambda and EC2 entries of base from the Price
// List API and returns the new book (dated today) and the changes. Other
// platforms' entries are copied unchanged.
func Update(ctx context.Context, client ProductsAPI, base *Book, opts UpdateOptions) (*Book, []Change, error) {
	if client == nil || base == nil {
		return nil, nil, errors.New("pricing update: client and base book are required")
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	today := now().UTC().Format("2006-01-02")
	regions := opts.Regions
	if len(regions) == 0 {
		regions = []string{DefaultRegion}
	}
	nb := &Book{Version: 1, BookDate: today, HoursPerMonth: HoursPerMonth, Files: []string{"aws price list api " + today}}
	nb.Entries = append([]Entry(nil), base.Entries...)
	upsert := func(e Entry) {
		for i := range nb.Entries {
			if nb.Entries[i].Key() == e.Key() {
				nb.Entries[i] = e
				return
			}
		}
		nb.Entries = append(nb.Entries, e)
	}
	for _, region := range regions {
		for _, arch := range []string{ArchX86, ArchArm64} {
			e, err := lambdaEntry(ctx, client, base, region, arch, today)
			if err != nil {
				return nil, nil, fmt.Errorf("pricing update: lambda %s %s: %w", region, arch, err)
			}
			upsert(e)
		}
		instances := opts.Instances
		if len(instances) == 0 {
			instances = base.Instances(region)
		}
		if len(instances) == 0 {
			instances = base.Instances(DefaultRegion)
		}
		for _, in := range instances {
			e, err := ec2Entry(ctx, client, base, region, in, today)
			if err != nil {
				return nil, nil, fmt.Errorf("pricing update: ec2 %s %s: %w", region, in, err)
			}
			upsert(e)
		}
	}
	return nb, Diff(base, nb), nil
}

func lambdaGroup(kind, arch string) string {
	g := "AWS-Lambda-" + kind
	if arch == ArchArm64 {
		g += "-ARM"
	}
	return g
}

func lambdaEntry(ctx context.Context, client ProductsAPI, base *Book, region, arch, today string) (Entry, error) {
	e := Entry{Platform: PlatformLambda, Region: region, Architecture: arch, Lambda: &LambdaRates{InitBilledFrom: "2025-08-01"}}
	if old, err := base.Find(PlatformLambda, region, arch, "", ""); err == nil && old.Region == region {
		e = *old
		l := *old.Lambda
		e.Lambda = &l
	} else if old, err := base.Find(PlatformLambda, DefaultRegion, arch, "", ""); err == nil {
		l := *old.Lambda
		e.Lambda = &l
	}
	one := func(kind string) (parsed, error) {
		ps, err := getProducts(ctx, client, "AWSLambda", map[string]string{"regionCode": region, "group": lambdaGroup(kind, arch)})
		if err != nil {
			return parsed{}, err
		}
		if len(ps) != 1 {
			return parsed{}, fmt.Errorf("%w: group %s in %s: %d products, want 1", ErrPriceList, lambdaGroup(kind, arch), region, len(ps))
		}
		return ps[0], nil
	}
	req, err := one("Requests")
	if err != nil {
		return Entry{}, err
	}
	if len(req.dims) != 1 {
		return Entry{}, fmt.Errorf("%w: requests: %d price dimensions, want 1", ErrPriceList, len(req.dims))
	}
	dur, err := one("Duration")
	if err != nil {
		return Entry{}, err
	}
	e.Lambda.RequestUSD = req.dims[0].usd
	var tiers []LambdaTier
	for i, d := range dur.dims {
		if i > 0 && (dur.dims[i-1].end == nil || !dur.dims[i-1].end.Equal(d.begin)) {
			return Entry{}, fmt.Errorf("%w: duration tiers are not contiguous at %s", ErrPriceList, d.begin)
		}
		tiers = append(tiers, LambdaTier{UpToGBSeconds: d.end, USD: d.usd})
	}
	e.Lambda.DurationTiers = tiers
	if pc, err := one("Duration-Provisioned"); err == nil && len(pc.dims) == 1 {
		e.Lambda.ProvisionedDurationGBSecondUSD = pc.dims[0].usd
	}
	e.Source = PriceListSource
	e.EffectiveDate = maxDate(req.effective, dur.effective)
	e.Retrieved = today
	e.Confidence = fmt.Sprintf("P: AWS Price List API (publicationDate %s); provisioned-concurrency-enabled, ephemeral storage and free tier kept from the previous book", dur.published)
	if err := e.Validate(); err != nil {
		return Entry{}, fmt.Errorf("%w: %v", ErrPriceList, err)
	}
	return e, nil
}

func ec2Entry(ctx context.Context, client ProductsAPI, base *Book, region, instance, today string) (Entry, error) {
	ps, err := getProducts(ctx, client, "AmazonEC2", map[string]string{
		"regionCode": region, "instanceType": instance, "operatingSystem": "Linux", "tenancy": "Shared",
		"preInstalledSw": "NA", "capacitystatus": "Used", "licenseModel": "No License required", "marketoption": "OnDemand"})
	if err != nil {
		return Entry{}, err
	}
	var hits []parsed
	for _, p := range ps {
		for _, d := range p.dims {
			if d.unit == "Hrs" {
				hits = append(hits, p)
				break
			}
		}
	}
	if len(hits) != 1 {
		return Entry{}, fmt.Errorf("%w: %d on-demand Linux products with an hourly price, want exactly 1", ErrPriceList, len(hits))
	}
	p := hits[0]
	var hourly *dimension
	for i := range p.dims {
		if p.dims[i].unit == "Hrs" {
			if hourly != nil {
				return Entry{}, fmt.Errorf("%w: several hourly price dimensions", ErrPriceList)
			}
			hourly = &p.dims[i]
		}
	}
	e := Entry{Platform: PlatformEC2, Region: region, Instance: instance, EC2: &EC2Rates{}}
	if old, err := base.Find(PlatformEC2, DefaultRegion, "", "", instance); err == nil {
		r := *old.EC2
		e.EC2 = &r
		e.Architecture = old.Architecture
	}
	if old, err := base.Find(PlatformEC2, region, "", "", instance); err == nil && old.Region == region {
		r := *old.EC2
		e.EC2 = &r
		e.Architecture = old.Architecture
	}
	e.EC2.HourlyUSD = hourly.usd
	if v := p.attrs["vcpu"]; v != "" {
		fmt.Sscanf(v, "%d", &e.EC2.VCPU)
	}
	if m := strings.TrimSuffix(strings.TrimSpace(p.attrs["memory"]), " GiB"); m != "" {
		if d, err := decimal.NewFromString(strings.ReplaceAll(m, ",", "")); err == nil {
			e.EC2.MemoryGiB = d
		}
	}
	if e.Architecture == "" {
		e.Architecture = ArchX86
		if strings.Contains(strings.ToLower(p.attrs["physicalProcessor"]), "graviton") {
			e.Architecture = ArchArm64
		}
	}
	e.Source = PriceListSource
	e.EffectiveDate = p.effective
	e.Retrieved = today
	e.Confidence = fmt.Sprintf("P: AWS Price List API (publicationDate %s)", p.published)
	if err := e.Validate(); err != nil {
		return Entry{}, fmt.Errorf("%w: %v", ErrPriceList, err)
	}
	return e, nil
}

func maxDate(a, b string) string {
	if a > b {
		return a
	}
	return b
}

// Diff lists the rate differences between two books, entry by entry
// (provenance fields excluded); entries only in new are reported as added.
func Diff(old, new *Book) []Change {
	idx := map[string]*Entry{}
	for i := range old.Entries {
		idx[old.Entries[i].Key()] = &old.Entries[i]
	}
	var out []Change
	for i := range new.Entries {
		ne := &new.Entries[i]
		oe, ok := idx[ne.Key()]
		if !ok {
			out = append(out, Change{Entry: ne.Name(), Field: "(entry)", Old: "", New: "added"})
			continue
		}
		of, nf := flatten(oe), flatten(ne)
		keys := map[string]bool{}
		for k := range of {
			keys[k] = true
		}
		for k := range nf {
			keys[k] = true
		}
		var ks []string
		for k := range keys {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		for _, k := range ks {
			if !sameValue(of[k], nf[k]) {
				out = append(out, Change{Entry: ne.Name(), Field: k, Old: of[k], New: nf[k]})
			}
		}
	}
	return out
}

func sameValue(a, b string) bool {
	if a == b {
		return true
	}
	da, ea := decimal.NewFromString(a)
	db, eb := decimal.NewFromString(b)
	return ea == nil && eb == nil && da.Equal(db)
}

// flatten maps an entry's rate fields to "block.field[i].sub" → value.
func flatten(e *Entry) map[string]string {
	raw, _ := json.Marshal(struct {
		Lambda     *LambdaRates     `json:"lambda,omitempty"`
		APIGateway *APIGatewayRates `json:"api_gateway,omitempty"`
		CloudRun   *CloudRunRates   `json:"cloud_run,omitempty"`
		Azure      *AzureRates      `json:"azure,omitempty"`
		EC2        *EC2Rates        `json:"ec2,omitempty"`
	}{e.Lambda, e.APIGateway, e.CloudRun, e.Azure, e.EC2})
	var v any
	_ = json.Unmarshal(raw, &v)
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				walk(p, c)
			}
		case []any:
			for i, c := range x {
				walk(fmt.Sprintf("%s[%d]", prefix, i), c)
			}
		case nil:
		default:
			out[prefix] = fmt.Sprint(x)
		}
	}
	walk("", v)
	return out
}

// WriteBook writes b as a price-book YAML file that LoadBook and --prices read.
func WriteBook(w io.Writer, b *Book) error {
	if _, err := fmt.Fprintf(w, "# benchctl price book written %s (schema version 1).\n# Sources and dates are per entry.\n", b.BookDate); err != nil {
		return err
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(b); err != nil {
		return fmt.Errorf("write price book: %w", err)
	}
	return enc.Close()
}
