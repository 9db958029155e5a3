// Package attachments keeps files attached to any record of any entity —
// declared ones, and entities added later, without code of their own.
//
// The bytes live in the database's files table on both engines (see
// docs/architecture.md, "Attachments"): every server of a cluster serves
// them, a backup carries them, and a file, its attachment row and the
// audit entry are written in one transaction. Visibility is the record's:
// every path first reads the record through the record service with the
// caller's principal, so whoever may not see the record gets "not found"
// for its attachments too, and changing attachments needs the right to
// change the record.
package attachments

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// DefaultMaxSize is the default limit of one file (CLOSELOOP_MAX_UPLOAD).
const DefaultMaxSize = 20 << 20

// Audit actions, written against the record the file is attached to, so
// the record's history shows them.
const (
	ActionAdd      = "attachment_add"
	ActionDelete   = "attachment_delete"
	ActionRestore  = "attachment_restore"
	ActionDownload = "attachment_download"
)

// Attachment is one file attached to a record.
type Attachment struct {
	ID          string     `json:"id"`
	Entity      string     `json:"entity"`
	RecordID    string     `json:"record_id"`
	FileID      string     `json:"-"`
	Name        string     `json:"name"`
	ContentType string     `json:"content_type"`
	Size        int64      `json:"size"`
	SHA256      string     `json:"sha256"`
	CreatedAt   time.Time  `json:"created_at"`
	CreatedBy   string     `json:"created_by,omitempty"`
	DeletedAt   *time.Time `json:"deleted_at,omitempty"`
	DeletedBy   string     `json:"deleted_by,omitempty"`
}

// Deleted reports whether the attachment is in the trash.
func (a Attachment) Deleted() bool { return a.DeletedAt != nil }

// Service manages attachments.
type Service struct {
	R  *records.Service
	DB *store.DB
	// MaxSize is the largest file accepted, in bytes.
	MaxSize int64
}

// New makes the service; maxSize <= 0 means DefaultMaxSize.
func New(r *records.Service, maxSize int64) *Service {
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	return &Service{R: r, DB: r.DB, MaxSize: maxSize}
}

// Entity resolves an entity by its name ("customer") or its API resource
// ("customers"); unknown ones are not found.
func (s *Service) Entity(name string) (*entity.Entity, error) {
	sc := s.R.Schema()
	if e := sc.Entity(name); e != nil {
		return e, nil
	}
	if e := sc.ByResource(name); e != nil {
		return e, nil
	}
	return nil, errs.NotFoundf(name)
}

// TooLarge is the error of a file over the limit.
func (s *Service) TooLarge() error {
	return errs.Validation([]errs.FieldError{{Field: "file", Code: "file_too_large", Args: map[string]any{"max_mb": FormatMB(s.MaxSize)}}})
}

// notFound hides an attachment the caller may not see.
func notFound() error { return errs.NotFoundf("attachment") }

