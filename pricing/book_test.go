package pricing

import (
	"errors"
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
	// Accelerated and current types a BERT team would consider, and the
	// other two families of options (us-east-1; eu-west-1 has fewer).
	for _, in := range []string{"g4dn.xlarge", "g5.xlarge", "g6.xlarge", "inf2.xlarge", "c8g.large", "c8g.xlarge", "m8g.large", "r7g.large"} {
		e := mustFind(t, b, PlatformEC2, "us-east-1", "", "", in)
		if accel := strings.HasPrefix(in, "g") || strings.HasPrefix(in, "inf"); accel != (e.EC2.Accelerator != "") {
			t.Errorf("%s: accelerator %q", in, e.EC2.Accelerator)
		}
	}
	for _, region := range []string{"us-east-1", "eu-west-1"} {
		for _, arch := range []string{ArchX86, ArchArm64} {
			mustFind(t, b, PlatformLambdaManaged, region, arch, "", "")
		}
	}
	mustFind(t, b, PlatformSageMakerServerless, "us-east-1", "", "", "")
	for _, e := range b.Entries {
		if e.Source == "" || e.EffectiveDate == "" || e.Retrieved == "" || e.Confidence == "" || e.ConfidenceMark() == "" {
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
	const head = "version: 1\nentries:\n"
	// lambda builds a one-entry book; line 3 is the entry, line 10 its lambda block.
	lambda := func(block string, extra ...string) string {
		s := head + "  - platform: aws-lambda\n    region: us-east-1\n    architecture: x86_64\n    source: s\n    effective_date: \"2026-01-01\"\n" +
			"    retrieved: \"2026-01-02\"\n    confidence: \"S: test\"\n"
		if block != "" {
			s += "    lambda:\n" + block
		}
		for _, x := range extra {
			s += x
		}
		return s
	}
	okLambda := "      request_usd: \"0.1\"\n      duration_tiers: [{usd: \"1\"}]\n      init_billed_from: \"2025-08-01\"\n"
	ec2 := func(fields string) string {
		return head + "  - {platform: ec2, region: r-1, architecture: arm64, instance: i, source: s, effective_date: \"2026-01-01\", retrieved: \"2026-01-01\", confidence: S, " + fields + "}\n"
	}
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"garbage", "\x00\x01 not: [yaml", []string{"bad.yaml", "not valid YAML"}},
		{"syntax error has its line", "version: 1\nentries:\n  - platform: ec2\n   region: x\n", []string{"bad.yaml:2: not valid YAML"}},
		{"empty", "", []string{"bad.yaml:1: empty price book"}},
		{"not a mapping", "- 1\n- 2\n", []string{"bad.yaml:1:1: want a mapping of version, book_date, hours_per_month, entries"}},
		{"unknown field", lambda(okLambda, "    colour: red\n"), []string{"bad.yaml:14:5: entries[0].colour: unknown field (allowed: platform, region"}},
		{"unknown nested field", lambda(okLambda + "      tiers: []\n"), []string{"bad.yaml:14:7: entries[0].lambda.tiers: unknown field (allowed: request_usd, duration_tiers"}},
		{"word for a decimal", lambda("      request_usd: ten\n      duration_tiers: [{usd: \"1\"}]\n      init_billed_from: \"2025-08-01\"\n"),
			[]string{"bad.yaml:11:20: entries[0].lambda.request_usd: \"ten\" is not a plain decimal number"}},
		{"NaN for a decimal", lambda("      request_usd: .nan\n      duration_tiers: [{usd: \"1\"}]\n      init_billed_from: \"2025-08-01\"\n"),
			[]string{"entries[0].lambda.request_usd: \".nan\" is not a plain decimal number"}},
		{"exponent (would expand to a billion digits)", lambda("      request_usd: \"1e999999999\"\n      duration_tiers: [{usd: \"1\"}]\n      init_billed_from: \"2025-08-01\"\n"),
			[]string{"entries[0].lambda.request_usd: \"1e999999999\" is not a plain decimal number"}},
		{"a list for a decimal", lambda("      request_usd: [1]\n      duration_tiers: [{usd: \"1\"}]\n      init_billed_from: \"2025-08-01\"\n"),
			[]string{"bad.yaml:11:20: entries[0].lambda.request_usd: want a decimal number"}},
		{"word for a number", ec2("ec2: {hourly_usd: \"1\", vcpu: two}"), []string{"bad.yaml:3:", "entries[0].ec2.vcpu: \"two\" is not a whole number"}},
		{"missing retrieved and confidence", head + "  - {platform: ec2, region: r-1, architecture: arm64, instance: i, source: s, effective_date: \"2026-01-01\", ec2: {hourly_usd: \"1\", vcpu: 1}}\n",
			[]string{"bad.yaml:3:5: entries[0].retrieved: is required (YYYY-MM-DD)", "bad.yaml:3:5: entries[0].confidence: is required: P (primary source), S (secondary) or U (uncertain)"}},
		{"confidence without a mark", ec2("confidence2: x, ec2: {hourly_usd: \"1\", vcpu: 1}"), []string{"entries[0].confidence2: unknown field"}},
		{"confidence not P S U", strings.Replace(ec2("ec2: {hourly_usd: \"1\", vcpu: 1}"), "confidence: S", "confidence: maybe", 1),
			[]string{"entries[0].confidence: \"maybe\" must start with P, S or U"}},
		{"bad date", strings.Replace(ec2("ec2: {hourly_usd: \"1\", vcpu: 1}"), "retrieved: \"2026-01-01\"", "retrieved: \"last week\"", 1),
			[]string{"entries[0].retrieved: \"last week\" is not a date (want YYYY-MM-DD)"}},
		{"bad init_billed_from", lambda("      request_usd: \"0.1\"\n      duration_tiers: [{usd: \"1\"}]\n      init_billed_from: \"Aug 2025\"\n"),
			[]string{"bad.yaml:13:25: entries[0].lambda.init_billed_from: \"Aug 2025\" is not a date (want YYYY-MM-DD)"}},
		{"missing init_billed_from", lambda("      request_usd: \"0.1\"\n      duration_tiers: [{usd: \"1\"}]\n"),
			[]string{"entries[0].lambda.init_billed_from: is required"}},
		{"negative tier", lambda("      request_usd: \"0.1\"\n      duration_tiers: [{usd: \"-1\"}]\n      init_billed_from: \"2025-08-01\"\n"),
			[]string{"bad.yaml:12:30: entries[0].lambda.duration_tiers[0].usd: must be between 0 and 1 USD per unit (got -1)"}},
		{"tiers out of order", lambda("      request_usd: \"0.1\"\n      duration_tiers: [{up_to_gb_s: \"10\", usd: \"1\"}, {up_to_gb_s: \"5\", usd: \"1\"}, {usd: \"1\"}]\n      init_billed_from: \"2025-08-01\"\n"),
			[]string{"entries[0].lambda.duration_tiers[1].up_to_gb_s: 5 must exceed the previous bound 10"}},
		{"last tier bounded", lambda("      request_usd: \"0.1\"\n      duration_tiers: [{up_to_gb_s: \"10\", usd: \"1\"}]\n      init_billed_from: \"2025-08-01\"\n"),
			[]string{"the last tier must be unbounded"}},
		{"zero price", ec2("ec2: {hourly_usd: \"0\", vcpu: 1}"), []string{"entries[0].ec2.hourly_usd: must be > 0 and at most 1000 USD/h (got 0)"}},
		{"huge price", ec2("ec2: {hourly_usd: \"123456789\", vcpu: 1}"), []string{"entries[0].ec2.hourly_usd: must be > 0 and at most 1000 USD/h (got 123456789)"}},
		{"burstable fields on a non-burstable type", ec2("ec2: {hourly_usd: \"1\", vcpu: 1, baseline_per_vcpu: \"0.2\"}"), []string{"entries[0].ec2.baseline_per_vcpu: applies only to burstable instances"}},
		{"unknown platform", head + "  - {platform: heroku, region: x-1, source: s, effective_date: \"2026-01-01\", retrieved: \"2026-01-01\", confidence: U, ec2: {hourly_usd: \"1\", vcpu: 1}}\n",
			[]string{"bad.yaml:3:16: entries[0].platform: \"heroku\" isn't one of [aws-lambda aws-apigw-http cloud-run azure-functions ec2 lambda-managed sagemaker-serverless]"}},
		{"two blocks", lambda(okLambda, "    ec2: {hourly_usd: \"1\", vcpu: 1}\n"), []string{"bad.yaml:14:10: entries[0].ec2: does not belong to platform aws-lambda (it takes a lambda block)"}},
		{"no block", lambda(""), []string{"bad.yaml:3:5: entries[0]: platform aws-lambda needs a lambda block"}},
		{"bad version", "version: 2\nentries: []\n", []string{"bad.yaml:1:10: version: 2 is not supported (want 1)"}},
		{"no version", "entries: []\n", []string{"bad.yaml:1:1: version: is required (want 1)"}},
		{"duplicate", head + strings.Repeat("  - {platform: ec2, region: r-1, architecture: arm64, instance: i, source: s, effective_date: \"2026-01-01\", retrieved: \"2026-01-01\", confidence: S, ec2: {hourly_usd: \"1\", vcpu: 1}}\n", 2),
			[]string{"bad.yaml:4:5: entries[1]: ec2 r-1 arm64 i duplicates the entry at line 3"}},
		{"bad arch", strings.Replace(ec2("ec2: {hourly_usd: \"1\", vcpu: 1}"), "arm64", "sparc", 1), []string{"entries[0].architecture: \"sparc\" isn't one of [x86_64 arm64]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "bad.yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadBook(path)
			if err == nil {
				t.Fatalf("no error; want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), strings.Replace(w, "bad.yaml", path, 1)) {
					t.Errorf("err = %v\nwant it to contain %q", err, w)
				}
			}
			var fe *BookFileError
			if !errors.As(err, &fe) {
				t.Errorf("err is %T, want a *BookFileError", err)
			}
		})
	}
	if _, err := LoadBook(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "read price book") {
		t.Errorf("missing file: err = %v", err)
	}
}
