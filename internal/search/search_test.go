package search

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// testRecord is a record of the user-story fixtures.
type testRecord struct {
	id    int
	parts []Part
}

var testRecords = []testRecord{
	{1, []Part{{"张伟", Name}, {"+86 138-1234-5678", Phone}, {"Zhang.Wei@ACME.com", Email}}},
	{2, []Part{{"北京华为技术有限公司", Name}, {"北京市海淀区中关村大街1号", Text}}},
	{3, []Part{{"张伟国", Name}}},
	{4, []Part{{"李娜", Name}, {"iPhone15 Pro 采购", Text}}},
	{5, []Part{{"ＡＢＣ１２３", Name}}},
	{6, []Part{{"Acme Corp.", Name}, {"010-6543 2100", Phone}}},
}

// userStories: what a user types and the records it must find.
var userStories = []struct {
	q    string
	want []int
}{
	{"张伟", []int{1, 3}},
	{"张", []int{1, 3}},
	{"张伟国", []int{3}},
	{"zhangw", []int{1, 3}},
	{"zhangwei", []int{1, 3}},
	{"zw", []int{1, 3}},
	{"zwg", []int{3}},
	{"weig", []int{3}},
	{"wei", []int{1, 2, 3}}, // 华为 = hua wei
	{"huawei", []int{2}},
	{"hwjs", []int{2}},
	{"华为技术", []int{2}},
	{"华为", []int{2}},
	{"华", []int{2}},
	{"中关村", []int{2}},
	{"5678", []int{1}},
	{"45678", []int{1}},
	{"13812345678", []int{1}},
	{"+86 138 1234 5678", []int{1}}, // typed with spaces: joined into one number
	{"138-1234-5678", []int{1}},
	{"1234 5678", []int{1}},
	{"8613812345678", []int{1}},
	{"2100", []int{6}},
	{"acme", []int{1, 6}},
	{"acm", []int{1, 6}},
	{"ACME corp", []int{6}},
	{"zhang", []int{1, 3}},
	{"zhang.wei@acme.com", []int{1}},
	{"zhangwei@acme", []int{1}},
	{"张伟 5678", []int{1}},
	{"李", []int{4}},
	{"lina", []int{4}},
	{"ln", []int{4}},
	{"iphone", []int{4}},
	{"iphone15", []int{4}},
	{"iPhone 15", []int{4}},
	{"pro", []int{4}},
	{"abc", []int{5}},
	{"ＡＢＣ１２３", []int{5}},
	{"abc123", []int{5}},
	{"123", []int{5}},
	{"zhangx", nil},
	{"李伟", nil},
	{"zhang li", nil},
	{"9999", nil},
}

// matches evaluates q against a record's tokens with the semantics of the
// engines: a prefix alternative matches any token starting with it.
func matches(q Query, toks []string) bool {
	for _, t := range q.Terms {
		found := false
		for _, a := range t.Alts {
			for _, tok := range toks {
				if tok == a.Tok || (a.Prefix && strings.HasPrefix(tok, a.Tok)) {
					found = true
					break
				}
			}
		}
		if !found {
			return false
		}
	}
	return len(q.Terms) > 0
}

var tokenRe = regexp.MustCompile(`^[\p{L}\p{N}]+$`)

// checkToken checks the rules every index or query token obeys.
func checkToken(tok string) error {
	switch {
	case !utf8.ValidString(tok):
		return fmt.Errorf("token %q is not UTF-8", tok)
	case !tokenRe.MatchString(tok):
		return fmt.Errorf("token %q has a rune outside [\\p{L}\\p{N}]", tok)
	case len(tok) > maxTokenBytes:
		return fmt.Errorf("token %q is %d bytes long", tok, len(tok))
	case tok[0] == '_':
		return fmt.Errorf("token %q starts with _", tok)
	case normalize(tok) != tok:
		return fmt.Errorf("token %q is not normalised (%q)", tok, normalize(tok))
	}
	for _, r := range tok {
		if classify(r) == clsOther {
			return fmt.Errorf("token %q has separator %U", tok, r)
		}
	}
	return nil
}

