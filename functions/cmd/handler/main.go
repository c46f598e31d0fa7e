// Command handler is Hospital Priceline's Azure Functions custom handler. It
// serves the HTTP functions and the timer function, and has subcommands for
// operators:
//
//	handler                     serve (what the Functions host runs)
//	handler validate FILE…      check CMS price files strictly
//	handler ingest FILE…        import CMS price files into Table Storage
//	handler generate FILE       write a valid, deterministic CMS price file (benchmarks, load tests)
//	handler stage-app DIR       write the function app (host.json, binary, function.json files)
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"hospitalpriceline/functions/keyvault"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage:
  handler [serve]                         run the custom handler (settings from the environment)
  handler validate FILE...                strict check of CMS machine-readable price files
  handler ingest [-writers N] FILE...     import CMS price files into Table Storage
  handler generate [-format F] [-rows N] FILE   write a valid, deterministic CMS price file
  handler stage-app [-host-json F] DIR    write a deployable function app into DIR
`

func run(args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return runServe(stderr)
	case "validate":
		return runValidate(args, stdout, stderr)
	case "ingest":
		return runIngest(args, stdout, stderr)
	case "generate":
		return runGenerate(args, stdout, stderr)
	case "stage-app":
		return runStageApp(args, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "unknown command %q\n%s", cmd, usage)
		return 2
	}
}

func runServe(stderr io.Writer) int {
	logger := slog.New(slog.NewJSONHandler(stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, os.Getenv, logger, nil); err != nil {
		logger.Error("handler stopped", "err", err)
		return 1
	}
	return 0
}

// serve builds the app from the settings and serves until ctx ends. ready,
// when not nil, receives the listening address (tests use it).
//
// It listens before anything else and waits on no dependency: the
// Functions host gives the handler 30 s to answer on its port (see
// buildAppWith), and a vault or storage account that does not answer must
// not use them up. What is not loaded yet is reported by /api/health and
// answered 503 with Retry-After by the routes that need it.
func serve(ctx context.Context, getenv func(string) string, logger *slog.Logger, ready chan<- string) error {
	cfg, err := loadConfig(getenv, keyvault.RunningInAzure())
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.Port)))
	if err != nil {
		return fmt.Errorf("listen on FUNCTIONS_CUSTOMHANDLER_PORT=%d: %w", cfg.Port, err)
	}
	app, err := buildApp(cfg, logger)
	if err != nil {
		ln.Close()
		return err
	}
	defer app.Close()
	srv := &http.Server{
		Handler:           app.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	logger.Info("listening", "addr", ln.Addr().String(), "url", cfg.PublicURL)
	if ready != nil {
		ready <- ln.Addr().String()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// The host sends SIGTERM before recycling an instance: finish what is in
	// flight, then stop.
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped")
	return nil
}
