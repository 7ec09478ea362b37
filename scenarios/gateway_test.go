package scenarios

import (
	"errors"
	"strings"
	"testing"
)

// TestParseGatewayAndEphemeral checks that api_gateway and
// ephemeral_storage_mb decode on function targets and functions, and stay
// unset (0, "") when not given: pricing tells "not set" from 512.
func TestParseGatewayAndEphemeral(t *testing.T) {
	t.Parallel()
	src := `version: 1
name: t
functions:
  - {name: f, command: [x], ephemeral_storage_mb: 4096}
targets:
  - {name: local, kind: local-lambda, function: f, api_gateway: http}
  - {name: aws, kind: aws-lambda, function: g, region: us-east-1, api_gateway: http, ephemeral_storage_mb: 10240}
  - {name: url, kind: lambda-url, url: "https://abc.execute-api.us-east-1.amazonaws.com/x", function: g, ephemeral_storage_mb: 512}
  - {name: plain, kind: aws-lambda, function: g, region: us-east-1}
phases:
  - {name: p, targets: [local, aws, url, plain], duration: 1s, traffic: {model: constant, rate: 5}}
`
	s, err := Parse("scenario.yaml", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"function ephemeral", s.Functions[0].EphemeralStorageMB, 4096},
		{"local-lambda gateway", s.Targets[0].APIGateway, "http"},
		{"local-lambda ephemeral unset on the target", s.Targets[0].EphemeralStorageMB, 0},
		{"aws-lambda gateway", s.Targets[1].APIGateway, "http"},
		{"aws-lambda ephemeral", s.Targets[1].EphemeralStorageMB, 10240},
		{"lambda-url no gateway", s.Targets[2].APIGateway, ""},
		{"lambda-url ephemeral 512", s.Targets[2].EphemeralStorageMB, 512},
		{"unset ephemeral", s.Targets[3].EphemeralStorageMB, 0},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

// TestParseGatewayAndEphemeralErrors: each malformed value is reported
// with file:line:col, the field and the allowed values.
func TestParseGatewayAndEphemeralErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "rest api is not priced",
			src: `version: 1
name: t
targets:
  - name: a
    kind: aws-lambda
    function: g
    region: us-east-1
    api_gateway: rest
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
`,
			want: []string{
				`scenario.yaml:8:18: targets[0].api_gateway: must be http (an API Gateway HTTP API, the only gateway in the price book; REST and WebSocket APIs are not priced) (got "rest")`,
			},
		},
		{
			name: "ephemeral storage out of range, both ends",
			src: `version: 1
name: t
functions:
  - {name: f, command: [x], ephemeral_storage_mb: 20000}
targets:
  - {name: a, kind: local-lambda, function: f, ephemeral_storage_mb: 256}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
`,
			want: []string{
				"scenario.yaml:4:51: functions[0].ephemeral_storage_mb: must be between 512 and 10240 MB, Lambda's ephemeral storage range (got 20000)",
				"scenario.yaml:6:70: targets[0].ephemeral_storage_mb: must be between 512 and 10240 MB, Lambda's ephemeral storage range (got 256)",
			},
		},
		{
			name: "not for http targets",
			src: `version: 1
name: t
targets:
  - {name: a, kind: http, url: "http://127.0.0.1:1/x", api_gateway: http, ephemeral_storage_mb: 1024}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
`,
			want: []string{
				"scenario.yaml:4:69: targets[0].api_gateway: does not apply to kind http",
				"scenario.yaml:4:97: targets[0].ephemeral_storage_mb: does not apply to kind http",
			},
		},
		{
			name: "ephemeral storage wrong type",
			src: `version: 1
name: t
targets:
  - {name: a, kind: aws-lambda, function: g, region: us-east-1, ephemeral_storage_mb: 2GB}
phases:
  - {name: p, targets: [a], duration: 1s, traffic: {model: constant, rate: 5}}
`,
			want: []string{
				`scenario.yaml:4:87: targets[0].ephemeral_storage_mb: must be an integer (got "2GB")`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("scenario.yaml", []byte(tt.src))
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want a *ValidationError", err)
			}
			var got []string
			for _, fe := range ve.Errors {
				got = append(got, fe.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
