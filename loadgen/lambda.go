package loadgen

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go/encoding/httpbinding"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/benchctl/benchctl/lambdareport"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// Lambda target defaults.
const (
	// DefaultLambdaRegion is used for local endpoints when no region is set.
	DefaultLambdaRegion = "us-east-1"
	// LocalAccessKeyID and LocalSecretAccessKey are the static credentials a
	// local-lambda target signs with (the local platform accepts any).
	LocalAccessKeyID     = "BENCHCTLLOCAL"
	LocalSecretAccessKey = "benchctl-local-secret"
	// DefaultMaxIdleConnsPerHost keeps connections warm at high rates (the
	// SDK's default client keeps 10).
	DefaultMaxIdleConnsPerHost = 1024
)

// Lambda response headers benchctl reads (canonical form).
const (
	HeaderLogResult     = "X-Amz-Log-Result"
	HeaderFunctionError = "X-Amz-Function-Error"
	HeaderRequestID     = "X-Amzn-Requestid"
	HeaderErrorType     = "X-Amzn-Errortype"
	HeaderLogType       = "X-Amz-Log-Type"
)

// LambdaOptions configures an aws-lambda or local-lambda target.
type LambdaOptions struct {
	// Name is the scenario target name; Kind is scenarios.KindAWSLambda or scenarios.KindLocalLambda.
	Name string
	Kind string
	// Function is a function name or ARN; Qualifier an optional version or alias.
	Function  string
	Qualifier string
	// Region signs requests; for aws-lambda it defaults to the default
	// chain's region (AWS_REGION, profile).
	Region string
	// Endpoint is the base URL ("http://127.0.0.1:9001"); empty means
	// https://lambda.<region>.amazonaws.com. local-lambda requires it.
	Endpoint string
	// Credentials sign requests. Nil means the default chain of
	// aws-sdk-go-v2/config (env, shared profile, SSO, IMDS) for aws-lambda
	// and static LocalAccessKeyID/LocalSecretAccessKey for local-lambda.
	Credentials aws.CredentialsProvider
	// Transport is the transport under the signer; nil means a tuned
	// *http.Transport (DefaultMaxIdleConnsPerHost, 5 s dial timeout).
	Transport http.RoundTripper
	// Now is the signing clock; nil means time.Now.
	Now func() time.Time
	// Timeout bounds each request (the client's Timeout); 0 means
	// DefaultInvokeTimeout. Set it above the function's own timeout.
	Timeout time.Duration
}

// LambdaOptionsFromScenario maps a scenario target of kind aws-lambda or
// local-lambda to LambdaOptions. endpoint overrides the target's own
// endpoint (benchctl run passes the started local platform's URL for
// local-lambda).
func LambdaOptionsFromScenario(t scenarios.Target, endpoint string) LambdaOptions {
	o := LambdaOptions{Name: t.Name, Kind: t.Kind, Function: t.Function, Qualifier: t.Qualifier,
		Region: t.Region, Endpoint: t.Endpoint, Timeout: t.Timeout}
	if endpoint != "" {
		o.Endpoint = endpoint
	}
	return o
}

