package mail_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// smtpServer is a real SMTP server on 127.0.0.1 for the tests: it keeps
// what it receives, refuses the recipients it is told to (550), and signs
// users in with PLAIN when a user is set.
type smtpServer struct {
	t    *testing.T
	srv  *smtp.Server
	Addr string

	mu       sync.Mutex
	received []received
	refuse   map[string]string // recipient → the refusal's text
	user     string
	pass     string
	authed   []string
}

type received struct {
	From string
	To   []string
	Data []byte
}

type tlsMode int

const (
	plain tlsMode = iota
	startTLS
	implicitTLS
)

// startSMTP listens on addr ("127.0.0.1:0" for any port).
func startSMTP(t *testing.T, addr string, mode tlsMode, cert *tls.Certificate) *smtpServer {
	t.Helper()
	s := &smtpServer{t: t, refuse: map[string]string{}}
	srv := smtp.NewServer(s)
	srv.Domain = "mx.test"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 30 << 20
	srv.AllowInsecureAuth = mode == plain
	srv.EnableSMTPUTF8 = true
	var l net.Listener
	var err error
	switch mode {
	case implicitTLS:
		l, err = tls.Listen("tcp", addr, &tls.Config{Certificates: []tls.Certificate{*cert}})
	default:
		if mode == startTLS {
			srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*cert}}
		}
		l, err = net.Listen("tcp", addr)
	}
	if err != nil {
		t.Fatalf("smtp listen: %v", err)
	}
	s.srv, s.Addr = srv, l.Addr().String()
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(s.Close)
	return s
}

func (s *smtpServer) Close() { _ = s.srv.Close() }

func (s *smtpServer) Port() int {
	_, p, _ := net.SplitHostPort(s.Addr)
	n := 0
	for _, c := range p {
		n = n*10 + int(c-'0')
	}
	return n
}

func (s *smtpServer) Messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.received...)
}

func (s *smtpServer) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }

type session struct {
	s      *smtpServer
	from   string
	to     []string
	authed bool
}

func (x *session) AuthMechanisms() []string {
	if x.s.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (x *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != x.s.user || pass != x.s.pass {
			return smtp.ErrAuthFailed
		}
		x.s.mu.Lock()
		x.s.authed = append(x.s.authed, user)
		x.s.mu.Unlock()
		x.authed = true
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if x.s.user != "" && !x.authed {
		return smtp.ErrAuthRequired
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.s.mu.Lock()
	msg, refused := x.s.refuse[strings.ToLower(to)]
	x.s.mu.Unlock()
	if refused {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: msg}
	}
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	x.s.received = append(x.s.received, received{From: x.from, To: x.to, Data: b})
	x.s.mu.Unlock()
	return nil
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }

// testCert makes a self-signed certificate for 127.0.0.1 and the pool
// that trusts it.
func testCert(t *testing.T) (*tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mx.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: c}, pool
}
