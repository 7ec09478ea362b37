// Package s3local serves an S3-compatible store on loopback, in process
// (github.com/johannesboyne/gofakes3 over an in-memory backend): the store
// of local-lambda runs and of the tests, spoken to with the real S3 client
// (path-style addressing; conditional puts answer 412).
package s3local

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Server is a running loopback S3-compatible store.
type Server struct {
	srv      *http.Server
	endpoint string
	done     chan struct{}
}

// Start serves a new, empty store on addr ("127.0.0.1:0" picks a port).
// Only loopback addresses are accepted.
func Start(addr string) (*Server, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("s3local: address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("s3local: address %q: loopback addresses only", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("s3local: listen: %w", err)
	}
	faker := gofakes3.New(s3mem.New(), gofakes3.WithAutoBucket(true), gofakes3.WithLogger(gofakes3.DiscardLog()))
	s := &Server{srv: &http.Server{Handler: faker.Server(), ReadHeaderTimeout: 10 * time.Second},
		endpoint: "http://" + ln.Addr().String(), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = err // the listener failed: requests fail and say so
		}
	}()
	return s, nil
}

// Endpoint is the store's base URL (http://127.0.0.1:PORT), the
// BaseEndpoint of an S3 client with path-style addressing.
func (s *Server) Endpoint() string { return s.endpoint }

// Close stops serving (bounded by ctx) and drops the store's content.
func (s *Server) Close(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if err != nil {
		_ = s.srv.Close()
	}
	<-s.done
	return err
}
