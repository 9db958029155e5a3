// Package cli implements the closeloop command line. It lives outside main
// so the end-to-end tests run the real binary's code in-process.
package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/api"
	"closeloop/internal/app"
	"closeloop/internal/demo"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
	"closeloop/internal/importer"
	"closeloop/internal/server"
	"closeloop/internal/sheet"
	"closeloop/internal/store"
)

// IO is where a command reads and writes.
type IO struct {
	In       io.Reader
	Out, Err io.Writer
}

// Run executes a command line (without the program name).
func Run(ctx context.Context, args []string, sio IO) error {
	if len(args) == 0 {
		usage(sio.Err)
		return errors.New("no command")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, rest, sio, nil)
	case "user":
		if len(rest) == 0 || rest[0] != "add" {
			return errors.New("usage: closeloop user add --email E --name N --role ROLE [--team T]")
		}
		return userAdd(ctx, rest[1:], sio)
	case "token":
		if len(rest) == 0 || rest[0] != "create" {
			return errors.New("usage: closeloop token create --email E --scope read|write [--expires DURATION]")
		}
		return tokenCreate(ctx, rest[1:], sio)
	case "migrate":
		return migrate(ctx, rest, sio)
	case "reindex":
		return reindex(ctx, rest, sio)
	case "backup":
		return backup(ctx, rest, sio)
	case "restore":
		return restore(ctx, rest, sio)
	case "import":
		return importCmd(ctx, rest, sio)
	case "export":
		return exportCmd(ctx, rest, sio)
	case "help", "-h", "--help":
		usage(sio.Out)
		return nil
	}
	usage(sio.Err)
	return fmt.Errorf("unknown command %q", cmd)
}

func usage(w io.Writer) {
	fmt.Fprint(w, `Closeloop — one customer record from first contact to the next sale.

Usage:
  closeloop serve   [--addr 127.0.0.1:8080] [--data DIR] [--db DSN] [--demo]
  closeloop user add --email E --name N --role ROLE[,ROLE] [--team T]   (password on stdin)
  closeloop token create --email E --scope read|write [--expires 90d]
  closeloop migrate
  closeloop reindex
  closeloop backup --out FILE
  closeloop restore FILE
  closeloop import ENTITY FILE [--key FIELD] [--dry-run] [--mode all|valid] [--as EMAIL]
  closeloop export ENTITY FILE [--as EMAIL]

Every command takes --data DIR and --db postgres://… (or CLOSELOOP_DATA, CLOSELOOP_DB).
`)
}

// common registers --data and --db.
func common(fs *flag.FlagSet, cfg *app.Config) {
	fs.StringVar(&cfg.DataDir, "data", "", "data directory for the SQLite file (default ./closeloop-data, or $CLOSELOOP_DATA)")
	fs.StringVar(&cfg.DB, "db", "", "PostgreSQL URL postgres://… (default: SQLite; or $CLOSELOOP_DB)")
}

func parse(fs *flag.FlagSet, args []string, sio IO) error {
	fs.SetOutput(sio.Err)
	return fs.Parse(args)
}

