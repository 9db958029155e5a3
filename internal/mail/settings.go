package mail

import (
	"context"
	"encoding/json"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"

	"closeloop/internal/access"
	"closeloop/internal/errs"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// Security is how the connection to the SMTP server is protected.
type Security string

// The connection's protection: none (a relay on a trusted network), STARTTLS
// (plain connection upgraded before anything is said, required — port
// 587), or TLS from the first byte (port 465).
const (
	SecurityNone     Security = "none"
	SecuritySTARTTLS Security = "starttls"
	SecurityTLS      Security = "tls"
)

// Securities lists the choices in the order a form offers them.
var Securities = []Security{SecuritySTARTTLS, SecurityTLS, SecurityNone}

const smtpKey = "mail.smtp"

// SMTP is the outgoing mail server. The password is write-only: it is
// stored, used to sign in, and never shown again (PasswordSet says whether
// there is one).
type SMTP struct {
	Host        string   `json:"host"`
	Port        int      `json:"port"`
	Username    string   `json:"username"`
	Password    string   `json:"-"`
	PasswordSet bool     `json:"password_set"`
	FromAddress string   `json:"from_address"`
	FromName    string   `json:"from_name"`
	Security    Security `json:"security"`
}

// smtpStored is SMTP as kept in the settings table.
type smtpStored struct {
	SMTP
	Secret string `json:"password"`
}

// Configured reports whether mail can be sent.
func (c SMTP) Configured() bool { return c.Host != "" && c.Port > 0 && c.FromAddress != "" }

// SMTPUpdate changes the settings. A nil Password keeps the stored one;
// a given one (even empty) replaces it.
type SMTPUpdate struct {
	Host        string   `json:"host"`
	Port        int      `json:"port"`
	Username    string   `json:"username"`
	Password    *string  `json:"password"`
	FromAddress string   `json:"from_address"`
	FromName    string   `json:"from_name"`
	Security    Security `json:"security"`
}

// DefaultPort is the usual port of a security choice.
func DefaultPort(s Security) int {
	switch s {
	case SecurityTLS:
		return 465
	case SecurityNone:
		return 25
	}
	return 587
}

func (s *Service) smtp(ctx context.Context, q store.Querier) (SMTP, error) {
	raw, err := s.DB.Setting(ctx, q, smtpKey)
	if err != nil || raw == "" {
		return SMTP{Security: SecuritySTARTTLS, Port: 587}, err
	}
	var st smtpStored
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		return SMTP{}, fmt.Errorf("mail: smtp setting: %w", err)
	}
	c := st.SMTP
	c.Password = st.Secret
	c.PasswordSet = st.Secret != ""
	return c, nil
}

// Settings returns the SMTP settings for an admin, without the password.
func (s *Service) Settings(ctx context.Context, p *access.Principal) (SMTP, error) {
	if p == nil || !p.IsAdmin() {
		return SMTP{}, errs.Denied()
	}
	c, err := s.smtp(ctx, s.DB.R())
	c.Password = ""
	return c, err
}

// SaveSettings validates and stores the SMTP settings, audited (the
// password only as "changed").
func (s *Service) SaveSettings(ctx context.Context, p *access.Principal, u SMTPUpdate) (SMTP, error) {
	if p == nil || !p.IsAdmin() || p.ReadOnly {
		return SMTP{}, errs.Denied()
	}
	u.Host = strings.TrimSpace(u.Host)
	u.Username = strings.TrimSpace(u.Username)
	u.FromAddress = strings.TrimSpace(u.FromAddress)
	u.FromName = strings.Join(strings.Fields(u.FromName), " ")
	if u.Security == "" {
		u.Security = SecuritySTARTTLS
	}
	if u.Port == 0 {
		u.Port = DefaultPort(u.Security)
	}
	var bad []errs.FieldError
	switch {
	case u.Host == "":
		bad = append(bad, errs.FieldError{Field: "host", Code: "required"})
	case len(u.Host) > 253 || strings.ContainsAny(u.Host, " /:@\\\t\r\n"):
		bad = append(bad, errs.FieldError{Field: "host", Code: "smtp_bad_host"})
	}
	if u.Port < 1 || u.Port > 65535 {
		bad = append(bad, errs.FieldError{Field: "port", Code: "out_of_range", Args: map[string]any{"min": 1, "max": 65535}})
	}
	switch u.Security {
	case SecurityNone, SecuritySTARTTLS, SecurityTLS:
	default:
		bad = append(bad, errs.FieldError{Field: "security", Code: "invalid_option", Args: map[string]any{"value": string(u.Security)}})
	}
	if utf8.RuneCountInString(u.Username) > 254 {
		bad = append(bad, errs.FieldError{Field: "username", Code: "too_long", Args: map[string]any{"max": 254}})
	}
	if u.Password != nil && (len(*u.Password) > 1000 || strings.ContainsAny(*u.Password, "\r\n\x00")) {
		bad = append(bad, errs.FieldError{Field: "password", Code: "invalid_text"})
	}
	if u.FromAddress == "" {
		bad = append(bad, errs.FieldError{Field: "from_address", Code: "required"})
	} else if a, err := mail.ParseAddress(u.FromAddress); err != nil || a.Address != u.FromAddress {
		bad = append(bad, errs.FieldError{Field: "from_address", Code: "invalid_email"})
	}
	if utf8.RuneCountInString(u.FromName) > 100 {
		bad = append(bad, errs.FieldError{Field: "from_name", Code: "too_long", Args: map[string]any{"max": 100}})
	}
	if err := errs.Validation(bad); err != nil {
		return SMTP{}, err
	}
	var out SMTP
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		old, err := s.smtp(ctx, tx)
		if err != nil {
			return err
		}
		st := smtpStored{SMTP: SMTP{Host: u.Host, Port: u.Port, Username: u.Username, FromAddress: u.FromAddress, FromName: u.FromName, Security: u.Security}, Secret: old.Password}
		if u.Password != nil {
			st.Secret = *u.Password
		}
		b, _ := json.Marshal(st)
		if err := s.DB.SetSetting(ctx, tx, smtpKey, string(b)); err != nil {
			return err
		}
		changes := map[string]store.Change{}
		note := func(field string, o, n any) {
			if o != n {
				changes[field] = store.Change{Old: o, New: n}
			}
		}
		note("host", old.Host, st.Host)
		note("port", old.Port, st.Port)
		note("username", old.Username, st.Username)
		note("from_address", old.FromAddress, st.FromAddress)
		note("from_name", old.FromName, st.FromName)
		note("security", string(old.Security), string(st.Security))
		if st.Secret != old.Password {
			changes["password"] = store.Change{Old: "***", New: "***"}
		}
		out = st.SMTP
		out.PasswordSet = st.Secret != ""
		if len(changes) == 0 {
			return nil
		}
		return s.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: "settings", RecordID: "smtp", Action: "update",
			Changes: changes, RequestID: records.RequestID(ctx)})
	})
	return out, err
}
