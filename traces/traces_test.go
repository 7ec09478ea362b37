package traces

import (
	"slices"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, format, raw, want, wantErr string
	}{
		{name: "default is per-minute counts", format: "", want: PerMinuteCounts},
		{name: "alias azure-2019", format: "azure-2019", want: PerMinuteCounts},
		{name: "alias azure-2021", format: "azure-2021", want: Timestamps},
		{name: "azure 2021 by header", format: AzureFunctions, raw: "app,func,end_timestamp,duration\n", want: Timestamps},
		{name: "azure 2019 by header", format: AzureFunctions, raw: "HashOwner,HashApp,HashFunction,Trigger,1,2\n", want: PerMinuteCounts},
		{name: "unknown", format: "parquet", wantErr: `trace format "parquet" isn't one of`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Resolve(tc.format, []byte(tc.raw))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Resolve = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestParseMinuteCounts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw string
		want      []float64
		wantErr   string
	}{
		{name: "one count per line", raw: "3\n0\n5\n", want: []float64{3, 0, 5}},
		{name: "minute,count with header", raw: "minute,count\n1,4\n2,6\n", want: []float64{4, 6}},
		{name: "azure 2019 rows summed", raw: "HashOwner,HashApp,HashFunction,Trigger,1,2,3\na,b,c,http,1,2,3\nd,e,f,timer,1,0,1\n", want: []float64{2, 2, 4}},
		{name: "comments and blank lines", raw: "# trace\n2\n\n3\n", want: []float64{2, 3}},
		{name: "negative count", raw: "2\n-1\n", wantErr: "bad count"},
		{name: "empty", raw: "", wantErr: "no rows"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseMinuteCounts([]byte(tc.raw))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestParseTimestamps(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw string
		want      []float64
		wantErr   string
	}{
		{name: "one column sorted", raw: "timestamp\n10.5\n3\n7\n", want: []float64{3, 7, 10.5}},
		{name: "azure 2021: arrival = end - duration", raw: "app,func,end_timestamp,duration\na,f,10,2\na,f,5,1\n", want: []float64{4, 8}},
		{name: "bad timestamp", raw: "1\nx\n", wantErr: "bad timestamp"},
		{name: "header only", raw: "timestamp\n", wantErr: "no timestamps"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseTimestamps([]byte(tc.raw))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// TestParseRejectsNonFinite: strconv accepts NaN and Inf, a trace must not
// (NaN counts once gave 0 requests, NaN timestamps sorted anywhere); errors
// name the file line.
func TestParseRejectsNonFinite(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw, want string
		ts              bool
	}{
		{"NaN count", "10\nNaN\n", "line 2: bad count \"NaN\"", false},
		{"Inf count", "minute,count\n1,5\n2,+Inf\n", "line 3: bad count \"+Inf\"", false},
		{"negative count", "# comment\n5\n-1\n", "line 3: bad count \"-1\"", false},
		{"NaN in the Azure layout", "HashOwner,HashApp,HashFunction,Trigger,1,2\no,a,f,http,1,NaN\n", "line 2 column 2: bad count \"NaN\"", false},
		{"NaN timestamp", "timestamp\n1\nNaN\n", "line 3: bad timestamp \"NaN\"", true},
		{"Inf timestamp without header", "1\n-Inf\n", "line 2: bad timestamp \"-Inf\"", true},
		{"negative duration", "app,func,end_timestamp,duration\na,f,10,-3\n", "line 2: bad duration \"-3\"", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var err error
			if tc.ts {
				_, err = ParseTimestamps([]byte(tc.raw))
			} else {
				_, err = ParseMinuteCounts([]byte(tc.raw))
			}
			if err == nil || err.Error() != tc.want {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
