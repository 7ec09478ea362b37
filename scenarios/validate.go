package scenarios

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

var (
	nameRe     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	fnNameRe   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	envNameRe  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	awsRegion  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	trafficAll = func() []string { _, n := fieldsOf(typeOf[Traffic]()); return n }()
)

// validator checks a decoded scenario against the positions the decoder
// recorded, and applies defaults once everything is valid.
type validator struct {
	d *decoder
	s *Scenario
	// skipFiles turns off the checks of files named in the scenario.
	skipFiles bool
	// items is the payload corpus as read by validatePayloads (nil when
	// it could not be read or files are not checked).
	items []ItemAt
	// itemsKnown is set when items holds every item (the file was read).
	itemsKnown bool
	// ctx stops the long loops (corpus, body templates) on Ctrl-C.
	ctx context.Context
}

// stopped reports whether the validation was cancelled; long loops check
// it every so many items.
func (v *validator) stopped() bool { return v.ctx != nil && v.ctx.Err() != nil }

// context is the validation's context (never nil).
func (v *validator) context() context.Context {
	if v.ctx == nil {
		return context.Background()
	}
	return v.ctx
}

// has reports whether path was given a non-null value in the file.
func (v *validator) has(path string) bool {
	_, ok := v.d.pos[path]
	return ok && !v.d.null[path]
}

func parent(path string) string {
	if strings.HasSuffix(path, "]") {
		if i := strings.LastIndexByte(path, '['); i >= 0 {
			return path[:i]
		}
	}
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i]
	}
	return ""
}

// errf records a problem at path, positioned at path's value or its
// nearest ancestor found in the file. Problems under a value that failed to
// decode are not reported again.
func (v *validator) errf(path, format string, args ...any) {
	for p := path; ; p = parent(p) {
		if v.d.bad[p] {
			return
		}
		if p == "" {
			break
		}
	}
	pos, ok := position{1, 1}, false
	for p := path; !ok; p = parent(p) {
		pos, ok = v.d.pos[p]
		if p == "" {
			break
		}
	}
	if !ok {
		pos = position{1, 1}
	}
	v.d.errs = append(v.d.errs, FieldError{File: v.d.file, Line: pos.line, Col: pos.col, Field: path, Msg: fmt.Sprintf(format, args...)})
}

