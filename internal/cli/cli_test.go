package cli_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"closeloop/internal/apptest"
	"closeloop/internal/cli"
	"closeloop/internal/server"
)

// dataArgs are the --data/--db flags of a fresh database for this test.
func dataArgs(t *testing.T) []string {
	t.Helper()
	args := []string{"--data", t.TempDir()}
	if apptest.IsPG() {
		args = append(args, "--db", apptest.NewPGDatabase(t, apptest.PGURL()))
	}
	return args
}

func runCLI(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := cli.Run(context.Background(), args, cli.IO{In: strings.NewReader(stdin), Out: &out, Err: &errb})
	if err != nil {
		return out.String() + errb.String(), err
	}
	return out.String(), nil
}

func call(t *testing.T, method, url, token string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	json.Unmarshal(b, &m)
	return resp.StatusCode, m
}

// The whole binary in-process: user add, token create, serve on
// 127.0.0.1:0, the API, health, metrics, graceful shutdown.
func TestServeInProcess(t *testing.T) {
	data := dataArgs(t)
	if out, err := runCLI(t, "first admin password\n", append([]string{"user", "add", "--email", "boss@example.com", "--name", "老板", "--role", "admin", "--team", "总部"}, data...)...); err != nil {
		t.Fatalf("user add: %v %s", err, out)
	}
	if out, err := runCLI(t, "short\n", append([]string{"user", "add", "--email", "x@example.com", "--name", "x", "--role", "sales"}, data...)...); err == nil || !strings.Contains(out+err.Error(), "8") {
		t.Errorf("a short password was accepted: %v %s", err, out)
	}
	tok, err := runCLI(t, "", append([]string{"token", "create", "--email", "boss@example.com", "--scope", "write", "--expires", "30d"}, data...)...)
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	tok = strings.TrimSpace(tok)
	if !strings.HasPrefix(tok, "clt_") || strings.Contains(tok, "\n") {
		t.Fatalf("token create must print only the token, got %q", tok)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *server.Server, 1)
	done := make(chan error, 1)
	var out bytes.Buffer
	go func() {
		done <- cli.Serve(ctx, append([]string{"--addr", "127.0.0.1:0"}, data...), cli.IO{In: strings.NewReader(""), Out: &out, Err: io.Discard}, func(s *server.Server) { ready <- s })
	}()
	var srv *server.Server
	select {
	case srv = <-ready:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start")
	}
	base := srv.URL()
	for _, p := range []string{"/healthz", "/readyz"} {
		if st, _ := call(t, "GET", base+p, "", nil); st != 200 {
			t.Errorf("%s: %d", p, st)
		}
	}
	st, c := call(t, "POST", base+"/api/v1/customers", tok, map[string]any{"name": "西安比亚迪汽车有限公司", "level": "A"})
	if st != 201 {
		t.Fatalf("create: %d %v", st, c)
	}
	if st, got := call(t, "GET", base+"/api/v1/customers/"+c["id"].(string), tok, nil); st != 200 || got["name"] != "西安比亚迪汽车有限公司" {
		t.Errorf("get: %d %v", st, got)
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	mb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(mb), `closeloop_http_requests_total{code="201",method="POST",route="POST /api/v1/customers"}`) {
		t.Errorf("metrics lack the request counter:\n%.2000s", mb)
	}
	resp, _ = http.Get(base + "/api/v1/customers")
	if resp.Header.Get("X-Request-ID") == "" || resp.Header.Get("Content-Security-Policy") == "" {
		t.Error("request id or CSP header missing")
	}
	resp.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("shutdown: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no graceful shutdown")
	}
	if !strings.Contains(out.String(), "Closeloop is running at http://127.0.0.1:") {
		t.Errorf("start-up message: %s", out.String())
	}
	// Data survives a restart.
	if out, err := runCLI(t, "", append([]string{"export", "customers", filepath.Join(t.TempDir(), "c.csv")}, data...)...); err != nil || !strings.Contains(out, "exported 1 customers") {
		t.Errorf("export after restart: %v %s", err, out)
	}
}

