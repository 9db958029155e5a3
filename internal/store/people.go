package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
)

// UserAuth is what sign-in needs to know about a user.
type UserAuth struct {
	ID           string
	Email        string
	Name         string
	Active       bool
	PasswordHash string
	TOTPSecret   string
	TOTPEnabled  bool
	Lang         string
	Version      int64
}

const userAuthCols = `id, email, name, active, coalesce(password_hash, ''), coalesce(totp_secret, ''), totp_enabled, coalesce(lang, ''), version`

func scanUserAuth(row interface{ Scan(...any) error }, more ...any) (*UserAuth, error) {
	var u UserAuth
	if err := row.Scan(append([]any{&u.ID, &u.Email, &u.Name, &u.Active, &u.PasswordHash, &u.TOTPSecret, &u.TOTPEnabled, &u.Lang, &u.Version}, more...)...); err != nil {
		return nil, err
	}
	return &u, nil
}

// UserByEmail finds an active or inactive, not deleted user by e-mail.
func (db *DB) UserByEmail(ctx context.Context, q Querier, email string) (*UserAuth, error) {
	u, err := scanUserAuth(q.QueryRowContext(ctx, `SELECT `+userAuthCols+` FROM users WHERE email = $1 AND deleted_at IS NULL`, email))
	return u, notFound(err, "user")
}

// UserByID finds a user by id.
func (db *DB) UserByID(ctx context.Context, q Querier, id string) (*UserAuth, error) {
	u, err := scanUserAuth(q.QueryRowContext(ctx, `SELECT `+userAuthCols+` FROM users WHERE id = $1 AND deleted_at IS NULL`, id))
	return u, notFound(err, "user")
}

// UserState is what a write needs to know about a user it names: whether
// the user may own records, and the team the records then belong to.
type UserState struct {
	Active bool
	Team   string
}

// UserState returns a not deleted user's state (NotFound otherwise). Inside
// a write transaction the answer is remembered until the transaction writes
// to users itself: an import names the same few owners on every row.
func (db *DB) UserState(ctx context.Context, q Querier, id string) (UserState, error) {
	tx, _ := q.(*Tx)
	if tx != nil {
		if st, ok := tx.users[id]; ok {
			return st, nil
		}
	}
	var st UserState
	var team *string
	err := q.QueryRowContext(ctx, `SELECT active, team_id FROM users WHERE id = $1 AND deleted_at IS NULL`, id).Scan(&st.Active, &team)
	if err != nil {
		return st, notFound(err, "user")
	}
	if team != nil {
		st.Team = *team
	}
	if tx != nil {
		if tx.users == nil {
			tx.users = map[string]UserState{}
		}
		tx.users[id] = st
	}
	return st, nil
}

// CountUsers counts users that are not deleted.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE deleted_at IS NULL`).Scan(&n)
	return n, err
}