// checkTokens checks a Tokens result: valid tokens, sorted, unique, capped.
func checkTokens(toks []string) error {
	if len(toks) > maxTokens {
		return fmt.Errorf("%d tokens", len(toks))
	}
	for i, tok := range toks {
		if err := checkToken(tok); err != nil {
			return err
		}
		if i > 0 && toks[i-1] >= tok {
			return fmt.Errorf("tokens not sorted and unique: %q, %q", toks[i-1], tok)
		}
	}
	return nil
}

const (
	tokPat  = `[\p{L}\p{N}]+`
	ftsAlt  = `"` + tokPat + `"\*?`
	ftsTerm = `(?:` + ftsAlt + `|\(` + ftsAlt + `(?: OR ` + ftsAlt + `)+\))`
	tsAlt   = `'` + tokPat + `'(?::\*)?`
	tsTerm  = `(?:` + tsAlt + `|\(` + tsAlt + `(?: \| ` + tsAlt + `)+\))`
)

var (
	ftsRe = regexp.MustCompile(`^` + ftsTerm + `(?: AND ` + ftsTerm + `)*$`)
	tsRe  = regexp.MustCompile(`^` + tsTerm + `(?: & ` + tsTerm + `)*$`)
)

// checkQuery checks a Parse result and its renderings.
func checkQuery(q Query, ok bool) error {
	if ok != (len(q.Terms) > 0) {
		return fmt.Errorf("ok=%v with %d terms", ok, len(q.Terms))
	}
	if len(q.Terms) > maxTerms {
		return fmt.Errorf("%d terms", len(q.Terms))
	}
	for i, t := range q.Terms {
		if len(t.Alts) == 0 {
			return fmt.Errorf("term %d has no alternatives", i)
		}
		for _, a := range t.Alts {
			if err := checkToken(a.Tok); err != nil {
				return err
			}
		}
		for _, u := range q.Terms[:i] {
			if slices.Equal(t.Alts, u.Alts) {
				return fmt.Errorf("duplicate term %v", t)
			}
		}
	}
	fts, ts := q.FTS5(), q.TSQuery()
	if !ok {
		if fts != "" || ts != "" {
			return fmt.Errorf("empty query renders as %q / %q", fts, ts)
		}
		return nil
	}
	if !ftsRe.MatchString(fts) {
		return fmt.Errorf("bad FTS5 expression %q", fts)
	}
	if strings.Count(fts, `"`)%2 != 0 {
		return fmt.Errorf("unbalanced quotes in %q", fts)
	}
	if !tsRe.MatchString(ts) {
		return fmt.Errorf("bad tsquery %q", ts)
	}
	return nil
}