// Upload attaches a file to a record the principal may change. The name
// is sanitised and the content type decided from the bytes; programs,
// scripts and web pages are refused, as is anything over MaxSize. The
// file, the attachment and the audit entry are written together or not
// at all.
func (s *Service) Upload(ctx context.Context, p *access.Principal, entityName, recordID, name string, data []byte) (Attachment, error) {
	e, err := s.Entity(entityName)
	if err != nil {
		return Attachment{}, err
	}
	if int64(len(data)) > s.MaxSize {
		return Attachment{}, s.TooLarge()
	}
	if len(data) == 0 {
		return Attachment{}, errs.Validation([]errs.FieldError{{Field: "file", Code: "file_empty"}})
	}
	name = SanitizeName(name)
	ct, refused := Classify(name, data)
	if refused != "" {
		return Attachment{}, errs.Validation([]errs.FieldError{{Field: "file", Code: "file_type_refused", Args: map[string]any{"name": name}}})
	}
	sum := sha256.Sum256(data)
	a := Attachment{ID: store.NewID(), Entity: e.Name, FileID: store.NewID(), Name: name, ContentType: ct,
		Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), CreatedAt: store.Now(), CreatedBy: p.UserID}
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		rec, err := s.R.LoadForWrite(ctx, tx, p, e, recordID, p.Perm(e.Name).Write, false)
		if err != nil {
			return err
		}
		a.RecordID = rec.ID()
		if _, err := tx.ExecContext(ctx, `INSERT INTO files (id, name, content_type, size, data, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			a.FileID, a.Name, a.ContentType, a.Size, data, a.CreatedAt, nullable(p.UserID)); err != nil {
			return fmt.Errorf("attachments: store file: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO attachments (id, entity, record_id, file_id, name, content_type, size, sha256, created_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			a.ID, a.Entity, a.RecordID, a.FileID, a.Name, a.ContentType, a.Size, a.SHA256, a.CreatedAt, nullable(p.UserID)); err != nil {
			return fmt.Errorf("attachments: insert: %w", err)
		}
		return s.audit(ctx, tx, p, a, ActionAdd, nil, a.Name)
	})
	if err != nil {
		return Attachment{}, err
	}
	return a, nil
}

// audit writes one entry against the record the file is attached to.
func (s *Service) audit(ctx context.Context, q store.Querier, p *access.Principal, a Attachment, action string, old, new any) error {
	return s.DB.Audit(ctx, q, store.AuditEntry{ActorID: p.UserID, Entity: a.Entity, RecordID: a.RecordID, Action: action, RequestID: records.RequestID(ctx),
		Changes: map[string]store.Change{
			"attachment":    {Old: old, New: new},
			"attachment_id": {New: a.ID},
			"size":          {New: a.Size},
			"sha256":        {New: a.SHA256},
		}})
}

// seeRecord checks that p may see the record; any refusal reads as the
// record not existing.
func (s *Service) seeRecord(ctx context.Context, p *access.Principal, e *entity.Entity, id string) (entity.Record, error) {
	rec, err := s.R.Get(ctx, p, e.Name, id)
	if err != nil {
		if k := errs.KindOf(err); k == errs.NotFound || k == errs.Forbidden {
			return nil, errs.NotFoundf(e.Name)
		}
		return nil, err
	}
	return rec, nil
}

// canChange reports whether p may change the (visible) record.
func (s *Service) canChange(ctx context.Context, p *access.Principal, e *entity.Entity, id string) (bool, error) {
	scope := p.Perm(e.Name).Write
	if scope == access.None {
		return false, nil
	}
	_, err := s.DB.Get(ctx, s.DB.R(), e, id, s.DB.Visible(e, p, scope), false)
	if errs.KindOf(err) == errs.NotFound {
		return false, nil
	}
	return err == nil, err
}

// CanChange reports whether p may upload to and delete from a record's
// attachments (the record's write right).
func (s *Service) CanChange(ctx context.Context, p *access.Principal, entityName, recordID string) (bool, error) {
	e, err := s.Entity(entityName)
	if err != nil {
		return false, err
	}
	return s.canChange(ctx, p, e, recordID)
}

const columns = `id, entity, record_id, file_id, name, content_type, size, sha256, created_at, created_by, deleted_at, deleted_by`

func scan(row interface{ Scan(...any) error }) (Attachment, error) {
	var a Attachment
	var created, deleted any
	var by, delBy sql.NullString
	if err := row.Scan(&a.ID, &a.Entity, &a.RecordID, &a.FileID, &a.Name, &a.ContentType, &a.Size, &a.SHA256, &created, &by, &deleted, &delBy); err != nil {
		return a, err
	}
	a.CreatedAt = store.ScanTime(created)
	if deleted != nil {
		t := store.ScanTime(deleted)
		a.DeletedAt = &t
	}
	a.CreatedBy, a.DeletedBy = by.String, delBy.String
	return a, nil
}

// List lists a visible record's attachments, newest first; deleted ones
// (the trash, to restore from) only for those who may change the record.
func (s *Service) List(ctx context.Context, p *access.Principal, entityName, recordID string, deleted bool) ([]Attachment, error) {
	e, err := s.Entity(entityName)
	if err != nil {
		return nil, err
	}
	rec, err := s.seeRecord(ctx, p, e, recordID)
	if err != nil {
		return nil, err
	}
	cond := "deleted_at IS NULL"
	if deleted {
		ok, err := s.canChange(ctx, p, e, rec.ID())
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errs.Denied()
		}
		cond = "deleted_at IS NOT NULL"
	}
	rows, err := s.DB.R().QueryContext(ctx, `SELECT `+columns+` FROM attachments WHERE entity = $1 AND record_id = $2 AND `+cond+`
		ORDER BY created_at DESC, id DESC LIMIT 1000`, e.Name, rec.ID())
	if err != nil {
		return nil, fmt.Errorf("attachments: list: %w", err)
	}
	defer rows.Close()
	out := []Attachment{}
	for rows.Next() {
		a, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// ForRecord is what a record's page shows, in one visibility check and one
// query: the attachments newest first, the deleted ones (only for those
// who may change the record), and whether p may change them.
func (s *Service) ForRecord(ctx context.Context, p *access.Principal, entityName, recordID string) (active, deleted []Attachment, canChange bool, err error) {
	e, err := s.Entity(entityName)
	if err != nil {
		return nil, nil, false, err
	}
	rec, err := s.seeRecord(ctx, p, e, recordID)
	if err != nil {
		return nil, nil, false, err
	}
	if canChange, err = s.canChange(ctx, p, e, rec.ID()); err != nil {
		return nil, nil, false, err
	}
	rows, err := s.DB.R().QueryContext(ctx, `SELECT `+columns+` FROM attachments WHERE entity = $1 AND record_id = $2
		ORDER BY created_at DESC, id DESC LIMIT 1000`, e.Name, rec.ID())
	if err != nil {
		return nil, nil, false, fmt.Errorf("attachments: list: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scan(rows)
		if err != nil {
			return nil, nil, false, err
		}
		switch {
		case !a.Deleted():
			active = append(active, a)
		case canChange:
			deleted = append(deleted, a)
		}
	}
	return active, deleted, canChange, rows.Err()
}

// load reads an attachment row without any check.
func (s *Service) load(ctx context.Context, q store.Querier, id string) (Attachment, error) {
	if !entity.LooksLikeID(id) {
		return Attachment{}, notFound()
	}
	a, err := scan(q.QueryRowContext(ctx, `SELECT `+columns+` FROM attachments WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Attachment{}, notFound()
	}
	return a, err
}