// interleaved lets flags come after positional arguments (closeloop import
// customers file.xlsx --dry-run).
func interleaved(fs *flag.FlagSet, args []string, sio IO) ([]string, error) {
	var pos []string
	for {
		if err := parse(fs, args, sio); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func logger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// Ready is called by serve once the server listens (tests use it).
type Ready func(srv *server.Server)

// Serve runs the server until ctx ends or SIGINT/SIGTERM arrives.
func Serve(ctx context.Context, args []string, sio IO, ready Ready) error {
	return serve(ctx, args, sio, ready)
}

func serve(ctx context.Context, args []string, sio IO, ready Ready) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var cfg app.Config
	common(fs, &cfg)
	fs.StringVar(&cfg.Addr, "addr", "", "listen address (default 127.0.0.1:8080, or $CLOSELOOP_ADDR)")
	fs.BoolVar(&cfg.Demo, "demo", false, "load a Chinese demo data set on first start")
	noJobs := fs.Bool("no-jobs", false, "do not run background jobs in this process")
	if err := parse(fs, args, sio); err != nil {
		return err
	}
	cfg.NoJobs = *noJobs
	log := logger(sio.Err)
	slog.SetDefault(log)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := app.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	if cfg.Demo {
		n, err := a.DB.CountUsers(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			fmt.Fprintln(sio.Err, "closeloop: loading the demo data set …")
			info, err := demo.Load(ctx, a, demo.Options{})
			if err != nil {
				return fmt.Errorf("demo data: %w", err)
			}
			fmt.Fprintf(sio.Out, "Demo data loaded: %d customers, %d contacts, %d leads, %d activities.\n", info.Customers, info.Contacts, info.Leads, info.Activities)
			fmt.Fprintf(sio.Out, "Demo users (password %q): %s\n", demo.Password, strings.Join(info.Emails, ", "))
		}
	}
	srv, err := server.Start(ctx, a, log)
	if err != nil {
		return err
	}
	base := a.Cfg.BaseURL
	if base == "" {
		base = srv.URL()
	}
	if n, err := a.DB.CountUsers(ctx); err == nil && n == 0 {
		tok, err := a.Auth.NewSetupToken(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(sio.Out, "\nFirst start: no user exists yet. Create the first administrator at\n\n    %s/setup?token=%s\n\n(or run: closeloop user add --email you@example.com --name 你的名字 --role admin)\n\n", base, tok)
	}
	fmt.Fprintf(sio.Out, "Closeloop is running at %s  (database: %s)\n", base, a.DB.Dialect)
	if addr := os.Getenv("CLOSELOOP_PPROF"); addr != "" {
		if err := startProfiler(addr, log); err != nil {
			return err
		}
	}
	log.Info("listening", "addr", srv.Addr.String(), "db", a.DB.Dialect.String())
	bg, cancelBG := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{}, 2)
	if !cfg.NoJobs {
		go func() { a.Jobs.Run(bg); done <- struct{}{} }()
	} else {
		done <- struct{}{}
	}
	go func() { a.DB.WatchSchema(bg, 3*time.Second); done <- struct{}{} }()
	go a.DB.MergeSearch(bg, 2*time.Second)
	go func() {
		if err := a.RebuildSearchIfNeeded(bg, log); err != nil && bg.Err() == nil {
			log.Error("rebuilding the search index failed; run closeloop reindex", "err", err.Error())
		}
	}()
	if ready != nil {
		ready(srv)
	}
	<-ctx.Done()
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	cancelBG()
	<-done
	<-done
	return err
}

func openApp(ctx context.Context, cfg app.Config) (*app.App, error) {
	cfg.NoJobs = true
	return app.Open(ctx, cfg)
}

func userAdd(ctx context.Context, args []string, sio IO) error {
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	var cfg app.Config
	common(fs, &cfg)
	email := fs.String("email", "", "e-mail (sign-in name)")
	name := fs.String("name", "", "display name")
	role := fs.String("role", "", "role code(s), comma-separated: admin, manager, sales, presales, delivery, service")
	team := fs.String("team", "", "team name or id (created as a top-level team if missing)")
	if err := parse(fs, args, sio); err != nil {
		return err
	}
	if *email == "" || *name == "" || *role == "" {
		return errors.New("--email, --name and --role are required")
	}
	pw, err := bufio.NewReader(sio.In).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read password from standard input: %w", err)
	}
	pw = strings.TrimRight(pw, "\r\n")
	a, err := openApp(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	sys := access.SystemPrincipal()
	rec := entity.Record{"email": strings.ToLower(*email), "name": *name, "roles": strings.Split(*role, ",")}
	if *team != "" {
		id, err := findOrCreateTeam(ctx, a, *team)
		if err != nil {
			return err
		}
		rec["team_id"] = id
	}
	s := a.DB.Schema()
	parsed := entity.Record{}
	var bad []string
	for k, v := range rec {
		f := s.Entity("user").Field(k)
		val, fe := s.ParseJSON(f, toJSONish(v))
		if fe != nil {
			bad = append(bad, cliMessage(*fe, f))
			continue
		}
		parsed[k] = val
	}
	if len(bad) > 0 {
		return errors.New(strings.Join(bad, "; "))
	}
	u, err := a.Auth.CreateUser(ctx, sys, parsed, pw)
	if err != nil {
		return describe(err, s.Entity("user"))
	}
	fmt.Fprintf(sio.Out, "created user %s <%s> (%s)\n", u.Str("name"), u.Str("email"), u.ID())
	return nil
}

func toJSONish(v any) any {
	if l, ok := v.([]string); ok {
		out := make([]any, len(l))
		for i, s := range l {
			out[i] = strings.TrimSpace(s)
		}
		return out
	}
	return v
}

func cliMessage(fe errs.FieldError, f *entity.Field) string {
	label := fe.Field
	if f != nil {
		label = f.Label.In(i18n.EN)
	}
	args := map[string]any{"field": label}
	for k, v := range fe.Args {
		if k != "field" {
			args[k] = v
		}
	}
	return i18n.MsgMap(i18n.EN, "err."+fe.Code, args)
}

// describe turns an application error into a readable CLI error.
func describe(err error, e *entity.Entity) error {
	ae := errs.As(err)
	if ae == nil {
		return err
	}
	if len(ae.Fields) == 0 {
		return errors.New(i18n.MsgMap(i18n.EN, "err."+ae.Code, ae.Args))
	}
	var parts []string
	for _, fe := range ae.Fields {
		var f *entity.Field
		if e != nil {
			f = e.Field(fe.Field)
		}
		parts = append(parts, cliMessage(fe, f))
	}
	return errors.New(strings.Join(parts, "; "))
}

func findOrCreateTeam(ctx context.Context, a *app.App, nameOrID string) (string, error) {
	var id string
	err := a.DB.R().QueryRowContext(ctx, `SELECT id FROM teams WHERE (name = $1 OR code = $1) AND deleted_at IS NULL LIMIT 1`, nameOrID).Scan(&id)
	if err == nil {
		return id, nil
	}
	if entity.LooksLikeID(nameOrID) {
		if err := a.DB.R().QueryRowContext(ctx, `SELECT id FROM teams WHERE id = $1`, nameOrID).Scan(&id); err == nil {
			return id, nil
		}
	}
	t, err := a.Records.Create(ctx, access.SystemPrincipal(), "team", entity.Record{"name": nameOrID})
	if err != nil {
		return "", err
	}
	return t.ID(), nil
}

func tokenCreate(ctx context.Context, args []string, sio IO) error {
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	var cfg app.Config
	common(fs, &cfg)
	email := fs.String("email", "", "the user the token acts for")
	scope := fs.String("scope", "read", "read or write")
	expires := fs.String("expires", "", "lifetime, e.g. 90d or 720h (default: no expiry)")
	name := fs.String("name", "cli", "a name to recognise the token by")
	if err := parse(fs, args, sio); err != nil {
		return err
	}
	if *email == "" {
		return errors.New("--email is required")
	}
	ttl, err := api.ParseTTL(*expires)
	if err != nil {
		return errors.New("--expires: use a duration like 90d or 720h")
	}
	a, err := openApp(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	u, err := a.DB.UserByEmail(ctx, a.DB.R(), strings.ToLower(*email))
	if err != nil {
		return fmt.Errorf("no user with e-mail %s", *email)
	}
	plain, _, err := a.Auth.CreateToken(ctx, access.SystemPrincipal(), u.ID, *name, *scope, ttl)
	if err != nil {
		return describe(err, nil)
	}
	fmt.Fprintln(sio.Out, plain)
	return nil
}

func migrate(ctx context.Context, args []string, sio IO) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	var cfg app.Config
	common(fs, &cfg)
	if err := parse(fs, args, sio); err != nil {
		return err
	}
	a, err := openApp(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	v, err := a.DB.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(sio.Out, "database schema is at version %d (%s)\n", v, a.DB.Dialect)
	return nil
}

// reindex rebuilds the search index from the records.
func reindex(ctx context.Context, args []string, sio IO) error {
	fs := flag.NewFlagSet("reindex", flag.ContinueOnError)
	var cfg app.Config
	common(fs, &cfg)
	if err := parse(fs, args, sio); err != nil {
		return err
	}
	a, err := openApp(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	start := time.Now()
	last := time.Now()
	err = a.RebuildSearch(ctx, func(done, total int) {
		if time.Since(last) > 5*time.Second || done == total {
			last = time.Now()
			fmt.Fprintf(sio.Err, "search index: %d of %d records\n", done, total)
		}
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(sio.Out, "search index rebuilt in %s\n", time.Since(start).Round(time.Second))
	return nil
}

func backup(ctx context.Context, args []string, sio IO) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	var cfg app.Config
	common(fs, &cfg)
	out := fs.String("out", "", "the snapshot file to write (must not exist)")
	if err := parse(fs, args, sio); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("--out is required")
	}
	if _, err := os.Stat(*out); err == nil {
		return fmt.Errorf("%s already exists", *out)
	}
	cfg.FromEnv()
	if store.IsPostgresDSN(cfg.DB) {
		cmd := exec.CommandContext(ctx, "pg_dump", "--format=custom", "--no-owner", "--file="+*out, cfg.DB)
		cmd.Stderr = sio.Err
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("pg_dump: %w (is the PostgreSQL client installed?)", err)
		}
		fmt.Fprintf(sio.Out, "backup written to %s (pg_dump custom format)\n", *out)
		return nil
	}
	a, err := openApp(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	abs, err := filepath.Abs(*out)
	if err != nil {
		return err
	}
	// VACUUM INTO takes a consistent snapshot while the server keeps running.
	if _, err := a.DB.W().ExecContext(ctx, `VACUUM INTO $1`, abs); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(sio.Out, "backup written to %s\n", abs)
	return nil
}

func restore(ctx context.Context, args []string, sio IO) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	var cfg app.Config
	common(fs, &cfg)
	pos, err := interleaved(fs, args, sio)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("usage: closeloop restore FILE")
	}
	file := pos[0]
	if _, err := os.Stat(file); err != nil {
		return err
	}
	cfg.FromEnv()
	if store.IsPostgresDSN(cfg.DB) {
		cmd := exec.CommandContext(ctx, "pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", "--dbname="+cfg.DB, file)
		cmd.Stderr = sio.Err
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("pg_restore: %w", err)
		}
		fmt.Fprintln(sio.Out, "database restored from", file)
		return nil
	}
	return restoreSQLite(ctx, cfg, file, sio)
}

