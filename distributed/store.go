package distributed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithy "github.com/aws/smithy-go"
)

// StoreRef says where a run's store is: an S3 URL and, for S3-compatible
// servers (the loopback store), their endpoint.
type StoreRef struct {
	// URL is s3://bucket/prefix (the prefix may be empty).
	URL string `json:"url"`
	// Endpoint is a custom S3 endpoint (http://127.0.0.1:PORT); path-style
	// addressing is used with it. Empty: AWS S3.
	Endpoint string `json:"endpoint,omitempty"`
	// Region is the bucket's region (default us-east-1).
	Region string `json:"region,omitempty"`
}

// Multipart thresholds of Store.PutFile.
const (
	multipartThreshold = 64 << 20
	multipartPartSize  = 16 << 20
)

// ErrNotFound is returned by Store.Get for a missing key.
var ErrNotFound = errors.New("not found in the store")

// Store is a run's folder in an S3-compatible store, through the real
// aws-sdk-go-v2 S3 client. Keys are relative to the folder.
type Store struct {
	c      *s3.Client
	bucket string
	prefix string
	ref    StoreRef
	// multipartAt and partSize are the multipart threshold and part size
	// of PutFile (tests lower them).
	multipartAt, partSize int64
}

// ParseStoreURL splits s3://bucket/prefix.
func ParseStoreURL(raw string) (bucket, prefix string, err error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return "", "", fmt.Errorf("store %q: want s3://bucket[/prefix]", raw)
	}
	return u.Host, strings.Trim(u.Path, "/"), nil
}

// OpenStore opens the store at ref. A loopback endpoint gets static
// credentials (the local store accepts any); otherwise the default AWS
// credential chain is used.
func OpenStore(ctx context.Context, ref StoreRef) (*Store, error) {
	bucket, prefix, err := ParseStoreURL(ref.URL)
	if err != nil {
		return nil, err
	}
	region := ref.Region
	if region == "" {
		region = "us-east-1"
	}
	var c *s3.Client
	if ref.Endpoint != "" && isLoopbackURL(ref.Endpoint) {
		c = s3.New(s3.Options{Region: region, BaseEndpoint: aws.String(ref.Endpoint), UsePathStyle: true,
			Credentials: credentials.NewStaticCredentialsProvider("benchctl", "benchctl-local", ""),
			HTTPClient:  &http.Client{Timeout: 5 * time.Minute}})
	} else {
		cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region))
		if err != nil {
			return nil, fmt.Errorf("store: aws config: %w", err)
		}
		c = s3.NewFromConfig(cfg, func(o *s3.Options) {
			if ref.Endpoint != "" {
				o.BaseEndpoint = aws.String(ref.Endpoint)
				o.UsePathStyle = true
			}
		})
	}
	return &Store{c: c, bucket: bucket, prefix: prefix, ref: ref, multipartAt: multipartThreshold, partSize: multipartPartSize}, nil
}

func isLoopbackURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	h := u.Hostname()
	ip := net.ParseIP(h)
	return h == "localhost" || (ip != nil && ip.IsLoopback())
}

// Sub is the store's folder name below this one.
func (s *Store) Sub(name string) *Store {
	c := *s
	c.prefix = path.Join(s.prefix, name)
	c.ref.URL = "s3://" + s.bucket + "/" + c.prefix
	return &c
}

// Ref is where the store is (URL of this folder).
func (s *Store) Ref() StoreRef { return s.ref }

// URL is s3://bucket/prefix of this folder.
func (s *Store) URL() string { return "s3://" + path.Join(s.bucket, s.prefix) }

func (s *Store) key(k string) string { return path.Join(s.prefix, k) }

// EnsureBucket creates the bucket when it does not exist (the loopback
// store starts empty); an existing bucket is left alone.
func (s *Store) EnsureBucket(ctx context.Context) error {
	if _, err := s.c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &s.bucket}); err == nil {
		return nil
	}
	_, err := s.c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &s.bucket})
	var owned *types.BucketAlreadyOwnedByYou
	if err != nil && !errors.As(err, &owned) {
		return fmt.Errorf("store: create bucket %s: %w", s.bucket, err)
	}
	return nil
}

// Put writes data under key.
func (s *Store) Put(ctx context.Context, key string, data []byte) error {
	_, err := s.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &s.bucket, Key: aws.String(s.key(key)), Body: bytes.NewReader(data)})
	if err != nil {
		return fmt.Errorf("store: put %s: %w", key, err)
	}
	return nil
}

