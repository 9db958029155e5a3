package auth

import (
	"context"

	"closeloop/internal/access"
	"closeloop/internal/errs"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// SetLanguage changes the signed-in user's own interface language. It is a
// personal preference, so it needs no right to edit user records; it is
// audited like any change of a user.
func (a *Service) SetLanguage(ctx context.Context, p *access.Principal, lang string) error {
	if p == nil || p.UserID == "" {
		return errs.Denied()
	}
	if lang != "zh-CN" && lang != "en" && lang != "" {
		return errs.Validation([]errs.FieldError{{Field: "lang", Code: "invalid_option", Args: map[string]any{"value": lang}}})
	}
	return a.DB.Write(ctx, func(tx *store.Tx) error {
		var old *string
		if err := tx.QueryRowContext(ctx, `SELECT lang FROM users WHERE id = $1 AND deleted_at IS NULL`, p.UserID).Scan(&old); err != nil {
			return errs.NotFoundf("user")
		}
		prev := ""
		if old != nil {
			prev = *old
		}
		if prev == lang {
			return nil
		}
		var v any
		if lang != "" {
			v = lang
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET lang = $1, updated_at = $2, updated_by = $3, version = version + 1 WHERE id = $3`, v, store.Now(), p.UserID); err != nil {
			return err
		}
		return a.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: "user", RecordID: p.UserID, Action: "update",
			Changes: map[string]store.Change{"lang": {Old: old, New: v}}, RequestID: records.RequestID(ctx)})
	})
}
