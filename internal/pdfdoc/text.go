package pdfdoc

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// clean makes text safe to draw: line breaks normalised to \n, tabs to
// spaces, other control and format characters dropped, invalid UTF-8 and
// characters the font lacks (emoji, rare scripts) replaced by "?" — so no
// input draws boxes or upsets the PDF library.
func clean(s string) string {
	if s == "" {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	b.Grow(len(s))
	prevReplaced := false
	for i, w := 0, 0; i < len(s); i += w {
		r, size := utf8.DecodeRuneInString(s[i:])
		w = size
		switch {
		case r == '\n':
			b.WriteByte('\n')
			prevReplaced = false
			continue
		case r == '\r' || r == '\t' || r == '\u00a0' || r == '\u3000' && !hasGlyph(r):
			b.WriteByte(' ')
			prevReplaced = false
			continue
		case r == utf8.RuneError && size == 1,
			unicode.IsControl(r), unicode.Is(unicode.Cf, r):
			continue // invalid bytes, controls, zero-width and direction marks
		case unicode.Is(unicode.Mn, r) && !hasGlyph(r):
			continue // a combining mark (e.g. an emoji variation selector) the font lacks
		}
		if !hasGlyph(r) {
			if !prevReplaced { // one "?" for a run (an emoji sequence is several runes)
				b.WriteByte('?')
			}
			prevReplaced = true
			continue
		}
		prevReplaced = false
		b.WriteRune(r)
	}
	return b.String()
}

// wide reports runes that are laid out one per "word": a line may break
// before or after any of them (Chinese, Japanese and Korean text has no
// spaces between words).
func wide(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) ||
		unicode.Is(unicode.Hangul, r) || (r >= 0x3000 && r <= 0x303F) || (r >= 0xFF00 && r <= 0xFFEF) ||
		(r >= 0x2E80 && r <= 0x2FDF) || (r >= 0x3200 && r <= 0x33FF)
}

// noLineStart is punctuation that must not begin a line (禁则): it stays
// with the character before it.
func noLineStart(r rune) bool {
	return strings.ContainsRune("，。、；：！？）」』】》〉〕’”…—,.;:!?)]}%", r)
}

// token is a unit of line breaking: a CJK character, a run of other
// non-space characters (a Latin word, a number), or a run of spaces.
type token struct {
	s     string
	space bool
}

func tokenize(p string) []token {
	var out []token
	start := -1 // start of the current Latin word
	flush := func(end int) {
		if start >= 0 {
			out = append(out, token{s: p[start:end]})
			start = -1
		}
	}
	for i, r := range p {
		switch {
		case r == ' ':
			flush(i)
			if n := len(out); n > 0 && out[n-1].space {
				out[n-1].s += " "
			} else {
				out = append(out, token{s: " ", space: true})
			}
		case wide(r) || noLineStart(r) && start < 0:
			flush(i)
			out = append(out, token{s: string(r)})
		default:
			if start < 0 {
				start = i
			}
		}
	}
	flush(len(p))
	return out
}

// wrap breaks text into lines no wider than max, as measured by width:
// between words, between any two CJK characters, and inside a word only
// when the word alone is wider than the line. Explicit line breaks are
// kept; an empty text is one empty line.
func wrap(text string, max float64, width func(string) float64) []string {
	var lines []string
	for _, para := range strings.Split(text, "\n") {
		lines = append(lines, wrapPara(para, max, width)...)
	}
	return lines
}

func wrapPara(p string, max float64, width func(string) float64) []string {
	if p == "" {
		return []string{""}
	}
	if max <= 0 {
		max = 1
	}
	var lines []string
	var line []token
	lineW := 0.0
	emit := func() {
		for len(line) > 0 && line[len(line)-1].space {
			lineW -= width(line[len(line)-1].s)
			line = line[:len(line)-1]
		}
		var b strings.Builder
		for _, t := range line {
			b.WriteString(t.s)
		}
		lines = append(lines, b.String())
		line, lineW = nil, 0
	}
	for _, t := range tokenize(p) {
		tw := width(t.s)
		if lineW+tw <= max || len(line) == 0 && t.space {
			if !(len(line) == 0 && t.space && len(lines) > 0) { // no leading spaces on wrapped lines
				line = append(line, t)
				lineW += tw
			}
			continue
		}
		if t.space {
			emit()
			continue
		}
		r, _ := utf8.DecodeRuneInString(t.s)
		if noLineStart(r) && utf8.RuneCountInString(t.s) == 1 && len(line) > 1 && !line[len(line)-1].space {
			// Carry the character before along, so the punctuation does
			// not start the next line.
			prev := line[len(line)-1]
			line = line[:len(line)-1]
			lineW -= width(prev.s)
			emit()
			line = []token{prev}
			lineW = width(prev.s)
			if lineW+tw <= max {
				line = append(line, t)
				lineW += tw
				continue
			}
		}
		if len(line) > 0 {
			emit()
		}
		if tw <= max {
			line = []token{t}
			lineW = tw
			continue
		}
		// A word wider than the line: break it between characters.
		var part strings.Builder
		partW := 0.0
		for _, r := range t.s {
			rw := width(string(r))
			if partW+rw > max && part.Len() > 0 {
				lines = append(lines, part.String())
				part.Reset()
				partW = 0
			}
			part.WriteRune(r)
			partW += rw
		}
		line = []token{{s: part.String()}}
		lineW = partW
	}
	if len(line) > 0 || len(lines) == 0 {
		emit()
	}
	return lines
}