// SetPassword stores a new password hash and ends every session of the user.
func (db *DB) SetPassword(ctx context.Context, tx *Tx, userID, hash string) error {
	now := Now()
	res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1, password_changed_at = $2, updated_at = $2, version = version + 1 WHERE id = $3`, hash, now, userID)
	if err != nil {
		return fmt.Errorf("store: set password: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.NotFoundf("user")
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
	return err
}

// SetTOTP stores (or clears, with secret "") the user's second-factor secret.
func (db *DB) SetTOTP(ctx context.Context, q Querier, userID, secret string, enabled bool) error {
	_, err := q.ExecContext(ctx, `UPDATE users SET totp_secret = $1, totp_enabled = $2, updated_at = $3, version = version + 1 WHERE id = $4`, nullable(secret), enabled, Now(), userID)
	return err
}

// TouchLogin records a successful sign-in.
func (db *DB) TouchLogin(ctx context.Context, q Querier, userID string) error {
	_, err := q.ExecContext(ctx, `UPDATE users SET last_login_at = $1 WHERE id = $2`, Now(), userID)
	return err
}

// LoadPrincipal builds the principal of a user: roles and team subtree.
func (db *DB) LoadPrincipal(ctx context.Context, userID string) (*access.Principal, error) {
	p, _, err := db.LoadUser(ctx, userID)
	return p, err
}

// LoadUser is LoadPrincipal together with what sign-in needs to know of
// the user, from one statement (a page request needs both).
func (db *DB) LoadUser(ctx context.Context, userID string) (*access.Principal, *UserAuth, error) {
	var p access.Principal
	var rolesJSON string
	var team sql.NullString
	u, err := scanUserAuth(db.r.QueryRowContext(ctx, `SELECT `+userAuthCols+`, roles, team_id FROM users WHERE id = $1 AND deleted_at IS NULL`, userID), &rolesJSON, &team)
	if err != nil {
		return nil, nil, notFound(err, "user")
	}
	if !u.Active {
		return nil, nil, errs.New(errs.Unauthorized, "account_disabled")
	}
	p.UserID, p.Name, p.Email, p.TeamID = u.ID, u.Name, u.Email, team.String
	var codes []string
	if err := json.Unmarshal([]byte(rolesJSON), &codes); err != nil {
		return nil, nil, fmt.Errorf("store: user %s roles: %w", userID, err)
	}
	var roles []access.Role
	if cached := db.roles.Load(); cached != nil {
		roles = *cached
	} else if roles, err = db.Roles(ctx); err != nil {
		return nil, nil, err
	}
	for _, c := range codes {
		for _, r := range roles {
			if r.Code == c {
				p.Roles = append(p.Roles, r)
			}
		}
	}
	if p.TeamID != "" {
		if p.Teams, err = db.TeamSubtree(ctx, p.TeamID); err != nil {
			return nil, nil, err
		}
	}
	return &p, u, nil
}

// TeamSubtree returns a team and all teams below it that are not deleted.
// It runs on every request (inside LoadPrincipal), so answers are kept for
// subtreeTTL; a team change on this server forgets them at its commit, on
// other servers they are at most subtreeTTL old.
func (db *DB) TeamSubtree(ctx context.Context, teamID string) ([]string, error) {
	if v, ok := db.subtrees.Load(teamID); ok {
		if c := v.(cachedSubtree); time.Since(c.at) < subtreeTTL {
			return c.ids, nil
		}
	}
	// One statement: the team's own path is the prefix of every path below it.
	ids, err := Strings(ctx, db.r, `SELECT t.id FROM teams top JOIN teams t ON substr(t.path, 1, length(top.path)) = top.path
		WHERE top.id = $1 AND t.deleted_at IS NULL ORDER BY t.path`, teamID)
	if err != nil {
		return nil, fmt.Errorf("store: team subtree: %w", err)
	}
	db.subtrees.Store(teamID, cachedSubtree{ids: ids, at: time.Now()})
	return ids, nil
}

// subtreeTTL bounds how old a remembered team subtree may be.
const subtreeTTL = 2 * time.Second

type cachedSubtree struct {
	ids []string
	at  time.Time
}

// TeamPath computes the materialised path of a new team under parent.
func (db *DB) TeamPath(ctx context.Context, q Querier, id, parentID string) (string, error) {
	if parentID == "" {
		return "/" + id + "/", nil
	}
	var pp string
	if err := q.QueryRowContext(ctx, `SELECT path FROM teams WHERE id = $1 AND deleted_at IS NULL`, parentID).Scan(&pp); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return "", errs.Validation([]errs.FieldError{{Field: "parent_id", Code: "invalid_ref"}})
		}
		return "", err
	}
	return pp + id + "/", nil
}

// MoveTeam re-parents a team, rewriting the paths of its subtree. It refuses
// to move a team under itself.
func (db *DB) MoveTeam(ctx context.Context, tx *Tx, id, newParent string) error {
	var old string
	if err := tx.QueryRowContext(ctx, `SELECT path FROM teams WHERE id = $1`, id).Scan(&old); err != nil {
		return notFound(err, "team")
	}
	newPath, err := db.TeamPath(ctx, tx, id, newParent)
	if err != nil {
		return err
	}
	if newParent != "" && len(newPath) > len(old) && newPath[:len(old)] == old {
		return errs.Validation([]errs.FieldError{{Field: "parent_id", Code: "team_cycle"}})
	}
	_, err = tx.ExecContext(ctx, `UPDATE teams SET path = $1 || substr(path, $2) WHERE path LIKE $3`, newPath, len(old)+1, likeEscape(old)+"%")
	return err
}

// Roles returns every role.
func (db *DB) Roles(ctx context.Context) ([]access.Role, error) { return db.RolesIn(ctx, db.r) }

// RolesIn is Roles read through q (inside a transaction).
func (db *DB) RolesIn(ctx context.Context, q Querier) ([]access.Role, error) {
	rows, err := q.QueryContext(ctx, `SELECT code, label_zh, label_en, perms, see_contacts, pool, assign, admin, require_totp, built_in FROM roles ORDER BY built_in DESC, code`)
	if err != nil {
		return nil, fmt.Errorf("store: roles: %w", err)
	}
	defer rows.Close()
	var out []access.Role
	for rows.Next() {
		var r access.Role
		var zh, en, perms string
		if err := rows.Scan(&r.Code, &zh, &en, &perms, &r.SeeContacts, &r.Pool, &r.Assign, &r.Admin, &r.RequireTOTP, &r.BuiltIn); err != nil {
			return nil, err
		}
		r.Label = i18n.T(zh, en)
		if err := json.Unmarshal([]byte(perms), &r.Perms); err != nil {
			return nil, fmt.Errorf("store: role %s perms: %w", r.Code, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// SaveRole inserts or replaces a role.
func (db *DB) SaveRole(ctx context.Context, q Querier, r access.Role) error {
	perms, err := json.Marshal(r.Perms)
	if err != nil {
		return err
	}
	now := Now()
	_, err = q.ExecContext(ctx, `INSERT INTO roles (code, version, created_at, updated_at, label_zh, label_en, perms, see_contacts, pool, assign, admin, require_totp, built_in)
		VALUES ($1, 1, $2, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (code) DO UPDATE SET version = roles.version + 1, updated_at = excluded.updated_at,
			label_zh = excluded.label_zh, label_en = excluded.label_en, perms = excluded.perms,
			see_contacts = excluded.see_contacts, pool = excluded.pool, assign = excluded.assign,
			admin = excluded.admin, require_totp = excluded.require_totp`,
		r.Code, now, r.Label.Zh, r.Label.En, string(perms), r.SeeContacts, r.Pool, r.Assign, r.Admin, r.RequireTOTP, r.BuiltIn)
	if err != nil {
		return fmt.Errorf("store: save role %s: %w", r.Code, err)
	}
	return nil
}

// DeleteRole removes a role that is not built in and that no user holds.
func (db *DB) DeleteRole(ctx context.Context, tx *Tx, code string) error {
	var builtIn bool
	if err := tx.QueryRowContext(ctx, `SELECT built_in FROM roles WHERE code = $1`, code).Scan(&builtIn); err != nil {
		return notFound(err, "role")
	}
	if builtIn {
		return errs.New(errs.Unprocessable, "role_built_in")
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE deleted_at IS NULL AND roles LIKE $1`, `%"`+likeEscape(code)+`"%`).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return errs.New(errs.Unprocessable, "role_in_use", "count", n)
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM roles WHERE code = $1`, code)
	return err
}

// Session is a signed-in browser.
type Session struct {
	UserID    string
	CreatedAt time.Time
	ExpiresAt time.Time
	LastSeen  time.Time
	TOTPOK    bool
}

// CreateSession stores a session under the hash of its secret.
func (db *DB) CreateSession(ctx context.Context, q Querier, idHash, userID string, expires time.Time, totpOK bool, ip, ua string) error {
	now := Now()
	if len(ua) > 300 {
		ua = ua[:300]
	}
	_, err := q.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, created_at, expires_at, last_seen_at, totp_ok, ip, user_agent)
		VALUES ($1, $2, $3, $4, $3, $5, $6, $7)`, idHash, userID, now, timeArg(expires), totpOK, nullable(ip), nullable(ua))
	return err
}