// PutIfAbsent writes data under key only when nothing is there
// (If-None-Match: *): created is false when the key existed (412).
func (s *Store) PutIfAbsent(ctx context.Context, key string, data []byte) (created bool, err error) {
	_, err = s.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &s.bucket, Key: aws.String(s.key(key)),
		Body: bytes.NewReader(data), IfNoneMatch: aws.String("*")})
	if err == nil {
		return true, nil
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && (ae.ErrorCode() == "PreconditionFailed" || ae.ErrorCode() == "ConditionalRequestConflict") {
		return false, nil
	}
	return false, fmt.Errorf("store: conditional put %s: %w", key, err)
}

// PutFile uploads the file at local under key, as one PUT or, above 64
// MiB, as a multipart upload of 16 MiB parts (the body is always a
// seekable file section, as the SDK needs over plain HTTP).
func (s *Store) PutFile(ctx context.Context, key, local string) error {
	f, err := os.Open(local)
	if err != nil {
		return fmt.Errorf("store: put %s: %w", key, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("store: put %s: %w", key, err)
	}
	k := aws.String(s.key(key))
	if st.Size() <= s.multipartAt {
		_, err = s.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &s.bucket, Key: k, Body: f, ContentLength: aws.Int64(st.Size())})
		if err != nil {
			return fmt.Errorf("store: put %s: %w", key, err)
		}
		return nil
	}
	up, err := s.c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &s.bucket, Key: k})
	if err != nil {
		return fmt.Errorf("store: multipart %s: %w", key, err)
	}
	abort := func(err error) error {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_, _ = s.c.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{Bucket: &s.bucket, Key: k, UploadId: up.UploadId})
		return fmt.Errorf("store: multipart %s: %w", key, err)
	}
	var parts []types.CompletedPart
	for off, n := int64(0), int32(1); off < st.Size(); off, n = off+s.partSize, n+1 {
		size := min(s.partSize, st.Size()-off)
		out, err := s.c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &s.bucket, Key: k, UploadId: up.UploadId,
			PartNumber: aws.Int32(n), Body: io.NewSectionReader(f, off, size), ContentLength: aws.Int64(size)})
		if err != nil {
			return abort(err)
		}
		parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(n)})
	}
	_, err = s.c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &s.bucket, Key: k,
		UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	if err != nil {
		return abort(err)
	}
	return nil
}

// Get reads key (ErrNotFound when it does not exist).
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	rc, err := s.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("store: get %s: %w", key, err)
	}
	return b, nil
}

// Open streams key (ErrNotFound when it does not exist).
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	out, err := s.c.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: aws.String(s.key(key))})
	if err != nil {
		var nk *types.NoSuchKey
		var ae smithy.APIError
		if errors.As(err, &nk) || (errors.As(err, &ae) && ae.ErrorCode() == "NotFound") {
			return nil, fmt.Errorf("store: get %s: %w", key, ErrNotFound)
		}
		return nil, fmt.Errorf("store: get %s: %w", key, err)
	}
	return out.Body, nil
}

// List returns the keys below prefix (relative to the store's folder),
// in the store's (lexical) order.
func (s *Store) List(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	full := s.key(prefix)
	if strings.HasSuffix(prefix, "/") {
		full += "/"
	}
	p := s3.NewListObjectsV2Paginator(s.c, &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: aws.String(full)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("store: list %s: %w", prefix, err)
		}
		for _, o := range page.Contents {
			k := strings.TrimPrefix(aws.ToString(o.Key), s.prefix)
			keys = append(keys, strings.TrimPrefix(k, "/"))
		}
	}
	return keys, nil
}

// Delete removes key (no error when it does not exist).
func (s *Store) Delete(ctx context.Context, key string) error {
	_, err := s.c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: aws.String(s.key(key))})
	if err != nil {
		return fmt.Errorf("store: delete %s: %w", key, err)
	}
	return nil
}

// ServerTime reads key's metadata and returns the store's clock from the
// response's Date header and the local time the response arrived: their
// difference bounds this clock's offset to about a second (Date has whole
// seconds).
func (s *Store) ServerTime(ctx context.Context, key string) (server, local time.Time, rtt time.Duration, err error) {
	sent := time.Now()
	out, err := s.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: aws.String(s.key(key))})
	if err != nil {
		return time.Time{}, time.Time{}, 0, fmt.Errorf("store: head %s: %w", key, err)
	}
	server, ok := awsmiddleware.GetServerTime(out.ResultMetadata)
	if !ok {
		return time.Time{}, time.Time{}, 0, errors.New("store: the response has no Date header")
	}
	local, ok = awsmiddleware.GetResponseAt(out.ResultMetadata)
	if !ok {
		local = time.Now()
	}
	return server, local, local.Sub(sent), nil
}
