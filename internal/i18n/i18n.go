// Package i18n holds the zh-CN and English message catalogues and the
// bilingual Text type used by entity declarations.
//
// Catalogues are flat JSON files (key → message) embedded in the binary; both
// must have the same keys (a test checks). Messages use {name} placeholders.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// Lang is a supported language tag.
type Lang string

const (
	ZH Lang = "zh-CN"
	EN Lang = "en"
)

// Default is the language used when nothing else decides.
const Default = ZH

// Langs lists the supported languages, default first.
var Langs = []Lang{ZH, EN}

// Text is a bilingual label declared in code (entity and field labels).
type Text struct {
	Zh string `json:"zh"`
	En string `json:"en"`
}

// T builds a Text.
func T(zh, en string) Text { return Text{Zh: zh, En: en} }

// In returns the text in lang, falling back to the other language.
func (t Text) In(l Lang) string {
	if l == EN {
		if t.En != "" {
			return t.En
		}
		return t.Zh
	}
	if t.Zh != "" {
		return t.Zh
	}
	return t.En
}

//go:embed locales
var files embed.FS

var catalogues = map[Lang]map[string]string{}

// init loads locales/<lang>/*.json; each area keeps its own file, and a key
// defined twice is a bug caught at start-up.
func init() {
	for _, l := range Langs {
		dir := "locales/" + string(l)
		entries, err := files.ReadDir(dir)
		if err != nil {
			panic(fmt.Sprintf("i18n: missing catalogue %s: %v", l, err))
		}
		m := map[string]string{}
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".json") {
				continue
			}
			b, err := files.ReadFile(dir + "/" + e.Name())
			if err != nil {
				panic(err)
			}
			part := map[string]string{}
			if err := json.Unmarshal(b, &part); err != nil {
				panic(fmt.Sprintf("i18n: bad catalogue %s/%s: %v", l, e.Name(), err))
			}
			for k, v := range part {
				if _, dup := m[k]; dup {
					panic(fmt.Sprintf("i18n: key %q defined twice in %s", k, l))
				}
				m[k] = v
			}
		}
		catalogues[l] = m
	}
}

// Keys returns the sorted keys of a catalogue (for tests and tools).
func Keys(l Lang) []string {
	m := catalogues[l]
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Has reports whether key exists in the catalogue of l.
func Has(l Lang, key string) bool { _, ok := catalogues[l][key]; return ok }

// Msg translates key into l, substituting {name} placeholders from args
// (alternating name, value). Unknown keys come back as the key itself so a
// missing translation is visible rather than silent.
func Msg(l Lang, key string, args ...any) string {
	s, ok := catalogues[l][key]
	if !ok {
		if s, ok = catalogues[Default][key]; !ok {
			s = key
		}
	}
	if len(args) == 0 || !strings.Contains(s, "{") {
		return s
	}
	// An argument named name_<lang> (stage_en) is that language's value of
	// {name}: services pass names of things in both languages, messages in
	// every catalogue use the same placeholder.
	suffix := "_" + strings.SplitN(string(l), "-", 2)[0]
	pairs := make([]string, 0, len(args))
	for i := 0; i+1 < len(args); i += 2 {
		if name := fmt.Sprint(args[i]); strings.HasSuffix(name, suffix) {
			pairs = append(pairs, "{"+strings.TrimSuffix(name, suffix)+"}", fmt.Sprint(args[i+1]))
		}
	}
	for i := 0; i+1 < len(args); i += 2 {
		pairs = append(pairs, "{"+fmt.Sprint(args[i])+"}", fmt.Sprint(args[i+1]))
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// MsgMap is Msg with a map of arguments.
func MsgMap(l Lang, key string, args map[string]any) string {
	flat := make([]any, 0, 2*len(args))
	for k, v := range args {
		flat = append(flat, k, v)
	}
	return Msg(l, key, flat...)
}

// Parse maps a language tag ("zh", "zh-CN", "en-US") to a supported Lang.
func Parse(tag string) (Lang, bool) {
	t := strings.ToLower(strings.TrimSpace(tag))
	switch {
	case t == "":
		return "", false
	case strings.HasPrefix(t, "zh"):
		return ZH, true
	case strings.HasPrefix(t, "en"):
		return EN, true
	}
	return "", false
}

// FromRequest picks the language from an Accept-Language header, honouring
// q-values; the default language when nothing matches.
func FromRequest(r *http.Request) Lang {
	best, bestQ := Default, -1.0
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, q := part, 1.0
		if i := strings.Index(part, ";"); i >= 0 {
			tag = part[:i]
			var f float64
			if _, err := fmt.Sscanf(strings.TrimSpace(part[i+1:]), "q=%g", &f); err == nil {
				q = f
			}
		}
		if l, ok := Parse(tag); ok && q > bestQ {
			best, bestQ = l, q
		}
	}
	return best
}