func TestTokens(t *testing.T) {
	tests := []struct {
		name  string
		parts []Part
		want  []string // must be present
		not   []string // must be absent
		pre   []string // some token must start with each
	}{
		{"person", []Part{{"张伟", Name}},
			[]string{"张", "伟", "张伟", "zhangwei", "wei", "zw"}, []string{"z", "w", "zhang"}, nil},
		{"person three", []Part{{"张伟国", Name}},
			[]string{"张伟", "伟国", "zhangweiguo", "weiguo", "guo", "zwg", "wg"}, []string{"g"}, nil},
		{"company", []Part{{"北京华为技术有限公司", Name}},
			[]string{"北京", "华为", "技术", "公司", "华", "司", "beijinghuaweijishu", "huaweijishuyouxian", "gongsi", "si", "bjhwjsyx", "hwjsyxgs", "gs"},
			[]string{"huaweijishuyouxiangongsi", "beijing华为"}, []string{"huawei", "hwjs", "jishu"}},
		{"company as text", []Part{{"北京华为技术有限公司", Text}},
			[]string{"华为", "北京"}, []string{"huawei", "bj", "hwjs"}, nil},
		{"phone", []Part{{"+86 138-1234-5678", Phone}},
			[]string{"8613812345678", "r8765432183168"}, []string{"86", "138", "5678"}, []string{"r8765"}},
		{"phone full-width", []Part{{"＋８６（１３８）１２３４５６７８", Phone}},
			[]string{"8613812345678", "r8765432183168"}, nil, nil},
		{"email", []Part{{"Zhang.Wei@ACME.com", Email}},
			[]string{"zhang", "wei", "acme", "com", "zhangwei"}, []string{"zhang.wei", "acmecom"}, nil},
		{"email with name", []Part{{"Zhang Wei <zhang_wei-88@mail.acme.com.cn>", Email}},
			[]string{"zhang", "wei", "88", "mail", "acme", "cn", "zhangwei88"}, []string{"zhangweizhangwei88"}, nil},
		{"mixed", []Part{{"iPhone15 Pro", Text}},
			[]string{"iphone", "15", "iphone15", "pro"}, nil, nil},
		{"full-width", []Part{{"ＡＢＣ１２３", Name}},
			[]string{"abc", "123", "abc123"}, []string{"ＡＢＣ１２３", "ABC"}, nil},
		{"punctuation and emoji", []Part{{"张伟😀!!(VIP)__x__", Name}},
			[]string{"张伟", "vip", "x"}, []string{"😀", "_", "__x__", "(vip)"}, nil},
		{"text has no pinyin", []Part{{"上海", Text}},
			[]string{"上", "海", "上海"}, []string{"shanghai", "sh"}, nil},
		{"han and latin apart", []Part{{"A座3号楼", Text}},
			[]string{"a", "座", "3", "号楼"}, []string{"a座", "3号"}, nil},
		{"final sigma folded like FTS5", []Part{{"ΣΊΣΥΦΟΣ Σίσυφος", Text}},
			[]string{"σίσυφοσ"}, []string{"σίσυφος"}, nil},
		{"compat ideograph and circled", []Part{{"①㈱", Text}},
			[]string{"1", "株"}, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			toks := Tokens(tc.parts)
			if err := checkTokens(toks); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !slices.Contains(toks, w) {
					t.Errorf("missing %q in %q", w, toks)
				}
			}
			for _, w := range tc.not {
				if slices.Contains(toks, w) {
					t.Errorf("unexpected %q in %q", w, toks)
				}
			}
			for _, p := range tc.pre {
				if !slices.ContainsFunc(toks, func(s string) bool { return strings.HasPrefix(s, p) }) {
					t.Errorf("no token starts with %q in %q", p, toks)
				}
			}
		})
	}
	if toks := Tokens(nil); toks != nil {
		t.Errorf("Tokens(nil) = %q", toks)
	}
	if toks := Tokens([]Part{{"--- ,. !", Text}, {"no digits", Phone}}); toks != nil {
		t.Errorf("Tokens(punctuation) = %q", toks)
	}
}

