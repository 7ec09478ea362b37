package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/benchctl/benchctl/inference"
	"github.com/benchctl/benchctl/results"
)

// describeService records what a service started with the model flags in
// args serves (the flags of benchctl serve and benchctl function; others
// are ignored): its model name and its weights, "synthetic" or the
// weights file (absolute) with its SHA-256. Without --model the model is
// the default preset's shape, as for both commands. A weights file that
// cannot be read is an error: the service could not load it either.
func describeService(ctx context.Context, name, kind string, args []string) (results.ServiceInfo, error) {
	info := results.ServiceInfo{Name: name, Kind: kind}
	var mo ModelOptions
	fs := pflag.NewFlagSet(kind, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.ParseErrorsWhitelist.UnknownFlags = true
	addModelFlags(fs, &mo, "")
	if err := fs.Parse(args); err != nil {
		return info, fmt.Errorf("model flags %q: %w", args, err)
	}
	if mo.ModelDir != "" {
		if err := mo.applyModelDir(kind); err != nil {
			return info, err
		}
	}
	if mo.Model == "" {
		mo.Model = inference.DefaultPreset // as benchctl function does with --weights
	}
	info.Model = mo.Model
	if mo.Name != "" {
		info.Model = mo.Name
	}
	if cfg, err := mo.config(kind); err == nil {
		info.Model = cfg.Name
	}
	if mo.WeightsFile == "" {
		info.Weights = results.WeightsSynthetic
		return info, nil
	}
	path, err := filepath.Abs(mo.WeightsFile)
	if err != nil {
		return info, fmt.Errorf("weights %s: %w", mo.WeightsFile, err)
	}
	sum, err := fileSHA256(ctx, path)
	if err != nil {
		return info, fmt.Errorf("weights: %w", err)
	}
	info.Weights, info.WeightsSHA256 = path, sum
	return info, nil
}

// fileSHA256 is the hex SHA-256 of a file's content, read in 1 MiB blocks
// (ctx is checked between them).
func fileSHA256(ctx context.Context, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	buf := make([]byte, 1<<20)
	for {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		n, err := f.Read(buf)
		h.Write(buf[:n])
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("read %s: %w", path, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
