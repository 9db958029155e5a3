package search

import (
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/mozillazg/go-pinyin"
)

// PartKind says how a piece of a record's text is tokenized.
type PartKind int

const (
	// Name is a person's or company's name: CJK characters and bigrams, the
	// pinyin and pinyin initials of CJK runs, Latin words and digits.
	Name PartKind = iota
	// Text is ordinary text (address, title, notes): CJK characters and
	// bigrams, Latin words and digits.
	Text
	// Phone is a phone number: all its digits as one token, plus "r" followed
	// by the digits reversed (so that its last digits can be searched).
	Phone
	// Email is an e-mail address: the words of its local part and domain, plus
	// the local part joined without separators.
	Email
)

// Part is one field value to index.
type Part struct {
	// Text is the field value as entered.
	Text string
	// Kind says how Text is tokenized.
	Kind PartKind
}

// Tokens returns the deduplicated, sorted index tokens of a record.
//
// Every token matches ^[\p{L}\p{N}]+$ after NFKC + lower-casing (so it is one
// token for FTS5 unicode61 and a literal tsvector lexeme), is at most 64 bytes
// (longer ones are truncated on a rune boundary), and never starts with '_'.
// A record has at most 4000 tokens; when there would be more, the tokens of
// earlier parts (and, within a part, of earlier text) are kept. It returns nil
// when there is nothing to index.
func Tokens(parts []Part) []string {
	b := builder{toks: make([]string, 0, min(16*len(parts), rawLimit))}
	for _, p := range parts {
		if !b.part(p) {
			break
		}
	}
	return b.result()
}

// builder collects tokens. Up to rawLimit tokens it only appends (most
// records stay far below that); then it switches to deduplicating with a map
// and stops at maxTokens unique tokens, keeping the earliest ones.
type builder struct {
	toks []string
	seen map[string]struct{}
	// scratch space for pinyin
	py   []byte
	ini  []byte
	offs []int
}

const rawLimit = 2 * maxTokens

// add adds one token; it returns false once the record is full.
func (b *builder) add(tok string) bool {
	tok = truncate(tok)
	if tok == "" || tok[0] == '_' {
		return !b.full()
	}
	if b.seen == nil {
		b.toks = append(b.toks, tok)
		if len(b.toks) >= rawLimit {
			b.dedupe()
		}
		return !b.full()
	}
	if b.full() {
		return false
	}
	if _, ok := b.seen[tok]; !ok {
		b.seen[tok] = struct{}{}
		b.toks = append(b.toks, tok)
	}
	return !b.full()
}

// full says whether maxTokens unique tokens have been collected.
func (b *builder) full() bool {
	return b.seen != nil && len(b.toks) >= maxTokens
}

// dedupe switches to map mode: it removes duplicates keeping first
// occurrences, and keeps at most maxTokens.
func (b *builder) dedupe() {
	b.seen = make(map[string]struct{}, maxTokens)
	out := b.toks[:0]
	for _, t := range b.toks {
		if len(out) >= maxTokens {
			break
		}
		if _, ok := b.seen[t]; ok {
			continue
		}
		b.seen[t] = struct{}{}
		out = append(out, t)
	}
	clear(b.toks[len(out):])
	b.toks = out
}

// result returns the sorted, unique tokens.
func (b *builder) result() []string {
	if len(b.toks) == 0 {
		return nil
	}
	if b.seen == nil && len(b.toks) > maxTokens {
		b.dedupe()
	}
	slices.Sort(b.toks)
	if b.seen == nil {
		b.toks = slices.Compact(b.toks)
	}
	return slices.Clip(b.toks)
}

// part tokenizes one part; it returns false once the record is full.
func (b *builder) part(p Part) bool {
	s := normalize(p.Text)
	if p.Kind != Phone {
		// Text that is just a phone number written with separators is
		// also indexed as one, because that is how a query for it is read.
		if j := joinPhone(s); j != s && !b.phone(j) {
			return false
		}
	}
	switch p.Kind {
	case Phone:
		return b.phone(s)
	case Email:
		if !b.text(s, false) {
			return false
		}
		return b.add(joinedLocal(s))
	case Name:
		return b.text(s, true)
	default:
		return b.text(s, false)
	}
}

