package store

import (
	"math/rand/v2"
	"testing"
	"time"

	"closeloop/internal/entity"
)

// The fast reader of stored times agrees with time.Parse on the layout the
// driver writes, and refuses what is not that layout.
func TestParseStoredTime(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	layout := "2006-01-02 15:04:05.999999999-07:00"
	for range 5000 {
		want := time.Unix(rng.Int64N(4e9), rng.Int64N(1e9)).UTC()
		s := want.Format(layout)
		got, ok := parseStoredTime(s)
		if !ok || !got.Equal(entity.CanonTime(want)) {
			t.Fatalf("parseStoredTime(%q) = %v %v, want %v", s, got, ok, entity.CanonTime(want))
		}
	}
	for _, bad := range []string{"", "2026-12-01", "2026-12-01 10:00:00", "2026-12-01 10:00:00+08:00", "2026-13-01 10:00:00+00:00",
		"2026-12-01T10:00:00+00:00", "2026-12-01 10:00:00.+00:00", "2026-12-01 10:00:00.1234567890+00:00", "2026-12-01 1a:00:00+00:00"} {
		if _, ok := parseStoredTime(bad); ok {
			t.Errorf("parseStoredTime(%q) accepted", bad)
		}
	}
}
