package loadgen

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/benchctl/benchctl/lambdareport"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// lambda-url defaults.
const (
	// DefaultLogJoinWait is how long FetchReports keeps polling for REPORT
	// events that have not been ingested yet (CloudWatch Logs lags by seconds).
	DefaultLogJoinWait = 45 * time.Second
	// DefaultLogJoinPoll is the polling interval while waiting.
	DefaultLogJoinPoll = 3 * time.Second
	// ReportFilterPattern selects REPORT lines in both log formats.
	ReportFilterPattern = `?"REPORT RequestId" ?"platform.report"`
	// logWindowSlack widens the FilterLogEvents window on both sides.
	logWindowSlack = 5 * time.Second
)

// LogsAPI is the CloudWatch Logs call the log join needs;
// *cloudwatchlogs.Client implements it.
type LogsAPI interface {
	FilterLogEvents(ctx context.Context, in *cloudwatchlogs.FilterLogEventsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error)
}

var _ LogsAPI = (*cloudwatchlogs.Client)(nil)

// LogsClientOptions configures NewLogsClient.
type LogsClientOptions struct {
	Region string
	// Endpoint overrides the CloudWatch Logs endpoint (a local stand-in).
	Endpoint string
	// Credentials nil means the default chain of aws-sdk-go-v2/config.
	Credentials aws.CredentialsProvider
	// HTTPClient nil means the SDK default.
	HTTPClient *http.Client
}

// NewLogsClient builds a CloudWatch Logs client with explicit retries
// (DefaultControlMaxAttempts, DefaultControlMaxBackoff).
func NewLogsClient(ctx context.Context, o LogsClientOptions) (*cloudwatchlogs.Client, error) {
	if o.Credentials == nil || o.Region == "" {
		var opts []func(*config.LoadOptions) error
		if o.Region != "" {
			opts = append(opts, config.WithRegion(o.Region))
		}
		cfg, err := config.LoadDefaultConfig(ctx, opts...)
		if err != nil {
			return nil, fmt.Errorf("cloudwatch logs: load aws config: %w", err)
		}
		if o.Region == "" {
			o.Region = cfg.Region
		}
		if o.Credentials == nil {
			o.Credentials = cfg.Credentials
		}
	}
	if o.Region == "" {
		return nil, errors.New("cloudwatch logs: no region (set region: on the target or AWS_REGION)")
	}
	lo := cloudwatchlogs.Options{Region: o.Region, Credentials: o.Credentials,
		Retryer: retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = DefaultControlMaxAttempts
			so.MaxBackoff = DefaultControlMaxBackoff
		})}
	if o.Endpoint != "" {
		lo.BaseEndpoint = aws.String(o.Endpoint)
	}
	if o.HTTPClient != nil {
		lo.HTTPClient = o.HTTPClient
	}
	return cloudwatchlogs.New(lo), nil
}

// LogGroup is the log group of a function: /aws/lambda/<name>, where an
// ARN's name part is used.
func LogGroup(function string) string {
	name := function
	if strings.HasPrefix(name, "arn:") {
		parts := strings.Split(name, ":")
		if len(parts) >= 7 {
			name = parts[6]
		}
	}
	return "/aws/lambda/" + name
}

// FetchOptions bounds FetchReports.
type FetchOptions struct {
	// Wait is how long to keep polling for wanted ids not yet found; 0
	// means DefaultLogJoinWait, negative means one pass.
	Wait time.Duration
	// Poll is the interval between passes; 0 means DefaultLogJoinPoll.
	Poll time.Duration
	// CallTimeout bounds each FilterLogEvents page; 0 means DefaultControlCallTimeout.
	CallTimeout time.Duration
}

