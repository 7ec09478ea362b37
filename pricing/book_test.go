package pricing

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEmbeddedBookCoverage(t *testing.T) {
	t.Parallel()
	b := mustBook(t)
	for _, region := range []string{"us-east-1", "eu-west-1"} {
		for _, arch := range []string{ArchX86, ArchArm64} {
			mustFind(t, b, PlatformLambda, region, arch, "", "")
		}
		mustFind(t, b, PlatformAPIGatewayHTTP, region, "", "", "")
		mustFind(t, b, PlatformCloudRun, region, "", "request-based", "")
		mustFind(t, b, PlatformAzureFunctions, region, "", "consumption", "")
		mustFind(t, b, PlatformAzureFunctions, region, "", "flex", "")
		for _, in := range []string{"t3.micro", "t3.medium", "t3.large", "t4g.medium", "c5.large", "c5.xlarge", "c6i.large", "c6i.xlarge", "c6g.large",
			"c7i.large", "c7i.xlarge", "c7g.large", "c7g.xlarge", "c8g.large", "m6i.large", "m7i.large", "m7g.large"} {
			e := mustFind(t, b, PlatformEC2, region, "", "", in)
			if strings.HasPrefix(in, "t") != e.EC2.Burstable {
				t.Errorf("%s %s: burstable = %v", region, in, e.EC2.Burstable)
			}
		}
	}
	for _, e := range b.Entries {
		if e.Source == "" || e.EffectiveDate == "" || e.Retrieved == "" || e.Confidence == "" {
			t.Errorf("%s: incomplete provenance", e.Name())
		}
	}
}

func TestLoadBookOverride(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, []byte(`version: 1
book_date: "2027-01-01"
entries:
  - platform: ec2
    region: us-east-1
    architecture: arm64
    instance: c7g.large
    source: https://example.com/negotiated
    effective_date: "2027-01-01"
    retrieved: "2027-01-01"
    confidence: "P: our contract"
    ec2: {hourly_usd: "0.05", vcpu: 2, memory_gib: "4"}
  - platform: ec2
    region: ap-south-1
    architecture: arm64
    instance: c7g.large
    source: https://example.com
    effective_date: "2027-01-01"
    retrieved: "2027-01-01"
    confidence: U
    ec2: {hourly_usd: "0.06", vcpu: 2, memory_gib: "4"}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := LoadBook(good)
	if err != nil {
		t.Fatal(err)
	}
	if e := mustFind(t, b, PlatformEC2, "us-east-1", "", "", "c7g.large"); !e.EC2.HourlyUSD.Equal(d("0.05")) || e.Source != "https://example.com/negotiated" {
		t.Errorf("override not applied: %+v", e)
	}
	mustFind(t, b, PlatformEC2, "ap-south-1", "", "", "c7g.large")
	mustFind(t, b, PlatformEC2, "us-east-1", "", "", "c7i.large") // embedded entries stay
	if b.BookDate != "2027-01-01" || len(b.Files) != 2 {
		t.Errorf("book date %s files %v", b.BookDate, b.Files)
	}
}

func TestLoadBookErrors(t *testing.T) {
	t.Parallel()
	entry := func(extra string) string {
		return "version: 1\nentries:\n  - platform: aws-lambda\n    region: us-east-1\n    architecture: x86_64\n    source: s\n    effective_date: \"2026-01-01\"\n" + extra
	}
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown field", entry("    lambda: {request_usd: \"0.1\", duration_tiers: [{usd: \"1\"}]}\n    colour: red\n"), "bad.yaml: yaml: unmarshal errors:\n  line 9: field colour not found"},
		{"bad decimal", entry("    lambda: {request_usd: \"ten\", duration_tiers: [{usd: \"1\"}]}\n"), "bad.yaml"},
		{"negative tier", entry("    lambda: {request_usd: \"0.1\", duration_tiers: [{usd: \"-1\"}]}\n"), "bad.yaml:3: entry 1 (aws-lambda us-east-1 x86_64): lambda.duration_tiers[0]: usd must not be negative"},
		{"tiers out of order", entry("    lambda: {request_usd: \"0.1\", duration_tiers: [{up_to_gb_s: \"10\", usd: \"1\"}, {up_to_gb_s: \"5\", usd: \"1\"}, {usd: \"1\"}]}\n"), "bad.yaml:3: entry 1 (aws-lambda us-east-1 x86_64): lambda.duration_tiers[1]: up_to 5 must exceed the previous bound 10"},
		{"last tier bounded", entry("    lambda: {request_usd: \"0.1\", duration_tiers: [{up_to_gb_s: \"10\", usd: \"1\"}]}\n"), "the last tier must be unbounded"},
		{"unknown platform", "version: 1\nentries:\n  - platform: heroku\n    region: x\n    source: s\n    effective_date: d\n    ec2: {hourly_usd: \"1\", vcpu: 1}\n", "bad.yaml:3: entry 1 (heroku x): platform \"heroku\" isn't one of"},
		{"two blocks", entry("    lambda: {request_usd: \"0.1\", duration_tiers: [{usd: \"1\"}]}\n    ec2: {hourly_usd: \"1\", vcpu: 1}\n"), "want exactly one rate block"},
		{"bad version", "version: 2\nentries: []\n", "bad.yaml:1: version 2 is not supported"},
		{"duplicate", "version: 1\nentries:\n" + strings.Repeat("  - {platform: ec2, region: r, architecture: arm64, instance: i, source: s, effective_date: d, ec2: {hourly_usd: \"1\", vcpu: 1}}\n", 2), "bad.yaml:4: entry 2 (ec2 r arm64 i) duplicates the entry at line 3"},
		{"bad arch", "version: 1\nentries:\n  - {platform: ec2, region: r, architecture: sparc, instance: i, source: s, effective_date: d, ec2: {hourly_usd: \"1\", vcpu: 1}}\n", "architecture \"sparc\" isn't one of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "bad.yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadBook(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
	if _, err := LoadBook(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "read price book") {
		t.Errorf("missing file: err = %v", err)
	}
}
