package admin

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"closeloop/internal/access"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
	"closeloop/internal/money"
	"closeloop/internal/pdfdoc"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// The company letterhead (公司信息): name in both languages, address and
// contact details, tax number, bank account and logo, printed on every
// document. The fields are one JSON setting; the logo's bytes live in the
// files table like attachments (any server serves them, backups carry
// them) and a second setting names the file.

const (
	companyKey = "company.profile"
	logoKey    = "company.logo"
	// MaxLogoSize is the largest logo upload (1 MiB).
	MaxLogoSize = 1 << 20
)

// LogoInfo describes the stored logo.
type LogoInfo struct {
	FileID      string    `json:"-"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	Width       int       `json:"width"`
	Height      int       `json:"height"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// logoRecord is LogoInfo as stored (with the file id).
type logoRecord struct {
	LogoInfo
	File string `json:"file_id"`
}

// CompanyProfile is the letterhead as the settings page and API show it:
// the fields, and the logo's description (not its bytes).
type CompanyProfile struct {
	pdfdoc.Company
	Logo *LogoInfo `json:"logo"`
}

// Company is the letterhead for documents, logo bytes included. Every area
// that renders a PDF calls it (a.Admin.Company(ctx)); it needs no
// permission, since the letterhead is printed on what customers receive.
// Unset fields are empty.
func (s *Service) Company(ctx context.Context) (pdfdoc.Company, error) {
	c, info, err := s.companyRaw(ctx, s.DB.R())
	if err != nil || info == nil {
		return c, err
	}
	var data []byte
	err = s.DB.R().QueryRowContext(ctx, `SELECT data FROM files WHERE id = $1`, info.File).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return c, nil // a logo setting without its file: print without a logo
	}
	if err != nil {
		return c, fmt.Errorf("admin: company logo: %w", err)
	}
	c.Logo = data
	return c, nil
}

func (s *Service) companyRaw(ctx context.Context, q store.Querier) (pdfdoc.Company, *logoRecord, error) {
	var c pdfdoc.Company
	raw, err := s.DB.Setting(ctx, q, companyKey)
	if err != nil {
		return c, nil, err
	}
	if raw != "" {
		if err := json.Unmarshal([]byte(raw), &c); err != nil {
			return c, nil, fmt.Errorf("admin: company setting: %w", err)
		}
	}
	raw, err = s.DB.Setting(ctx, q, logoKey)
	if err != nil || raw == "" {
		return c, nil, err
	}
	var lr logoRecord
	if err := json.Unmarshal([]byte(raw), &lr); err != nil {
		return c, nil, fmt.Errorf("admin: company logo setting: %w", err)
	}
	lr.FileID = lr.File
	return c, &lr, nil
}

// CompanyProfile returns the letterhead settings for the admin.
func (s *Service) CompanyProfile(ctx context.Context, p *access.Principal) (CompanyProfile, error) {
	if p == nil || !p.IsAdmin() {
		return CompanyProfile{}, errs.Denied()
	}
	c, lr, err := s.companyRaw(ctx, s.DB.R())
	out := CompanyProfile{Company: c}
	if lr != nil {
		out.Logo = &lr.LogoInfo
	}
	return out, err
}

// companyLimits are the longest values of the letterhead's fields.
var companyLimits = []struct {
	field string
	max   int
	get   func(*pdfdoc.Company) *string
}{
	{"name", 200, func(c *pdfdoc.Company) *string { return &c.Name }},
	{"name_en", 200, func(c *pdfdoc.Company) *string { return &c.NameEn }},
	{"address", 300, func(c *pdfdoc.Company) *string { return &c.Address }},
	{"phone", 50, func(c *pdfdoc.Company) *string { return &c.Phone }},
	{"email", 254, func(c *pdfdoc.Company) *string { return &c.Email }},
	{"website", 200, func(c *pdfdoc.Company) *string { return &c.Website }},
	{"tax_number", 50, func(c *pdfdoc.Company) *string { return &c.TaxNumber }},
	{"bank_name", 200, func(c *pdfdoc.Company) *string { return &c.BankName }},
	{"bank_account", 50, func(c *pdfdoc.Company) *string { return &c.BankAccount }},
}

