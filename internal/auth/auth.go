package auth

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"closeloop/internal/access"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// Session lifetimes: a session slides forward while used and ends after a
// week of inactivity or 30 days at most.
const (
	SessionIdle    = 7 * 24 * time.Hour
	SessionMax     = 30 * 24 * time.Hour
	touchEvery     = 10 * time.Minute
	throttleFree   = 5                // failures allowed in a window before delays start
	throttleWindow = 15 * time.Minute // failures older than this are forgotten
	throttleMax    = 15 * time.Minute // the longest wait; never a permanent lock-out
)

// Service signs users in.
type Service struct {
	DB      *store.DB
	Records *records.Service
	Issuer  string // shown in authenticator apps
	Now     func() time.Time
}

// New creates the auth service.
func New(db *store.DB, r *records.Service) *Service {
	return &Service{DB: db, Records: r, Issuer: "Closeloop", Now: store.Now}
}

// Throttled is returned while a key must wait; RetryAfter says how long.
func throttled(wait time.Duration) error {
	return errs.New(errs.TooMany, "login_throttled", "seconds", int(wait.Seconds()+0.999))
}

// badLogin is the one answer for an unknown e-mail and a wrong password.
func badLogin() error { return errs.New(errs.Unauthorized, "login_failed") }

// Login checks an e-mail and password. Failures are counted per e-mail and
// per client address; after a few, each attempt must wait longer (up to 15
// minutes, never a permanent lock-out). An unknown user and a wrong
// password get the same answer after the same work.
func (a *Service) Login(ctx context.Context, email, password, ip string) (*store.UserAuth, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	keys := []string{"email:" + email}
	if ip != "" {
		keys = append(keys, "ip:"+ip)
	}
	now := a.Now()
	for _, k := range keys {
		at, err := a.DB.LoginAttempt(ctx, k)
		if err != nil {
			return nil, err
		}
		if at.BlockedUntil.After(now) {
			return nil, throttled(at.BlockedUntil.Sub(now))
		}
	}
	u, err := a.DB.UserByEmail(ctx, a.DB.R(), email)
	if err != nil && errs.KindOf(err) != errs.NotFound {
		return nil, err
	}
	ok := false
	if u != nil && u.PasswordHash != "" {
		ok = VerifyPassword(u.PasswordHash, password)
	} else {
		VerifyPassword(dummyHash, password)
	}
	if !ok || !u.Active {
		for _, k := range keys {
			if err := a.fail(ctx, k, now); err != nil {
				return nil, err
			}
		}
		return nil, badLogin()
	}
	for _, k := range keys {
		if err := a.DB.ClearLoginAttempts(ctx, k); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// Throttle answers TooMany (with the seconds to wait) while key must wait
// after repeated failures: the sign-in throttle, reused for other secrets
// people could guess at, such as the customers' public links (keyed by
// their address).
func (a *Service) Throttle(ctx context.Context, key string) error {
	at, err := a.DB.LoginAttempt(ctx, key)
	if err != nil {
		return err
	}
	if now := a.Now(); at.BlockedUntil.After(now) {
		return errs.New(errs.TooMany, "too_many_attempts", "seconds", int(at.BlockedUntil.Sub(now).Seconds()+0.999))
	}
	return nil
}

// Failed counts a failure against key for Throttle: a few are free, then
// each must wait longer (at most 15 minutes).
func (a *Service) Failed(ctx context.Context, key string) error { return a.fail(ctx, key, a.Now()) }

func (a *Service) fail(ctx context.Context, key string, now time.Time) error {
	at, err := a.DB.LoginAttempt(ctx, key)
	if err != nil {
		return err
	}
	if now.Sub(at.WindowStart) > throttleWindow && at.BlockedUntil.Before(now) {
		at = store.Attempt{WindowStart: now}
	}
	at.Failures++
	if at.Failures > throttleFree {
		wait := time.Duration(1<<min(at.Failures-throttleFree-1, 10)) * 15 * time.Second
		at.BlockedUntil = now.Add(min(wait, throttleMax))
	}
	return a.DB.SaveLoginAttempt(ctx, key, at)
}

// NewSession starts a session and returns the cookie value. A fresh id at
// every sign-in (never reusing a pre-login id) prevents session fixation.
func (a *Service) NewSession(ctx context.Context, userID string, totpOK bool, ip, ua string) (string, time.Time, error) {
	secret := randomToken(32)
	exp := a.Now().Add(SessionIdle)
	if err := a.DB.CreateSession(ctx, a.DB.W(), hashSecret(secret), userID, exp, totpOK, ip, ua); err != nil {
		return "", time.Time{}, err
	}
	if err := a.DB.TouchLogin(ctx, a.DB.W(), userID); err != nil {
		return "", time.Time{}, err
	}
	return secret, exp, nil
}

// SessionUser is a resolved session.
type SessionUser struct {
	Principal *access.Principal
	Session   *store.Session
	User      *store.UserAuth
	// NeedTOTP means the second factor is still owed: only the TOTP pages
	// may be used until it is given (or set up, when a role requires it).
	NeedTOTP bool
	Hash     string
}

// Session resolves a cookie value.
func (a *Service) Session(ctx context.Context, cookie string) (*SessionUser, error) {
	if cookie == "" || len(cookie) > 100 {
		return nil, errs.New(errs.Unauthorized, "unauthorized")
	}
	h := hashSecret(cookie)
	s, err := a.DB.SessionByHash(ctx, h)
	if err != nil {
		return nil, errs.New(errs.Unauthorized, "unauthorized")
	}
	now := a.Now()
	if now.Sub(s.CreatedAt) > SessionMax {
		_ = a.DB.DeleteSession(ctx, h)
		return nil, errs.New(errs.Unauthorized, "unauthorized")
	}
	p, u, err := a.DB.LoadUser(ctx, s.UserID)
	if err != nil {
		return nil, errs.New(errs.Unauthorized, "unauthorized")
	}
	if now.Sub(s.LastSeen) > touchEvery {
		_ = a.DB.TouchSession(ctx, h, now.Add(SessionIdle))
	}
	need := !s.TOTPOK && (u.TOTPEnabled || p.NeedsTOTP())
	return &SessionUser{Principal: p, Session: s, User: u, NeedTOTP: need, Hash: h}, nil
}

// Logout ends a session.
func (a *Service) Logout(ctx context.Context, cookie string) error {
	if cookie == "" {
		return nil
	}
	return a.DB.DeleteSession(ctx, hashSecret(cookie))
}

// ChangePassword changes one's own password after checking the current
// one; every session of the user ends.
func (a *Service) ChangePassword(ctx context.Context, userID, current, next string) error {
	u, err := a.DB.UserByID(ctx, a.DB.R(), userID)
	if err != nil {
		return err
	}
	if !VerifyPassword(u.PasswordHash, current) {
		return errs.Validation([]errs.FieldError{{Field: "current_password", Code: "wrong_password"}})
	}
	return a.SetPassword(ctx, access.SystemPrincipal(), userID, next)
}

// SetPassword sets a user's password (admin reset, CLI, first setup) and
// ends every session of the user.
func (a *Service) SetPassword(ctx context.Context, p *access.Principal, userID, pw string) error {
	if err := CheckPassword(pw); err != nil {
		return err
	}
	h, err := HashPassword(pw)
	if err != nil {
		return err
	}
	return a.DB.Write(ctx, func(tx *store.Tx) error {
		if err := a.DB.SetPassword(ctx, tx, userID, h); err != nil {
			return err
		}
		return a.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: "user", RecordID: userID, Action: "password", RequestID: records.RequestID(ctx)})
	})
}