func TestTokensLimits(t *testing.T) {
	long := strings.Repeat("a", 100) + " " + strings.Repeat("张", 30) + strings.Repeat("9", 100)
	toks := Tokens([]Part{{long, Name}, {strings.Repeat("1", 80), Phone}})
	if err := checkTokens(toks); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(toks, strings.Repeat("a", 64)) || !slices.Contains(toks, "r"+strings.Repeat("1", 63)) {
		t.Errorf("long tokens not truncated to 64 bytes: %q", toks)
	}
	// 64 bytes do not fall on a rune boundary for 3-byte runes.
	toks = Tokens([]Part{{strings.Repeat("ж", 20) + strings.Repeat("é", 40), Text}})
	if len(toks) != 1 || len(toks[0]) != 64 {
		t.Errorf("got %q", toks)
	}
	toks = Tokens([]Part{{"abc" + strings.Repeat("ア", 30), Text}}) // 3+90 bytes: cut at 63
	if len(toks) != 1 || len(toks[0]) != 63 || !utf8.ValidString(toks[0]) {
		t.Errorf("got %q", toks)
	}

	// A long Chinese text: capped at 4000, earlier parts win.
	rng := rand.New(rand.NewPCG(1, 2))
	var sb strings.Builder
	for range 20000 {
		sb.WriteRune(rune(0x4E00 + rng.IntN(0x9FA5-0x4E00)))
	}
	toks = Tokens([]Part{{"张伟", Name}, {sb.String(), Text}, {"zzzlast", Name}})
	if len(toks) != maxTokens {
		t.Errorf("%d tokens, want %d", len(toks), maxTokens)
	}
	if err := checkTokens(toks); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"zhangwei", "张伟", "zw"} {
		if !slices.Contains(toks, w) {
			t.Errorf("first part's %q dropped by the cap", w)
		}
	}
	if slices.Contains(toks, "zzzlast") {
		t.Errorf("a part after the cap was indexed")
	}

	// Many duplicates: more than rawLimit raw tokens, few unique.
	toks = Tokens([]Part{{strings.Repeat("的 a 1 ", 5000) + "end", Text}})
	if !slices.Equal(toks, []string{"1", "a", "end", "的"}) {
		t.Errorf("got %q", toks)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		q    string
		want []Term
		fts  string
		ts   string
	}{
		{"张伟 5678", []Term{{[]Alt{{"张伟", false}}}, {[]Alt{{"5678", true}, {"r8765", true}}}},
			`"张伟" AND ("5678"* OR "r8765"*)`, `'张伟' & ('5678':* | 'r8765':*)`},
		{"张", []Term{{[]Alt{{"张", false}}}}, `"张"`, `'张'`},
		{"华为技术", []Term{{[]Alt{{"华为", false}}}, {[]Alt{{"为技", false}}}, {[]Alt{{"技术", false}}}},
			`"华为" AND "为技" AND "技术"`, `'华为' & '为技' & '技术'`},
		{"ZhangW", []Term{{[]Alt{{"zhangw", true}}}}, `"zhangw"*`, `'zhangw':*`},
		{"a 12", []Term{{[]Alt{{"a", false}}}, {[]Alt{{"12", false}}}}, `"a" AND "12"`, `'a' & '12'`},
		{"iPhone15", []Term{{[]Alt{{"iphone", true}}}, {[]Alt{{"15", false}}}}, `"iphone"* AND "15"`, `'iphone':* & '15'`},
		{"zhang.wei@acme.com", []Term{{[]Alt{{"zhang", true}}}, {[]Alt{{"wei", true}}}, {[]Alt{{"acme", true}}}, {[]Alt{{"com", true}}}},
			`"zhang"* AND "wei"* AND "acme"* AND "com"*`, `'zhang':* & 'wei':* & 'acme':* & 'com':*`},
		{`acme AND acme "acme" OR NOT NEAR(x) * ^acme`, []Term{{[]Alt{{"acme", true}}}, {[]Alt{{"and", true}}}, {[]Alt{{"or", true}}}, {[]Alt{{"not", true}}}, {[]Alt{{"near", true}}}, {[]Alt{{"x", false}}}},
			`"acme"* AND "and"* AND "or"* AND "not"* AND "near"* AND "x"`, `'acme':* & 'and':* & 'or':* & 'not':* & 'near':* & 'x'`},
		{"_ecustomer", []Term{{[]Alt{{"ecustomer", true}}}}, `"ecustomer"*`, `'ecustomer':*`},
		{"ＡＢＣ－１２３", []Term{{[]Alt{{"abc", true}}}, {[]Alt{{"123", true}, {"r321", true}}}},
			`"abc"* AND ("123"* OR "r321"*)`, `'abc':* & ('123':* | 'r321':*)`},
		{"", nil, "", ""},
		{"  ,.;'\"!@#$%^&*()_+-=  ", nil, "", ""},
		{"😀😀", nil, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.q, func(t *testing.T) {
			q, ok := Parse(tc.q)
			if err := checkQuery(q, ok); err != nil {
				t.Fatal(err)
			}
			if ok != (tc.want != nil) {
				t.Fatalf("ok = %v", ok)
			}
			if !slices.EqualFunc(q.Terms, tc.want, func(a, b Term) bool { return slices.Equal(a.Alts, b.Alts) }) {
				t.Errorf("terms = %v, want %v", q.Terms, tc.want)
			}
			if got := q.FTS5(); got != tc.fts {
				t.Errorf("FTS5() = %s, want %s", got, tc.fts)
			}
			if got := q.TSQuery(); got != tc.ts {
				t.Errorf("TSQuery() = %s, want %s", got, tc.ts)
			}
		})
	}
}

func TestParseLimits(t *testing.T) {
	q, ok := Parse("a b c d e f g h i j k l m n o p q r s t u v w x y z a b")
	if !ok || len(q.Terms) != maxTerms || q.Terms[15].Alts[0].Tok != "p" {
		t.Errorf("got %v", q.Terms)
	}
	q, _ = Parse("张伟张伟张伟") // bigrams 张伟, 伟张 repeat
	if len(q.Terms) != 2 {
		t.Errorf("got %v", q.Terms)
	}
	q, _ = Parse(strings.Repeat("x", 100))
	if len(q.Terms) != 1 || q.Terms[0].Alts[0] != (Alt{strings.Repeat("x", 64), true}) {
		t.Errorf("got %v", q.Terms)
	}
}

