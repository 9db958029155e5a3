package search

import "testing"

// seeds are added to the committed corpora under testdata/fuzz.
var fuzzSeeds = []string{
	"张伟", "北京华为技术有限公司", "zhangw", "hwjs", "+86 138-1234-5678", "5678",
	"zhang.wei@acme.com", `"张伟" AND ("5678"* OR "r8765"*)`, `NEAR(a b, 2) NOT c ^d*`,
	"'x':* & !y | (z)", "ＡＢＣ１２３", "iPhone15", "_ecustomer _o0a1b", "", "\x00\xff\"",
}

// FuzzParse checks that Parse never panics, that its terms are valid
// tokens, and that FTS5() and TSQuery() contain only quoted tokens of letters
// and digits plus the query syntax.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, ok := Parse(s)
		if err := checkQuery(q, ok); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
	})
}

// FuzzTokens checks that Tokens never panics and returns valid, sorted,
// unique tokens for every kind, and that a record is found by a query of
// its own name, text or e-mail address.
func FuzzTokens(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if err := checkTokenizeAndParse(s); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
	})
}
