package pricing

import (
	"bytes"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"go.yaml.in/yaml/v3"
)

// BookError is one problem in a price-book file, at the field it concerns:
// "prices.yaml:12:7: entries[1].ec2.hourly_usd: must be > 0 and at most
// 1000 USD/h (got 0)".
type BookError struct {
	File      string
	Line, Col int
	// Field is the dotted path of the field ("entries[1].ec2.hourly_usd").
	Field string
	Msg   string
}

func (e BookError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc += ":" + strconv.Itoa(e.Line)
		if e.Col > 0 {
			loc += ":" + strconv.Itoa(e.Col)
		}
	}
	if e.Field == "" {
		return loc + ": " + e.Msg
	}
	return loc + ": " + e.Field + ": " + e.Msg
}

// BookFileError lists every problem found in one price-book file (at most
// maxBookErrors).
type BookFileError struct {
	Errors []BookError
}

func (e *BookFileError) Error() string {
	parts := make([]string, len(e.Errors))
	for i, fe := range e.Errors {
		parts[i] = fe.Error()
	}
	return strings.Join(parts, "\n")
}

// maxBookErrors bounds the problems reported for one file.
const maxBookErrors = 20

// Limits of the price-book file format.
var (
	// decimalSyntax is a plain decimal: no exponent (which would let a
	// "1e999999999" expand into a billion-digit number), at most 18
	// integer and 20 fractional digits.
	decimalSyntax = regexp.MustCompile(`^[+-]?[0-9]{1,18}(\.[0-9]{1,20})?$`)
	regionSyntax  = regexp.MustCompile(`^[a-z][a-z0-9-]{1,40}$`)
)

// Bounds of the rates a price book may hold (in USD per unit unless noted).
var (
	rateRange        = Range{Min: 0, Max: 1, Unit: "USD per unit"}
	positiveRate     = Range{Min: 0, Max: 1, MinOpen: true, Unit: "USD per unit"}
	hourlyRange      = Range{Min: 0, Max: 1000, MinOpen: true, Unit: "USD/h"}
	freeRange        = Range{Min: 0, Max: 1e12}
	tierBoundRange   = Range{Min: 0, Max: 1e15, MinOpen: true}
	vcpuRange        = Range{Min: 1, Max: 1024, Unit: "vCPU"}
	memoryGiBRange   = Range{Min: 0, Max: 32768, MinOpen: true, Unit: "GiB"}
	baselineRange    = Range{Min: 0, Max: 1, MinOpen: true, Why: "a share of each vCPU"}
	msRange          = Range{Min: 0, Max: 60_000, Unit: "ms"}
	roundingRange    = Range{Min: 1, Max: 60_000, Unit: "ms"}
	memoryMBRange    = Range{Min: 0, Max: 32768, Unit: "MB"}
	meteringKBRange  = Range{Min: 1, Max: 10240, Unit: "KB"}
	feeFractionRange = Range{Min: 0, Max: 1, Why: "a fraction of the EC2 price"}
	doublingMinutes  = Range{Min: 1, Max: 60, Unit: "minutes"}
)

// Platforms lists every platform a price-book entry may have.
var Platforms = []string{PlatformLambda, PlatformAPIGatewayHTTP, PlatformCloudRun, PlatformAzureFunctions, PlatformEC2,
	PlatformLambdaManaged, PlatformSageMakerServerless}

// position is where a value was found in a file.
type position struct{ line, col int }

// bookChecker collects a file's problems with their positions.
type bookChecker struct {
	name string
	pos  map[string]position
	errs []BookError
}

func (c *bookChecker) errf(path, format string, args ...any) {
	if len(c.errs) >= maxBookErrors {
		return
	}
	fe := BookError{File: c.name, Field: path, Msg: fmt.Sprintf(format, args...)}
	for p := path; ; {
		if at, ok := c.pos[p]; ok {
			fe.Line, fe.Col = at.line, at.col
			break
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			i = 0
		}
		if p == "" {
			break
		}
		p = p[:i]
	}
	c.errs = append(c.errs, fe)
}

func (c *bookChecker) err() error {
	if len(c.errs) == 0 {
		return nil
	}
	sort.SliceStable(c.errs, func(i, j int) bool {
		if c.errs[i].Line != c.errs[j].Line {
			return c.errs[i].Line < c.errs[j].Line
		}
		return c.errs[i].Col < c.errs[j].Col
	})
	return &BookFileError{Errors: c.errs}
}

var (
	decimalType = reflect.TypeFor[decimal.Decimal]()
	yamlLine    = regexp.MustCompile(`line (\d+)(?:, column (\d+))?: `)
)