// resolve fills defaults and checks the options, loading the default AWS
// config for aws-lambda when credentials or region are missing.
func (o *LambdaOptions) resolve(ctx context.Context) error {
	if o.Function == "" {
		return fmt.Errorf("lambda target %q: function is required", o.Name)
	}
	switch o.Kind {
	case scenarios.KindLocalLambda:
		if o.Endpoint == "" {
			return fmt.Errorf("local-lambda target %q: no endpoint (the local platform is not running)", o.Name)
		}
		if o.Region == "" {
			o.Region = DefaultLambdaRegion
		}
		if o.Credentials == nil {
			o.Credentials = credentials.NewStaticCredentialsProvider(LocalAccessKeyID, LocalSecretAccessKey, "")
		}
	case scenarios.KindAWSLambda, "":
		o.Kind = scenarios.KindAWSLambda
		if o.Credentials == nil || o.Region == "" {
			var opts []func(*config.LoadOptions) error
			if o.Region != "" {
				opts = append(opts, config.WithRegion(o.Region))
			}
			cfg, err := config.LoadDefaultConfig(ctx, opts...)
			if err != nil {
				return fmt.Errorf("aws-lambda target %q: load aws config: %w", o.Name, err)
			}
			if o.Region == "" {
				o.Region = cfg.Region
			}
			if o.Credentials == nil {
				o.Credentials = cfg.Credentials
			}
		}
		if o.Region == "" {
			return fmt.Errorf("aws-lambda target %q: no region (set region: in the scenario or AWS_REGION)", o.Name)
		}
		if o.Credentials == nil {
			return fmt.Errorf("aws-lambda target %q: no aws credentials found", o.Name)
		}
	default:
		return fmt.Errorf("lambda target %q: kind %q isn't one of [%s %s]", o.Name, o.Kind, scenarios.KindAWSLambda, scenarios.KindLocalLambda)
	}
	if o.Endpoint == "" {
		o.Endpoint = "https://lambda." + o.Region + ".amazonaws.com"
	}
	o.Endpoint = strings.TrimRight(o.Endpoint, "/")
	if o.Transport == nil {
		o.Transport = NewLambdaTransport()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultInvokeTimeout
	}
	return nil
}

// NewLambdaTransport returns the tuned HTTP/1.1 transport Lambda targets
// send through (DefaultMaxIdleConnsPerHost idle connections per host).
func NewLambdaTransport() *http.Transport {
	return &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		MaxIdleConnsPerHost: DefaultMaxIdleConnsPerHost,
		ForceAttemptHTTP2:   false,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		IdleConnTimeout:     90 * time.Second,
	}
}

// InvokeURL is the Invoke API URL of function (name or ARN, escaped as the
// SDK escapes it) with an optional qualifier:
// <endpoint>/2015-03-31/functions/<function>/invocations[?Qualifier=q].
func InvokeURL(endpoint, function, qualifier string) string {
	u := strings.TrimRight(endpoint, "/") + "/2015-03-31/functions/" + httpbinding.EscapePath(function, true) + "/invocations"
	if qualifier != "" {
		u += "?Qualifier=" + httpbinding.EscapePath(qualifier, true)
	}
	return u
}

// SigV4Transport signs every request with AWS Signature Version 4 at
// RoundTrip time (signatures are time-bound) and sends it through Next. It
// signs every header already on the request; nothing after it may change
// headers. The request is cloned, never mutated.
type SigV4Transport struct {
	Next        http.RoundTripper
	Signer      *v4.Signer
	Credentials aws.CredentialsProvider
	Region      string
	// Service is the signing name; empty means "lambda".
	Service string
	// Now is the signing clock; nil means time.Now.
	Now func() time.Time
}

var _ http.RoundTripper = (*SigV4Transport)(nil)

// RoundTrip signs req (payload hash = SHA-256 of the body) and sends it.
func (t *SigV4Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("sigv4: read body: %w", err)
		}
		body = b
		req.Body = io.NopCloser(bytes.NewReader(b))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
		req.ContentLength = int64(len(b))
	}
	sum := sha256.Sum256(body)
	c, err := t.Credentials.Retrieve(req.Context())
	if err != nil {
		return nil, fmt.Errorf("sigv4: retrieve credentials: %w", err)
	}
	service := t.Service
	if service == "" {
		service = "lambda"
	}
	now := time.Now
	if t.Now != nil {
		now = t.Now
	}
	signer := t.Signer
	if signer == nil {
		signer = v4.NewSigner()
	}
	if err := signer.SignHTTP(req.Context(), c, req, hex.EncodeToString(sum[:]), service, t.Region, now()); err != nil {
		return nil, fmt.Errorf("sigv4: sign: %w", err)
	}
	return t.Next.RoundTrip(req)
}

