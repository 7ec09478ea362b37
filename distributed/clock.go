package distributed

import (
	"context"
	"fmt"
	"time"

	"github.com/beevik/ntp"
)

// Clock methods (ClockOffset.Method).
const (
	// ClockSNTP prefixes an offset measured against an SNTP server.
	ClockSNTP = "sntp:"
	// ClockStoreDate is an offset bounded by the store's HTTP Date header
	// (whole seconds: ±500 ms plus half the round trip).
	ClockStoreDate = "store-date"
	// ClockUnknown: neither could be measured.
	ClockUnknown = "unknown"
)

// sntpTimeout bounds one SNTP query.
const sntpTimeout = time.Second

// ClockOffset is how far a machine's wall clock is from true time:
// true = local + Offset, known to within ±Uncertainty.
type ClockOffset struct {
	Offset      time.Duration
	Uncertainty time.Duration
	// Method is "sntp:<server>", ClockStoreDate or ClockUnknown.
	Method string
	// Err says why SNTP (or both methods) failed, when they did.
	Err string
}

// Precise reports whether the offset is good enough to correct a wall
// clock with (an SNTP measurement).
func (c ClockOffset) Precise() bool {
	return len(c.Method) > len(ClockSNTP) && c.Method[:len(ClockSNTP)] == ClockSNTP
}

// MeasureClock measures this machine's clock offset: against the SNTP
// server (host or host:port) when one is given and answers within a
// second, else against the store's Date header on key.
func MeasureClock(ctx context.Context, server string, st *Store, key string) ClockOffset {
	var sntpErr string
	if server != "" {
		resp, err := ntp.QueryWithOptions(server, ntp.QueryOptions{Timeout: sntpTimeout})
		if err == nil {
			err = resp.Validate()
		}
		if err == nil {
			return ClockOffset{Offset: resp.ClockOffset, Uncertainty: resp.RTT/2 + resp.RootDistance, Method: ClockSNTP + server}
		}
		sntpErr = fmt.Sprintf("sntp %s: %v", server, err)
	}
	if st != nil {
		srv, local, rtt, err := st.ServerTime(ctx, key)
		if err == nil {
			// Date is truncated to the second: the server's clock was in
			// [srv, srv+1s) when it answered, about rtt/2 before local.
			mid := srv.Add(500 * time.Millisecond)
			return ClockOffset{Offset: mid.Sub(local.Add(-rtt / 2)), Uncertainty: 500*time.Millisecond + rtt/2,
				Method: ClockStoreDate, Err: sntpErr}
		}
		sntpErr = joinNonEmpty(sntpErr, err.Error())
	}
	return ClockOffset{Method: ClockUnknown, Err: sntpErr}
}

func joinNonEmpty(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}
