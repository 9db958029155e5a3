package money

import (
	"math"
	"testing"
)

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		cur  string
		fen  int64
		want string
	}{
		{"CNY", 0, "¥0.00"},
		{"CNY", 5, "¥0.05"},
		{"CNY", 99, "¥0.99"},
		{"CNY", 100, "¥1.00"},
		{"CNY", 1234560, "¥12,345.60"},
		{"CNY", 100000000, "¥1,000,000.00"},
		{"CNY", 12345678901, "¥123,456,789.01"},
		{"CNY", -5, "-¥0.05"},
		{"CNY", -1234560, "-¥12,345.60"},
		{"USD", 199, "$1.99"},
		{"GBP", 1200, "£12.00"},
		{"CHF", 1200, "CHF 12.00"},
		{"", 1200, "12.00"},
		{"CNY", math.MaxInt64, "¥92,233,720,368,547,758.07"},
		{"CNY", math.MinInt64, "-¥92,233,720,368,547,758.08"},
	} {
		if got := FormatIn(c.cur, c.fen); got != c.want {
			t.Errorf("FormatIn(%q, %d) = %q, want %q", c.cur, c.fen, got, c.want)
		}
	}
	if got := Format(1234560); got != "¥12,345.60" {
		t.Errorf("Format = %q", got)
	}
	if got := Plain(-100000); got != "-1,000.00" {
		t.Errorf("Plain = %q", got)
	}
}