func TestFirstStartPrintsSetupLink(t *testing.T) {
	data := dataArgs(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan *server.Server, 1)
	var out syncBuffer
	go cli.Serve(ctx, append([]string{"--addr", "127.0.0.1:0"}, data...), cli.IO{In: strings.NewReader(""), Out: &out, Err: io.Discard}, func(s *server.Server) { ready <- s })
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start")
	}
	if !strings.Contains(out.String(), "/setup?token=") {
		t.Errorf("no setup link printed: %s", out.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestBackupRestore(t *testing.T) {
	data := dataArgs(t)
	if apptest.IsPG() {
		if _, err := exec.LookPath("pg_dump"); err != nil {
			t.Skip("pg_dump not installed")
		}
	}
	runCLI(t, "long enough pw\n", append([]string{"user", "add", "--email", "a@example.com", "--name", "甲", "--role", "admin"}, data...)...)
	csvFile := filepath.Join(t.TempDir(), "in.csv")
	os.WriteFile(csvFile, []byte("客户名称,客户级别\n备份前客户,A\n"), 0o600)
	if out, err := runCLI(t, "", append([]string{"import", "customers", csvFile}, data...)...); err != nil {
		t.Fatalf("import: %v %s", err, out)
	}
	snap := filepath.Join(t.TempDir(), "snap.bak")
	if out, err := runCLI(t, "", append([]string{"backup", "--out", snap}, data...)...); err != nil {
		t.Fatalf("backup: %v %s", err, out)
	}
	if _, err := runCLI(t, "", append([]string{"backup", "--out", snap}, data...)...); err == nil {
		t.Error("backup overwrote an existing file")
	}
	os.WriteFile(csvFile, []byte("客户名称,客户级别\n备份后客户,B\n"), 0o600)
	runCLI(t, "", append([]string{"import", "customers", csvFile}, data...)...)
	if out, err := runCLI(t, "", append([]string{"restore", snap}, data...)...); err != nil {
		t.Fatalf("restore: %v %s", err, out)
	}
	exp := filepath.Join(t.TempDir(), "out.csv")
	out, err := runCLI(t, "", append([]string{"export", "customers", exp}, data...)...)
	if err != nil {
		t.Fatalf("export: %v %s", err, out)
	}
	b, _ := os.ReadFile(exp)
	if !strings.Contains(string(b), "备份前客户") || strings.Contains(string(b), "备份后客户") {
		t.Errorf("restored data:\n%s", b)
	}
}

func TestImportCommandReportsRows(t *testing.T) {
	data := dataArgs(t)
	runCLI(t, "long enough pw\n", append([]string{"user", "add", "--email", "a@example.com", "--name", "甲", "--role", "admin"}, data...)...)
	f := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(f, []byte("客户名称,客户级别\n好客户,A\n坏客户,Z\n"), 0o600)
	out, err := runCLI(t, "", append([]string{"import", "customers", f, "--dry-run", "--lang", "en"}, data...)...)
	if err == nil || !strings.Contains(out, "row 3") || !strings.Contains(out, "Level") {
		t.Errorf("dry run output: %v\n%s", err, out)
	}
	if _, err := runCLI(t, "", append([]string{"import", "nonsense", f}, data...)...); err == nil {
		t.Error("an unknown entity was accepted")
	}
}

// binary builds the closeloop command once for the tests that need a real
// process (to kill it).
var (
	binOnce sync.Once
	binPath string
	binErr  error
)

func binary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "closeloop-bin")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "closeloop")
		cmd := exec.Command("go", "build", "-o", binPath, "closeloop/cmd/closeloop")
		cmd.Stderr = os.Stderr
		binErr = cmd.Run()
	})
	if binErr != nil {
		t.Fatalf("build: %v", binErr)
	}
	return binPath
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func startBinary(t *testing.T, data []string, addr string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(binary(t), append([]string{"serve", "--addr", addr, "--no-jobs"}, data...)...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return cmd
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Kill()
	t.Fatal("server did not become ready")
	return nil
}

// Durability: writes under load, the server killed with SIGKILL, restarted:
// every acknowledged write is there and the database is sound.
func TestKillNineKeepsAcknowledgedWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a real server")
	}
	data := dataArgs(t)
	runCLI(t, "long enough pw\n", append([]string{"user", "add", "--email", "a@example.com", "--name", "甲", "--role", "admin"}, data...)...)
	tok, _ := runCLI(t, "", append([]string{"token", "create", "--email", "a@example.com", "--scope", "write"}, data...)...)
	tok = strings.TrimSpace(tok)
	addr := freePort(t)
	cmd := startBinary(t, data, addr)
	var mu sync.Mutex
	var acked []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 10 * time.Second}
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				b, _ := json.Marshal(map[string]any{"name": fmt.Sprintf("持久性客户 %d-%d", w, i)})
				req, _ := http.NewRequest("POST", "http://"+addr+"/api/v1/customers?allow_duplicate=true", bytes.NewReader(b))
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := client.Do(req)
				if err != nil {
					return // the server died: unacknowledged
				}
				var m map[string]any
				json.NewDecoder(resp.Body).Decode(&m)
				resp.Body.Close()
				if resp.StatusCode == 201 {
					mu.Lock()
					acked = append(acked, m["id"].(string))
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	close(stop)
	wg.Wait()
	if len(acked) < 20 {
		t.Fatalf("only %d writes acknowledged before the kill", len(acked))
	}
	cmd = startBinary(t, data, addr)
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	missing := 0
	for _, id := range acked {
		if st, _ := call(t, "GET", "http://"+addr+"/api/v1/customers/"+id, tok, nil); st != 200 {
			missing++
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged writes lost", missing, len(acked))
	}
	t.Logf("%d acknowledged writes, all present after SIGKILL", len(acked))
	if !apptest.IsPG() {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(data[1], "closeloop.db")+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var ok string
		if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
			t.Errorf("integrity_check: %q %v", ok, err)
		}
	}
}

// closeloop reindex rebuilds the search index from the records and says so
// (that the answers stay the same is TestRebuildSearchKeepsAnswers).
func TestReindexCommand(t *testing.T) {
	data := dataArgs(t)
	if _, err := runCLI(t, "long enough pw\n", append([]string{"user", "add", "--email", "a@example.com", "--name", "甲", "--role", "admin"}, data...)...); err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "c.csv")
	os.WriteFile(f, []byte("客户名称,客户级别\n苏州重建索引科技有限公司,A\n"), 0o600)
	if out, err := runCLI(t, "", append([]string{"import", "customers", f}, data...)...); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	out, err := runCLI(t, "", append([]string{"reindex"}, data...)...)
	if err != nil || !strings.Contains(out, "search index rebuilt") {
		t.Fatalf("reindex: %v\n%s", err, out)
	}
}