// LambdaTarget invokes a function through the Lambda Invoke API
// (aws-lambda or local-lambda): SigV4-signed POSTs with X-Amz-Log-Type:
// Tail, whose REPORT lines fill each record's billed duration, duration,
// init duration, memory and cold flag.
type LambdaTarget struct {
	opts   LambdaOptions
	url    string
	client *http.Client
}

var _ Target = (*LambdaTarget)(nil)

// NewLambdaTarget builds an aws-lambda or local-lambda target. For
// aws-lambda without explicit credentials it loads the default AWS config
// (no network call is made until the first request).
func NewLambdaTarget(ctx context.Context, o LambdaOptions) (*LambdaTarget, error) {
	if err := o.resolve(ctx); err != nil {
		return nil, err
	}
	rt := &SigV4Transport{Next: o.Transport, Signer: v4.NewSigner(), Credentials: o.Credentials, Region: o.Region, Now: o.Now}
	return &LambdaTarget{opts: o, url: InvokeURL(o.Endpoint, o.Function, o.Qualifier), client: &http.Client{Transport: rt, Timeout: o.Timeout}}, nil
}

// Name is the scenario target name.
func (t *LambdaTarget) Name() string { return t.opts.Name }

// Kind is aws-lambda or local-lambda.
func (t *LambdaTarget) Kind() string { return t.opts.Kind }

// Client is the signing HTTP client vegeta sends with.
func (t *LambdaTarget) Client() *http.Client { return t.client }

// Function is the function name or ARN.
func (t *LambdaTarget) Function() string { return t.opts.Function }

// Options returns the resolved options (endpoint, region, credentials).
func (t *LambdaTarget) Options() LambdaOptions { return t.opts }

// Request fills vt with an Invoke request carrying body as the payload.
func (t *LambdaTarget) Request(body []byte, vt *vegeta.Target) error {
	vt.Method = http.MethodPost
	vt.URL = t.url
	vt.Body = body
	vt.Header = http.Header{
		HeaderLogType:  {"Tail"},
		"Content-Type": {"application/json"},
	}
	return nil
}

// Annotate fills rec from an Invoke response; see AnnotateLambda.
// An AccessDenied answer names the function and lambda:InvokeFunction.
func (t *LambdaTarget) Annotate(res *vegeta.Result, rec *results.Record) {
	AnnotateLambda(res, rec)
	if res.Code == http.StatusForbidden && strings.Contains(res.Headers.Get(HeaderErrorType), "AccessDenied") {
		rec.Error += fmt.Sprintf(" (lambda function %q: the caller needs %s)", t.opts.Function, PermInvokeFunction)
	}
}

// AnnotateLambda fills rec from an Invoke API response:
//   - x-amzn-RequestId → RequestID;
//   - X-Amz-Log-Result (base64 tail) → the REPORT fields (ApplyReport); a
//     missing or unparseable tail is recorded in ReportError and never fails
//     the record;
//   - 429 → ErrorClassThrottle;
//   - X-Amz-Function-Error (Unhandled/Handled) → FunctionError and
//     ErrorClassFunctionError, with the error type from the payload when the
//     body was kept (vegeta counts these 200s as successes; benchctl doesn't);
//   - REPORT Status: timeout → ErrorClassTimeout.
func AnnotateLambda(res *vegeta.Result, rec *results.Record) {
	h := res.Headers
	if id := h.Get(HeaderRequestID); id != "" {
		rec.RequestID = id
	}
	if lr := h.Get(HeaderLogResult); lr != "" {
		rep, err := lambdareport.ParseLogResult(lr)
		if err != nil {
			rec.ReportError = err.Error()
		}
		ApplyReport(rec, rep)
	} else if res.Code >= 200 && res.Code < 300 {
		rec.ReportError = "no " + HeaderLogResult + " header in response"
	}
	switch {
	case res.Code == http.StatusTooManyRequests:
		rec.ErrorClass = results.ErrorClassThrottle
		if rec.Error == "" {
			rec.Error = "429 Too Many Requests"
		}
		if et := h.Get(HeaderErrorType); et != "" && !strings.Contains(rec.Error, et) {
			rec.Error += ": " + et
		}
	case h.Get(HeaderFunctionError) != "":
		fe := h.Get(HeaderFunctionError)
		rec.FunctionError = fe
		rec.ErrorClass = results.ErrorClassFunctionError
		rec.Error = "function error (" + fe + ")" + functionErrorDetail(res.Body)
	case res.Code >= 400:
		if rec.ErrorClass == "" {
			rec.ErrorClass = results.ErrorClassHTTP4xx
			if res.Code >= 500 {
				rec.ErrorClass = results.ErrorClassHTTP5xx
			}
		}
		if et := h.Get(HeaderErrorType); et != "" && !strings.Contains(rec.Error, et) {
			if rec.Error == "" {
				rec.Error = fmt.Sprintf("%d %s", res.Code, http.StatusText(int(res.Code)))
			}
			rec.Error += ": " + et
		}
	}
	if rec.ReportStatus == lambdareport.StatusTimeout {
		rec.ErrorClass = results.ErrorClassTimeout
		if rec.Error == "" {
			rec.Error = "function timed out (REPORT Status: timeout)"
		}
	}
	if rec.ErrorClass != "" && rec.Error == "" {
		rec.Error = fmt.Sprintf("%d %s", res.Code, http.StatusText(int(res.Code)))
	}
}

