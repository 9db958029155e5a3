package importer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
	"closeloop/internal/jobs"
	"closeloop/internal/sheet"
	"closeloop/internal/store"
)

// MaxUpload bounds an uploaded import file.
const MaxUpload = 64 << 20

// Runs are imports started from the web or the API: the file is kept in the
// database (any server may run the job), the work runs as a job, and
// progress is readable while it runs.
type Runs struct {
	svc  *Service
	db   *store.DB
	jobs *jobs.Runner

	mu   sync.Mutex
	live map[string]int // run id → rows processed, for runs on this server
}

// NewRuns registers the import job on runner.
func NewRuns(svc *Service, runner *jobs.Runner) *Runs {
	rs := &Runs{svc: svc, db: svc.R.DB, jobs: runner, live: map[string]int{}}
	runner.Handle("import.run", rs.handle)
	return rs
}

// RunInfo is the state of an import run.
type RunInfo struct {
	ID         string     `json:"id"`
	Entity     string     `json:"entity"`
	FileName   string     `json:"file_name"`
	DryRun     bool       `json:"dry_run"`
	Status     string     `json:"status"` // queued, running, done, failed
	Processed  int        `json:"processed"`
	Total      int        `json:"total"`
	Created    int        `json:"created"`
	Updated    int        `json:"updated"`
	Rejected   int        `json:"rejected"`
	Error      string     `json:"error,omitempty"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Options    Options    `json:"options"`
	Report     *Report    `json:"report,omitempty"`
}

// Start stores the file and queues the import.
func (rs *Runs) Start(ctx context.Context, p *access.Principal, name string, data []byte, opt Options) (string, error) {
	e, err := rs.svc.R.Entity(opt.Entity)
	if err != nil {
		return "", err
	}
	perm := p.Perm(e.Name)
	if !perm.Import || !perm.Create || p.ReadOnly {
		return "", errs.Denied()
	}
	if len(data) == 0 {
		return "", errs.Validation([]errs.FieldError{{Field: "file", Code: "required"}})
	}
	if len(data) > MaxUpload {
		return "", errs.Validation([]errs.FieldError{{Field: "file", Code: "file_too_large", Args: map[string]any{"max_mb": MaxUpload >> 20}}})
	}
	if opt.Lang == "" {
		opt.Lang = i18n.Default
	}
	// Fail fast on what can be known before queuing: the format, the
	// header, the options.
	rd, err := sheet.Open(bytes.NewReader(data), int64(len(data)), name)
	if err != nil {
		return "", errs.Validation([]errs.FieldError{{Field: "file", Code: "import_unreadable"}})
	}
	_, _, _, herr := rs.svc.check(e, rd.Header(), &opt)
	rd.Close()
	if herr != nil {
		return "", herr
	}
	id := store.NewID()
	fileID := store.NewID()
	optJSON, _ := json.Marshal(opt)
	now := store.Now()
	err = rs.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO files (id, name, content_type, size, data, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			fileID, name, "application/octet-stream", len(data), data, now, p.UserID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO import_runs (id, entity, file_id, options, dry_run, status, created_by, created_at) VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7)`,
			id, e.Name, fileID, string(optJSON), opt.DryRun, p.UserID, now); err != nil {
			return err
		}
		_, err := jobs.Enqueue(ctx, tx, "import.run", "import:"+id, map[string]string{"run": id}, now, 1)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("importer: start: %w", err)
	}
	rs.jobs.Wake()
	return id, nil
}

func (rs *Runs) setLive(id string, n int) {
	rs.mu.Lock()
	rs.live[id] = n
	rs.mu.Unlock()
}

func (rs *Runs) handle(ctx context.Context, j jobs.Job) error {
	var pl struct {
		Run string `json:"run"`
	}
	if err := json.Unmarshal(j.Payload, &pl); err != nil {
		return err
	}
	var optJSON, fileID, userID, name string
	var data []byte
	err := rs.db.R().QueryRowContext(ctx, `SELECT r.options, r.file_id, r.created_by, f.name, f.data FROM import_runs r JOIN files f ON f.id = r.file_id WHERE r.id = $1`, pl.Run).
		Scan(&optJSON, &fileID, &userID, &name, &data)
	if err != nil {
		return fmt.Errorf("importer: load run %s: %w", pl.Run, err)
	}
	var opt Options
	if err := json.Unmarshal([]byte(optJSON), &opt); err != nil {
		return err
	}
	if _, err := rs.db.W().ExecContext(ctx, `UPDATE import_runs SET status = 'running' WHERE id = $1`, pl.Run); err != nil {
		return err
	}
	rs.setLive(pl.Run, 0)
	defer func() {
		rs.mu.Lock()
		delete(rs.live, pl.Run)
		rs.mu.Unlock()
	}()
	p, err := rs.db.LoadPrincipal(ctx, userID)
	var rep *Report
	if err == nil {
		rep, err = rs.svc.Import(ctx, p, bytes.NewReader(data), int64(len(data)), name, opt, func(done int) {
			rs.setLive(pl.Run, done)
			if rs.db.Dialect == store.Postgres { // other servers read progress from the table
				_, _ = rs.db.W().ExecContext(ctx, `UPDATE import_runs SET processed = $1 WHERE id = $2`, done, pl.Run)
			}
		})
	}
	now := store.Now()
	if err != nil {
		msg := err.Error()
		if e := errs.As(err); e != nil {
			msg = i18n.MsgMap(opt.Lang, "err."+e.Code, e.Args)
		}
		_, uerr := rs.db.W().ExecContext(context.WithoutCancel(ctx), `UPDATE import_runs SET status = 'failed', error = $1, finished_at = $2 WHERE id = $3`, msg, now, pl.Run)
		return uerr // the failure is the run's outcome, not a reason to retry
	}
	b, _ := json.Marshal(rep)
	repID := store.NewID()
	return rs.db.Write(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO files (id, name, content_type, size, data, created_at, created_by) VALUES ($1, $2, 'application/json', $3, $4, $5, $6)`,
			repID, "report-"+pl.Run+".json", len(b), b, now, userID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE import_runs SET status = 'done', total = $1, processed = $1, created_count = $2, updated_count = $3,
			rejected_count = $4, report_file_id = $5, finished_at = $6 WHERE id = $7`,
			rep.Total, rep.Created, rep.Updated, rep.Rejected, repID, now, pl.Run)
		return err
	})
}