func num(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func quoteList(list []string) string { return strings.Join(list, ", ") }

func (v *validator) enum(path, got string, allowed []string) bool {
	if contains(allowed, got) {
		return true
	}
	v.errf(path, "must be one of %s (got %q)", quoteList(allowed), got)
	return false
}

func (v *validator) required(path, why string) bool {
	if v.has(path) {
		return true
	}
	if why == "" {
		v.errf(path, "required")
	} else {
		v.errf(path, "required %s", why)
	}
	return false
}

// errKey records a problem with a map key (header or environment variable
// name), positioned at the key itself.
func (v *validator) errKey(path, format string, args ...any) {
	if pos, ok := v.d.keyPos[path]; ok {
		v.d.errs = append(v.d.errs, FieldError{File: v.d.file, Line: pos.line, Col: pos.col, Field: path, Msg: fmt.Sprintf(format, args...)})
		return
	}
	v.errf(path, format, args...)
}

func (v *validator) positive(path string, f float64) {
	if v.has(path) && !(f > 0) {
		v.errf(path, "must be > 0 (got %s)", num(f))
	}
}

func (v *validator) nonNegative(path string, f float64) {
	if v.has(path) && f < 0 {
		v.errf(path, "must be >= 0 (got %s)", num(f))
	}
}

func (v *validator) positiveDur(path string, d time.Duration) {
	if v.has(path) && d <= 0 {
		v.errf(path, "must be > 0 (got %s)", d)
	}
}

// maxDur rejects a duration above limit.
func (v *validator) maxDur(path string, d, limit time.Duration) {
	if v.has(path) && d > limit {
		v.errf(path, "must be at most %s (got %s)", fmtDur(limit), fmtDur(d))
	}
}

// fmtDur prints whole hours as hours ("744h", not "744h0m0s").
func fmtDur(d time.Duration) string {
	if d >= time.Hour && d%time.Hour == 0 {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return d.String()
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func (v *validator) nonNegativeDur(path string, d time.Duration) {
	if v.has(path) && d < 0 {
		v.errf(path, "must be >= 0 (got %s)", d)
	}
}

// MaxNameLength bounds the names of the scenario, its targets, phases and
// servers: they name the run directory and files in it.
const MaxNameLength = 100

// MaxPhaseDuration bounds one phase (or until.max_duration); longer soaks
// are several phases.
const MaxPhaseDuration = 31 * 24 * time.Hour

func (v *validator) name(path, name string) {
	if !v.required(path, "") {
		return
	}
	switch {
	case !nameRe.MatchString(name):
		v.errf(path, "must be letters, digits, '.', '_' or '-', starting with a letter or digit (got %s)", clip(name, 60))
	case len(name) > MaxNameLength:
		v.errf(path, "must be at most %d characters (got %d): it names the run directory and its files", MaxNameLength, len(name))
	}
}

func (v *validator) absURL(path, raw string) {
	u, err := url.Parse(raw)
	switch {
	case strings.IndexFunc(raw, badURLRune) >= 0:
		v.errf(path, "must not contain spaces or control characters (got %q; escape a space in a path as %%20)", raw)
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		v.errf(path, "must be an absolute http:// or https:// URL (got %q)", raw)
	case u.Hostname() == "":
		v.errf(path, "has no host name (got %q)", raw)
	case u.Port() != "" && !validPort(u.Port()):
		v.errf(path, "port must be 1 to 65535 (got %q)", u.Port())
	case u.User != nil:
		v.errf(path, "must not carry credentials (user:password@); set an Authorization header instead")
	}
}

// badURLRune is a rune a URL in a scenario may not hold unescaped.
func badURLRune(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535
}

// headerName reports whether k is an HTTP header field name (an RFC 9110
// token).
func headerName(k string) bool {
	if k == "" {
		return false
	}
	for _, c := range []byte(k) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// headerValue reports the first byte that cannot appear in an HTTP header
// value (CR, LF, NUL and the other controls except tab), or -1.
func headerValue(val string) int {
	for i, c := range []byte(val) {
		if c < 0x20 && c != '\t' || c == 0x7f {
			return i
		}
	}
	return -1
}

// reservedHeaders are set by benchctl from the request itself.
var reservedHeaders = []string{"Content-Length", "Transfer-Encoding", "Host", "Connection", "X-Vegeta-Seq", "X-Vegeta-Attack"}

// file checks that a relative or absolute file exists where the scenario
// would read it.
func (v *validator) file(path, rel string) bool {
	if v.s == nil || v.skipFiles {
		return false
	}
	f, err := v.s.OpenFile(rel) // readable, regular, bounded; the contents are checked where they are used
	if err != nil {
		v.errf(path, "cannot read %s: %v", rel, unwrapPathErr(err))
		return false
	}
	defer f.Close()
	if st, ok := f.(interface{ Stat() (fs.FileInfo, error) }); ok {
		if fi, err := st.Stat(); err == nil && fi.Size() > MaxFileBytes {
			v.errf(path, "%s is larger than %d MiB (the most a scenario's files may hold)", rel, MaxFileBytes>>20)
			return false
		}
	}
	return true
}

// validateScenario checks every block of s.
func (v *validator) validateScenario() {
	s := v.s
	if !v.has("version") {
		v.errf("version", "required (this benchctl reads version: %d)", Version)
	} else if s.Version != Version {
		v.errf("version", "unsupported version (got %d; this benchctl reads version %d)", s.Version, Version)
	}
	v.name("name", s.Name)

	v.validateFunctions("functions", s.Functions)
	servers := v.validateServers()
	functions := map[string]bool{}
	for _, f := range s.Functions {
		functions[f.Name] = true
	}

	targets := map[string]string{} // name -> kind
	if len(s.Targets) == 0 {
		v.errf("targets", "at least one target is required")
	}
	for i, t := range s.Targets {
		p := fmt.Sprintf("targets[%d]", i)
		v.name(p+".name", t.Name)
		if _, dup := targets[t.Name]; dup && t.Name != "" {
			v.errf(p+".name", "target name %q used twice", t.Name)
		}
		targets[t.Name] = t.Kind
		v.validateTarget(p, t, servers, functions)
	}

	v.validatePayloads()
	v.validateBodies()

	phases := map[string]bool{}
	if len(s.Phases) == 0 && s.Experiments.ColdStarts == nil && s.Experiments.Capacity == nil {
		v.errf("phases", "at least one phase is required")
	}
	for i, ph := range s.Phases {
		p := fmt.Sprintf("phases[%d]", i)
		v.name(p+".name", ph.Name)
		if phases[ph.Name] && ph.Name != "" {
			v.errf(p+".name", "phase name %q used twice", ph.Name)
		}
		phases[ph.Name] = true
		v.validatePhase(p, ph, targets)
	}

	v.validateSLO("slo", s.SLO)
	v.validateExperiments(targets, phases)
	v.validatePricing()
	v.validateOutput()
	v.validateDistributed()
	v.validateConfidence()
}

func (v *validator) validateTarget(p string, t Target, servers, functions map[string]bool) {
	if !v.required(p+".kind", "") || !v.enum(p+".kind", t.Kind, targetKinds) {
		return
	}
	// Fields that make no sense for the kind are rejected, so a typo'd
	// kind does not silently ignore half of the target.
	notFor := map[string][]string{
		"http":         {"function", "qualifier", "endpoint", "log_group", "region", "api_gateway", "ephemeral_storage_mb", "runtime_kind"},
		"aws-lambda":   {"url", "method", "server", "billing", "log_group"},
		"local-lambda": {"url", "method", "server", "billing", "log_group", "region", "endpoint"},
		"lambda-url":   {"server", "billing", "endpoint"},
	}
	for _, f := range notFor[t.Kind] {
		if v.has(p + "." + f) {
			v.errf(p+"."+f, "does not apply to kind %s", t.Kind)
		}
	}
	switch t.Kind {
	case "http":
		if !v.required(p+".url", "for kind http") {
			break
		}
		if v.has(p + ".server") {
			if !servers[t.Server] {
				v.errf(p+".server", "no server named %q in servers", t.Server)
			}
			if !strings.HasPrefix(t.URL, "/") {
				v.errf(p+".url", "must be a path like /v1/sentiment when server is set (got %q)", t.URL)
			}
		} else {
			v.absURL(p+".url", t.URL)
		}
	case "aws-lambda":
		v.required(p+".function", "for kind aws-lambda")
		if v.required(p+".region", "for kind aws-lambda") && !awsRegion.MatchString(t.Region) {
			v.errf(p+".region", "must be an AWS region like us-east-1 (got %q)", t.Region)
		}
		if v.has(p + ".endpoint") {
			v.absURL(p+".endpoint", t.Endpoint)
		}
	case "local-lambda":
		if v.required(p+".function", "for kind local-lambda (a name from functions)") && !functions[t.Function] {
			v.errf(p+".function", "no function named %q in functions", t.Function)
		}
	case "lambda-url":
		if v.required(p+".url", "for kind lambda-url") {
			v.absURL(p+".url", t.URL)
		}
		v.required(p+".function", "for kind lambda-url (its logs give the billed duration)")
		if v.has(p+".region") && !awsRegion.MatchString(t.Region) {
			v.errf(p+".region", "must be an AWS region like us-east-1 (got %q)", t.Region)
		}
	}
	if v.has(p+".api_gateway") && !contains(apiGateways, t.APIGateway) {
		v.errf(p+".api_gateway", "must be http (an API Gateway HTTP API, the only gateway in the price book; REST and WebSocket APIs are not priced) (got %q)", t.APIGateway)
	}
	v.ephemeralStorage(p+".ephemeral_storage_mb", t.EphemeralStorageMB)
	if v.has(p + ".runtime_kind") {
		v.enum(p+".runtime_kind", t.RuntimeKind, RuntimeKinds())
	}
	if v.has(p + ".method") {
		v.enum(p+".method", t.Method, httpMethods)
	}
	if v.has(p + ".architecture") {
		v.enum(p+".architecture", t.Architecture, architectures)
	}
	v.positiveDur(p+".timeout", t.Timeout)
	v.nonNegative(p+".max_body_bytes", float64(t.MaxBodyBytes))
	if v.has(p + ".body") {
		if _, err := ParseBody(t.Name, t.Body); err != nil {
			v.errf(p+".body", "%v", err)
		}
	}
	for k, val := range t.Headers {
		hp := p + ".headers." + k
		switch {
		case !headerName(k):
			v.errKey(hp, "not a valid header name (letters, digits and !#$%%&'*+-.^_`|~)")
		case containsFold(reservedHeaders, k):
			v.errKey(hp, "is set by benchctl for each request (reserved: %s)", quoteList(reservedHeaders))
		}
		if i := headerValue(val); i >= 0 {
			v.errf(hp, "value holds %q at byte %d: a header value may not contain CR, LF, NUL or other control characters (every request would fail)", val[i:i+1], i)
		}
	}
	if t.Billing != nil {
		v.validateBilling(p+".billing", *t.Billing)
	}
	if t.SLO != nil {
		v.validateSLO(p+".slo", *t.SLO)
	}
}

func (v *validator) validateBilling(p string, b Billing) {
	if v.required(p+".platform", "") && v.enum(p+".platform", b.Platform, billingPlatfms) && v.has(p+".plan") {
		v.enum(p+".plan", b.Plan, billingPlans[b.Platform])
	}
	if v.has(p+".memory_mb") && (b.MemoryMB < 128 || b.MemoryMB > 32768) {
		v.errf(p+".memory_mb", "must be between 128 and 32768 (got %d)", b.MemoryMB)
	}
	v.nonNegative(p+".vcpu", b.VCPU)
	v.nonNegative(p+".concurrency", float64(b.Concurrency))
	if v.has(p + ".architecture") {
		v.enum(p+".architecture", b.Architecture, architectures)
	}
}

func (v *validator) validatePayloads() {
	pl := v.s.Payloads
	const p = "payloads"
	if v.has(p+".file") && v.has(p+".inline") {
		v.errf(p+".inline", "set either file or inline, not both")
	}
	v.itemsKnown = !v.has(p + ".file")
	if v.has(p + ".file") {
		ext := strings.ToLower(filepath.Ext(pl.File))
		switch {
		case ext != ".txt" && ext != ".jsonl":
			v.errf(p+".file", "must be a .txt or .jsonl file (got %q)", pl.File)
		case v.s == nil || v.skipFiles:
		default:
			if raw, err := v.s.readFile(v.context(), pl.File); v.stopped() {
			} else if err != nil {
				v.errf(p+".file", "cannot read %s: %v", pl.File, unwrapPathErr(err))
			} else if items, err := parseCorpus(v.ctx, pl.File, raw, pl.Pairs); v.stopped() {
			} else if err != nil {
				v.errf(p+".file", "%v", err)
			} else {
				v.items, v.itemsKnown = items, true
			}
		}
	}
	if v.has(p+".inline") && len(pl.Inline) == 0 {
		v.errf(p+".inline", "must not be empty")
	}
	for i, item := range pl.Inline {
		ip := fmt.Sprintf("%s.inline[%d]", p, i)
		if pl.Pairs {
			if err := checkPair(item); err != nil {
				v.errf(ip, "%v", err)
			}
		}
		v.items = append(v.items, ItemAt{Item: item, Where: ip})
	}
	if v.has(p + ".order") {
		v.enum(p+".order", pl.Order, orders)
	}
	if v.has(p + ".body") {
		if _, err := ParseBody("payloads", pl.Body); err != nil {
			v.errf(p+".body", "%v", err)
		}
	}
}

// validateBodies runs every body template a target sends with on every
// payload item, as the run will before its first request: a template that
// fails on an item (a field the item lacks, a bad json argument) is
// reported with the item, and a body for an aws-lambda or local-lambda
// target must be JSON (Lambda's Invoke API answers 400
// InvalidRequestContentException otherwise). Each template is reported
// once, at the field that set it.
func (v *validator) validateBodies() {
	s := v.s
	if !v.itemsKnown {
		return // the corpus could not be read: reported already, or files are not checked
	}
	type use struct {
		path, tmpl string
		json       bool
		targets    []string
	}
	var uses []*use
	byKey := map[string]*use{}
	for i, t := range s.Targets {
		if t.Name == "" || !contains(targetKinds, t.Kind) {
			continue
		}
		path, tmpl := fmt.Sprintf("targets[%d].body", i), t.Body
		if !v.has(path) {
			path, tmpl = "payloads.body", s.Payloads.Body
			if !v.has(path) {
				path = "payloads"
				if tmpl == "" && len(v.items) > 0 {
					tmpl = DefaultBody
				}
			}
		}
		if v.d.bad[path] || RendersNoBody(len(v.items), tmpl) {
			continue
		}
		needJSON := t.Kind == KindAWSLambda || t.Kind == KindLocalLambda
		key := fmt.Sprintf("%s\x00%v", path, needJSON)
		u := byKey[key]
		if u == nil {
			u = &use{path: path, tmpl: tmpl, json: needJSON}
			byKey[key] = u
			uses = append(uses, u)
		}
		u.targets = append(u.targets, t.Name)
	}
	items := v.items
	if len(items) == 0 {
		items = []ItemAt{{Item: Item{}, Where: "no payload items (the body is rendered once, from an empty item)"}}
	}
	var buf bytes.Buffer
	for _, u := range uses {
		t, err := ParseBody("body", u.tmpl)
		if err != nil {
			continue // reported where the template is set
		}
		who := "target " + quoteList(u.targets)
		if len(u.targets) > 1 {
			who = "targets " + quoteList(u.targets)
		}
		for i, it := range items {
			if i%1024 == 0 && v.stopped() {
				return
			}
			if err := RenderBody(t, it.Item, &buf); err != nil {
				v.errf(u.path, "%s: %s: %v (every payload item must render; fields of an item: %s)", who, it.Where, err, quoteList(itemFields(it.Item)))
				break
			}
			if u.json && buf.Len() > 0 && !json.Valid(buf.Bytes()) {
				v.errf(u.path, "%s: %s renders %s, not JSON: a Lambda function's payload must be JSON (the Invoke API answers 400 InvalidRequestContentException)", who, it.Where, clip(buf.String(), 60))
				break
			}
		}
	}
}

// itemFields lists an item's field names, sorted ("none" for none).
func itemFields(it Item) []string {
	if len(it) == 0 {
		return []string{"none"}
	}
	out := make([]string, 0, len(it))
	for k := range it {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}

// clip quotes s, cut to n bytes.
func clip(s string, n int) string {
	if len(s) > n {
		return strconv.Quote(s[:n]) + "…"
	}
	return strconv.Quote(s)
}

func (v *validator) validatePhase(p string, ph Phase, targets map[string]string) {
	if v.required(p+".targets", "") && len(ph.Targets) == 0 {
		v.errf(p+".targets", "must name at least one target")
	}
	seen := map[string]bool{}
	for j, name := range ph.Targets {
		tp := fmt.Sprintf("%s.targets[%d]", p, j)
		if _, ok := targets[name]; !ok {
			v.noSuch(tp, "target", name, keys(targets), "targets")
		} else if seen[name] {
			v.errf(tp, "target %q listed twice", name)
		}
		seen[name] = true
	}
	if ph.Until == nil && v.required(p+".duration", "") {
		v.positiveDur(p+".duration", ph.Duration)
		v.maxDur(p+".duration", ph.Duration, MaxPhaseDuration)
	}
	v.nonNegative(p+".max_in_flight", float64(ph.MaxInFlight))
	if v.required(p+".traffic", "") {
		v.validateTraffic(p+".traffic", ph.Traffic)
	}
}

func (v *validator) validateTraffic(p string, t Traffic) {
	if !v.required(p+".model", "") || !v.enum(p+".model", t.Model, trafficModels) {
		return
	}
	allowed := modelFields[t.Model]
	for _, f := range trafficAll {
		if f != "model" && v.has(p+"."+f) && !contains(allowed, f) {
			v.errf(p+"."+f, "does not apply to model %s (its fields: %s)", t.Model, quoteList(allowed))
		}
	}
	why := "for model " + t.Model
	req := func(f string) bool { return v.required(p+"."+f, why) }
	switch t.Model {
	case "constant", "poisson":
		if req("rate") {
			v.positive(p+".rate", t.Rate)
		}
	case "ramp":
		if req("from") && req("to") {
			v.nonNegative(p+".from", t.From)
			v.nonNegative(p+".to", t.To)
			if t.From == 0 && t.To == 0 {
				v.errf(p+".to", "from and to cannot both be 0")
			}
		}
	case "step":
		v.nonNegative(p+".start", t.Start)
		if req("step") {
			v.positive(p+".step", t.Step)
		}
		if req("every") {
			v.positiveDur(p+".every", t.Every)
		}
		if req("max") {
			v.positive(p+".max", t.Max)
			if t.Max > 0 && t.Max < t.Start {
				v.errf(p+".max", "must be >= start (got %s < %s)", num(t.Max), num(t.Start))
			}
		}
	case "sine":
		meanOK := req("mean")
		if meanOK {
			v.positive(p+".mean", t.Mean)
		}
		if req("amplitude") {
			v.nonNegative(p+".amplitude", t.Amplitude)
			if meanOK && t.Amplitude >= 0 && t.Amplitude >= t.Mean {
				v.errf(p+".amplitude", "must be < mean (got %s >= %s)", num(t.Amplitude), num(t.Mean))
			}
		}
		if req("period") {
			v.positiveDur(p+".period", t.Period)
		}
	case "burst":
		v.nonNegative(p+".base", t.Base)
		if req("peak") && !(t.Peak > t.Base) {
			v.errf(p+".peak", "must be > base (got %s <= %s)", num(t.Peak), num(t.Base))
		}
		everyOK := req("every")
		if everyOK {
			v.positiveDur(p+".every", t.Every)
		}
		if req("length") {
			v.positiveDur(p+".length", t.Length)
			if everyOK && t.Length > 0 && t.Length >= t.Every {
				v.errf(p+".length", "must be < every (got %s >= %s)", t.Length, t.Every)
			}
		}
	case "trace":
		if req("file") {
			v.file(p+".file", t.File)
		}
		if req("format") {
			v.enum(p+".format", t.Format, traceFormats)
		}
		v.positive(p+".time_scale", t.TimeScale)
	}
	if v.has(p + ".arrivals") {
		v.enum(p+".arrivals", t.Arrivals, arrivalKinds)
	}
}

func (v *validator) validateSLO(p string, s SLO) {
	v.positive(p+".p50_ms", s.P50Ms)
	v.positive(p+".p95_ms", s.P95Ms)
	v.positive(p+".p99_ms", s.P99Ms)
	if v.has(p+".error_rate") && (s.ErrorRate < 0 || s.ErrorRate > 1) {
		v.errf(p+".error_rate", "must be between 0 and 1 (got %s)", num(s.ErrorRate))
	}
}

// validateFunctions checks a functions block (of a scenario or a
// functions.yaml file).
func (v *validator) validateFunctions(p string, fns []Function) {
	seen := map[string]bool{}
	for i, f := range fns {
		fp := fmt.Sprintf("%s[%d]", p, i)
		if v.required(fp+".name", "") && !fnNameRe.MatchString(f.Name) {
			v.errf(fp+".name", "must be 1 to 64 letters, digits, '-' or '_' (got %q)", f.Name)
		}
		if seen[f.Name] && f.Name != "" {
			v.errf(fp+".name", "function name %q used twice", f.Name)
		}
		seen[f.Name] = true
		if len(f.Command) == 0 {
			v.errf(fp+".command", "required: the argv list that starts an instance, e.g. [benchctl, function, --model, tinybert-4l-312]")
		}
		for j, arg := range f.Command {
			if j == 0 && strings.TrimSpace(arg) == "" {
				v.errf(fmt.Sprintf("%s.command[%d]", fp, j), "program must not be empty")
			}
		}
		if v.has(fp+".memory_size") && (f.MemorySize < 128 || f.MemorySize > 10240) {
			v.errf(fp+".memory_size", "must be between 128 and 10240 MB (got %d)", f.MemorySize)
		}
		if v.has(fp+".timeout") && (f.Timeout < time.Second || f.Timeout > 15*time.Minute) {
			v.errf(fp+".timeout", "must be between 1s and 15m (got %s)", f.Timeout)
		}
		if f.ReservedConcurrency != nil && *f.ReservedConcurrency < 0 {
			v.errf(fp+".reserved_concurrency", "must be >= 0 (got %d)", *f.ReservedConcurrency)
		}
		if v.has(fp + ".architecture") {
			v.enum(fp+".architecture", f.Architecture, architectures)
		}
		v.nonNegativeDur(fp+".idle_timeout", f.IdleTimeout)
		v.ephemeralStorage(fp+".ephemeral_storage_mb", f.EphemeralStorageMB)
		for k := range f.Environment {
			if !envNameRe.MatchString(k) {
				v.errKey(fp+".environment."+k, "not a valid environment variable name")
			}
		}
	}
}

// MinEphemeralStorageMB and maxEphemeralStorageMB are Lambda's ephemeral
// storage (/tmp) range in MB; the minimum is included at no charge.
const (
	MinEphemeralStorageMB = 512
	maxEphemeralStorageMB = 10240
)

// CheckEphemeralStorageMB rejects a /tmp size outside Lambda's range.
func CheckEphemeralStorageMB(mb int) error {
	if mb < MinEphemeralStorageMB || mb > maxEphemeralStorageMB {
		return fmt.Errorf("must be between %d and %d MB, Lambda's ephemeral storage range (got %d)", MinEphemeralStorageMB, maxEphemeralStorageMB, mb)
	}
	return nil
}

// ephemeralStorage checks a /tmp size against Lambda's allowed range.
func (v *validator) ephemeralStorage(path string, mb int) {
	if !v.has(path) {
		return
	}
	if err := CheckEphemeralStorageMB(mb); err != nil {
		v.errf(path, "%v", err)
	}
}

func (v *validator) validateServers() map[string]bool {
	seen := map[string]bool{}
	for i, s := range v.s.Servers {
		p := fmt.Sprintf("servers[%d]", i)
		v.name(p+".name", s.Name)
		if seen[s.Name] && s.Name != "" {
			v.errf(p+".name", "server name %q used twice", s.Name)
		}
		seen[s.Name] = true
		if strings.TrimSpace(s.Model) == "" {
			v.errf(p+".model", "required (e.g. tinybert-4l-312)")
		}
		v.nonNegative(p+".workers", float64(s.Workers))
		v.nonNegative(p+".max_batch", float64(s.MaxBatch))
		v.nonNegativeDur(p+".max_wait", s.MaxWait)
	}
	return seen
}

func (v *validator) functionTarget(p, name string, targets map[string]string) {
	if !v.required(p, "") {
		return
	}
	kind, ok := targets[name]
	switch {
	case !ok:
		v.noSuch(p, "target", name, keys(targets), "targets")
	case !IsFunctionKind(kind):
		v.errf(p, "target %q is of kind %s; needs one of %s", name, kind, quoteList(functionKinds))
	}
}

func (v *validator) validateExperiments(targets map[string]string, phases map[string]bool) {
	e := v.s.Experiments
	if ms := e.MemorySweep; ms != nil {
		const p = "experiments.memory_sweep"
		v.functionTarget(p+".target", ms.Target, targets)
		if len(ms.MemorySizes) == 0 {
			v.errf(p+".memory_sizes", "required: at least one memory size in MB")
		}
		seen := map[int]bool{}
		for i, m := range ms.MemorySizes {
			mp := fmt.Sprintf("%s.memory_sizes[%d]", p, i)
			if m < 128 || m > 10240 {
				v.errf(mp, "must be between 128 and 10240 MB (got %d)", m)
			} else if seen[m] {
				v.errf(mp, "memory size %d listed twice", m)
			}
			seen[m] = true
		}
		v.moreTargets(p, ms.Target, ms.Targets, targets, true)
		for i, name := range ms.Phases {
			pp := fmt.Sprintf("%s.phases[%d]", p, i)
			if !phases[name] {
				v.noSuch(pp, "phase", name, phaseNames(v.s.Phases), "phases")
				continue
			}
			// A swept phase must send to every swept function, or the
			// sweep measures nothing for it.
			for _, ph := range v.s.Phases {
				if ph.Name != name {
					continue
				}
				for _, tn := range append([]string{ms.Target}, ms.Targets...) {
					if _, ok := targets[tn]; ok && !contains(ph.Targets, tn) {
						v.errf(pp, "phase %q does not send to swept target %q", name, tn)
					}
				}
			}
		}
	}
	if cs := e.ColdStarts; cs != nil {
		const p = "experiments.cold_starts"
		v.functionTarget(p+".target", cs.Target, targets)
		if v.has(p+".samples") && (cs.Samples < 1 || cs.Samples > 1000) {
			v.errf(p+".samples", "must be between 1 and 1000 (got %d)", cs.Samples)
		}
	}
	if c := e.Capacity; c != nil {
		const p = "experiments.capacity"
		if v.required(p+".target", "") {
			if _, ok := targets[c.Target]; !ok {
				v.noSuch(p+".target", "target", c.Target, keys(targets), "targets")
			}
		}
		v.moreTargets(p, c.Target, c.Targets, targets, false)
		if v.required(p+".min_rps", "") {
			v.positive(p+".min_rps", c.MinRPS)
		}
		if v.required(p+".max_rps", "") && c.MaxRPS <= c.MinRPS {
			v.errf(p+".max_rps", "must be > min_rps (got %s <= %s)", num(c.MaxRPS), num(c.MinRPS))
		}
		if c.Until == nil {
			v.positiveDur(p+".step_duration", c.StepDuration)
		}
		if v.has(p+".tolerance") && !(c.Tolerance > 0 && c.Tolerance < 1) {
			v.errf(p+".tolerance", "must be between 0 and 1, exclusive (got %s)", num(c.Tolerance))
		}
		v.nonNegative(p+".min_samples", float64(c.MinSamples))
		v.validateSLO(p+".slo", c.SLO)
		if !hasLatencyObjective(c.SLO) && !hasLatencyObjective(v.s.SLO) {
			v.errf(p+".slo", "needs a latency objective (p50_ms, p95_ms or p99_ms) here or in the top-level slo")
		}
	}
}

// moreTargets checks an experiment's further targets: each exists (and
// is of a function kind when fn), none repeats, none is the main target.
func (v *validator) moreTargets(p, main string, more []string, targets map[string]string, fn bool) {
	seen := map[string]bool{main: true}
	for i, name := range more {
		tp := fmt.Sprintf("%s.targets[%d]", p, i)
		if seen[name] {
			v.errf(tp, "target %q listed twice (target included)", name)
			continue
		}
		seen[name] = true
		if fn {
			v.functionTarget(tp, name, targets)
		} else if _, ok := targets[name]; !ok {
			v.noSuch(tp, "target", name, keys(targets), "targets")
		}
	}
}

func hasLatencyObjective(s SLO) bool { return s.P50Ms > 0 || s.P95Ms > 0 || s.P99Ms > 0 }

func (v *validator) validatePricing() {
	pr := v.s.Pricing
	const p = "pricing"
	if v.has(p + ".prices") {
		v.file(p+".prices", pr.Prices)
	}
	if v.has(p+".region") && !awsRegion.MatchString(pr.Region) {
		v.errf(p+".region", "must be a region like us-east-1 or eu-west-1 (got %q)", pr.Region)
	}
	if pr.MaxSpend != nil && *pr.MaxSpend < 0 {
		v.errf(p+".max_spend_usd", "must be >= 0 (got %s)", num(*pr.MaxSpend))
	}
	seen := map[string]bool{}
	for i, in := range pr.Instances {
		ip := fmt.Sprintf("%s.instances[%d]", p, i)
		if strings.TrimSpace(in) == "" {
			v.errf(ip, "must not be empty")
		} else if seen[in] {
			v.errf(ip, "instance %q listed twice", in)
		}
		seen[in] = true
	}
	for i, a := range pr.Architectures {
		v.enum(fmt.Sprintf("%s.architectures[%d]", p, i), a, architectures)
	}
	if v.has(p + ".fleet") {
		v.enum(p+".fleet", pr.Fleet, fleets)
	}
	if v.has(p+".target_utilisation") && !(pr.TargetUtilisation > 0 && pr.TargetUtilisation <= 1) {
		v.errf(p+".target_utilisation", "must be in (0, 1] (got %s)", num(pr.TargetUtilisation))
	}
	v.nonNegative(p+".min_instances", float64(pr.MinInstances))
	v.nonNegative(p+".capacity_rps", pr.CapacityRPS)
	if lm := pr.LambdaManaged; lm != nil {
		const lp = p + ".lambda_managed"
		seen := map[string]bool{}
		for i, in := range lm.Instances {
			ip := fmt.Sprintf("%s.instances[%d]", lp, i)
			if strings.TrimSpace(in) == "" {
				v.errf(ip, "must not be empty")
			} else if seen[in] {
				v.errf(ip, "instance %q listed twice", in)
			}
			seen[in] = true
		}
		v.nonNegative(lp+".min_instances", float64(lm.MinInstances))
		v.nonNegative(lp+".max_vcpu", float64(lm.MaxVCPU))
		if v.has(lp+".target_utilisation") && !(lm.TargetUtilisation > 0 && lm.TargetUtilisation <= 1) {
			v.errf(lp+".target_utilisation", "must be in (0, 1] (got %s)", num(lm.TargetUtilisation))
		}
		if v.has(lp + ".capacity_target") {
			c := v.s.Experiments.Capacity
			if c == nil || !contains(append([]string{c.Target}, c.Targets...), lm.CapacityTarget) {
				v.errf(lp+".capacity_target", "%q is not a target of experiments.capacity (its result sizes the fleet)", lm.CapacityTarget)
			}
		}
	}

	pf := pr.Profile
	const pp = p + ".profile"
	v.nonNegative(pp+".monthly_requests", pf.MonthlyRequests)
	v.nonNegative(pp+".average_rps", pf.AverageRPS)
	if pf.MonthlyRequests > 0 && pf.AverageRPS > 0 {
		v.errf(pp+".average_rps", "set monthly_requests or average_rps, not both")
	}
	if v.has(pp + ".shape") {
		v.enum(pp+".shape", pf.Shape, profileShapes)
	}
	if v.has(pp+".peak_to_average") && pf.PeakToAverage < 1 {
		v.errf(pp+".peak_to_average", "must be >= 1 (got %s)", num(pf.PeakToAverage))
	}
	if v.has(pp+".peak_hours") && !(pf.PeakHours > 0 && pf.PeakHours <= 24) {
		v.errf(pp+".peak_hours", "must be in (0, 24] (got %s)", num(pf.PeakHours))
	}
	if pf.Shape == "trace" {
		if v.required(pp+".trace", "for shape trace") {
			v.file(pp+".trace", pf.Trace)
		}
		if v.required(pp+".trace_format", "for shape trace") {
			v.enum(pp+".trace_format", pf.TraceFormat, traceFormats)
		}
	} else {
		for _, f := range []string{"trace", "trace_format"} {
			if v.has(pp + "." + f) {
				v.errf(pp+"."+f, "applies only to shape trace")
			}
		}
	}
}

func (v *validator) validateOutput() {
	seen := map[string]bool{}
	for i, f := range v.s.Output.Formats {
		fp := fmt.Sprintf("output.formats[%d]", i)
		if v.enum(fp, f, outputFormats) && seen[f] {
			v.errf(fp, "format %q listed twice", f)
		}
		seen[f] = true
	}
}

// noSuch reports a reference to a missing entry of a block, listing the
// entries there are. It stays quiet when the block itself failed to decode.
func (v *validator) noSuch(path, what, name string, have []string, block string) {
	if v.d.bad[block] {
		return
	}
	if len(have) == 0 {
		v.errf(path, "no %s named %q (%s is empty)", what, name, block)
		return
	}
	v.errf(path, "no %s named %q (%s: %s)", what, name, block, quoteList(have))
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}

func phaseNames(ph []Phase) []string {
	out := make([]string, len(ph))
	for i, p := range ph {
		out[i] = p.Name
	}
	return out
}

func (v *validator) validateDistributed() {
	d := v.s.Distributed
	if d == nil {
		return
	}
	const p = "distributed"
	if v.has(p+".engine") && !v.enum(p+".engine", d.Engine, Engines()) {
		return
	}
	engine := d.Engine
	if engine == "" {
		engine = EngineLocalLambda
	}
	if v.has(p+".workers") && (d.Workers < 1 || d.Workers > 1024) {
		v.errf(p+".workers", "must be between 1 and 1024 (got %d)", d.Workers)
	}
	for r, w := range d.Regions {
		if !awsRegion.MatchString(r) {
			v.errKey(p+".regions."+r, "must be an AWS region like us-east-1")
		}
		if !(w > 0) {
			v.errf(p+".regions."+r, "weight must be > 0 (got %s)", num(w))
		}
	}
	if len(d.Regions) > 0 && engine != EngineLambda {
		v.errf(p+".regions", "applies to engine lambda only (got engine %s)", engine)
	}
	if d.Workers > 0 && len(d.Regions) > d.Workers {
		v.errf(p+".regions", "%d regions for %d workers: want at least one worker per region", len(d.Regions), d.Workers)
	}
	if v.has(p+".function") && !fnNameRe.MatchString(d.Function) {
		v.errf(p+".function", "must be a Lambda function name (letters, digits, '-', '_', up to 64) (got %q)", d.Function)
	}
	if v.has(p+".memory_mb") && (d.MemoryMB < 128 || d.MemoryMB > 10240) {
		v.errf(p+".memory_mb", "must be between 128 and 10240 (got %d)", d.MemoryMB)
	}
	if v.has(p+".timeout") && (d.Timeout < 3*time.Second || d.Timeout > 15*time.Minute) {
		v.errf(p+".timeout", "must be between 3s and 15m (Lambda's limit) (got %s)", d.Timeout)
	}
	if v.has(p+".window") && (d.Window <= 0 || d.Window > 14*time.Minute) {
		v.errf(p+".window", "must be > 0 and at most 14m (got %s)", d.Window)
	}
	if v.has(p + ".store") {
		if u, err := url.Parse(d.Store); err != nil || u.Scheme != "s3" || u.Host == "" {
			v.errf(p+".store", "must be s3://bucket[/prefix] (got %q)", d.Store)
		}
	} else if engine != EngineLocalLambda {
		v.errf(p+".store", "required for engine %s (an S3 bucket the workers can reach: s3://bucket/prefix)", engine)
	}
	if v.has(p+".store_region") && !awsRegion.MatchString(d.StoreRegion) {
		v.errf(p+".store_region", "must be an AWS region like us-east-1 (got %q)", d.StoreRegion)
	}
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"lead_time", d.LeadTime}, {"ready_timeout", d.ReadyTimeout}, {"late_bound", d.LateBound}, {"phase_gap", d.PhaseGap}} {
		v.positiveDur(p+"."+f.name, f.d)
	}
	if v.has(p + ".store_endpoint") {
		if u, err := url.Parse(d.StoreEndpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.errf(p+".store_endpoint", "must be an http(s) URL of an S3-compatible server (got %q)", d.StoreEndpoint)
		}
	}
	if v.has(p+".role") && !iamRoleRe.MatchString(d.Role) {
		v.errf(p+".role", "must be an IAM role ARN like arn:aws:iam::123456789012:role/benchctl-worker (got %q)", d.Role)
	}
	if v.has(p + ".architecture") {
		v.enum(p+".architecture", d.Architecture, []string{"x86_64", "arm64"})
	}
	for _, f := range []string{"role", "zip", "architecture"} {
		if v.has(p+"."+f) && engine != EngineLambda {
			v.errf(p+"."+f, "applies to engine lambda only (got engine %s)", engine)
		}
	}
	if k := d.Kubernetes; k != nil {
		v.validateKubernetes(p+".kubernetes", k, engine)
	} else if engine == EngineKubernetes {
		v.errf(p, "engine kubernetes needs distributed.kubernetes.image (an image holding benchctl)")
	}
	if v.s.Experiments.MemorySweep != nil || v.s.Experiments.ColdStarts != nil || v.s.Experiments.Capacity != nil {
		v.errf(p, "distributed runs send the phases only; experiments (memory_sweep, cold_starts, capacity) need one generator: remove them or the distributed block")
	}
	if engine != EngineLocalLambda {
		for i, t := range v.s.Targets {
			if t.Server != "" || t.Kind == KindLocalLambda {
				v.errf(fmt.Sprintf("targets[%d]", i), "target %s is served by benchctl on this machine; engine %s's workers cannot reach it (use engine local-lambda)", t.Name, engine)
			}
		}
	}
}

var (
	iamRoleRe     = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}$`)
	dns1123Re     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	k8sQuantityRe = regexp.MustCompile(`^([0-9]+(\.[0-9]+)?|\.[0-9]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$`)
)

func (v *validator) validateKubernetes(p string, k *KubernetesEngine, engine string) {
	if engine != EngineKubernetes {
		v.errf(p, "applies to engine kubernetes only (got engine %s)", engine)
		return
	}
	if k.Image == "" {
		v.errf(p+".image", "required: an image holding benchctl on its PATH (see docs/distributed.md)")
	}
	if v.has(p+".namespace") && (!dns1123Re.MatchString(k.Namespace) || len(k.Namespace) > 63) {
		v.errf(p+".namespace", "must be a Kubernetes namespace name (lower-case letters, digits, '-', up to 63) (got %q)", k.Namespace)
	}
	if v.has(p+".command") && (len(k.Command) == 0 || k.Command[0] == "") {
		v.errf(p+".command", "must be a non-empty argv list, e.g. [benchctl, worker]")
	}
	if v.has(p + ".image_pull_policy") {
		v.enum(p+".image_pull_policy", k.ImagePullPolicy, []string{"Always", "IfNotPresent", "Never"})
	}
	for _, f := range []struct{ name, val string }{{"cpu", k.CPU}, {"memory", k.Memory}} {
		if v.has(p+"."+f.name) && (!k8sQuantityRe.MatchString(f.val) || strings.Trim(f.val, "0.mkMGTPEi") == "") {
			v.errf(p+"."+f.name, "must be a positive Kubernetes quantity like 1, 500m, 2Gi (got %q)", f.val)
		}
	}
	for _, f := range []struct{ name, val string }{{"service_account", k.ServiceAccount}, {"credentials_secret", k.CredentialsSecret}} {
		if v.has(p+"."+f.name) && (!dns1123Re.MatchString(strings.ReplaceAll(f.val, ".", "-")) || len(f.val) > 253) {
			v.errf(p+"."+f.name, "must be a Kubernetes object name (lower-case letters, digits, '-', '.') (got %q)", f.val)
		}
	}
}
