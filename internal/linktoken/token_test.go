package linktoken

import "testing"

func TestTokens(t *testing.T) {
	for _, n := range []int{16, Link} {
		a, err := New(n)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := New(n)
		if a == b || !WellFormed(a, n) {
			t.Errorf("%d bytes: %q %q", n, a, b)
		}
		if WellFormed(a[1:], n) || WellFormed(a[:len(a)-1]+"*", n) {
			t.Errorf("%d bytes: a damaged token passes", n)
		}
		if Hash(a) == Hash(b) || len(Hash(a)) != 64 || Hash(a) != Hash(a) {
			t.Errorf("hash of %q: %q", a, Hash(a))
		}
	}
	if got := len(must(New(Link))); got != 43 {
		t.Errorf("link token length %d", got)
	}
	if got := len(must(New(16))); got != 22 {
		t.Errorf("portal token length %d", got)
	}
}

func must(s string, err error) string {
	if err != nil {
		panic(err)
	}
	return s
}
