package web_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"closeloop/internal/apptest"
	"closeloop/internal/httpx"
	"closeloop/internal/server"
)

// BenchmarkListPageHTML renders a customer list page of 50 rows as a rep
// sees it, through the whole handler (middleware, session, query, page).
// The end-to-end figures against the JSON API are in internal/bench.
func BenchmarkListPageHTML(b *testing.B) {
	f := apptest.NewFixture(b)
	for i := range 60 {
		f.Customer(b, f.Rep1, fmt.Sprintf("杭州测试%03d科技有限公司", i), "level", "A")
	}
	h := server.Handler(f.App, slog.New(slog.NewTextHandler(io.Discard, nil)))
	sess, _, err := f.App.Auth.NewSession(ctx(), f.Rep1.UserID, true, "127.0.0.1", "bench")
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/customers?owner_id="+f.Rep1.UserID+"&level=A", nil)
	req.AddCookie(&http.Cookie{Name: httpx.SessionCookie, Value: sess})
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("status %d", w.Code)
		}
	}
}
