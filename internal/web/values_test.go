package web

import "testing"

func TestIsDocNumber(t *testing.T) {
	for _, c := range []struct {
		s    string
		want bool
	}{
		{"HT-202612-0004", true}, {"SEN-100", true}, {"GD-202612-00001", true},
		{"苏州华星光电", false}, {"Q 2026", false}, {"ABC", false}, {"", false},
		{"A-0000000000000000000000000000000001", false},
	} {
		if got := isDocNumber(c.s); got != c.want {
			t.Errorf("isDocNumber(%q) = %v", c.s, got)
		}
	}
}
