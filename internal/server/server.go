// Package server assembles the HTTP handler of the whole product — health,
// metrics, the API and the web UI behind the shared middleware — and runs
// it with graceful shutdown.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"closeloop/internal/api"
	"closeloop/internal/app"
	"closeloop/internal/httpx"
	"closeloop/internal/web"
)

// Handler builds the root handler.
func Handler(a *app.App, log *slog.Logger) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	httpx.Register(reg)
	reg.MustRegister(dbCollector{a})

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := a.DB.Ping(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("database unavailable\n"))
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	apiH := api.New(a)
	mux.Handle("/api/", apiH)
	mux.Handle("/", web.New(a))

	var h http.Handler = mux
	h = httpx.Authenticate(a.Auth, h)
	// Browsers may not post forms or call the API across origins; API
	// clients without a browser (no Sec-Fetch-Site/Origin) are unaffected.
	h = http.NewCrossOriginProtection().Handler(h)
	h = httpx.SecurityHeaders(h)
	h = httpx.Observe(log, h)
	h = httpx.RequestID(h)
	return h
}

// dbCollector exports connection-pool statistics.
type dbCollector struct{ a *app.App }

var (
	dbOpen  = prometheus.NewDesc("closeloop_db_open_connections", "Open database connections by pool.", []string{"pool"}, nil)
	dbInUse = prometheus.NewDesc("closeloop_db_in_use_connections", "Database connections in use by pool.", []string{"pool"}, nil)
	dbWait  = prometheus.NewDesc("closeloop_db_wait_total", "Waits for a database connection by pool.", []string{"pool"}, nil)
)

func (c dbCollector) Describe(ch chan<- *prometheus.Desc) { ch <- dbOpen; ch <- dbInUse; ch <- dbWait }

func (c dbCollector) Collect(ch chan<- prometheus.Metric) {
	w, r := c.a.DB.Stats()
	for name, s := range map[string]struct{ open, inUse, wait int64 }{
		"write": {int64(w.OpenConnections), int64(w.InUse), w.WaitCount},
		"read":  {int64(r.OpenConnections), int64(r.InUse), r.WaitCount},
	} {
		ch <- prometheus.MustNewConstMetric(dbOpen, prometheus.GaugeValue, float64(s.open), name)
		ch <- prometheus.MustNewConstMetric(dbInUse, prometheus.GaugeValue, float64(s.inUse), name)
		ch <- prometheus.MustNewConstMetric(dbWait, prometheus.CounterValue, float64(s.wait), name)
	}
}

// Server is a running HTTP server.
type Server struct {
	App  *app.App
	HTTP *http.Server
	Addr net.Addr
	done chan error
}

// Start listens on the configured address (":0" picks a free port) and
// serves until Shutdown. Background jobs run in the same process unless
// disabled.
func Start(ctx context.Context, a *app.App, log *slog.Logger) (*Server, error) {
	ln, err := net.Listen("tcp", a.Cfg.Addr)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{
		Handler:           Handler(a, log),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // imports upload large files
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	s := &Server{App: a, HTTP: srv, Addr: ln.Addr(), done: make(chan error, 1)}
	go func() {
		err := srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	return s, nil
}

// Shutdown stops accepting requests and waits for those in flight.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.HTTP.Shutdown(ctx)
	if e := <-s.done; e != nil && err == nil {
		err = e
	}
	return err
}

// URL is the base URL of the running server.
func (s *Server) URL() string { return "http://" + s.Addr.String() }