// SessionByHash finds a live session.
func (db *DB) SessionByHash(ctx context.Context, idHash string) (*Session, error) {
	var s Session
	var created, expires, seen any
	err := db.r.QueryRowContext(ctx, `SELECT user_id, created_at, expires_at, last_seen_at, totp_ok FROM sessions WHERE id_hash = $1 AND expires_at > $2`, idHash, Now()).
		Scan(&s.UserID, &created, &expires, &seen, &s.TOTPOK)
	if err != nil {
		return nil, notFound(err, "session")
	}
	s.CreatedAt, s.ExpiresAt, s.LastSeen = scanTime(created), scanTime(expires), scanTime(seen)
	return &s, nil
}

// TouchSession extends a session (sliding expiry).
func (db *DB) TouchSession(ctx context.Context, idHash string, expires time.Time) error {
	_, err := db.w.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id_hash = $3`, Now(), timeArg(expires), idHash)
	return err
}

// MarkSessionTOTP records that the second factor was given.
func (db *DB) MarkSessionTOTP(ctx context.Context, idHash string) error {
	_, err := db.w.ExecContext(ctx, `UPDATE sessions SET totp_ok = TRUE WHERE id_hash = $1`, idHash)
	return err
}

// DeleteSession ends one session.
func (db *DB) DeleteSession(ctx context.Context, idHash string) error {
	_, err := db.w.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = $1`, idHash)
	return err
}

// DeleteUserSessions ends every session of a user.
func (db *DB) DeleteUserSessions(ctx context.Context, q Querier, userID string) error {
	_, err := q.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
	return err
}

// PurgeSessions deletes expired sessions.
func (db *DB) PurgeSessions(ctx context.Context) (int64, error) {
	res, err := db.w.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, Now())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Token is a personal API token (its secret is never stored, only its hash).
