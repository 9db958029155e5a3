package search

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// Alt is one alternative spelling of a query term.
type Alt struct {
	// Tok is the token (letters and digits only).
	Tok string
	// Prefix makes Tok match every token it is a prefix of.
	Prefix bool
}

// Term is a query term matching if any of its alternatives match.
type Term struct {
	// Alts are the alternatives; at least one must match.
	Alts []Alt
}

// Query is a parsed query: all terms must match.
type Query struct {
	// Terms must all match.
	Terms []Term
}

// Parse parses what a user typed. ok is false when nothing searchable
// remains (empty, only punctuation).
//
// The text is normalised like index text (NFKC, lower-case) and split into
// runs: a run of one or two Han characters is an exact term, a longer run is
// one exact term per adjacent pair; a word of two or more letters is a prefix
// term, a single letter an exact term; three or more digits match as a prefix
// of a digit token or, reversed, as the end of a phone number; one or two
// digits are an exact term. Identical terms are merged and at most 16 terms
// are kept.
func Parse(q string) (Query, bool) {
	q = joinPhone(q)
	var terms []Term
	addTerm := func(alts ...Alt) bool {
		for i := range alts {
			alts[i].Tok = truncate(alts[i].Tok)
		}
		for _, t := range terms {
			if slices.Equal(t.Alts, alts) {
				return true
			}
		}
		terms = append(terms, Term{Alts: alts})
		return len(terms) < maxTerms
	}
	eachRun(normalize(q), func(c class, run string) bool {
		switch c {
		case clsHan:
			n := utf8.RuneCountInString(run)
			if n <= 2 {
				return addTerm(Alt{Tok: run})
			}
			prev := 0
			for i := range run {
				if i == 0 {
					continue
				}
				_, w := utf8.DecodeRuneInString(run[i:])
				if !addTerm(Alt{Tok: run[prev : i+w]}) {
					return false
				}
				prev = i
			}
			return true
		case clsLetter:
			if utf8.RuneCountInString(run) == 1 {
				return addTerm(Alt{Tok: run})
			}
			return addTerm(Alt{Tok: run, Prefix: true})
		case clsDigit:
			if utf8.RuneCountInString(run) < 3 {
				return addTerm(Alt{Tok: run})
			}
			return addTerm(Alt{Tok: run, Prefix: true}, Alt{Tok: reverseDigits(run), Prefix: true})
		}
		return true // clsMixed: its letter and digit runs are terms already
	})
	return Query{Terms: terms}, len(terms) > 0
}

// FTS5 renders the query as an FTS5 MATCH expression, e.g.
// `"张伟" AND ("5678"* OR "r8765"*)`. It returns "" for an empty query.
func (q Query) FTS5() string {
	return q.render(QuoteFTS5, "*", " OR ", " AND ")
}

// TSQuery renders the query as PostgreSQL tsquery text (to be cast with
// ::tsquery, not passed to to_tsquery), e.g. `'张伟' & ('5678':* | 'r8765':*)`.
// It returns "" for an empty query.
func (q Query) TSQuery() string {
	return q.render(QuoteTS, ":*", " | ", " & ")
}

// render writes the terms joined by and, each a parenthesised list of
// alternatives joined by or when there is more than one. Empty tokens and
// terms are skipped.
func (q Query) render(quote func(string) string, prefix, or, and string) string {
	var b strings.Builder
	for _, t := range q.Terms {
		n := 0
		for _, a := range t.Alts {
			if a.Tok != "" {
				n++
			}
		}
		if n == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(and)
		}
		if n > 1 {
			b.WriteByte('(')
		}
		first := true
		for _, a := range t.Alts {
			if a.Tok == "" {
				continue
			}
			if !first {
				b.WriteString(or)
			}
			first = false
			b.WriteString(quote(a.Tok))
			if a.Prefix {
				b.WriteString(prefix)
			}
		}
		if n > 1 {
			b.WriteByte(')')
		}
	}
	return b.String()
}

// QuoteFTS5 quotes one literal token as an FTS5 string ("tok", with any
// double quote doubled). The database code uses it for visibility tokens,
// which start with '_' and contain only [a-z0-9_].
func QuoteFTS5(tok string) string {
	return `"` + strings.ReplaceAll(tok, `"`, `""`) + `"`
}

// QuoteTS quotes one literal token as a tsquery operand ('tok', with any
// single quote doubled and any backslash escaped). The database code uses it
// for visibility tokens, which start with '_' and contain only [a-z0-9_].
func QuoteTS(tok string) string {
	if strings.ContainsAny(tok, `'\`) {
		tok = strings.NewReplacer(`'`, `''`, `\`, `\\`).Replace(tok)
	}
	return "'" + tok + "'"
}

// joinPhone turns a query made only of digits and the separators people
// type in phone numbers ("+86 138-1234 5678", "(010) 8888 6666") into one
// digit string, so it matches the number as stored.
func joinPhone(q string) string {
	digits := 0
	for _, r := range q {
		switch {
		case r >= '0' && r <= '9', r >= '０' && r <= '９':
			digits++
		case strings.ContainsRune(" +-()（）.\u3000", r):
		default:
			return q
		}
	}
	if digits < 3 {
		return q
	}
	return strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return '0' + (r - '０')
		}
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, q)
}