// ParseBook decodes and checks a price book. Every problem is reported at
// its field, as "name:line:col: field: message" (a *BookFileError): YAML
// syntax, unknown fields, values of the wrong type, decimals that are not
// plain decimal numbers, missing provenance (every entry needs source,
// effective_date, retrieved and a confidence mark P, S or U), dates that are
// not YYYY-MM-DD, rates outside their ranges, tiers out of order, and
// duplicate entries.
func ParseBook(name string, data []byte) (*Book, error) {
	c := &bookChecker{name: name, pos: map[string]position{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		fe := BookError{File: name, Msg: "not valid YAML: " + msg}
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			fe.Line, _ = strconv.Atoi(m[1])
			fe.Msg = "not valid YAML: " + yamlLine.ReplaceAllString(msg, "")
		}
		return nil, &BookFileError{Errors: []BookError{fe}}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, &BookFileError{Errors: []BookError{{File: name, Line: 1, Msg: "empty price book (want version, book_date and entries)"}}}
	}
	root := doc.Content[0]
	c.walk(root, reflect.TypeFor[Book](), "")
	if err := c.err(); err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var b Book
	if err := dec.Decode(&b); err != nil {
		// The walk above checks what the decoder does; this is a backstop.
		return nil, &BookFileError{Errors: []BookError{{File: name, Msg: err.Error()}}}
	}
	if _, ok := c.pos["version"]; !ok {
		c.errf("version", "is required (want 1)")
	} else if b.Version != 1 {
		c.errf("version", "%d is not supported (want 1)", b.Version)
	}
	if b.HoursPerMonth != 0 && b.HoursPerMonth != HoursPerMonth {
		c.errf("hours_per_month", "%d: benchctl uses %d on both sides of every comparison", b.HoursPerMonth, HoursPerMonth)
	}
	if b.BookDate != "" {
		c.date("book_date", b.BookDate)
	}
	b.HoursPerMonth = HoursPerMonth
	seen := map[string]int{}
	for i := range b.Entries {
		e := &b.Entries[i]
		p := fmt.Sprintf("entries[%d]", i)
		e.File = name
		e.Line = c.pos[p].line
		c.entry(p, e)
		if prev, ok := seen[e.Key()]; ok {
			c.errf(p, "%s duplicates the entry at line %d", e.Name(), prev)
		}
		seen[e.Key()] = e.Line
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	b.Files = []string{name}
	return &b, nil
}

// walk checks node n against the Go type t the decoder will fill: mappings
// for structs (unknown keys listed with the allowed ones), sequences for
// slices, scalars of the right kind, plain decimals for decimal.Decimal. It
// records every value's position.
func (c *bookChecker) walk(n *yaml.Node, t reflect.Type, path string) {
	c.pos[path] = position{n.Line, n.Column}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode {
		c.errf(path, "aliases are not supported in a price book")
		return
	}
	if n.Tag == "!!null" && n.Kind == yaml.ScalarNode {
		return
	}
	switch {
	case t == decimalType:
		if n.Kind != yaml.ScalarNode {
			c.errf(path, "want a decimal number such as \"0.0000166667\"")
			return
		}
		if !decimalSyntax.MatchString(n.Value) {
			c.errf(path, "%q is not a plain decimal number (write it like \"0.0000166667\": digits, an optional point, no exponent)", n.Value)
		}
		return
	case t.Kind() == reflect.Struct:
		if n.Kind != yaml.MappingNode {
			c.errf(path, "want a mapping of %s", strings.Join(yamlFields(t), ", "))
			return
		}
		fields := map[string]reflect.Type{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "" || name == "-" {
				continue
			}
			fields[name] = f.Type
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			fp := k.Value
			if path != "" {
				fp = path + "." + k.Value
			}
			ft, ok := fields[k.Value]
			if !ok {
				c.pos[fp] = position{k.Line, k.Column}
				c.errf(fp, "unknown field (allowed: %s)", strings.Join(yamlFields(t), ", "))
				continue
			}
			if seen[k.Value] {
				c.pos[fp] = position{k.Line, k.Column}
				c.errf(fp, "given twice")
				continue
			}
			seen[k.Value] = true
			c.walk(v, ft, fp)
		}
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			c.errf(path, "want a list")
			return
		}
		for i, it := range n.Content {
			c.walk(it, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	default:
		if n.Kind != yaml.ScalarNode {
			c.errf(path, "want a %s, got a %s", kindName(t.Kind()), nodeKind(n))
			return
		}
		v := reflect.New(t)
		if err := n.Decode(v.Interface()); err != nil {
			c.errf(path, "%q is not a %s", n.Value, kindName(t.Kind()))
		}
	}
}

func yamlFields(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}

func kindName(k reflect.Kind) string {
	switch k {
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "whole number"
	case reflect.Bool:
		return "boolean (true or false)"
	case reflect.String:
		return "string"
	case reflect.Float64:
		return "number"
	}
	return k.String()
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "scalar"
}

// date checks a YYYY-MM-DD date.
func (c *bookChecker) date(path, s string) bool {
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		c.errf(path, "%q is not a date (want YYYY-MM-DD)", s)
		return false
	}
	return true
}

// dec checks a decimal against r.
func (c *bookChecker) dec(path string, d decimal.Decimal, r Range) {
	if err := r.Check(d.InexactFloat64()); err != nil {
		c.errf(path, "%v", err)
	}
}

// num checks an integer against r.
func (c *bookChecker) num(path string, v int, r Range) {
	if err := r.CheckInt(int64(v)); err != nil {
		c.errf(path, "%v", err)
	}
}

func (c *bookChecker) tiers(path string, ts []Tier, boundName string) {
	if len(ts) == 0 {
		c.errf(path, "at least one tier is required")
		return
	}
	prev := decimal.Zero
	for i, t := range ts {
		tp := fmt.Sprintf("%s[%d]", path, i)
		c.dec(tp+".usd", t.USD, rateRange)
		if t.UpTo == nil {
			if i != len(ts)-1 {
				c.errf(tp, "only the last tier may be unbounded (omit %s only there)", boundName)
			}
			continue
		}
		c.dec(tp+"."+boundName, *t.UpTo, tierBoundRange)
		if !t.UpTo.GreaterThan(prev) {
			c.errf(tp+"."+boundName, "%s must exceed the previous bound %s", t.UpTo, prev)
		}
		prev = *t.UpTo
	}
	if ts[len(ts)-1].UpTo != nil {
		c.errf(fmt.Sprintf("%s[%d]", path, len(ts)-1), "the last tier must be unbounded (omit %s)", boundName)
	}
}

// ConfidenceMark is the entry's confidence letter: P (primary source), S
// (secondary) or U (uncertain: recalled or single-source); "" when the
// confidence text does not start with one.
func (e *Entry) ConfidenceMark() string {
	s := strings.TrimSpace(e.Confidence)
	if s == "" {
		return ""
	}
	m := s[:1]
	if (m == "P" || m == "S" || m == "U") && (len(s) == 1 || s[1] == ':' || s[1] == ' ' || s[1] == ';') {
		return m
	}
	return ""
}

// entry checks one entry's identity, provenance and rates.
func (c *bookChecker) entry(p string, e *Entry) {
	if e.Platform == "" {
		c.errf(p+".platform", "is required (one of %s)", strings.Join(Platforms, ", "))
		return
	}
	known := false
	for _, pl := range Platforms {
		known = known || pl == e.Platform
	}
	if !known {
		c.errf(p+".platform", "%q isn't one of [%s]", e.Platform, strings.Join(Platforms, " "))
		return
	}
	if e.Region == "" {
		c.errf(p+".region", "is required")
	} else if !regionSyntax.MatchString(e.Region) {
		c.errf(p+".region", "%q is not a region name (lower-case letters, digits and dashes, like us-east-1, us-east1 or eastus)", e.Region)
	}
	if e.Source == "" {
		c.errf(p+".source", "is required (the URL or document the prices come from)")
	}
	for _, f := range []struct{ name, v string }{{"effective_date", e.EffectiveDate}, {"retrieved", e.Retrieved}} {
		if f.v == "" {
			c.errf(p+"."+f.name, "is required (YYYY-MM-DD)")
		} else {
			c.date(p+"."+f.name, f.v)
		}
	}
	if e.Confidence == "" {
		c.errf(p+".confidence", "is required: P (primary source), S (secondary) or U (uncertain), optionally followed by \": why\"")
	} else if e.ConfidenceMark() == "" {
		c.errf(p+".confidence", "%q must start with P, S or U (then \": why\")", e.Confidence)
	}
	blocks := map[string]bool{"lambda": e.Lambda != nil, "api_gateway": e.APIGateway != nil, "cloud_run": e.CloudRun != nil,
		"azure": e.Azure != nil, "ec2": e.EC2 != nil, "lambda_managed": e.LambdaManaged != nil, "sagemaker_serverless": e.SageMaker != nil}
	want := map[string]string{PlatformLambda: "lambda", PlatformAPIGatewayHTTP: "api_gateway", PlatformCloudRun: "cloud_run",
		PlatformAzureFunctions: "azure", PlatformEC2: "ec2", PlatformLambdaManaged: "lambda_managed", PlatformSageMakerServerless: "sagemaker_serverless"}[e.Platform]
	for name, set := range blocks {
		if set && name != want {
			c.errf(p+"."+name, "does not belong to platform %s (it takes a %s block)", e.Platform, want)
		}
	}
	if !blocks[want] {
		c.errf(p, "platform %s needs a %s block", e.Platform, want)
		return
	}
	arch := func(required bool) {
		switch {
		case e.Architecture == "" && required:
			c.errf(p+".architecture", "is required for %s (x86_64 or arm64)", e.Platform)
		case e.Architecture != "" && e.Architecture != ArchX86 && e.Architecture != ArchArm64:
			c.errf(p+".architecture", "%q isn't one of [%s %s]", e.Architecture, ArchX86, ArchArm64)
		}
	}
	only := func(field, v string) {
		if v != "" {
			c.errf(p+"."+field, "does not apply to platform %s", e.Platform)
		}
	}
	switch e.Platform {
	case PlatformLambda:
		arch(true)
		only("plan", e.Plan)
		only("instance", e.Instance)
		l := e.Lambda
		lp := p + ".lambda"
		c.dec(lp+".request_usd", l.RequestUSD, positiveRate)
		c.dec(lp+".ephemeral_storage_gb_s_usd", l.EphemeralGBSecondUSD, rateRange)
		c.dec(lp+".provisioned_concurrency_gb_s_usd", l.ProvisionedGBSecondUSD, rateRange)
		c.dec(lp+".provisioned_duration_gb_s_usd", l.ProvisionedDurationGBSecondUSD, rateRange)
		c.dec(lp+".free_requests", l.FreeRequests, freeRange)
		c.dec(lp+".free_gb_s", l.FreeGBSeconds, freeRange)
		c.tiers(lp+".duration_tiers", l.tiers(), "up_to_gb_s")
		if l.InitBilledFrom == "" {
			c.errf(lp+".init_billed_from", "is required: the date from which INIT is billed for every configuration (2025-08-01)")
		} else {
			c.date(lp+".init_billed_from", l.InitBilledFrom)
		}
	case PlatformAPIGatewayHTTP:
		arch(false)
		only("plan", e.Plan)
		only("instance", e.Instance)
		c.num(p+".api_gateway.metering_kb", e.APIGateway.MeteringKB, meteringKBRange)
		c.tiers(p+".api_gateway.request_tiers", e.APIGateway.RequestTiers, "up_to")
	case PlatformCloudRun:
		arch(false)
		only("instance", e.Instance)
		if e.Plan != "request-based" {
			c.errf(p+".plan", "%q isn't one of [request-based]", e.Plan)
		}
		r := e.CloudRun
		cp := p + ".cloud_run"
		c.dec(cp+".vcpu_second_usd", r.VCPUSecondUSD, positiveRate)
		c.dec(cp+".gib_second_usd", r.GiBSecondUSD, positiveRate)
		c.dec(cp+".request_usd", r.RequestUSD, rateRange)
		c.dec(cp+".idle_vcpu_second_usd", r.IdleVCPUSecondUSD, rateRange)
		c.dec(cp+".idle_gib_second_usd", r.IdleGiBSecondUSD, rateRange)
		c.dec(cp+".free_vcpu_seconds", r.FreeVCPUSeconds, freeRange)
		c.dec(cp+".free_gib_seconds", r.FreeGiBSeconds, freeRange)
		c.dec(cp+".free_requests", r.FreeRequests, freeRange)
		c.num(cp+".rounding_ms", r.RoundingMs, roundingRange)
	case PlatformAzureFunctions:
		arch(false)
		only("instance", e.Instance)
		if e.Plan != AzurePlanConsumption && e.Plan != AzurePlanFlex {
			c.errf(p+".plan", "%q isn't one of [%s %s]", e.Plan, AzurePlanConsumption, AzurePlanFlex)
		}
		a := e.Azure
		ap := p + ".azure"
		c.dec(ap+".gb_second_usd", a.GBSecondUSD, positiveRate)
		c.dec(ap+".execution_usd", a.ExecutionUSD, rateRange)
		c.dec(ap+".free_gb_seconds", a.FreeGBSeconds, freeRange)
		c.dec(ap+".free_executions", a.FreeExecutions, freeRange)
		c.num(ap+".min_duration_ms", a.MinDurationMs, msRange)
		if a.RoundingMs != 0 {
			c.num(ap+".rounding_ms", a.RoundingMs, roundingRange)
		}
		c.num(ap+".min_memory_mb", a.MinMemoryMB, memoryMBRange)
		c.num(ap+".memory_step_mb", a.MemoryStepMB, memoryMBRange)
		c.num(ap+".max_memory_mb", a.MaxMemoryMB, memoryMBRange)
		c.dec(ap+".always_ready_baseline_gb_second_usd", a.AlwaysReadyBaselineGBSecondUSD, rateRange)
		c.dec(ap+".always_ready_gb_second_usd", a.AlwaysReadyGBSecondUSD, rateRange)
		c.dec(ap+".always_ready_execution_usd", a.AlwaysReadyExecutionUSD, rateRange)
	case PlatformEC2:
		arch(true)
		only("plan", e.Plan)
		if e.Instance == "" {
			c.errf(p+".instance", "is required for ec2 (an instance type such as c7g.large)")
		}
		r := e.EC2
		ep := p + ".ec2"
		c.dec(ep+".hourly_usd", r.HourlyUSD, hourlyRange)
		c.num(ep+".vcpu", r.VCPU, vcpuRange)
		if _, ok := c.pos[ep+".memory_gib"]; ok {
			c.dec(ep+".memory_gib", r.MemoryGiB, memoryGiBRange)
		}
		if r.Burstable {
			c.dec(ep+".baseline_per_vcpu", r.BaselinePerVCPU, baselineRange)
			c.dec(ep+".surplus_credit_vcpu_hour_usd", r.SurplusCreditVCPUHourUSD, positiveRate)
		} else {
			for _, f := range []struct {
				n string
				d decimal.Decimal
			}{{"baseline_per_vcpu", r.BaselinePerVCPU}, {"surplus_credit_vcpu_hour_usd", r.SurplusCreditVCPUHourUSD}} {
				if !f.d.IsZero() {
					c.errf(ep+"."+f.n, "applies only to burstable instances (burstable: true)")
				}
			}
		}
		if r.AcceleratorCount < 0 || r.AcceleratorCount > 64 {
			c.errf(ep+".accelerator_count", "must be between 0 and 64 (got %d)", r.AcceleratorCount)
		}
		if (r.AcceleratorCount > 0) != (r.Accelerator != "") {
			c.errf(ep+".accelerator", "accelerator and accelerator_count go together")
		}
	case PlatformLambdaManaged:
		arch(true)
		only("plan", e.Plan)
		only("instance", e.Instance)
		m := e.LambdaManaged
		mp := p + ".lambda_managed"
		c.dec(mp+".request_usd", m.RequestUSD, positiveRate)
		c.dec(mp+".management_fee", m.ManagementFee, feeFractionRange)
		c.num(mp+".default_min_instances", m.DefaultMinInstances, ManagedMinInstances)
		c.num(mp+".max_vcpu", m.MaxVCPU, ManagedMaxVCPU)
		c.num(mp+".scale_doubling_minutes", m.ScaleDoublingMinutes, doublingMinutes)
		if len(m.InstanceFamilies) == 0 {
			c.errf(mp+".instance_families", "list at least one instance family (such as c, m, r)")
		}
	case PlatformSageMakerServerless:
		arch(false)
		only("plan", e.Plan)
		only("instance", e.Instance)
		s := e.SageMaker
		sp := p + ".sagemaker_serverless"
		if len(s.ComputeTiers) == 0 {
			c.errf(sp+".compute", "list the per-second price of each memory size")
		}
		seen := map[int]bool{}
		for i, t := range s.ComputeTiers {
			tp := fmt.Sprintf("%s.compute[%d]", sp, i)
			if err := SageMakerMemoryMB.Check(t.MemoryMB); err != nil {
				c.errf(tp+".memory_mb", "%v", err)
			}
			if seen[t.MemoryMB] {
				c.errf(tp+".memory_mb", "%d MB listed twice", t.MemoryMB)
			}
			seen[t.MemoryMB] = true
			c.dec(tp+".second_usd", t.SecondUSD, positiveRate)
		}
		c.dec(sp+".data_gb_usd", s.DataGBUSD, rateRange)
		c.num(sp+".rounding_ms", s.RoundingMs, roundingRange)
	}
}

// Validate checks one entry built in code (a Price List refresh) with the
// rules ParseBook applies to a file's entries.
func (e *Entry) Validate() error {
	c := &bookChecker{name: e.Name(), pos: map[string]position{}}
	c.entry("entry", e)
	return c.err()
}