// SaveCompany replaces the letterhead's fields (not the logo), audited old
// → new per field. The Chinese name is required; the rest may be empty.
func (s *Service) SaveCompany(ctx context.Context, p *access.Principal, c pdfdoc.Company) error {
	if err := need(p); err != nil {
		return err
	}
	c.Logo = nil
	var bad []errs.FieldError
	for _, l := range companyLimits {
		v := l.get(&c)
		*v = strings.Join(strings.Fields(*v), " ") // one line each: no tabs or breaks in a letterhead
		if utf8.RuneCountInString(*v) > l.max {
			bad = append(bad, errs.FieldError{Field: l.field, Code: "too_long", Args: map[string]any{"max": l.max}})
		}
	}
	if c.Name == "" {
		bad = append(bad, errs.FieldError{Field: "name", Code: "required"})
	}
	if c.Email != "" {
		if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email {
			bad = append(bad, errs.FieldError{Field: "email", Code: "invalid_email"})
		}
	}
	if err := errs.Validation(bad); err != nil {
		return err
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		old, _, err := s.companyRaw(ctx, tx)
		if err != nil {
			return err
		}
		b, _ := json.Marshal(c)
		if err := s.DB.SetSetting(ctx, tx, companyKey, string(b)); err != nil {
			return err
		}
		changes := map[string]store.Change{}
		for _, l := range companyLimits {
			if o, n := *l.get(&old), *l.get(&c); o != n {
				changes[l.field] = store.Change{Old: o, New: n}
			}
		}
		if len(changes) == 0 {
			return nil
		}
		return s.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: "settings", RecordID: "company", Action: "update",
			Changes: changes, RequestID: records.RequestID(ctx)})
	})
}

// SetCompanyLogo stores a new logo: at most 1 MiB, PNG or JPEG by its
// bytes (whatever the name says), at most 4096 pixels a side. The old
// logo's file is removed in the same transaction.
func (s *Service) SetCompanyLogo(ctx context.Context, p *access.Principal, data []byte) (LogoInfo, error) {
	if err := need(p); err != nil {
		return LogoInfo{}, err
	}
	fileErr := func(code string, args ...any) error {
		fe := errs.FieldError{Field: "file", Code: code}
		if len(args) > 0 {
			fe.Args = map[string]any{}
			for i := 0; i+1 < len(args); i += 2 {
				fe.Args[fmt.Sprint(args[i])] = args[i+1]
			}
		}
		return errs.Validation([]errs.FieldError{fe})
	}
	switch {
	case len(data) == 0:
		return LogoInfo{}, fileErr("file_empty")
	case len(data) > MaxLogoSize:
		return LogoInfo{}, fileErr("file_too_large", "max_mb", MaxLogoSize>>20)
	}
	if ct := http.DetectContentType(data); ct != "image/png" && ct != "image/jpeg" {
		return LogoInfo{}, fileErr("logo_type")
	}
	out, ct, w, h, err := pdfdoc.NormalizeLogo(data)
	switch {
	case errors.Is(err, pdfdoc.ErrLogoType):
		return LogoInfo{}, fileErr("logo_type")
	case errors.Is(err, pdfdoc.ErrLogoDimensions):
		return LogoInfo{}, fileErr("logo_dimensions", "max", pdfdoc.MaxLogoPixels)
	case err != nil:
		return LogoInfo{}, fileErr("logo_unreadable")
	}
	sum := sha256.Sum256(out)
	lr := logoRecord{LogoInfo: LogoInfo{ContentType: ct, Size: int64(len(out)), SHA256: hex.EncodeToString(sum[:]), Width: w, Height: h, UpdatedAt: store.Now()}, File: store.NewID()}
	lr.FileID = lr.File
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		_, old, err := s.companyRaw(ctx, tx)
		if err != nil {
			return err
		}
		name := "logo.png"
		if ct == "image/jpeg" {
			name = "logo.jpg"
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO files (id, name, content_type, size, data, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			lr.File, name, ct, lr.Size, out, lr.UpdatedAt, p.UserID); err != nil {
			return fmt.Errorf("admin: store logo: %w", err)
		}
		b, _ := json.Marshal(lr)
		if err := s.DB.SetSetting(ctx, tx, logoKey, string(b)); err != nil {
			return err
		}
		var oldV any
		if old != nil {
			oldV = old.LogoInfo
			if _, err := tx.ExecContext(ctx, `DELETE FROM files WHERE id = $1`, old.File); err != nil {
				return fmt.Errorf("admin: remove old logo: %w", err)
			}
		}
		return s.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: "settings", RecordID: "company", Action: "logo_update",
			Changes: map[string]store.Change{"logo": {Old: oldV, New: lr.LogoInfo}}, RequestID: records.RequestID(ctx)})
	})
	return lr.LogoInfo, err
}