// FetchReports reads REPORT lines of group between start and end (widened
// by a few seconds) with FilterLogEvents (all pages, ReportFilterPattern)
// and returns them by request id. It polls until every id in want is found
// or o.Wait has passed; with want empty it makes one pass. AccessDenied
// yields a *PermissionError naming logs:FilterLogEvents.
func FetchReports(ctx context.Context, api LogsAPI, group string, start, end time.Time, want map[string]bool, o FetchOptions) (map[string]lambdareport.Report, error) {
	if o.Wait == 0 {
		o.Wait = DefaultLogJoinWait
	}
	if o.Poll <= 0 {
		o.Poll = DefaultLogJoinPoll
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = DefaultControlCallTimeout
	}
	found := map[string]lambdareport.Report{}
	deadline := time.Now().Add(max(o.Wait, 0))
	for pass := 0; ; pass++ {
		in := &cloudwatchlogs.FilterLogEventsInput{
			LogGroupName:  aws.String(group),
			StartTime:     aws.Int64(start.Add(-logWindowSlack).UnixMilli()),
			EndTime:       aws.Int64(end.Add(logWindowSlack).UnixMilli()),
			FilterPattern: aws.String(ReportFilterPattern),
		}
		p := cloudwatchlogs.NewFilterLogEventsPaginator(api, in)
		for pages := 0; p.HasMorePages() && pages < 10000; pages++ {
			cctx, cancel := context.WithTimeout(ctx, o.CallTimeout)
			out, err := p.NextPage(cctx)
			cancel()
			if err != nil {
				return found, wrapLogsErr(group, err)
			}
			for _, ev := range out.Events {
				rep, err := lambdareport.Parse(aws.ToString(ev.Message))
				if err != nil || rep.RequestID == "" {
					continue
				}
				found[rep.RequestID] = rep
			}
		}
		missing := 0
		for id := range want {
			if _, ok := found[id]; !ok {
				missing++
			}
		}
		if missing == 0 || len(want) == 0 || !time.Now().Add(o.Poll).Before(deadline) {
			return found, nil
		}
		select {
		case <-ctx.Done():
			return found, fmt.Errorf("fetch REPORT lines from %s: %w", group, ctx.Err())
		case <-time.After(o.Poll):
		}
	}
}

func wrapLogsErr(group string, err error) error {
	if isAccessDenied(err) {
		return &PermissionError{Resource: "log group " + group, Permission: PermFilterLogEvents, Err: err}
	}
	var nf *cwtypes.ResourceNotFoundException
	if errors.As(err, &nf) {
		return fmt.Errorf("log group %s: not found (has the function logged yet?): %w", group, err)
	}
	return fmt.Errorf("log group %s: filter log events: %w", group, err)
}

// JoinStats says how a log join went.
type JoinStats struct {
	Target string
	// Records is the number of records of the target; WithID of them carried
	// an x-amzn-RequestId; Joined got a REPORT line.
	Records, WithID, Joined int
	// Err is why no REPORT lines could be read (then records fall back to
	// client latency); nil when the fetch worked.
	Err error
}

// Note is the summary note for a join that fell short, or "" when every
// record with an id was joined.
func (s JoinStats) Note() string {
	switch {
	case s.Records == 0:
		return ""
	case s.Err != nil:
		return fmt.Sprintf("%s: billed durations unavailable (%v); costs use client-side latency and are estimates", s.Target, s.Err)
	case s.Joined < s.Records:
		return fmt.Sprintf("%s: %d of %d requests joined to REPORT lines from CloudWatch Logs; costs of the others use client-side latency and are estimates", s.Target, s.Joined, s.Records)
	}
	return ""
}

// ReportJoin is the join of target's request from a REPORT line: a record
// holding only the target, the request id and the REPORT's fields (see
// results.Record.MergeReport).
func ReportJoin(target string, r lambdareport.Report) results.Record {
	rec := results.Record{Target: target, RequestID: r.RequestID}
	ApplyReport(&rec, r)
	return rec
}

// LambdaURLOptions configures a lambda-url target.
type LambdaURLOptions struct {
	// Function names the function behind the URL (for its log group).
	Function string
	// LogGroup overrides LogGroup(Function).
	LogGroup string
	// Logs reads REPORT lines; nil disables the join (every record is then
	// an estimate, and Join says so).
	Logs LogsAPI
	// Fetch bounds the log reads.
	Fetch FetchOptions
}

// LambdaURLTarget is a lambda-url target: a function URL (or API Gateway)
// driven as plain HTTP(S) by an inner http Target. Billed duration is not
// in the response, so the target's records are written at once (Track
// notes their request ids from the x-amzn-RequestId header) and, after the
// phase, Join reads the REPORT lines of the phase's time window from
// CloudWatch Logs and returns them as joins (results.AppendJoins): the run
// appends them to joins.jsonl and folds them into results.jsonl at its
// end (results.ApplyJoins), so a crash loses no record and no join
// already read.
type LambdaURLTarget struct {
	inner   Target
	opts    LambdaURLOptions
	mu      sync.Mutex // guards pending: the Runner encodes from one goroutine per target
	pending map[string]bool
	start   time.Time
	end     time.Time
	records int
}

var _ Target = (*LambdaURLTarget)(nil)

