package i18n

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestCataloguesHaveTheSameKeys(t *testing.T) {
	zh, en := Keys(ZH), Keys(EN)
	for _, k := range zh {
		if !Has(EN, k) {
			t.Errorf("key %q is in zh-CN but not in en", k)
		}
	}
	for _, k := range en {
		if !Has(ZH, k) {
			t.Errorf("key %q is in en but not in zh-CN", k)
		}
	}
	for _, l := range Langs {
		for _, k := range Keys(l) {
			if strings.TrimSpace(Msg(l, k)) == "" {
				t.Errorf("%s: %q is empty", l, k)
			}
		}
	}
}

func TestPlaceholdersMatchAcrossLanguages(t *testing.T) {
	ph := regexp.MustCompile(`\{[a-z_]+\}`)
	for _, k := range Keys(ZH) {
		a := ph.FindAllString(Msg(ZH, k), -1)
		b := ph.FindAllString(Msg(EN, k), -1)
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(slices.Compact(a), slices.Compact(b)) {
			t.Errorf("%q: placeholders differ: zh %v, en %v", k, a, b)
		}
	}
}

// Every error code written in the code base has a message in both
// languages, so users never see a bare code.
func TestEveryErrorCodeHasAMessage(t *testing.T) {
	codeRE := regexp.MustCompile(`(?:Code: *|errs\.New\([A-Za-z.]+, *|fieldErr\(f, *|code: *)"([a-z_]+)"`)
	kindRE := regexp.MustCompile(`"invalid_"\s*\+\s*kindCode`)
	seen := map[string]bool{}
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range codeRE.FindAllStringSubmatch(string(b), -1) {
			if !strings.HasSuffix(m[1], "_") { // a prefix completed at run time (below)
				seen[m[1]] = true
			}
		}
		if kindRE.Match(b) {
			for _, k := range []string{"integer", "number", "money", "date", "datetime", "bool", "list", "user", "ref", "text"} {
				seen["invalid_"+k] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) < 30 {
		t.Fatalf("found only %d codes; is the scan broken?", len(seen))
	}
	for code := range seen {
		for _, l := range Langs {
			if !Has(l, "err."+code) {
				t.Errorf("%s: no message for error code %q", l, code)
			}
		}
	}
}

func TestFromRequest(t *testing.T) {
	cases := []struct {
		header string
		want   Lang
	}{
		{"", ZH},
		{"en-US,en;q=0.9", EN},
		{"zh-CN,zh;q=0.9,en;q=0.8", ZH},
		{"fr-FR, en;q=0.5", EN},
		{"en;q=0.3, zh-TW;q=0.8", ZH},
		{"de", ZH},
	}
	for _, c := range cases {
		r, _ := http.NewRequest("GET", "/", nil)
		r.Header.Set("Accept-Language", c.header)
		if got := FromRequest(r); got != c.want {
			t.Errorf("%q: got %s, want %s", c.header, got, c.want)
		}
	}
}

func TestMsgSubstitutes(t *testing.T) {
	if got := Msg(ZH, "err.required", "field", "客户名称"); got != "客户名称为必填项" {
		t.Errorf("got %q", got)
	}
	if got := Msg(EN, "no.such.key"); got != "no.such.key" {
		t.Errorf("unknown key shows itself, got %q", got)
	}
}