func exportCmd(ctx context.Context, args []string, sio IO) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	var cfg app.Config
	common(fs, &cfg)
	as := fs.String("as", "", "export as this user (their visibility and masking); default: everything")
	lang := fs.String("lang", "zh-CN", "header language: zh-CN or en")
	pos, err := interleaved(fs, args, sio)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return errors.New("usage: closeloop export ENTITY FILE (.csv or .xlsx)")
	}
	a, err := openApp(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	e, p, err := cliTarget(ctx, a, pos[0], *as)
	if err != nil {
		return err
	}
	format := sheet.DetectFormat(pos[1], nil)
	l, _ := i18n.Parse(*lang)
	var buf bytes.Buffer
	n, err := a.Importer.Export(ctx, p, e.Name, entity.Query{Sort: e.Field("created_at")}, format, l, &buf)
	if err != nil {
		return describe(err, e)
	}
	if err := os.WriteFile(pos[1], buf.Bytes(), 0o640); err != nil {
		return err
	}
	fmt.Fprintf(sio.Out, "exported %d %s to %s\n", n, e.Resource, pos[1])
	return nil
}

// cliTarget resolves the entity (by name or resource) and the acting user.
func cliTarget(ctx context.Context, a *app.App, name, as string) (*entity.Entity, *access.Principal, error) {
	s := a.DB.Schema()
	e := s.Entity(name)
	if e == nil {
		e = s.ByResource(name)
	}
	if e == nil {
		var names []string
		for _, x := range s.Entities() {
			names = append(names, x.Resource)
		}
		return nil, nil, fmt.Errorf("unknown entity %q (one of: %s)", name, strings.Join(names, ", "))
	}
	p := access.SystemPrincipal()
	if as != "" {
		u, err := a.DB.UserByEmail(ctx, a.DB.R(), strings.ToLower(as))
		if err != nil {
			return nil, nil, fmt.Errorf("no user with e-mail %s", as)
		}
		if p, err = a.DB.LoadPrincipal(ctx, u.ID); err != nil {
			return nil, nil, err
		}
	}
	return e, p, nil
}

