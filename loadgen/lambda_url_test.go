package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/benchctl/benchctl/lambdareport"
	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// fakeLogs is a stand-in for the CloudWatch Logs API (awsJson1.1,
// X-Amz-Target Logs_20140328.FilterLogEvents) serving REPORT events in
// pages of pageSize; on the first pass it hides the newest event, as
// ingestion lag does.
type fakeLogs struct {
	srv      *httptest.Server
	mu       sync.Mutex
	events   []map[string]any
	group    string
	calls    int
	passes   int
	deny     bool
	pageSize int
	patterns []string
}

func newFakeLogs(t *testing.T, group string) *fakeLogs {
	f := &fakeLogs{group: group, pageSize: 3}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeLogs) add(msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now().UnixMilli()
	f.events = append(f.events, map[string]any{"logStreamName": "2026/01/01/[$LATEST]abc", "timestamp": now,
		"ingestionTime": now, "message": msg, "eventId": strconv.Itoa(len(f.events))})
}

func (f *fakeLogs) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if r.Header.Get("X-Amz-Target") != "Logs_20140328.FilterLogEvents" || !strings.Contains(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256") {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = fmt.Fprintf(w, `{"__type":"UnknownOperationException","message":"%s"}`, r.Header.Get("X-Amz-Target"))
		return
	}
	var in struct {
		LogGroupName  string `json:"logGroupName"`
		StartTime     int64  `json:"startTime"`
		EndTime       int64  `json:"endTime"`
		FilterPattern string `json:"filterPattern"`
		NextToken     string `json:"nextToken"`
	}
	_ = json.Unmarshal(body, &in)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.deny {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"AccessDeniedException","message":"User is not authorized to perform: logs:FilterLogEvents"}`)
		return
	}
	if in.LogGroupName != f.group {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"ResourceNotFoundException","message":"The specified log group does not exist."}`)
		return
	}
	f.patterns = append(f.patterns, in.FilterPattern)
	visible := f.events
	if in.NextToken == "" {
		f.passes++
	}
	if f.passes == 1 && len(visible) > 0 {
		visible = visible[:len(visible)-1]
	}
	var inWindow []map[string]any
	for _, e := range visible {
		if ts := e["timestamp"].(int64); ts >= in.StartTime && ts <= in.EndTime {
			inWindow = append(inWindow, e)
		}
	}
	off, _ := strconv.Atoi(in.NextToken)
	end := min(off+f.pageSize, len(inWindow))
	out := map[string]any{"events": inWindow[min(off, end):end], "searchedLogStreams": []any{}}
	if end < len(inWindow) {
		out["nextToken"] = strconv.Itoa(end)
	}
	_ = json.NewEncoder(w).Encode(out)
}

