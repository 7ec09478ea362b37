package loadgen

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/benchctl/benchctl/results"
	"github.com/benchctl/benchctl/scenarios"
)

// Defaults of an http target.
const (
	// DefaultTimeout is the per-request timeout (whole request incl. body).
	DefaultTimeout = 30 * time.Second
	// DefaultMaxBodyBytes caps how much of a response is read (1 MiB).
	DefaultMaxBodyBytes int64 = 1 << 20
	// DefaultMaxIdleConns is the idle keep-alive connections kept per host.
	DefaultMaxIdleConns = 10000
)

// NewTransport returns the *http.Transport benchctl sends with: HTTP/1.1
// keep-alive, a 5 s dial timeout, many idle connections per host, no proxy
// for loopback. Targets wrap it (e.g. SigV4 signing) and pass it to vegeta
// through vegeta.Client, never through vegeta's transport options (notes §1.1).
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        0,
		MaxIdleConnsPerHost: DefaultMaxIdleConns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
}

// HTTPTarget sends each request to a URL with a method and headers. It
// implements Target.
type HTTPTarget struct {
	name, method, url string
	header            http.Header
	client            *http.Client
	maxBody           int64
}

var _ Target = (*HTTPTarget)(nil)

// NewHTTPTarget builds an http target from its scenario entry; url overrides
// spec.URL when not empty (the resolved URL of a started server).
func NewHTTPTarget(spec scenarios.Target, resolvedURL string) (*HTTPTarget, error) {
	u := spec.URL
	if resolvedURL != "" {
		u = resolvedURL
	}
	pu, err := url.Parse(u)
	if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
		return nil, fmt.Errorf("target %s: url %q must be an absolute http(s) URL", spec.Name, u)
	}
	method := strings.ToUpper(spec.Method)
	if method == "" {
		method = http.MethodPost
	}
	timeout := spec.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	maxBody := spec.MaxBodyBytes
	if maxBody <= 0 {
		maxBody = DefaultMaxBodyBytes
	}
	h := http.Header{}
	for k, v := range spec.Headers {
		h.Set(k, v)
	}
	return &HTTPTarget{
		name: spec.Name, method: method, url: u, header: h, maxBody: maxBody,
		client: &http.Client{Transport: NewTransport(), Timeout: timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}, nil
}

// Name implements Target.
func (t *HTTPTarget) Name() string { return t.name }

// Kind implements Target.
func (t *HTTPTarget) Kind() string { return scenarios.KindHTTP }

// Client implements Target; its Timeout is the per-request timeout.
func (t *HTTPTarget) Client() *http.Client { return t.client }

// MaxBodyBytes is how much of each response is read.
func (t *HTTPTarget) MaxBodyBytes() int64 { return t.maxBody }

// Close closes the target's idle keep-alive connections.
func (t *HTTPTarget) Close() error {
	t.client.CloseIdleConnections()
	return nil
}

// URL is the request URL.
func (t *HTTPTarget) URL() string { return t.url }

// Request implements Target. The header map is shared read-only.
func (t *HTTPTarget) Request(body []byte, vt *vegeta.Target) error {
	vt.Method, vt.URL, vt.Body, vt.Header = t.method, t.url, body, t.header
	return nil
}

// Annotate implements Target: it records the Server-Timing total.
func (t *HTTPTarget) Annotate(res *vegeta.Result, rec *results.Record) {
	if v, ok := ParseServerTiming(res.Headers.Values("Server-Timing")); ok {
		rec.ServerTimingMs = &v
	}
}

// ParseServerTiming reads Server-Timing header values
// (`inference;dur=12.5, queue;dur=0.3`). It returns the dur of the metric
// named "inference" when present, otherwise the sum of all dur values, and
// false when no dur is given.
func ParseServerTiming(values []string) (float64, bool) {
	var sum float64
	var found bool
	for _, v := range values {
		for _, metric := range strings.Split(v, ",") {
			parts := strings.Split(metric, ";")
			name := strings.TrimSpace(parts[0])
			for _, p := range parts[1:] {
				k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
				if !ok || !strings.EqualFold(strings.TrimSpace(k), "dur") {
					continue
				}
				d, err := strconv.ParseFloat(strings.Trim(strings.TrimSpace(val), `"`), 64)
				if err != nil {
					continue
				}
				if strings.EqualFold(name, "inference") {
					return d, true
				}
				sum += d
				found = true
			}
		}
	}
	return sum, found
}

// Errors the attack loop produces itself.
var (
	// ErrDropped is the error of a request not sent because max_in_flight
	// requests were already in flight.
	ErrDropped = errors.New("benchctl: dropped by generator: max_in_flight reached")
	// ErrBodyTooLarge is the error of a response longer than max_body_bytes.
	ErrBodyTooLarge = errors.New("benchctl: response body exceeds max_body_bytes")
)

// ClassifyError maps a vegeta result to a results.ErrorClass* value ("" for
// success). Transport errors arrive as text, so they are matched by message.
func ClassifyError(code uint16, errText string) string {
	switch {
	case errText == "" && code >= 200 && code < 400:
		return ""
	case strings.Contains(errText, ErrDropped.Error()):
		return results.ErrorClassDropped
	case strings.Contains(errText, ErrBodyTooLarge.Error()):
		return results.ErrorClassBodyTooLarge
	case code == http.StatusTooManyRequests:
		return results.ErrorClassThrottle
	case code >= 400 && code < 500:
		return results.ErrorClassHTTP4xx
	case code >= 500:
		return results.ErrorClassHTTP5xx
	case strings.Contains(errText, "Client.Timeout"), strings.Contains(errText, "deadline exceeded"),
		strings.Contains(errText, "i/o timeout"), strings.Contains(errText, "timeout awaiting"):
		return results.ErrorClassTimeout
	case strings.Contains(errText, "connection refused"):
		return results.ErrorClassConnRefused
	case strings.Contains(errText, "connection reset"), strings.Contains(errText, "broken pipe"),
		strings.Contains(errText, "EOF"), strings.Contains(errText, "server closed idle connection"):
		return results.ErrorClassConnReset
	default:
		return results.ErrorClassOther
	}
}