// NewLambdaURLTarget wraps inner (the http target for the URL).
func NewLambdaURLTarget(inner Target, o LambdaURLOptions) (*LambdaURLTarget, error) {
	if inner == nil {
		return nil, errors.New("lambda-url target: no http target")
	}
	if o.LogGroup == "" {
		if o.Function == "" {
			return nil, fmt.Errorf("lambda-url target %q: function (or log_group) is required for the log join", inner.Name())
		}
		o.LogGroup = LogGroup(o.Function)
	}
	return &LambdaURLTarget{inner: inner, opts: o, pending: map[string]bool{}}, nil
}

// Name is the scenario target name.
func (t *LambdaURLTarget) Name() string { return t.inner.Name() }

// Kind is lambda-url.
func (t *LambdaURLTarget) Kind() string { return scenarios.KindLambdaURL }

// Client is the inner target's client.
func (t *LambdaURLTarget) Client() *http.Client { return t.inner.Client() }

// Request delegates to the inner target.
func (t *LambdaURLTarget) Request(body []byte, vt *vegeta.Target) error {
	return t.inner.Request(body, vt)
}

// MaxBodyBytes is the inner target's response size cap (0 when it has none).
func (t *LambdaURLTarget) MaxBodyBytes() int64 {
	if mb, ok := t.inner.(interface{ MaxBodyBytes() int64 }); ok {
		return mb.MaxBodyBytes()
	}
	return 0
}

// Annotate lets the inner target annotate, then records the request id
// (x-amzn-RequestId) and classifies 429 as a throttle. A response without
// a request id can never be joined: its record says so (report_error).
func (t *LambdaURLTarget) Annotate(res *vegeta.Result, rec *results.Record) {
	t.inner.Annotate(res, rec)
	if id := res.Headers.Get(HeaderRequestID); id != "" {
		rec.RequestID = id
	} else if res.Code != 0 {
		rec.ReportError = "no " + HeaderRequestID + " header in the response: no REPORT line can be joined"
	}
	if res.Code == http.StatusTooManyRequests {
		rec.ErrorClass = results.ErrorClassThrottle
	}
}

// Track returns an Encoder that passes every record straight to next and
// notes the request ids (and the time window) of this target's records
// for Join.
func (t *LambdaURLTarget) Track(next results.Encoder) results.Encoder {
	return func(r *results.Record) error {
		if r.Target == t.Name() {
			t.mu.Lock()
			t.records++
			if r.RequestID != "" {
				t.pending[r.RequestID] = true
				if t.start.IsZero() || r.Timestamp.Before(t.start) {
					t.start = r.Timestamp
				}
				if e := r.Timestamp.Add(r.Latency); e.After(t.end) {
					t.end = e
				}
			}
			t.mu.Unlock()
		}
		return next(r)
	}
}

// Join reads the REPORT lines of the request ids tracked since the last
// Join from CloudWatch Logs and returns one join per id (ReportJoin): the
// REPORT's fields, or a ReportError saying why there is none (no Logs
// access, the line was not found within FetchOptions.Wait). A failed log
// read does not fail the run: it is in stats.Err and stats.Note(). Call
// it after each phase (or once at the end) with a context that is not
// already cancelled, e.g. a fresh bounded one after Ctrl-C.
func (t *LambdaURLTarget) Join(ctx context.Context) (JoinStats, []results.Record) {
	t.mu.Lock()
	pending, start, end, records := t.pending, t.start, t.end, t.records
	t.pending, t.start, t.end, t.records = map[string]bool{}, time.Time{}, time.Time{}, 0
	t.mu.Unlock()
	st := JoinStats{Target: t.Name(), Records: records, WithID: len(pending)}
	var reps map[string]lambdareport.Report
	switch {
	case records == 0:
		return st, nil
	case t.opts.Logs == nil:
		st.Err = errors.New("no CloudWatch Logs access configured")
	case len(pending) == 0:
		st.Err = errors.New("responses carried no x-amzn-RequestId header")
	default:
		reps, st.Err = FetchReports(ctx, t.opts.Logs, t.opts.LogGroup, start, end, pending, t.opts.Fetch)
	}
	why := "no REPORT line joined from CloudWatch Logs"
	if st.Err != nil {
		why += " (" + st.Err.Error() + ")"
	}
	joins := make([]results.Record, 0, len(pending))
	for _, id := range slices.Sorted(maps.Keys(pending)) {
		if rep, ok := reps[id]; ok {
			joins = append(joins, ReportJoin(t.Name(), rep))
			st.Joined++
			continue
		}
		joins = append(joins, results.Record{Target: t.Name(), RequestID: id, ReportError: why})
	}
	return st, joins
}