// fakeFunctionURL answers like a function URL and logs a REPORT line per
// request into logs (every skipEvery-th request gets none).
func fakeFunctionURL(t *testing.T, logs *fakeLogs, skipEvery int) *httptest.Server {
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		i := n
		mu.Unlock()
		id := fmt.Sprintf("11111111-0000-4000-8000-%012d", i)
		w.Header().Set("X-Amzn-RequestId", id)
		if skipEvery == 0 || i%skipEvery != 0 {
			rep := lambdareport.Report{RequestID: id, DurationMs: 4.2, BilledDurationMs: 5, MemorySizeMB: 512, MaxMemoryUsedMB: 60}
			if i == 1 {
				rep.InitDurationMs = fptr(90)
				rep.BilledDurationMs = 95
			}
			logs.add("START RequestId: " + id + " Version: $LATEST")
			logs.add(rep.String() + "\n")
		}
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestLambdaURLJoin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		deny       bool
		noLogs     bool
		skipEvery  int
		wantJoined bool
		wantNote   string
	}{
		{name: "joined", wantJoined: true},
		{name: "some missing", skipEvery: 4, wantNote: "joined to REPORT lines"},
		{name: "access denied", deny: true, wantNote: "logs:FilterLogEvents"},
		{name: "no log client", noLogs: true, wantNote: "no CloudWatch Logs access"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			logs := newFakeLogs(t, "/aws/lambda/sentiment")
			logs.deny = tt.deny
			fnURL := fakeFunctionURL(t, logs, tt.skipEvery)
			inner, err := NewHTTPTarget(scenarios.Target{Name: "url", Kind: scenarios.KindLambdaURL, URL: fnURL.URL}, "")
			if err != nil {
				t.Fatal(err)
			}
			o := LambdaURLOptions{Function: "arn:aws:lambda:us-east-1:123456789012:function:sentiment",
				Fetch: FetchOptions{Wait: 300 * time.Millisecond, Poll: 20 * time.Millisecond}}
			if !tt.noLogs {
				lc, err := NewLogsClient(context.Background(), LogsClientOptions{Region: "us-east-1", Endpoint: logs.srv.URL,
					Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")})
				if err != nil {
					t.Fatal(err)
				}
				o.Logs = lc
			}
			tgt, err := NewLambdaURLTarget(inner, o)
			if err != nil {
				t.Fatal(err)
			}
			var c collect
			r := &Runner{Encoder: tgt.Track(c.enc), Seed: 5}
			out, err := r.RunPhase(context.Background(), PhaseRun{Phase: shortPhase("steady", 40, 250*time.Millisecond), Targets: []Target{tgt}})
			if err != nil {
				t.Fatal(err)
			}
			// Every record is written at once, before the join.
			if n := len(c.all()); int64(n) != out.Targets[0].Summary.Requests || n == 0 {
				t.Fatalf("%d records written during the phase, want all %d", n, out.Targets[0].Summary.Requests)
			}
			st, joins := tgt.Join(context.Background())
			if len(joins) != st.WithID {
				t.Fatalf("%d joins for %d request ids", len(joins), st.WithID)
			}
			byID := map[string]results.Record{}
			for _, j := range joins {
				byID[j.RequestID] = j
			}
			recs := c.all()
			for i := range recs {
				if j, ok := byID[recs[i].RequestID]; ok {
					recs[i].MergeReport(&j)
				}
			}
			if st2, js := tgt.Join(context.Background()); st2.Records != 0 || len(js) != 0 {
				t.Errorf("a second Join found %d records and %d joins, want none (already joined)", st2.Records, len(js))
			}
			if len(recs) < 5 || st.Records != len(recs) || st.WithID != len(recs) {
				t.Fatalf("records %d, stats %+v", len(recs), st)
			}
			if tt.deny {
				var pe *PermissionError
				if !errors.As(st.Err, &pe) {
					t.Errorf("stats.Err = %v, want a PermissionError", st.Err)
				}
			}
			if tt.wantNote == "" && st.Note() != "" || tt.wantNote != "" && !strings.Contains(st.Note(), tt.wantNote) {
				t.Errorf("note = %q, want %q", st.Note(), tt.wantNote)
			}
			joined := 0
			for _, rec := range recs {
				if rec.BilledDurationMs != nil {
					joined++
					if rec.MemorySizeMB == nil || *rec.MemorySizeMB != 512 || rec.RequestID == "" {
						t.Errorf("joined record %+v", rec)
					}
				} else if rec.ReportError == "" {
					t.Errorf("unjoined record without report_error: %+v", rec)
				}
			}
			if joined != st.Joined {
				t.Errorf("joined %d, stats say %d", joined, st.Joined)
			}
			if tt.wantJoined && joined != len(recs) {
				t.Errorf("joined %d of %d (the hidden first-pass event must be found on a later poll)", joined, len(recs))
			}
			if tt.wantJoined {
				if logs.patterns[0] != ReportFilterPattern {
					t.Errorf("filter pattern %q", logs.patterns[0])
				}
				if !recs[0].Cold {
					t.Errorf("first record not cold after the join")
				}
			}
			if tt.skipEvery > 0 && (joined == 0 || joined == len(recs)) {
				t.Errorf("joined %d of %d, want some but not all", joined, len(recs))
			}
		})
	}
}

func TestLogGroup(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"sentiment", "/aws/lambda/sentiment"},
		{"arn:aws:lambda:us-east-1:123456789012:function:sentiment", "/aws/lambda/sentiment"},
		{"arn:aws:lambda:us-east-1:123456789012:function:sentiment:live", "/aws/lambda/sentiment"},
	}
	for _, tt := range tests {
		if got := LogGroup(tt.in); got != tt.want {
			t.Errorf("LogGroup(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
