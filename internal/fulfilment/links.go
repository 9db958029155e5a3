package fulfilment

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/linktoken"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// Public links: the customer signs a delivery (签收) and accepts a task
// (验收) through a link that needs no login. One implementation serves
// both. A link's token is 256 bits from crypto/rand, shown once (in the
// URL /s/{token}); only its SHA-256 is stored, so the table leaks nothing
// usable. A link expires (7 days by default, the setting
// fulfilment.link_days), is single-use for the confirmation (the update
// that records it also marks the link used, conditionally, in the same
// transaction), and a new link for the same record replaces the old one.

// Link purposes.
const (
	PurposeSignOff    = "delivery_sign_off"
	PurposeAcceptance = "task_acceptance"
)

// LinkDaysSetting names the setting with the default lifetime of a link.
const LinkDaysSetting = "fulfilment.link_days"

// DefaultLinkDays is a link's lifetime when nothing else is set.
const DefaultLinkDays = 7

// MaxLinkDays is the longest lifetime one may ask for.
const MaxLinkDays = 90

// LinkPath is where a public link's page lives.
const LinkPath = "/s/"

// Link is a public link just made: its token is shown once.
type Link struct {
	Token     string    `json:"-"`
	Path      string    `json:"path"`
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// linkRow is a stored link.
type linkRow struct {
	id, purpose, entity, recordID string
	expiresAt                     time.Time
	usedAt, revokedAt             time.Time
	usedIP                        string
}

// LinkDays is the default lifetime of a new link (the setting, else 7).
func (s *Service) LinkDays(ctx context.Context) int { return s.linkDays(ctx, s.DB.R()) }

// linkDays reads the setting through q (a transaction reads inside
// itself: a second connection could wait on the pool its own writers hold).
func (s *Service) linkDays(ctx context.Context, q store.Querier) int {
	v, err := s.DB.Setting(ctx, q, LinkDaysSetting)
	if err != nil {
		return DefaultLinkDays
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 || n > MaxLinkDays {
		return DefaultLinkDays
	}
	return n
}

// SetLinkDays changes the default lifetime of new links (admins).
func (s *Service) SetLinkDays(ctx context.Context, p *access.Principal, days int) error {
	if !p.IsAdmin() {
		return errs.Denied()
	}
	if days < 1 || days > MaxLinkDays {
		return errs.Field("days", "out_of_range", "min", 1, "max", MaxLinkDays)
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		if err := s.DB.SetSetting(ctx, tx, LinkDaysSetting, strconv.Itoa(days)); err != nil {
			return err
		}
		return s.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: "setting", RecordID: LinkDaysSetting, Action: "update",
			Changes: map[string]store.Change{"days": {New: days}}, RequestID: records.RequestID(ctx)})
	})
}