// CreateUser adds a user with a password. rec carries the user's fields
// (name, email, roles, team_id …).
func (a *Service) CreateUser(ctx context.Context, p *access.Principal, rec entity.Record, password string) (entity.Record, error) {
	if err := CheckPassword(password); err != nil {
		return nil, err
	}
	h, err := HashPassword(password)
	if err != nil {
		return nil, err
	}
	var out entity.Record
	err = a.DB.Write(ctx, func(tx *store.Tx) error {
		var err error
		if out, err = a.Records.CreateTx(ctx, tx, p, "user", rec); err != nil {
			return err
		}
		return a.DB.SetPassword(ctx, tx, out.ID(), h)
	})
	return out, err
}

// TOTP enrolment ------------------------------------------------------------

// TOTPEnrolment is what the user scans into an authenticator app.
type TOTPEnrolment struct {
	Secret string `json:"secret"`
	URL    string `json:"url"`
	// QR is a data: URL of a PNG QR code (allowed by the page's CSP).
	QR string `json:"qr"`
}

// BeginTOTP generates a secret for the user; it is stored but not enabled
// until a code from it is confirmed.
func (a *Service) BeginTOTP(ctx context.Context, userID string) (*TOTPEnrolment, error) {
	u, err := a.DB.UserByID(ctx, a.DB.R(), userID)
	if err != nil {
		return nil, err
	}
	if u.TOTPEnabled {
		// A new secret would silently replace the working one.
		return nil, errs.New(errs.Unprocessable, "totp_already_enabled")
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: a.Issuer, AccountName: u.Email})
	if err != nil {
		return nil, err
	}
	if err := a.DB.SetTOTP(ctx, a.DB.W(), userID, key.Secret(), false); err != nil {
		return nil, err
	}
	img, err := key.Image(200, 200)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return &TOTPEnrolment{Secret: key.Secret(), URL: key.URL(), QR: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}

