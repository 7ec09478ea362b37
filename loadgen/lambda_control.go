package loadgen

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	"github.com/benchctl/benchctl/scenarios"
)

// Control-plane defaults.
const (
	// DefaultControlMaxAttempts is the SDK retry budget of control-plane
	// calls (configuration reads and updates), throttles included.
	DefaultControlMaxAttempts = 5
	// DefaultControlMaxBackoff caps the SDK's retry backoff.
	DefaultControlMaxBackoff = 5 * time.Second
	// DefaultControlCallTimeout bounds each control-plane call.
	DefaultControlCallTimeout = 30 * time.Second
	// DefaultUpdateWait bounds waiting for LastUpdateStatus Successful.
	DefaultUpdateWait = 3 * time.Minute
	// DefaultUpdatePoll is the GetFunctionConfiguration polling interval
	// while an update is in progress.
	DefaultUpdatePoll = time.Second
	// DefaultRestoreTimeout bounds restoring the original configuration
	// (with a fresh context, so it also runs after Ctrl-C).
	DefaultRestoreTimeout = 2 * time.Minute
)

// IAM permissions benchctl's control-plane calls need.
const (
	PermGetFunctionConfiguration    = "lambda:GetFunctionConfiguration"
	PermUpdateFunctionConfiguration = "lambda:UpdateFunctionConfiguration"
	PermInvokeFunction              = "lambda:InvokeFunction"
	PermFilterLogEvents             = "logs:FilterLogEvents"
)

// ErrAccessDenied is wrapped by PermissionError.
var ErrAccessDenied = errors.New("access denied")

// ErrNoControlAPI is wrapped when a Lambda endpoint answers a control-plane
// call (GetFunctionConfiguration, UpdateFunctionConfiguration) with a 404
// that is not Lambda's own ResourceNotFoundException, or with 405 or 501:
// it implements Invoke only, as AWS's Lambda Runtime Interface Emulator
// and Lambda-compatible gateways do. Function configurations cannot be read
// or changed there, so memory sweeps and forced cold starts cannot run.
var ErrNoControlAPI = errors.New("the endpoint implements the Lambda Invoke API only, not the control API")

// isNoControlAPI reports whether err is an endpoint without the control API.
func isNoControlAPI(err error) (int, bool) {
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		return 0, false
	}
	code := re.HTTPStatusCode()
	switch code {
	case http.StatusNotFound:
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "ResourceNotFoundException" {
			return code, false // the function does not exist: a real Lambda answer
		}
		return code, true
	case http.StatusMethodNotAllowed, http.StatusNotImplemented:
		return code, true
	}
	return code, false
}

// PermissionError says which function (or log group) and which IAM
// permission an AccessDenied answer was about.
type PermissionError struct {
	Resource   string
	Permission string
	Err        error
}

// Error names the resource and the missing permission.
func (e *PermissionError) Error() string {
	return fmt.Sprintf("%s: access denied: the caller needs %s: %v", e.Resource, e.Permission, e.Err)
}

// Unwrap returns ErrAccessDenied and the API error.
func (e *PermissionError) Unwrap() []error { return []error{ErrAccessDenied, e.Err} }

// isAccessDenied reports whether err is an AWS AccessDenied answer.
func isAccessDenied(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "AccessDeniedException", "AccessDenied", "UnauthorizedOperation":
			return true
		}
	}
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusForbidden
}

// wrapControlErr names the function and, for AccessDenied, the
// permission; an endpoint without the control API gets ErrNoControlAPI
// and one plain message instead of the SDK's deserialization error.
func wrapControlErr(resource, perm, op string, err error) error {
	if err == nil {
		return nil
	}
	if isAccessDenied(err) {
		return &PermissionError{Resource: resource, Permission: perm, Err: err}
	}
	if code, ok := isNoControlAPI(err); ok {
		return fmt.Errorf("%s: %s: %w (it answered HTTP %d without a Lambda error code, as AWS's Lambda Runtime Interface Emulator does)", resource, op, ErrNoControlAPI, code)
	}
	return fmt.Errorf("%s: %s: %w", resource, op, err)
}

