package pricing

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/benchctl/benchctl/scenarios"
)

func TestTraceProfile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// Azure 2019 layout, two functions summed: minute 1 and minute 61 busy.
	header := "HashOwner,HashApp,HashFunction,Trigger"
	row := func(m1, m61 int) string {
		cols := make([]string, 120)
		for i := range cols {
			cols[i] = "0"
		}
		cols[0], cols[60] = strconv.Itoa(m1), strconv.Itoa(m61)
		return "o,a,f,http," + strings.Join(cols, ",")
	}
	hdr := header
	for i := 1; i <= 120; i++ {
		hdr += "," + strconv.Itoa(i)
	}
	az := filepath.Join(dir, "az.csv")
	if err := os.WriteFile(az, []byte(hdr+"\n"+row(30, 10)+"\n"+row(30, 30)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := TraceProfile(az, "per-minute-counts")
	if err != nil {
		t.Fatal(err)
	}
	// 60 arrivals in hour 0, 40 in hour 1.
	if len(p.Weights) != 2 || !near(p.Weights[0], 0.6, 1e-12) || !near(p.PeakToAverage(), 1.2, 1e-12) {
		t.Errorf("weights = %v", p.Weights)
	}
	ts := filepath.Join(dir, "ts.csv")
	if err := os.WriteFile(ts, []byte("app,func,end_timestamp,duration\na,f,10.5,0.5\na,f,20,1\na,f,3700,0\na,f,7300,100\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err = TraceProfile(ts, "azure-functions")
	if err != nil {
		t.Fatal(err)
	}
	// arrivals 10, 19, 3700, 7200 → hours 0, 0, 1, 1 (relative to 10 s).
	if len(p.Weights) != 2 || !near(p.Weights[0], 0.5, 1e-12) {
		t.Errorf("weights = %v", p.Weights)
	}
	sc := &scenarios.Scenario{Path: filepath.Join(dir, "s.yaml"), Pricing: scenarios.PricingSettings{Profile: scenarios.Profile{Shape: "trace", Trace: "ts.csv", TraceFormat: "timestamps"}}}
	if _, err := ProfileFromScenario(sc); err != nil {
		t.Errorf("relative trace path: %v", err)
	}
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("5\nx\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := TraceProfile(bad, "counts"); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad counts: err = %v", err)
	}
}
