package pricing

import (
	"testing"
	"time"
)

func TestZZDebug(t *testing.T) {
	book := mustBook(t)
	prof, _ := DiurnalProfile(3, 8)
	x86 := mustFind(t, book, PlatformLambda, "us-east-1", ArchX86, "", "")
	s := &Serverless{Entry: x86, Platform: PlatformLambda, WarmGBs: GB(1769).Mul(d("0.041")), Cold: NewColdModel(120, 0, 10)}
	for _, in := range []string{"c7g.large", "c7i.large", "t3.medium"} {
		f := &Fleet{Entry: mustFind(t, book, PlatformEC2, "us-east-1", "", "", in), Instance: in, CapacityRPS: 60, Utilisation: 0.7}
		for _, sf := range []float64{1, 0.8, 1.2} {
			start := time.Now()
			cs, _ := Pair{S: s, F: f, Profile: prof, SFactor: sf}.Crossings(1, 1e11)
			t.Logf("%s sf=%g: %d crossings in %v (settled at 1e9: %v)", in, sf, len(cs), time.Since(start), Pair{S: s, F: f, Profile: prof, SFactor: sf}.settled(1e9))
		}
	}
}