// Get reads an attachment's metadata if p may see its record. A deleted
// one is shown only to those who may change the record (to restore it).
func (s *Service) Get(ctx context.Context, p *access.Principal, id string) (Attachment, error) {
	a, err := s.load(ctx, s.DB.R(), id)
	if err != nil {
		return a, err
	}
	e, err := s.Entity(a.Entity)
	if err != nil {
		return Attachment{}, notFound()
	}
	if _, err := s.seeRecord(ctx, p, e, a.RecordID); err != nil {
		if errs.KindOf(err) == errs.NotFound {
			return Attachment{}, notFound()
		}
		return Attachment{}, err
	}
	if a.Deleted() {
		ok, err := s.canChange(ctx, p, e, a.RecordID)
		if err != nil {
			return Attachment{}, err
		}
		if !ok {
			return Attachment{}, notFound()
		}
	}
	return a, nil
}

// Open reads an attachment's bytes for p (never of a deleted one), and
// audits the download.
func (s *Service) Open(ctx context.Context, p *access.Principal, id string) (Attachment, []byte, error) {
	a, err := s.Get(ctx, p, id)
	if err != nil {
		return a, nil, err
	}
	if a.Deleted() {
		return Attachment{}, nil, notFound()
	}
	var data []byte
	if err := s.DB.R().QueryRowContext(ctx, `SELECT data FROM files WHERE id = $1`, a.FileID).Scan(&data); err != nil {
		return Attachment{}, nil, fmt.Errorf("attachments: read file %s: %w", a.FileID, err)
	}
	if int64(len(data)) != a.Size {
		return Attachment{}, nil, fmt.Errorf("attachments: file %s has %d bytes, expected %d", a.FileID, len(data), a.Size)
	}
	if err := s.audit(ctx, s.DB.W(), p, a, ActionDownload, nil, a.Name); err != nil {
		return Attachment{}, nil, err
	}
	return a, data, nil
}

// Delete moves an attachment to the trash (its file is kept, so Restore
// can bring it back). It needs the right to change the record.
func (s *Service) Delete(ctx context.Context, p *access.Principal, id string) error {
	return s.setDeleted(ctx, p, id, true)
}

// Restore brings a deleted attachment back.
func (s *Service) Restore(ctx context.Context, p *access.Principal, id string) (Attachment, error) {
	var out Attachment
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		var err error
		out, err = s.change(ctx, tx, p, id, false)
		return err
	})
	return out, err
}

func (s *Service) setDeleted(ctx context.Context, p *access.Principal, id string, del bool) error {
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		_, err := s.change(ctx, tx, p, id, del)
		return err
	})
}

func (s *Service) change(ctx context.Context, tx *store.Tx, p *access.Principal, id string, del bool) (Attachment, error) {
	a, err := s.load(ctx, tx, id)
	if err != nil {
		return a, err
	}
	e, err := s.Entity(a.Entity)
	if err != nil {
		return Attachment{}, notFound()
	}
	if _, err := s.R.LoadForWrite(ctx, tx, p, e, a.RecordID, p.Perm(e.Name).Write, false); err != nil {
		if errs.KindOf(err) == errs.NotFound {
			return Attachment{}, notFound()
		}
		if errs.KindOf(err) == errs.Forbidden && a.Deleted() {
			return Attachment{}, notFound() // the trash is not shown to readers
		}
		return Attachment{}, err
	}
	switch {
	case del && a.Deleted():
		return Attachment{}, notFound()
	case !del && !a.Deleted():
		return Attachment{}, errs.New(errs.Unprocessable, "not_deleted")
	}
	if del {
		now := store.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE attachments SET deleted_at = $1, deleted_by = $2 WHERE id = $3 AND deleted_at IS NULL`, now, nullable(p.UserID), a.ID); err != nil {
			return Attachment{}, fmt.Errorf("attachments: delete: %w", err)
		}
		a.DeletedAt, a.DeletedBy = &now, p.UserID
		return a, s.audit(ctx, tx, p, a, ActionDelete, a.Name, nil)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE attachments SET deleted_at = NULL, deleted_by = NULL WHERE id = $1`, a.ID); err != nil {
		return Attachment{}, fmt.Errorf("attachments: restore: %w", err)
	}
	a.DeletedAt, a.DeletedBy = nil, ""
	return a, s.audit(ctx, tx, p, a, ActionRestore, nil, a.Name)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