// DeleteCompanyLogo removes the logo (documents then print without one).
func (s *Service) DeleteCompanyLogo(ctx context.Context, p *access.Principal) error {
	if err := need(p); err != nil {
		return err
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		_, old, err := s.companyRaw(ctx, tx)
		if err != nil || old == nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM settings WHERE key = $1`, logoKey); err != nil {
			return fmt.Errorf("admin: remove logo setting: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM files WHERE id = $1`, old.File); err != nil {
			return fmt.Errorf("admin: remove logo: %w", err)
		}
		return s.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: "settings", RecordID: "company", Action: "logo_delete",
			Changes: map[string]store.Change{"logo": {Old: old.LogoInfo}}, RequestID: records.RequestID(ctx)})
	})
}

// CompanyLogo returns the logo's bytes for display (not found when unset).
func (s *Service) CompanyLogo(ctx context.Context, p *access.Principal) ([]byte, LogoInfo, error) {
	if p == nil || !p.IsAdmin() {
		return nil, LogoInfo{}, errs.Denied()
	}
	_, lr, err := s.companyRaw(ctx, s.DB.R())
	if err != nil {
		return nil, LogoInfo{}, err
	}
	if lr == nil {
		return nil, LogoInfo{}, errs.NotFoundf("logo")
	}
	var data []byte
	err = s.DB.R().QueryRowContext(ctx, `SELECT data FROM files WHERE id = $1`, lr.File).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, LogoInfo{}, errs.NotFoundf("logo")
	}
	if err != nil {
		return nil, LogoInfo{}, fmt.Errorf("admin: company logo: %w", err)
	}
	return data, lr.LogoInfo, nil
}

// LetterheadPreview renders a sample quote on the saved letterhead, so the
// admin sees the logo, names and contact details as customers will.
// now is the preview's date (in the company's time zone).
func (s *Service) LetterheadPreview(ctx context.Context, p *access.Principal, lang i18n.Lang, now time.Time, w io.Writer) error {
	if p == nil || !p.IsAdmin() {
		return errs.Denied()
	}
	c, err := s.Company(ctx)
	if err != nil {
		return err
	}
	return pdfdoc.Render(w, SampleDocument(c, lang, now))
}

// SampleDocument is the preview's document: a short quote with every part
// of the layout (parties, a table with totals, terms, signatures).
func SampleDocument(c pdfdoc.Company, lang i18n.Lang, now time.Time) pdfdoc.Document {
	t := func(key string) string { return i18n.Msg(lang, key) }
	if c.Name == "" && c.NameEn == "" {
		c.Name = t("co.preview_unnamed")
	}
	tb := pdfdoc.Table{Title: t("co.preview_lines"), Columns: []pdfdoc.Column{
		{Label: t("co.preview_no"), Width: 0.6, Align: pdfdoc.Center}, {Label: t("co.preview_item"), Width: 4},
		{Label: t("co.preview_qty"), Width: 1, Align: pdfdoc.Right}, {Label: t("co.preview_price"), Width: 1.6, Align: pdfdoc.Right},
		{Label: t("co.preview_amount"), Width: 1.8, Align: pdfdoc.Right}}}
	var sum int64
	for i, it := range []struct {
		key  string
		qty  int64
		unit int64
	}{{"co.preview_item1", 1, 12800000}, {"co.preview_item2", 20, 98000}, {"co.preview_item3", 2, 350000}} {
		amount := it.qty * it.unit
		sum += amount
		tb.Rows = append(tb.Rows, []string{fmt.Sprint(i + 1), t(it.key), fmt.Sprint(it.qty), money.Format(it.unit), money.Format(amount)})
	}
	tb.Totals = []pdfdoc.Total{{Label: t("co.preview_total"), Value: money.Format(sum), Strong: true}}
	return pdfdoc.Document{
		Company: c, Lang: lang, Title: t("co.preview_title"), Number: "Q-" + now.Format("200601") + "-0001", Date: now,
		Blocks: []pdfdoc.Block{
			{Title: t("co.preview_customer"), Fields: []pdfdoc.Field{{Label: t("pdf.company_name"), Value: t("co.preview_customer_name")}, {Label: t("co.preview_contact"), Value: t("co.preview_contact_name")}}},
			{Title: t("co.preview_seller"), Fields: c.PartyRows(lang)},
		},
		Tables:     []pdfdoc.Table{tb},
		Sections:   []pdfdoc.Section{{Heading: t("co.preview_terms"), Body: t("co.preview_terms_text")}},
		Signatures: []pdfdoc.Signature{{Title: t("co.preview_sign_customer"), Name: t("co.preview_customer_name")}, {Title: t("co.preview_sign_seller"), Name: c.DisplayName(lang)}},
		Footer:     t("co.preview_footer"),
	}
}