// Get returns a run's state, with its report once done. Users see their
// own runs; admins see all.
func (rs *Runs) Get(ctx context.Context, p *access.Principal, id string) (*RunInfo, error) {
	var ri RunInfo
	var optJSON string
	var created any
	var finished nullTimeScan
	var errText, repID *string
	err := rs.db.R().QueryRowContext(ctx, `SELECT r.id, r.entity, f.name, r.dry_run, r.status, r.processed, r.total, r.created_count, r.updated_count, r.rejected_count,
		r.error, r.created_by, r.created_at, r.finished_at, r.options, r.report_file_id FROM import_runs r JOIN files f ON f.id = r.file_id WHERE r.id = $1`, id).
		Scan(&ri.ID, &ri.Entity, &ri.FileName, &ri.DryRun, &ri.Status, &ri.Processed, &ri.Total, &ri.Created, &ri.Updated, &ri.Rejected,
			&errText, &ri.CreatedBy, &created, &finished, &optJSON, &repID)
	if err != nil {
		return nil, errs.NotFoundf("import")
	}
	if ri.CreatedBy != p.UserID && !p.IsAdmin() {
		return nil, errs.NotFoundf("import")
	}
	ri.CreatedAt = toTime(created)
	if !finished.t.IsZero() {
		ri.FinishedAt = &finished.t
	}
	if errText != nil {
		ri.Error = *errText
	}
	_ = json.Unmarshal([]byte(optJSON), &ri.Options)
	rs.mu.Lock()
	if n, ok := rs.live[id]; ok {
		ri.Processed = n
	}
	rs.mu.Unlock()
	if repID != nil {
		var data []byte
		if err := rs.db.R().QueryRowContext(ctx, `SELECT data FROM files WHERE id = $1`, *repID).Scan(&data); err == nil {
			var rep Report
			if json.Unmarshal(data, &rep) == nil {
				ri.Report = &rep
			}
		}
	}
	return &ri, nil
}

// WriteReport writes a run's row errors as a spreadsheet (row, column,
// field, problem) for the user to fix their file.
func WriteReport(rep *Report, format sheet.Format, lang i18n.Lang, w io.Writer) error {
	sw, err := sheet.NewWriter(format, w, i18n.Msg(lang, "import.report"))
	if err != nil {
		return err
	}
	if err := sw.Row([]string{i18n.Msg(lang, "import.col.row"), i18n.Msg(lang, "import.col.column"), i18n.Msg(lang, "import.col.field"), i18n.Msg(lang, "import.col.problem")}); err != nil {
		return err
	}
	for _, e := range rep.Errors {
		if err := sw.Row([]string{strconv.Itoa(e.Row), e.Column, e.Field, e.Message}); err != nil {
			return err
		}
	}
	return sw.Close()
}

type nullTimeScan struct{ t time.Time }

func (n *nullTimeScan) Scan(v any) error {
	n.t = toTime(v)
	return nil
}

func toTime(v any) time.Time {
	switch x := v.(type) {
	case time.Time:
		return x.UTC()
	case string:
		for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano} {
			if t, err := time.Parse(layout, x); err == nil {
				return t.UTC()
			}
		}
	}
	return time.Time{}
}

// Rerun starts a new run of an earlier run's file and options, changing
// only whether it is a dry run (typically: apply after a clean dry run).
func (rs *Runs) Rerun(ctx context.Context, p *access.Principal, id string, dryRun bool) (string, error) {
	ri, err := rs.Get(ctx, p, id)
	if err != nil {
		return "", err
	}
	var data []byte
	if err := rs.db.R().QueryRowContext(ctx, `SELECT f.data FROM import_runs r JOIN files f ON f.id = r.file_id WHERE r.id = $1`, id).Scan(&data); err != nil {
		return "", errs.NotFoundf("import")
	}
	opt := ri.Options
	opt.DryRun = dryRun
	return rs.Start(ctx, p, ri.FileName, data, opt)
}
