// Package search turns CRM records (customers, contacts, leads) into index
// tokens and turns what a user typed into the one search box into a query
// over those tokens.
//
// The same token list is stored in SQLite FTS5 (a contentless table with
// tokenize="unicode61 remove_diacritics 0 tokenchars '_'" and
// prefix='2 3 4') and in PostgreSQL as array_to_tsvector(tokens). Every token
// produced here consists only of letters and digits ([\p{L}\p{N}]+), so it is
// exactly one FTS5 unicode61 token and a literal tsvector lexeme, and it never
// starts with '_' (that prefix is reserved for the visibility tokens the
// database code appends).
//
// Chinese text is indexed as single characters and adjacent pairs (bigrams);
// names additionally get their pinyin (from every syllable onwards) and their
// pinyin initials, so that 张伟 is found by 张, 张伟, zhangw, wei and zw. Phone
// numbers get a reversed-digit token so that the last digits of a number can
// be searched with a prefix query.
package search

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

const (
	// maxTokenBytes is the longest token (in bytes); longer ones are cut on a
	// rune boundary, on the index side and on the query side alike.
	maxTokenBytes = 64
	// maxTokens caps the number of tokens of one record.
	maxTokens = 4000
	// maxTerms caps the number of terms of one query.
	maxTerms = 16
	// maxPinyinSyllables is the most syllables joined into one pinyin token.
	maxPinyinSyllables = 6
	// maxInitials is the most characters whose initials form one token.
	maxInitials = 8
	// reversePrefix starts the reversed-digits token of a phone number.
	reversePrefix = "r"
)

// class is the kind of a rune for tokenization.
type class uint8

const (
	clsOther  class = iota // separator: punctuation, space, symbols, marks, '_'
	clsHan                 // a Han (CJK) character
	clsLetter              // any other letter (Latin, Cyrillic, kana, Hangul, ...)
	clsDigit               // any other number
	clsMixed               // (runs only) a run of letters and digits mixed
)

// classify says how r (already normalised) is tokenized.
func classify(r rune) class {
	if r < utf8.RuneSelf {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z':
			return clsLetter
		case '0' <= r && r <= '9':
			return clsDigit
		}
		return clsOther
	}
	// Letters in Go's (newer) Unicode tables that SQLite's unicode61 still
	// treats as spacing marks, i.e. as separators; treat them likewise so that
	// every token stays a single FTS5 token.
	if (0x19B0 <= r && r <= 0x19C9) || r == 0x1CF2 || r == 0x1CF3 {
		return clsOther
	}
	var c class
	switch {
	case unicode.IsLetter(r):
		c = clsLetter
	case unicode.IsNumber(r):
		c = clsDigit
	default:
		return clsOther
	}
	if unicode.Is(unicode.Han, r) {
		return clsHan
	}
	return c
}

// normalize applies NFKC (full-width to half-width, compatibility forms) and
// lower-cases. It also folds the Greek final sigma ς to σ, as SQLite's
// unicode61 tokenizer does (its only case folding beyond Go's lower-casing
// for token runes), so that FTS5 and PostgreSQL, which compares lexemes
// literally, find the same records.
func normalize(s string) string {
	s = strings.ToLower(norm.NFKC.String(s))
	if !norm.NFKC.IsNormalString(s) {
		s = strings.ToLower(norm.NFKC.String(s))
	}
	if strings.ContainsRune(s, 'ς') {
		s = strings.ReplaceAll(s, "ς", "σ")
	}
	return s
}

// truncate cuts s to at most maxTokenBytes bytes on a rune boundary.
func truncate(s string) string {
	if len(s) <= maxTokenBytes {
		return s
	}
	i := maxTokenBytes
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// reverseDigits returns reversePrefix followed by the runes of digits in
// reverse order, so that a suffix search becomes a prefix search.
func reverseDigits(digits string) string {
	b := make([]byte, 0, len(reversePrefix)+len(digits))
	b = append(b, reversePrefix...)
	for i := len(digits); i > 0; {
		_, w := utf8.DecodeLastRuneInString(digits[:i])
		b = append(b, digits[i-w:i]...)
		i -= w
	}
	return string(b)
}

// eachRun splits the normalised s into runs and calls fn for each, in order:
// maximal runs of Han characters (clsHan), maximal runs of other letters
// (clsLetter) and of digits (clsDigit), and, after the letter and digit runs it
// consists of, every maximal non-Han run that mixes letters and digits
// (clsMixed, e.g. "iphone15"). Separators are dropped. It stops when fn
// returns false.
func eachRun(s string, fn func(c class, run string) bool) {
	subStart, subCls := 0, clsOther
	wordStart, wordSubs := -1, 0
	for i, r := range s {
		c := classify(r)
		if c == subCls {
			continue
		}
		if subCls != clsOther {
			if !fn(subCls, s[subStart:i]) {
				return
			}
			if subCls != clsHan {
				wordSubs++
			}
		}
		if c == clsHan || c == clsOther {
			if wordStart >= 0 && wordSubs > 1 && !fn(clsMixed, s[wordStart:i]) {
				return
			}
			wordStart, wordSubs = -1, 0
		} else if wordStart < 0 {
			wordStart = i
		}
		subStart, subCls = i, c
	}
	if subCls != clsOther {
		if !fn(subCls, s[subStart:]) {
			return
		}
		if subCls != clsHan {
			wordSubs++
		}
	}
	if wordStart >= 0 && wordSubs > 1 {
		fn(clsMixed, s[wordStart:])
	}
}
