package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"closeloop/internal/access"
	"closeloop/internal/apptest"
	"closeloop/internal/auth"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
)

var ctx = context.Background()

func TestPasswordHash(t *testing.T) {
	h, err := auth.HashPassword("正确的密码 correct")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash format %q", h)
	}
	if !auth.VerifyPassword(h, "正确的密码 correct") || auth.VerifyPassword(h, "wrong") {
		t.Error("verify")
	}
	h2, _ := auth.HashPassword("正确的密码 correct")
	if h == h2 {
		t.Error("salts must differ")
	}
	for _, bad := range []string{"", "$argon2id$", "$argon2id$v=19$m=0,t=0,p=0$x$y", "$bcrypt$..."} {
		if auth.VerifyPassword(bad, "x") {
			t.Errorf("malformed hash %q accepted", bad)
		}
	}
	if err := auth.CheckPassword("short"); err == nil {
		t.Error("short password accepted")
	}
}

// Sign-in answers alike for an unknown e-mail and a wrong password, and
// slows down after repeated failures without locking anyone out for good.
func TestLoginThrottle(t *testing.T) {
	f := apptest.NewFixture(t)
	a := f.App.Auth
	now := time.Now()
	a.Now = func() time.Time { return now }
	_, errUnknown := a.Login(ctx, "nobody@example.com", "x", "10.0.0.1")
	_, errWrong := a.Login(ctx, "zhangwei@example.com", "x", "10.0.0.2")
	if errs.CodeOf(errUnknown) != "login_failed" || errs.CodeOf(errWrong) != "login_failed" {
		t.Fatalf("unknown %v, wrong %v", errUnknown, errWrong)
	}
	u, err := a.Login(ctx, "ZhangWei@Example.com ", apptest.Password, "10.0.0.3")
	if err != nil || u.ID != f.Rep1.UserID {
		t.Fatalf("good login: %v", err)
	}
	for i := 0; i < 5; i++ {
		if _, err := a.Login(ctx, "lina@example.com", "bad", "10.0.0.4"); errs.CodeOf(err) != "login_failed" {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	_, err = a.Login(ctx, "lina@example.com", "bad", "10.0.0.4")
	if errs.CodeOf(err) != "login_failed" {
		t.Fatalf("6th attempt: %v", err)
	}
	// Now blocked — even with the right password, and the same for an unknown user.
	_, err = a.Login(ctx, "lina@example.com", apptest.Password, "10.0.0.9")
	if errs.KindOf(err) != errs.TooMany {
		t.Fatalf("blocked login: %v", err)
	}
	for i := 0; i < 6; i++ {
		a.Login(ctx, "ghost@example.com", "bad", "10.0.0.5")
	}
	if _, err := a.Login(ctx, "ghost@example.com", "bad", "10.0.0.8"); errs.KindOf(err) != errs.TooMany {
		t.Errorf("an unknown user must be throttled alike: %v", err)
	}
	// Never permanent: after the wait the right password works.
	now = now.Add(16 * time.Minute)
	if _, err := a.Login(ctx, "lina@example.com", apptest.Password, "10.0.0.9"); err != nil {
		t.Errorf("after the wait: %v", err)
	}
}

func TestSessionsRotateAndEndOnPasswordChange(t *testing.T) {
	f := apptest.NewFixture(t)
	a := f.App.Auth
	c1, _, err := a.NewSession(ctx, f.Rep1.UserID, false, "127.0.0.1", "test")
	if err != nil {
		t.Fatal(err)
	}
	c2, _, _ := a.NewSession(ctx, f.Rep1.UserID, false, "127.0.0.1", "test")
	if c1 == c2 {
		t.Fatal("each sign-in must get a fresh session id")
	}
	su, err := a.Session(ctx, c1)
	if err != nil || su.Principal.UserID != f.Rep1.UserID || su.NeedTOTP {
		t.Fatalf("session %v %v", su, err)
	}
	var stored string
	f.DB().R().QueryRowContext(ctx, `SELECT id_hash FROM sessions LIMIT 1`).Scan(&stored)
	if stored == c1 || stored == c2 || len(stored) != 64 {
		t.Error("session ids must be stored hashed")
	}
	if err := a.ChangePassword(ctx, f.Rep1.UserID, "wrong", "new password 123"); errs.CodeOf(err) != "validation" {
		t.Errorf("change with wrong current password: %v", err)
	}
	if err := a.ChangePassword(ctx, f.Rep1.UserID, apptest.Password, "new password 123"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{c1, c2} {
		if _, err := a.Session(ctx, c); err == nil {
			t.Error("sessions must end when the password changes")
		}
	}
	if _, err := a.Login(ctx, "zhangwei@example.com", "new password 123", ""); err != nil {
		t.Errorf("new password: %v", err)
	}
	if err := a.Logout(ctx, c1); err != nil {
		t.Error(err)
	}
	// A disabled user's sessions end and they cannot sign in.
	c3, _, _ := a.NewSession(ctx, f.Rep2.UserID, false, "", "")
	u, _ := f.App.Records.Get(ctx, f.Admin, "user", f.Rep2.UserID)
	if _, err := f.App.Records.Update(ctx, f.Admin, "user", u.ID(), u.Version(), entity.Record{"active": false}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Session(ctx, c3); err == nil {
		t.Error("a disabled user's session still works")
	}
	if _, err := a.Login(ctx, "lina@example.com", apptest.Password, ""); errs.CodeOf(err) != "login_failed" {
		t.Errorf("disabled login: %v", err)
	}
}

func TestTOTP(t *testing.T) {
	f := apptest.NewFixture(t)
	a := f.App.Auth
	en, err := a.BeginTOTP(ctx, f.Rep1.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(en.QR, "data:image/png;base64,") || !strings.Contains(en.URL, "otpauth://totp/") {
		t.Errorf("enrolment %+v", en)
	}
	if err := a.ConfirmTOTP(ctx, f.Rep1.UserID, "000000"); err == nil {
		t.Error("a wrong code enabled TOTP")
	}
	code, _ := totp.GenerateCode(en.Secret, time.Now())
	if err := a.ConfirmTOTP(ctx, f.Rep1.UserID, code); err != nil {
		t.Fatal(err)
	}
	cookie, _, _ := a.NewSession(ctx, f.Rep1.UserID, false, "", "")
	su, err := a.Session(ctx, cookie)
	if err != nil || !su.NeedTOTP {
		t.Fatalf("a session must owe the second factor: %v %v", su, err)
	}
	if err := a.VerifyTOTP(ctx, su, "123456", ""); err == nil {
		t.Error("wrong code accepted")
	}
	code, _ = totp.GenerateCode(en.Secret, time.Now())
	if err := a.VerifyTOTP(ctx, su, code, ""); err != nil {
		t.Fatal(err)
	}
	if su, _ = a.Session(ctx, cookie); su.NeedTOTP {
		t.Error("second factor given but still owed")
	}
	// An admin can make TOTP mandatory for a role.
	roles, _ := f.DB().Roles(ctx)
	for _, r := range roles {
		if r.Code == access.RoleSales {
			r.RequireTOTP = true
			if err := f.App.Admin.SaveRole(ctx, f.Admin, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	c2, _, _ := a.NewSession(ctx, f.Rep2.UserID, false, "", "")
	if su, _ := a.Session(ctx, c2); !su.NeedTOTP {
		t.Error("a sales rep without TOTP must be sent to set it up")
	}
}

func TestAPITokens(t *testing.T) {
	f := apptest.NewFixture(t)
	a := f.App.Auth
	plain, tok, err := a.CreateToken(ctx, f.Rep1, f.Rep1.UserID, "集成", "read", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(plain, auth.TokenPrefix) {
		t.Errorf("token %q", plain)
	}
	var n int
	f.DB().R().QueryRowContext(ctx, `SELECT count(*) FROM api_tokens WHERE token_hash = $1`, plain).Scan(&n)
	if n != 0 {
		t.Error("the token is stored in clear")
	}
	p, err := a.TokenPrincipal(ctx, plain)
	if err != nil || p.UserID != f.Rep1.UserID || !p.ReadOnly || p.Perm("customer").Create {
		t.Fatalf("read token principal %+v %v", p, err)
	}
	if _, _, err := a.CreateToken(ctx, f.Rep2, f.Rep1.UserID, "x", "write", 0); errs.KindOf(err) != errs.Forbidden {
		t.Errorf("creating a token for someone else: %v", err)
	}
	if _, _, err := a.CreateToken(ctx, f.Rep1, f.Rep1.UserID, "x", "admin", 0); err == nil {
		t.Error("a bad scope was accepted")
	}
	if err := a.RevokeToken(ctx, f.Rep2, tok.ID); errs.KindOf(err) != errs.NotFound {
		t.Errorf("revoking someone else's token: %v", err)
	}
	if err := a.RevokeToken(ctx, f.Rep1, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.TokenPrincipal(ctx, plain); err == nil {
		t.Error("a revoked token still works")
	}
	short, _, _ := a.CreateToken(ctx, f.Rep1, f.Rep1.UserID, "短期", "write", time.Minute)
	// The store compares expiry with the database clock: move the expiry.
	f.DB().W().ExecContext(ctx, `UPDATE api_tokens SET expires_at = $1 WHERE name = '短期'`, time.Now().Add(-time.Second).UTC())
	if _, err := a.TokenPrincipal(ctx, short); err == nil {
		t.Error("an expired token still works")
	}
	for _, bad := range []string{"", "clt_", "Bearer x", strings.Repeat("a", 500)} {
		if _, err := a.TokenPrincipal(ctx, bad); errs.KindOf(err) != errs.Unauthorized {
			t.Errorf("token %q: %v", bad, err)
		}
	}
}

func TestFirstAdminSetupLink(t *testing.T) {
	a := apptest.New(t)
	secret, err := a.Auth.NewSetupToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rec := entity.Record{"name": "首位管理员", "email": "boss@example.com"}
	if _, err := a.Auth.CompleteSetup(ctx, "wrong", rec, "long enough pw"); errs.CodeOf(err) != "setup_link_invalid" {
		t.Errorf("wrong secret: %v", err)
	}
	u, err := a.Auth.CompleteSetup(ctx, secret, rec, "long enough pw")
	if err != nil {
		t.Fatal(err)
	}
	if len(u.List("roles")) != 1 || u.List("roles")[0] != access.RoleAdmin {
		t.Errorf("roles %v", u.List("roles"))
	}
	if _, err := a.Auth.CompleteSetup(ctx, secret, entity.Record{"name": "二", "email": "two@example.com"}, "long enough pw"); err == nil {
		t.Error("a setup link works only once")
	}
}
