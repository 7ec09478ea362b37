package distributed

import (
	"context"
	"encoding/binary"
	"net"
	"testing"
	"time"
)

// ntpTime encodes t as an NTP timestamp (seconds since 1900, 32.32 fixed).
func ntpTime(t time.Time) uint64 {
	const era = 2208988800
	ns := t.UnixNano()
	sec := uint64(ns/1e9) + era
	frac := uint64(ns%1e9) << 32 / 1e9
	return sec<<32 | frac
}

// startSNTPServer answers SNTP queries on loopback with a clock skew ahead
// of this machine's.
func startSNTPServer(t *testing.T, skew time.Duration) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Skipf("no UDP on loopback: %v", err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 48)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 48 {
				continue
			}
			now := time.Now().Add(skew)
			out := make([]byte, 48)
			out[0] = 0<<6 | 4<<3 | 4 // LI 0, version 4, mode server
			out[1] = 1               // stratum 1
			out[3] = 0xec            // precision
			copy(out[12:16], "LOCL")
			binary.BigEndian.PutUint64(out[16:], ntpTime(now.Add(-time.Minute))) // reference
			copy(out[24:32], buf[40:48])                                         // origin = client's transmit
			binary.BigEndian.PutUint64(out[32:], ntpTime(now))
			binary.BigEndian.PutUint64(out[40:], ntpTime(now))
			_, _ = pc.WriteTo(out, addr)
		}
	}()
	return pc.LocalAddr().String()
}

func TestMeasureClock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newTestStore(t)
	if err := st.Put(ctx, "plan.json", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	t.Run("sntp", func(t *testing.T) {
		addr := startSNTPServer(t, 250*time.Millisecond)
		c := MeasureClock(ctx, addr, st, "plan.json")
		if !c.Precise() || c.Method != ClockSNTP+addr {
			t.Fatalf("method %q (%s), want sntp", c.Method, c.Err)
		}
		if d := c.Offset - 250*time.Millisecond; d < -20*time.Millisecond || d > 20*time.Millisecond {
			t.Errorf("offset %v, want 250 ms ± 20 ms", c.Offset)
		}
	})
	t.Run("store date when sntp is unreachable", func(t *testing.T) {
		pc, _ := net.ListenPacket("udp", "127.0.0.1:0")
		dead := pc.LocalAddr().String()
		pc.Close() // nobody answers there
		c := MeasureClock(ctx, dead, st, "plan.json")
		if c.Method != ClockStoreDate || c.Err == "" {
			t.Fatalf("method %q err %q, want store-date with the SNTP error kept", c.Method, c.Err)
		}
		if c.Offset < -time.Second || c.Offset > time.Second || c.Uncertainty < 500*time.Millisecond {
			t.Errorf("offset %v ± %v: same host, want within ±1 s and an uncertainty of at least 500 ms", c.Offset, c.Uncertainty)
		}
	})
	t.Run("nothing", func(t *testing.T) {
		if c := MeasureClock(ctx, "", nil, ""); c.Method != ClockUnknown {
			t.Errorf("method %q", c.Method)
		}
	})
}
