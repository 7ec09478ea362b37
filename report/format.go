package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Number formatting for every document and the terminal. No figure is ever
// written in e-notation: volumes and counts take a unit word (k, M, B),
// money takes cents or, below a cent, enough digits to show it, and a
// per-request price is written per 1M requests.

// fmtVolume formats a monthly volume (or any large count) to about three
// significant digits with a unit: 5.0 M, 59.9 M, 121 M, 100 B, 350 k, 120.
func fmtVolume(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "∞"
	case math.IsNaN(v):
		return "–"
	}
	for _, u := range volumeUnits {
		if math.Abs(v) >= u.div*0.9995 {
			return fmtSig3(v/u.div) + " " + u.name
		}
	}
	return fmtSig3(v)
}

var volumeUnits = []struct {
	div  float64
	name string
}{{1e12, "T"}, {1e9, "B"}, {1e6, "M"}, {1e3, "k"}}

// fmtVolumeRange formats an interval of volumes with one unit when both
// ends share it: "44.7–98.6 M", "850 k–1.2 M".
func fmtVolumeRange(lo, hi float64) string {
	a, b := fmtVolume(lo), fmtVolume(hi)
	ia, ib := strings.LastIndexByte(a, ' '), strings.LastIndexByte(b, ' ')
	if ia > 0 && ib > 0 && a[ia:] == b[ib:] {
		return a[:ia] + "–" + b
	}
	return a + "–" + b
}

// fmtVolumeCI formats a break-even volume's 95% interval whose ends may
// be missing (0: at that end of the interval the costs do not cross in the
// range searched, up to max): "44.7–98.6 M", "54.2 M to beyond 100 B",
// "at most 45.5 M"; "" when neither end is known.
func fmtVolumeCI(lo, hi, max float64) string {
	beyond := "beyond the range searched"
	if max > 0 {
		beyond = "beyond " + fmtVolume(max)
	}
	switch {
	case lo > 0 && hi > 0:
		return fmtVolumeRange(lo, hi)
	case lo > 0:
		return fmtVolume(lo) + " to " + beyond
	case hi > 0:
		return "at most " + fmtVolume(hi)
	}
	return ""
}

// fmtSig3 writes v with one decimal below 100 and none above: 5.0, 59.9,
// 121; below 1, two significant digits (0.38, 0.0042).
func fmtSig3(v float64) string {
	a := math.Abs(v)
	switch {
	case a == 0:
		return "0"
	case a >= 99.95:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 0.995:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return sigFigs(v, 2)
}

// sigFigs writes v to n significant digits in plain decimal notation.
func sigFigs(v float64, n int) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	digits := n - 1 - int(math.Floor(math.Log10(math.Abs(v))))
	if digits < 0 {
		p := math.Pow(10, float64(-digits))
		return strconv.FormatFloat(math.Round(v/p)*p, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', digits, 64)
}

// fmtRate formats a request rate in requests/s: 1 decimal from 1 to 100,
// none above, 2 significant digits below 1 (0.38, 0.0042).
func fmtRate(v float64) string {
	switch a := math.Abs(v); {
	case math.IsInf(v, 0):
		return "∞"
	case a >= 100:
		return fmtInt(int64(math.Round(v)))
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a == 0:
		return "0"
	}
	return sigFigs(v, 2)
}

// fmtUSD formats dollars: cents below $1,000 ($4.16, $30.37), whole dollars
// with separators above ($1,234); below a cent, two significant digits
// ($0.0042, $0.0000042), never an exponent.
func fmtUSD(v float64) string {
	a := math.Abs(v)
	switch {
	case v == 0:
		return "$0"
	case a < 0.01:
		return "$" + sigFigs(v, 2)
	case a < 1000:
		return fmt.Sprintf("$%.2f", v)
	}
	return "$" + fmtInt(int64(math.Round(v)))
}

// fmtPerMillion writes a price per request as the cost of 1M requests:
// $0.000004 → "$4.00 per 1M".
func fmtPerMillion(perRequest float64) string { return fmtUSD(perRequest*1e6) + " per 1M" }

// fmtMs formats milliseconds to 3 significant digits (none above 100 ms).
func fmtMs(v float64) string {
	switch a := math.Abs(v); {
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// fmtPct formats a fraction as a percentage with two decimals.
func fmtPct(v float64) string { return fmt.Sprintf("%.2f%%", v*100) }

// fmtRatio writes how many times a exceeds b: "7.3×", "12×"; below 1.1×
// as a percentage ("4%"); empty unless a > b > 0.
func fmtRatio(a, b float64) string {
	if b <= 0 || a <= b {
		return ""
	}
	r := a / b
	switch {
	case r >= 10:
		return fmt.Sprintf("%.0f×", r)
	case r >= 1.1:
		return fmt.Sprintf("%.1f×", r)
	}
	return fmt.Sprintf("%.0f%%", (r-1)*100)
}

// fmtInt formats an integer with thousands separators (1,234,567).
func fmtInt(v int64) string {
	s := strconv.FormatInt(v, 10)
	neg := v < 0
	if neg {
		s = s[1:]
	}
	var b []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	if neg {
		return "-" + string(b)
	}
	return string(b)
}

// fmtMB writes a memory size with separators: "1,024 MB".
func fmtMB(mb int) string { return fmtInt(int64(mb)) + " MB" }
