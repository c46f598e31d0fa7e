package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"hospitalpriceline/functions/internal/azurite"
	"hospitalpriceline/functions/internal/childproc"
)

// local is an Azurite and a handler that loadgen started.
type local struct {
	az      *azurite.Server
	handler *exec.Cmd
	done    chan struct{}
	url     *url.URL
}

// startLocal starts an in-memory Azurite and the handler binary against it,
// ingests the seed files, and waits until /api/health answers 200.
func startLocal(ctx context.Context, o *options, logs io.Writer) (*local, error) {
	az, err := azurite.Start(ctx, azurite.Options{})
	if err != nil {
		return nil, fmt.Errorf("start Azurite: %w", err)
	}
	l := &local{az: az}
	// A fresh random development key per run: nothing to keep secret, and
	// nothing secret in any file.
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		az.Stop()
		return nil, err
	}
	env := append(os.Environ(),
		"PRICELINE_TABLES_CONNECTION_STRING="+az.ConnectionString(),
		"PRICELINE_PUBLIC_URL=http://localhost:7071",
		"PRICELINE_DEV_SIGNING_KEY="+base64.StdEncoding.EncodeToString(key),
	)
	if o.seed != "" {
		files, err := filepath.Glob(filepath.Join(o.seed, "*"))
		if err != nil {
			az.Stop()
			return nil, err
		}
		var prices []string
		for _, f := range files {
			if ext := filepath.Ext(f); ext == ".csv" || ext == ".json" {
				prices = append(prices, f)
			}
		}
		if len(prices) == 0 {
			az.Stop()
			return nil, fmt.Errorf("-seed %s: no .csv or .json price files", o.seed)
		}
		ingest := exec.CommandContext(ctx, o.handler, append([]string{"ingest"}, prices...)...)
		ingest.Env, ingest.Stdout, ingest.Stderr = env, logs, logs
		if err := ingest.Run(); err != nil {
			az.Stop()
			return nil, fmt.Errorf("%s ingest: %w", o.handler, err)
		}
	}
	port, err := childproc.FreePort()
	if err != nil {
		az.Stop()
		return nil, err
	}
	cmd := exec.Command(o.handler)
	cmd.Env = append(append(env, "FUNCTIONS_CUSTOMHANDLER_PORT="+strconv.Itoa(port)), o.handlerEnv...)
	// The handler logs a JSON line per 5xx; the report lists them anyway.
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		az.Stop()
		return nil, fmt.Errorf("start %s: %w", o.handler, err)
	}
	l.handler, l.done = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); close(l.done) }()
	l.url = &url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	if err := l.waitHealthy(ctx, 30*time.Second); err != nil {
		l.stop()
		return nil, err
	}
	return l, nil
}

func (l *local) waitHealthy(ctx context.Context, within time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		select {
		case <-l.done:
			return errors.New("the handler exited during start (run it by hand to see why)")
		default:
		}
		resp, err := client.Get(l.url.String() + "/api/health")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("the handler was not healthy within %s", within)
}

// stop ends the handler, then Azurite.
func (l *local) stop() {
	if l.handler != nil {
		childproc.Stop(l.handler, l.done, 15*time.Second)
	}
	l.az.Stop()
}