// text tokenizes normalised text: Han runs, letter runs, digit runs and
// mixed letter-digit runs; with name also the pinyin of Han runs.
func (b *builder) text(s string, name bool) bool {
	ok := true
	eachRun(s, func(c class, run string) bool {
		if c == clsHan {
			ok = b.han(run, name)
		} else {
			ok = b.add(run)
		}
		return ok
	})
	return ok
}

// han adds the characters and bigrams of a Han run, and with name its pinyin
// (the syllables from each position on, at most maxPinyinSyllables) and its
// initials (from each position on, at most maxInitials, at least two).
func (b *builder) han(run string, name bool) bool {
	for i := 0; i < len(run); {
		_, w := utf8.DecodeRuneInString(run[i:])
		if !b.add(run[i : i+w]) { // the character
			return false
		}
		if i+w < len(run) {
			_, w2 := utf8.DecodeRuneInString(run[i+w:])
			if !b.add(run[i : i+w+w2]) { // it and the next one
				return false
			}
		}
		i += w
	}
	if !name {
		return true
	}

	py, ini, offs := b.py[:0], b.ini[:0], b.offs[:0]
	for _, r := range run {
		s := syllable(r)
		if s == "" {
			continue
		}
		offs = append(offs, len(py))
		py = append(py, s...)
		ini = append(ini, s[0])
	}
	n := len(offs)
	offs = append(offs, len(py))
	b.py, b.ini, b.offs = py, ini, offs
	if n == 0 {
		return true
	}
	all, inis := string(py), string(ini)
	for i := 0; i < n; i++ {
		if !b.add(all[offs[i]:offs[min(i+maxPinyinSyllables, n)]]) {
			return false
		}
		if j := min(i+maxInitials, n); j-i >= 2 && !b.add(inis[i:j]) {
			return false
		}
	}
	return true
}

// phone adds the digits of a phone number and the reversed-digits token.
func (b *builder) phone(s string) bool {
	var d strings.Builder
	for _, r := range s {
		if classify(r) == clsDigit {
			d.WriteRune(r)
		}
	}
	if d.Len() == 0 {
		return true
	}
	digits := d.String()
	return b.add(digits) && b.add(reverseDigits(digits))
}

// joinedLocal returns the local part of the normalised e-mail address s (the
// text before the last '@', back to the previous space or bracket) with
// everything but letters and digits removed: "zhangwei" for zhang.wei@x.com.
func joinedLocal(s string) string {
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		at = len(s)
	}
	start := strings.LastIndexFunc(s[:at], func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(`<>()[]"',;:`, r)
	}) + 1
	local := s[start:at]
	var j strings.Builder
	for _, r := range local {
		if classify(r) != clsOther {
			j.WriteRune(r)
		}
	}
	if j.Len() == len(local) {
		return "" // no separators: the local part is already a token
	}
	// Joining may bring together runes that compose (e.g. Hangul jamo);
	// normalise again and keep only token runes.
	joined := normalize(j.String())
	for _, r := range joined {
		if classify(r) == clsOther {
			return ""
		}
	}
	return joined
}

// pinyinArgs: style Normal (no tones), heteronyms off, characters without
// pinyin yield nothing.
var pinyinArgs = pinyin.Args{Style: pinyin.Normal, Heteronym: false}

// syllables caches the pinyin of Han runes ("" for none); go-pinyin's
// conversion runs regular expressions on every call.
var syllables = struct {
	sync.RWMutex
	m map[rune]string
}{m: make(map[rune]string)}

// syllable returns the toneless pinyin of r in lower-case a–z, or "".
func syllable(r rune) string {
	syllables.RLock()
	s, ok := syllables.m[r]
	syllables.RUnlock()
	if ok {
		return s
	}
	if p := pinyin.SinglePinyin(r, pinyinArgs); len(p) > 0 {
		s = strings.Map(func(r rune) rune {
			if 'a' <= r && r <= 'z' {
				return r
			}
			return -1
		}, strings.ToLower(p[0]))
	}
	syllables.Lock()
	syllables.m[r] = s
	syllables.Unlock()
	return s
}
