package pdfdoc

import (
	_ "embed"
	"sync"

	"golang.org/x/image/font/sfnt"
)

// fontTTF is WenQuanYi Micro Hei (Apache 2.0, see fonts/README.md): one
// TrueType face with Latin and CJK glyphs, so Chinese and English share a
// line without switching fonts. Each PDF embeds only the glyphs it uses.
//
//go:embed fonts/WenQuanYiMicroHei.ttf
var fontTTF []byte

const fontFamily = "wqymicrohei"

// coverage is a bit set of the BMP runes the font has a glyph for; runes
// outside it are replaced before they reach the PDF library, which would
// otherwise draw empty boxes (or mis-handle runes beyond U+FFFF).
var (
	coverageOnce sync.Once
	coverage     [0x10000 / 64]uint64
)

func loadCoverage() {
	f, err := sfnt.Parse(fontTTF)
	if err != nil {
		panic("pdfdoc: embedded font does not parse: " + err.Error())
	}
	var buf sfnt.Buffer
	for r := rune(0x20); r < 0x10000; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue // surrogates are not characters
		}
		if g, err := f.GlyphIndex(&buf, r); err == nil && g != 0 {
			coverage[r/64] |= 1 << (uint(r) % 64)
		}
	}
}

// hasGlyph reports whether the embedded font can draw r.
func hasGlyph(r rune) bool {
	coverageOnce.Do(loadCoverage)
	if r < 0 || r >= 0x10000 {
		return false
	}
	return coverage[r/64]&(1<<(uint(r)%64)) != 0
}