// FunctionConfig is the part of a function's configuration experiments
// change and restore.
type FunctionConfig struct {
	MemorySizeMB int
	Environment  map[string]string
	Timeout      time.Duration
	// Version is the configuration's version ($LATEST for unpublished code).
	Version string
	// EphemeralStorageMB is the size of /tmp (512 when the API omits it).
	EphemeralStorageMB int
}

// LambdaControl drives a function's configuration through the real SDK
// Lambda client: explicit retries (DefaultControlMaxAttempts), a timeout per
// call, and errors that name the function and the missing permission.
// Experiments change $LATEST, so the target must not pin another qualifier.
type LambdaControl struct {
	client      *lambda.Client
	function    string
	endpoint    string
	callTimeout time.Duration
	poll        time.Duration
	wait        time.Duration
}

// ControlOption configures a LambdaControl.
type ControlOption func(*LambdaControl)

// WithUpdatePoll sets the polling interval while an update is in progress.
func WithUpdatePoll(d time.Duration) ControlOption {
	return func(c *LambdaControl) {
		if d > 0 {
			c.poll = d
		}
	}
}

// WithUpdateWait bounds waiting for an update to finish.
func WithUpdateWait(d time.Duration) ControlOption {
	return func(c *LambdaControl) {
		if d > 0 {
			c.wait = d
		}
	}
}

// WithCallTimeout bounds each control-plane call.
func WithCallTimeout(d time.Duration) ControlOption {
	return func(c *LambdaControl) {
		if d > 0 {
			c.callTimeout = d
		}
	}
}

// NewLambdaControl builds the control-plane client for the function of o
// (same endpoint, region and credentials as the target).
func NewLambdaControl(ctx context.Context, o LambdaOptions, opts ...ControlOption) (*LambdaControl, error) {
	if err := o.resolve(ctx); err != nil {
		return nil, err
	}
	if o.Qualifier != "" && o.Qualifier != "$LATEST" {
		return nil, fmt.Errorf("lambda function %q: experiments change $LATEST but the target pins qualifier %q", o.Function, o.Qualifier)
	}
	lo := lambda.Options{
		Region:      o.Region,
		Credentials: o.Credentials,
		Retryer: retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = DefaultControlMaxAttempts
			so.MaxBackoff = DefaultControlMaxBackoff
		}),
		HTTPClient: &http.Client{Transport: o.Transport},
	}
	if o.Kind == scenarios.KindLocalLambda || o.Endpoint != "https://lambda."+o.Region+".amazonaws.com" {
		lo.BaseEndpoint = aws.String(o.Endpoint)
	}
	c := &LambdaControl{client: lambda.New(lo), function: o.Function, endpoint: o.Endpoint,
		callTimeout: DefaultControlCallTimeout, poll: DefaultUpdatePoll, wait: DefaultUpdateWait}
	for _, opt := range opts {
		opt(c)
	}
	return c, nil
}

// Function is the function name or ARN the control acts on.
func (c *LambdaControl) Function() string { return c.function }

func (c *LambdaControl) resource() string {
	return fmt.Sprintf("lambda function %q at %s", c.function, c.endpoint)
}

// Configuration reads the function's current configuration.
func (c *LambdaControl) Configuration(ctx context.Context) (FunctionConfig, error) {
	out, err := c.get(ctx)
	if err != nil {
		return FunctionConfig{}, err
	}
	fc := FunctionConfig{MemorySizeMB: int(aws.ToInt32(out.MemorySize)), Version: aws.ToString(out.Version),
		Timeout: time.Duration(aws.ToInt32(out.Timeout)) * time.Second, Environment: map[string]string{}}
	if out.Environment != nil {
		maps.Copy(fc.Environment, out.Environment.Variables)
	}
	fc.EphemeralStorageMB = 512
	if out.EphemeralStorage != nil && aws.ToInt32(out.EphemeralStorage.Size) > 0 {
		fc.EphemeralStorageMB = int(aws.ToInt32(out.EphemeralStorage.Size))
	}
	return fc, nil
}