type Token struct {
	ID        string     `json:"id"`
	UserID    string     `json:"user_id"`
	Name      string     `json:"name"`
	Scope     string     `json:"scope"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	LastUsed  *time.Time `json:"last_used_at,omitempty"`
}

// CreateToken stores a token hash.
func (db *DB) CreateToken(ctx context.Context, q Querier, t Token, hash string) error {
	var exp any
	if t.ExpiresAt != nil {
		exp = timeArg(*t.ExpiresAt)
	}
	_, err := q.ExecContext(ctx, `INSERT INTO api_tokens (id, user_id, name, token_hash, scope, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		t.ID, t.UserID, t.Name, hash, t.Scope, t.CreatedAt, exp)
	return err
}

// TokenByHash finds a live token: not revoked, not expired.
func (db *DB) TokenByHash(ctx context.Context, hash string) (*Token, error) {
	var t Token
	var created any
	var used nullTime
	err := db.r.QueryRowContext(ctx, `SELECT id, user_id, name, scope, created_at, last_used_at FROM api_tokens
		WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)`, hash, Now()).
		Scan(&t.ID, &t.UserID, &t.Name, &t.Scope, &created, &used)
	if err != nil {
		return nil, notFound(err, "token")
	}
	t.CreatedAt, t.LastUsed = scanTime(created), timePtr(used.T)
	return &t, nil
}

// TouchToken records use. Callers skip it when the token was used within
// the last minute, so API reads do not each cost a write.
func (db *DB) TouchToken(ctx context.Context, id string) error {
	now := Now()
	_, err := db.w.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)`, now, id, now.Add(-time.Minute))
	return err
}

// Tokens lists a user's tokens, newest first.
func (db *DB) Tokens(ctx context.Context, userID string) ([]Token, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, user_id, name, scope, created_at, expires_at, revoked_at, last_used_at FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var t Token
		var created any
		var exp, rev, used nullTime
		if err := rows.Scan(&t.ID, &t.UserID, &t.Name, &t.Scope, &created, &exp, &rev, &used); err != nil {
			return nil, err
		}
		t.CreatedAt = scanTime(created)
		t.ExpiresAt, t.RevokedAt, t.LastUsed = timePtr(exp.T), timePtr(rev.T), timePtr(used.T)
		out = append(out, t)
	}
	return out, rows.Err()
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// RevokeToken revokes a token of a user (admins pass userID "" to revoke any).
func (db *DB) RevokeToken(ctx context.Context, q Querier, id, userID string) error {
	var a Args
	where := "id = " + a.Add(id) + " AND revoked_at IS NULL"
	if userID != "" {
		where += " AND user_id = " + a.Add(userID)
	}
	res, err := q.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = `+a.Add(Now())+` WHERE `+where, a.V...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.NotFoundf("token")
	}
	return nil
}

// Attempt is the throttling state of one key (an e-mail or an address).
type Attempt struct {
	Failures     int
	WindowStart  time.Time
	BlockedUntil time.Time
}

// LoginAttempt reads the throttling state of a key.
func (db *DB) LoginAttempt(ctx context.Context, key string) (Attempt, error) {
	var a Attempt
	var ws any
	var bu nullTime
	err := db.r.QueryRowContext(ctx, `SELECT failures, window_start, blocked_until FROM login_attempts WHERE key = $1`, key).Scan(&a.Failures, &ws, &bu)
	if errors.Is(err, sql.ErrNoRows) {
		return Attempt{}, nil
	}
	a.WindowStart, a.BlockedUntil = scanTime(ws), bu.T
	return a, err
}

// SaveLoginAttempt writes the throttling state of a key.
func (db *DB) SaveLoginAttempt(ctx context.Context, key string, a Attempt) error {
	_, err := db.w.ExecContext(ctx, `INSERT INTO login_attempts (key, failures, window_start, blocked_until) VALUES ($1, $2, $3, $4)
		ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, window_start = excluded.window_start, blocked_until = excluded.blocked_until`,
		key, a.Failures, a.WindowStart, timeArg(a.BlockedUntil))
	return err
}

// ClearLoginAttempts forgets the failures of a key after a success.
func (db *DB) ClearLoginAttempts(ctx context.Context, key string) error {
	_, err := db.w.ExecContext(ctx, `DELETE FROM login_attempts WHERE key = $1`, key)
	return err
}

// NamedUser is a user as pickers show it.
type NamedUser struct{ ID, Name string }

// ActiveUserNames lists up to limit active users by name.
func (db *DB) ActiveUserNames(ctx context.Context, limit int) ([]NamedUser, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, name FROM users WHERE active = TRUE AND deleted_at IS NULL ORDER BY name, id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: active users: %w", err)
	}
	defer rows.Close()
	var out []NamedUser
	for rows.Next() {
		var u NamedUser
		if err := rows.Scan(&u.ID, &u.Name); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}