func TestQuote(t *testing.T) {
	for _, c := range []struct{ in, fts, ts string }{
		{"_ecustomer", `"_ecustomer"`, `'_ecustomer'`},
		{"_o0a1b", `"_o0a1b"`, `'_o0a1b'`},
		{`a"b'c\d`, `"a""b'c\d"`, `'a"b''c\\d'`},
	} {
		if got := QuoteFTS5(c.in); got != c.fts {
			t.Errorf("QuoteFTS5(%q) = %s", c.in, got)
		}
		if got := QuoteTS(c.in); got != c.ts {
			t.Errorf("QuoteTS(%q) = %s", c.in, got)
		}
	}
}

func TestUserStories(t *testing.T) {
	index := map[int][]string{}
	for _, r := range testRecords {
		index[r.id] = Tokens(r.parts)
	}
	for _, us := range userStories {
		q, ok := Parse(us.q)
		if !ok {
			t.Errorf("%q: nothing to search", us.q)
			continue
		}
		var got []int
		for _, r := range testRecords {
			if matches(q, index[r.id]) {
				got = append(got, r.id)
			}
		}
		if !slices.Equal(got, us.want) {
			t.Errorf("%q (%s) found %v, want %v", us.q, q.FTS5(), got, us.want)
		}
	}
}

// randomText returns a string mixing the kinds of runes users type.
func randomText(rng *rand.Rand) string {
	pool := []string{
		"张", "伟", "国", "华", "为", "〇", "々", "𠀀", "豈", "ａ", "Ｚ", "１", "①", "²", "Ⅻ", "ﬁ", "ß", "İ", "Σ", "ς",
		"a", "Z", "q", "0", "9", "5", "é", "e\u0301", "ǅ", "ж", "カ", "ー", "한", "\u1100", "\u1161", "ـ", "٣", "ก", "\u0e31",
		" ", "_", "-", ".", "@", "+", "\"", "'", "*", "^", ":", "(", ")", "\\", "\t", "\n", "\x00", "\xff", "😀", "\u200d",
		"AND", " OR ", "NOT", "NEAR", "᧐", "\u19b0", "\u1cf2", "ℌ", "K", "㎏", "㈱",
	}
	var sb strings.Builder
	for range rng.IntN(40) {
		sb.WriteString(pool[rng.IntN(len(pool))])
	}
	return sb.String()
}

func TestProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for range 20000 {
		s := randomText(rng)
		if err := checkTokenizeAndParse(s); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
	}
}

// checkTokenizeAndParse checks Tokens and Parse for s, including that every
// record is found by its own name or text.
func checkTokenizeAndParse(s string) error {
	q, ok := Parse(s)
	if err := checkQuery(q, ok); err != nil {
		return err
	}
	for _, kind := range []PartKind{Name, Text, Phone, Email} {
		toks := Tokens([]Part{{s, kind}})
		if err := checkTokens(toks); err != nil {
			return fmt.Errorf("kind %d: %v", kind, err)
		}
		if ok && kind != Phone && len(toks) < maxTokens && !matches(q, toks) {
			return fmt.Errorf("kind %d: %s does not find its own tokens %q", kind, q.FTS5(), toks)
		}
	}
	toks := Tokens([]Part{{s, Name}, {s, Text}, {s, Phone}, {s, Email}, {s, PartKind(99)}})
	return checkTokens(toks)
}

func BenchmarkTokensName(b *testing.B) {
	parts := []Part{
		{"北京华为技术有限公司", Name},
		{"张伟", Name},
		{"+86 138-1234-5678", Phone},
		{"zhang.wei@huawei.com", Email},
		{"北京市海淀区中关村软件园12号楼", Text},
	}
	b.ReportAllocs()
	for b.Loop() {
		Tokens(parts)
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		q, _ := Parse("华为技术 zhangw 5678")
		_ = q.FTS5()
	}
}