func (c *LambdaControl) get(ctx context.Context) (*lambda.GetFunctionConfigurationOutput, error) {
	cctx, cancel := context.WithTimeout(ctx, c.callTimeout)
	defer cancel()
	out, err := c.client.GetFunctionConfiguration(cctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(c.function)})
	return out, wrapControlErr(c.resource(), PermGetFunctionConfiguration, "get configuration", err)
}

// SetMemory updates MemorySize and waits until the update succeeded.
func (c *LambdaControl) SetMemory(ctx context.Context, mb int) error {
	return c.update(ctx, &lambda.UpdateFunctionConfigurationInput{MemorySize: aws.Int32(int32(mb))}, fmt.Sprintf("set memory %d MB", mb))
}

// SetEnvironment replaces the environment variables and waits until the
// update succeeded (which retires existing instances: the next invoke is cold).
func (c *LambdaControl) SetEnvironment(ctx context.Context, env map[string]string) error {
	vars := maps.Clone(env)
	if vars == nil {
		vars = map[string]string{}
	}
	return c.update(ctx, &lambda.UpdateFunctionConfigurationInput{Environment: &types.Environment{Variables: vars}}, "set environment")
}

// Restore puts back memory size and environment from fc.
func (c *LambdaControl) Restore(ctx context.Context, fc FunctionConfig) error {
	vars := maps.Clone(fc.Environment)
	if vars == nil {
		vars = map[string]string{}
	}
	return c.update(ctx, &lambda.UpdateFunctionConfigurationInput{MemorySize: aws.Int32(int32(fc.MemorySizeMB)),
		Environment: &types.Environment{Variables: vars}}, "restore configuration")
}

func (c *LambdaControl) update(ctx context.Context, in *lambda.UpdateFunctionConfigurationInput, what string) error {
	in.FunctionName = aws.String(c.function)
	cctx, cancel := context.WithTimeout(ctx, c.callTimeout)
	out, err := c.client.UpdateFunctionConfiguration(cctx, in)
	cancel()
	if err != nil {
		return wrapControlErr(c.resource(), PermUpdateFunctionConfiguration, what, err)
	}
	if out.LastUpdateStatus == types.LastUpdateStatusSuccessful {
		return nil
	}
	return c.WaitUpdated(ctx)
}

// WaitUpdated polls GetFunctionConfiguration until LastUpdateStatus is
// Successful (error when Failed, or after the wait bound). Polls start 50 ms
// apart and back off to the poll interval (DefaultUpdatePoll).
func (c *LambdaControl) WaitUpdated(ctx context.Context) error {
	wctx, cancel := context.WithTimeout(ctx, c.wait)
	defer cancel()
	delay := min(50*time.Millisecond, c.poll)
	for {
		out, err := c.get(wctx)
		if err != nil {
			return fmt.Errorf("wait for update: %w", err)
		}
		switch out.LastUpdateStatus {
		case types.LastUpdateStatusSuccessful, "":
			return nil
		case types.LastUpdateStatusFailed:
			return fmt.Errorf("%s: update failed: %s (%s)", c.resource(), aws.ToString(out.LastUpdateStatusReason), out.LastUpdateStatusReasonCode)
		}
		t := time.NewTimer(delay)
		select {
		case <-wctx.Done():
			t.Stop()
			return fmt.Errorf("%s: wait for LastUpdateStatus Successful (still %s): %w", c.resource(), out.LastUpdateStatus, wctx.Err())
		case <-t.C:
		}
		delay = min(2*delay, c.poll)
	}
}