// makeLink stores a new link for a record, replacing its earlier unused
// ones, and returns it with its token. days 0 takes the default.
func (s *Service) makeLink(ctx context.Context, tx *store.Tx, p *access.Principal, purpose, entityName, recordID string, days int) (Link, error) {
	if days == 0 {
		days = s.linkDays(ctx, tx)
	}
	if days < 1 || days > MaxLinkDays {
		return Link{}, errs.Field("days", "out_of_range", "min", 1, "max", MaxLinkDays)
	}
	tok, err := linktoken.New(linktoken.Link)
	if err != nil {
		return Link{}, err
	}
	now := s.now()
	if _, err := tx.ExecContext(ctx, `UPDATE public_links SET revoked_at = $1 WHERE record_id = $2 AND purpose = $3 AND used_at IS NULL AND revoked_at IS NULL`,
		now, recordID, purpose); err != nil {
		return Link{}, fmt.Errorf("fulfilment: replace links: %w", err)
	}
	exp := now.Add(time.Duration(days) * 24 * time.Hour)
	if _, err := tx.ExecContext(ctx, `INSERT INTO public_links (id, purpose, entity, record_id, token_hash, expires_at, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		store.NewID(), purpose, entityName, recordID, linktoken.Hash(tok), exp, now, entity.NilIfEmpty(p.UserID)); err != nil {
		return Link{}, fmt.Errorf("fulfilment: store link: %w", err)
	}
	if err := s.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: entityName, RecordID: recordID, Action: "public_link",
		Changes: map[string]store.Change{"expires_at": {New: exp}, "purpose": {New: purpose}}, RequestID: records.RequestID(ctx)}); err != nil {
		return Link{}, err
	}
	return Link{Token: tok, Path: LinkPath + tok, ExpiresAt: exp}, nil
}

// Link states as the public page sees them.
const (
	LinkOpen    = "open"
	LinkUsed    = "used"
	LinkExpired = "expired"
)

// errLinkUnknown answers every link that does not exist (or was replaced):
// the same 404 for all, revealing nothing.
func errLinkUnknown() error { return errs.New(errs.NotFound, "public_link_not_found") }

// findLink resolves a token to its link: NotFound for an unknown,
// malformed or replaced token.
func (s *Service) findLink(ctx context.Context, q store.Querier, token string) (*linkRow, error) {
	if !linktoken.WellFormed(token, linktoken.Link) {
		return nil, errLinkUnknown()
	}
	var l linkRow
	var used, revoked, exp any
	var ip sql.NullString
	err := q.QueryRowContext(ctx, `SELECT id, purpose, entity, record_id, expires_at, used_at, used_ip, revoked_at FROM public_links WHERE token_hash = $1`,
		linktoken.Hash(token)).Scan(&l.id, &l.purpose, &l.entity, &l.recordID, &exp, &used, &ip, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errLinkUnknown()
	}
	if err != nil {
		return nil, fmt.Errorf("fulfilment: find link: %w", err)
	}
	l.expiresAt, l.usedAt, l.revokedAt, l.usedIP = store.ScanTime(exp), store.ScanTime(used), store.ScanTime(revoked), ip.String
	if !l.revokedAt.IsZero() && l.usedAt.IsZero() {
		return nil, errLinkUnknown()
	}
	return &l, nil
}

func (s *Service) linkState(l *linkRow) string {
	switch {
	case !l.usedAt.IsZero():
		return LinkUsed
	case !s.now().Before(l.expiresAt):
		return LinkExpired
	}
	return LinkOpen
}

// useLink marks a link used by ip, only if it still is open: of two
// confirmations sent at once exactly one gets through. The other learns
// whether the link was used (409 public_link_used) or has expired (410-like
// public_link_expired).
func (s *Service) useLink(ctx context.Context, tx *store.Tx, l *linkRow, ip string) error {
	now := s.now()
	r, err := tx.ExecContext(ctx, `UPDATE public_links SET used_at = $1, used_ip = $2 WHERE id = $3 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $1`,
		now, entity.NilIfEmpty(ip), l.id)
	if err != nil {
		return fmt.Errorf("fulfilment: use link: %w", err)
	}
	if n, _ := r.RowsAffected(); n == 1 {
		return nil
	}
	var used, revoked any
	if err := tx.QueryRowContext(ctx, `SELECT used_at, revoked_at FROM public_links WHERE id = $1`, l.id).Scan(&used, &revoked); err != nil {
		return fmt.Errorf("fulfilment: link: %w", err)
	}
	switch {
	case !store.ScanTime(used).IsZero():
		return errs.New(errs.Conflict, "public_link_used")
	case !store.ScanTime(revoked).IsZero():
		return errLinkUnknown()
	}
	return errs.New(errs.Unprocessable, "public_link_expired")
}

// linkURL is the full address of a link when the public base URL is
// known (CLOSELOOP_BASE_URL); callers with a request add their own host.
func linkURL(base, path string) string {
	if base == "" {
		return ""
	}
	return strings.TrimRight(base, "/") + path
}
