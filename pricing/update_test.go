package pricing

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awspricing "github.com/aws/aws-sdk-go-v2/service/pricing"
)

// priceListServer speaks the Price List API wire format (AWS JSON 1.1,
// X-Amz-Target AWSPriceListService.GetProducts): it answers each query with
// the fixture file chosen by fixture(service, filters), one product per
// page, paginated with NextToken.
type priceListServer struct {
	t       *testing.T
	fixture func(service string, filters map[string]string) string
	raw     func(service string) []string // overrides fixtures with raw PriceList strings
	mu      sync.Mutex
	calls   int
}

func (s *priceListServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.calls++
	s.mu.Unlock()
	if r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != "AWSPriceListService.GetProducts" ||
		!strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-amz-json-1.1") ||
		!strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256") {
		http.Error(w, `{"__type":"BadRequest"}`, http.StatusBadRequest)
		return
	}
	var in struct {
		ServiceCode   string
		FormatVersion string
		NextToken     string
		MaxResults    int
		Filters       []struct{ Field, Type, Value string }
	}
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &in); err != nil || in.FormatVersion != "aws_v1" {
		http.Error(w, `{"__type":"InvalidParameterException"}`, http.StatusBadRequest)
		return
	}
	filters := map[string]string{}
	for _, f := range in.Filters {
		if f.Type != "TERM_MATCH" {
			http.Error(w, `{"__type":"InvalidParameterException"}`, http.StatusBadRequest)
			return
		}
		filters[f.Field] = f.Value
	}
	var list []string
	if s.raw != nil {
		list = s.raw(in.ServiceCode)
	} else {
		data, err := os.ReadFile(filepath.Join("testdata", "pricelist", s.fixture(in.ServiceCode, filters)))
		if err == nil {
			var docs []json.RawMessage
			if err := json.Unmarshal(data, &docs); err != nil {
				s.t.Errorf("fixture: %v", err)
			}
			for _, d := range docs {
				list = append(list, string(d))
			}
		}
	}
	page := 0
	if in.NextToken != "" {
		page, _ = strconv.Atoi(strings.TrimPrefix(in.NextToken, "page-"))
	}
	out := map[string]any{"FormatVersion": "aws_v1", "PriceList": []string{}}
	if page < len(list) {
		out["PriceList"] = []string{list[page]}
	}
	if page+1 < len(list) {
		out["NextToken"] = "page-" + strconv.Itoa(page+1)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

func defaultFixture(service string, f map[string]string) string {
	if service == "AWSLambda" {
		return "lambda-" + f["group"] + ".json"
	}
	return "ec2-" + f["instanceType"] + ".json"
}

func testClient(url string) *awspricing.Client {
	return awspricing.New(awspricing.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "SECRETTEST", "")})
}

func TestUpdate(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(&priceListServer{t: t, fixture: defaultFixture})
	defer srv.Close()
	base := mustBook(t)
	now := func() time.Time { return time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC) }
	nb, changes, err := Update(context.Background(), testClient(srv.URL), base, UpdateOptions{Instances: []string{"c7g.large", "c7i.large"}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	x86 := mustFind(t, nb, PlatformLambda, "us-east-1", ArchX86, "", "")
	if len(x86.Lambda.DurationTiers) != 3 || !x86.Lambda.DurationTiers[0].USD.Equal(d("0.0000166667")) ||
		!x86.Lambda.DurationTiers[0].UpToGBSeconds.Equal(d("6000000000")) || x86.Lambda.DurationTiers[2].UpToGBSeconds != nil {
		t.Errorf("x86 tiers = %+v", x86.Lambda.DurationTiers)
	}
	if x86.Source != PriceListSource || x86.EffectiveDate != "2026-10-01" || x86.Retrieved != "2026-11-27" {
		t.Errorf("provenance = %q %q %q", x86.Source, x86.EffectiveDate, x86.Retrieved)
	}
	c7i := mustFind(t, nb, PlatformEC2, "us-east-1", "", "", "c7i.large")
	if !c7i.EC2.HourlyUSD.Equal(d("0.08925")) || c7i.EC2.VCPU != 2 || c7i.Architecture != ArchX86 || c7i.EffectiveDate != "2026-10-05" {
		t.Errorf("c7i = %+v %+v", c7i, c7i.EC2)
	}
	// Only the arm64 tier-1 price changed in the fixtures.
	var rateChanges []Change
	for _, c := range changes {
		if !strings.Contains(c.Field, "free") && !strings.Contains(c.Field, "provisioned") {
			rateChanges = append(rateChanges, c)
		}
	}
	if len(rateChanges) != 1 || rateChanges[0].Field != "lambda.duration_tiers[0].usd" || rateChanges[0].New != "0.0000128" {
		t.Errorf("changes = %+v", changes)
	}
	// The written book reads back identically.
	var buf bytes.Buffer
	if err := WriteBook(&buf, nb); err != nil {
		t.Fatal(err)
	}
	back, err := ParseBook("updated.yaml", buf.Bytes())
	if err != nil {
		t.Fatalf("parse written book: %v\n%s", err, buf.String()[:400])
	}
	if diff := Diff(nb, back); len(diff) != 0 {
		t.Errorf("round trip changed %+v", diff)
	}
}

func TestUpdateMalformed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		raw  func(string) []string
		file string
		want string
	}{
		{"not json", func(string) []string { return []string{"{not json"} }, "", "not a JSON document"},
		{"no USD", nil, "malformed-no-usd.json", "no USD price"},
		{"bad range", nil, "malformed-bad-range.json", `endRange "lots"`},
		{"no products", func(string) []string { return nil }, "", "0 products, want 1"},
		{"no terms", func(string) []string {
			return []string{`{"product":{"sku":"X","attributes":{"location":"US East (N. Virginia)"}},"terms":{}}`}
		}, "", "no OnDemand terms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := &priceListServer{t: t, raw: tt.raw, fixture: func(string, map[string]string) string { return tt.file }}
			srv := httptest.NewServer(s)
			defer srv.Close()
			_, _, err := Update(context.Background(), testClient(srv.URL), mustBook(t), UpdateOptions{Instances: []string{"c7g.large"}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
			if tt.want != "0 products, want 1" && !errors.Is(err, ErrPriceList) {
				t.Errorf("err %v is not ErrPriceList", err)
			}
		})
	}
}

func TestUpdateNetworkError(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	_, _, err := Update(context.Background(), testClient(url), mustBook(t), UpdateOptions{})
	if err == nil || !strings.Contains(err.Error(), "get products AWSLambda") {
		t.Fatalf("err = %v", err)
	}
}

func TestNewClientNoCredentials(t *testing.T) {
	// Not parallel: it sets the environment.
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "")
	t.Setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "")
	t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "")
	_, err := NewClient(context.Background(), "")
	if !errors.Is(err, ErrNoCredentials) || !strings.Contains(err.Error(), "AWS_PROFILE") {
		t.Fatalf("err = %v, want ErrNoCredentials with advice", err)
	}
}