// functionErrorDetail extracts ": <errorType>: <errorMessage>" from a
// function error payload, or "" when the body is absent or not that shape.
// Only the first KeepBodyBytes of a body are kept, so the payload may be
// cut short (a long stackTrace): the fields are read token by token and
// whatever came before the cut is used.
func functionErrorDetail(body []byte) string {
	if len(body) == 0 {
		return ""
	}
	var errType, errMsg string
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return ""
	}
	for dec.More() && (errType == "" || errMsg == "") {
		key, err := dec.Token()
		if err != nil {
			break
		}
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			break
		}
		var str string
		if json.Unmarshal(val, &str) != nil {
			continue
		}
		switch key {
		case "errorType":
			errType = str
		case "errorMessage":
			errMsg = str
		}
	}
	if errType == "" && errMsg == "" {
		return ""
	}
	if len(errMsg) > 200 {
		errMsg = errMsg[:200]
	}
	return ": " + strings.Trim(errType+": "+errMsg, ": ")
}

// ApplyReport copies the fields a REPORT line carried into rec (absent
// fields stay nil) and sets Cold when the line has an Init Duration or a
// SnapStart Restore Duration. RequestID is only set when rec has none.
func ApplyReport(rec *results.Record, r lambdareport.Report) {
	if r.Has(lambdareport.FieldRequestID) && rec.RequestID == "" {
		rec.RequestID = r.RequestID
	}
	if r.Has(lambdareport.FieldDuration) {
		rec.DurationMs = fptr(r.DurationMs)
	}
	if r.Has(lambdareport.FieldBilledDuration) {
		rec.BilledDurationMs = fptr(r.BilledDurationMs)
	}
	if r.Has(lambdareport.FieldMemorySize) {
		v := r.MemorySizeMB
		rec.MemorySizeMB = &v
	}
	if r.Has(lambdareport.FieldMaxMemoryUsed) {
		v := r.MaxMemoryUsedMB
		rec.MaxMemoryUsedMB = &v
	}
	if r.InitDurationMs != nil {
		rec.InitDurationMs = fptr(*r.InitDurationMs)
	}
	if r.RestoreDurationMs != nil {
		rec.RestoreDurationMs = fptr(*r.RestoreDurationMs)
	}
	if r.BilledRestoreDurationMs != nil {
		rec.BilledRestoreDurationMs = fptr(*r.BilledRestoreDurationMs)
	}
	rec.Cold = rec.Cold || r.Cold()
	if r.Status != "" {
		rec.ReportStatus = r.Status
	}
}

func fptr(v float64) *float64 { return &v }