func (a *Service) validCode(secret, code string) bool {
	code = strings.TrimSpace(strings.ReplaceAll(code, " ", ""))
	ok, err := totp.ValidateCustom(code, secret, a.Now(), totp.ValidateOpts{Period: 30, Skew: 1, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	return err == nil && ok
}

// ConfirmTOTP enables the second factor once the user proves the app works.
func (a *Service) ConfirmTOTP(ctx context.Context, userID, code string) error {
	u, err := a.DB.UserByID(ctx, a.DB.R(), userID)
	if err != nil {
		return err
	}
	if u.TOTPSecret == "" || !a.validCode(u.TOTPSecret, code) {
		return errs.Validation([]errs.FieldError{{Field: "code", Code: "totp_invalid"}})
	}
	return a.DB.Write(ctx, func(tx *store.Tx) error {
		if err := a.DB.SetTOTP(ctx, tx, userID, u.TOTPSecret, true); err != nil {
			return err
		}
		return a.DB.Audit(ctx, tx, store.AuditEntry{ActorID: userID, Entity: "user", RecordID: userID, Action: "totp_enabled"})
	})
}

// VerifyTOTP checks the second factor of a session and marks it given.
// Wrong codes count against the same throttle as passwords.
func (a *Service) VerifyTOTP(ctx context.Context, su *SessionUser, code, ip string) error {
	key := "totp:" + su.User.ID
	at, err := a.DB.LoginAttempt(ctx, key)
	if err != nil {
		return err
	}
	now := a.Now()
	if at.BlockedUntil.After(now) {
		return throttled(at.BlockedUntil.Sub(now))
	}
	if su.User.TOTPSecret == "" || !su.User.TOTPEnabled || !a.validCode(su.User.TOTPSecret, code) {
		if err := a.fail(ctx, key, now); err != nil {
			return err
		}
		return errs.Validation([]errs.FieldError{{Field: "code", Code: "totp_invalid"}})
	}
	_ = a.DB.ClearLoginAttempts(ctx, key)
	return a.DB.MarkSessionTOTP(ctx, su.Hash)
}

// DisableTOTP turns the second factor off (an admin helping a user who lost
// their phone, or the user themselves when no role requires it).
func (a *Service) DisableTOTP(ctx context.Context, p *access.Principal, userID string) error {
	if p.UserID != userID && !p.IsAdmin() {
		return errs.Denied()
	}
	return a.DB.Write(ctx, func(tx *store.Tx) error {
		if err := a.DB.SetTOTP(ctx, tx, userID, "", false); err != nil {
			return err
		}
		return a.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: "user", RecordID: userID, Action: "totp_disabled"})
	})
}

// API tokens ------------------------------------------------------------------

// TokenPrefix marks Closeloop tokens so secret scanners can find leaked ones.
const TokenPrefix = "clt_"