func importCmd(ctx context.Context, args []string, sio IO) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	var cfg app.Config
	common(fs, &cfg)
	as := fs.String("as", "", "import as this user (owner of new records); default: the system, records unowned unless the file names owners")
	key := fs.String("key", "", "upsert key: id or a unique field (name, phone, email)")
	dry := fs.Bool("dry-run", false, "check every row and report; write nothing")
	mode := fs.String("mode", "all", "all: nothing is written unless every row is valid; valid: write the valid rows")
	allowDup := fs.Bool("allow-duplicates", false, "create rows that look like existing records")
	lang := fs.String("lang", "zh-CN", "language of the report: zh-CN or en")
	pos, err := interleaved(fs, args, sio)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return errors.New("usage: closeloop import ENTITY FILE")
	}
	a, err := openApp(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	e, p, err := cliTarget(ctx, a, pos[0], *as)
	if err != nil {
		return err
	}
	f, err := os.Open(pos[1])
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	l, _ := i18n.Parse(*lang)
	start := time.Now()
	rep, err := a.Importer.Import(ctx, p, f, st.Size(), filepath.Base(pos[1]), importer.Options{
		Entity: e.Name, Key: *key, DryRun: *dry, Mode: importer.Mode(*mode), AllowDuplicates: *allowDup, Lang: l,
	}, func(done int) { fmt.Fprintf(sio.Err, "\r%d rows …", done) })
	fmt.Fprintln(sio.Err)
	if err != nil {
		return describe(err, e)
	}
	for _, c := range rep.Columns {
		if c.Field == "" {
			fmt.Fprintf(sio.Out, "column %q ignored (%s)\n", c.Header, c.Note)
		}
	}
	for _, re := range rep.Errors {
		fmt.Fprintf(sio.Out, "row %d", re.Row)
		if re.Column != "" {
			fmt.Fprintf(sio.Out, " [%s]", re.Column)
		}
		fmt.Fprintf(sio.Out, ": %s\n", re.Message)
	}
	verb := "imported"
	if rep.DryRun {
		verb = "checked (dry run, nothing written)"
	} else if !rep.Written && rep.Rejected > 0 {
		verb = "nothing written (some rows were rejected; fix them or use --mode valid)"
	}
	fmt.Fprintf(sio.Out, "%d rows %s: %d created, %d updated, %d rejected in %s\n", rep.Total, verb, rep.Created, rep.Updated, rep.Rejected, time.Since(start).Round(time.Millisecond))
	if rep.Rejected > 0 {
		return fmt.Errorf("%d rows rejected", rep.Rejected)
	}
	return nil
}

// startProfiler serves Go's profiles (net/http/pprof) on a listener of
// their own, for performance work; CLOSELOOP_PPROF names it and it should
// stay on loopback.
func startProfiler(addr string, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("CLOSELOOP_PPROF: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	log.Info("profiler listening", "addr", ln.Addr().String())
	go func() { _ = (&http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}).Serve(ln) }()
	return nil
}