// CreateToken issues a personal API token and returns its only plain copy.
func (a *Service) CreateToken(ctx context.Context, p *access.Principal, userID, name, scope string, ttl time.Duration) (string, store.Token, error) {
	if p.UserID != userID && !p.IsAdmin() && !p.System {
		return "", store.Token{}, errs.Denied()
	}
	var bad []errs.FieldError
	if scope != "read" && scope != "write" {
		bad = append(bad, errs.FieldError{Field: "scope", Code: "invalid_option", Args: map[string]any{"value": scope}})
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = "token"
	}
	if len([]rune(name)) > 100 {
		bad = append(bad, errs.FieldError{Field: "name", Code: "too_long", Args: map[string]any{"max": 100}})
	}
	if ttl < 0 || ttl > 5*365*24*time.Hour {
		bad = append(bad, errs.FieldError{Field: "expires", Code: "out_of_range"})
	}
	if err := errs.Validation(bad); err != nil {
		return "", store.Token{}, err
	}
	plain := TokenPrefix + randomToken(24)
	t := store.Token{ID: store.NewID(), UserID: userID, Name: name, Scope: scope, CreatedAt: a.Now()}
	if ttl > 0 {
		exp := a.Now().Add(ttl)
		t.ExpiresAt = &exp
	}
	err := a.DB.Write(ctx, func(tx *store.Tx) error {
		if err := a.DB.CreateToken(ctx, tx, t, hashSecret(plain)); err != nil {
			return err
		}
		b, _ := json.Marshal(map[string]any{"name": name, "scope": scope})
		return a.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: "api_token", RecordID: t.ID, Action: "create",
			Changes: map[string]store.Change{"token": {New: string(b)}}})
	})
	return plain, t, err
}

// TokenPrincipal resolves a bearer token to its user, limited to its scope.
func (a *Service) TokenPrincipal(ctx context.Context, bearer string) (*access.Principal, error) {
	if !strings.HasPrefix(bearer, TokenPrefix) || len(bearer) > 100 {
		return nil, errs.New(errs.Unauthorized, "bad_token")
	}
	t, err := a.DB.TokenByHash(ctx, hashSecret(bearer))
	if err != nil {
		return nil, errs.New(errs.Unauthorized, "bad_token")
	}
	p, err := a.DB.LoadPrincipal(ctx, t.UserID)
	if err != nil {
		return nil, errs.New(errs.Unauthorized, "bad_token")
	}
	p.ReadOnly = t.Scope != "write"
	if t.LastUsed == nil || a.Now().Sub(*t.LastUsed) > time.Minute {
		_ = a.DB.TouchToken(ctx, t.ID)
	}
	return p, nil
}

// RevokeToken revokes a token; users revoke their own, admins any.
func (a *Service) RevokeToken(ctx context.Context, p *access.Principal, id string) error {
	owner := p.UserID
	if p.IsAdmin() {
		owner = ""
	}
	return a.DB.Write(ctx, func(tx *store.Tx) error {
		if err := a.DB.RevokeToken(ctx, tx, id, owner); err != nil {
			return err
		}
		return a.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: "api_token", RecordID: id, Action: "revoke"})
	})
}

// First-start setup -------------------------------------------------------------

const setupKey = "setup.token_hash"

// NewSetupToken creates the one-time link secret for creating the first
// admin; it is valid until used or replaced at the next start.
func (a *Service) NewSetupToken(ctx context.Context) (string, error) {
	secret := randomToken(24)
	v, _ := json.Marshal(map[string]any{"hash": hashSecret(secret), "expires": a.Now().Add(24 * time.Hour)})
	return secret, a.DB.SetSetting(ctx, a.DB.W(), setupKey, string(v))
}

// CompleteSetup creates the first admin if the secret is right and still
// no user exists; the secret is then spent.
func (a *Service) CompleteSetup(ctx context.Context, secret string, rec entity.Record, password string) (entity.Record, error) {
	raw, err := a.DB.Setting(ctx, a.DB.R(), setupKey)
	if err != nil {
		return nil, err
	}
	var st struct {
		Hash    string    `json:"hash"`
		Expires time.Time `json:"expires"`
	}
	if raw == "" || json.Unmarshal([]byte(raw), &st) != nil || st.Hash != hashSecret(secret) || a.Now().After(st.Expires) {
		return nil, errs.New(errs.Forbidden, "setup_link_invalid")
	}
	if n, err := a.DB.CountUsers(ctx); err != nil {
		return nil, err
	} else if n > 0 {
		return nil, errs.New(errs.Forbidden, "setup_done")
	}
	rec["roles"] = []string{access.RoleAdmin}
	u, err := a.CreateUser(ctx, access.SystemPrincipal(), rec, password)
	if err != nil {
		return nil, err
	}
	return u, a.DB.SetSetting(ctx, a.DB.W(), setupKey, "{}")
}
