package entity

import (
	"encoding/json"
	"fmt"
	"math"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"closeloop/internal/errs"
	"closeloop/internal/i18n"
)

// Record is one row as field name → canonical value (see Kind). A nil value
// means empty. System fields (id, version, created_at …) are included.
type Record map[string]any

// ID is the record's id.
func (r Record) ID() string { s, _ := r["id"].(string); return s }

// Version is the record's optimistic-locking version.
func (r Record) Version() int64 { v, _ := r["version"].(int64); return v }

// CheckVersion refuses a step on a record someone changed since the
// caller read it (version 0: the caller did not say, no check).
func CheckVersion(r Record, version int64) error {
	if version != 0 && r.Version() != version {
		return errs.Stale()
	}
	return nil
}

// NilIfEmpty is nil for an empty string (a NULL column), else the string.
func NilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Str returns a string value or "".
func (r Record) Str(name string) string { s, _ := r[name].(string); return s }

// Int returns an int64 value or 0.
func (r Record) Int(name string) int64 { v, _ := r[name].(int64); return v }

// Bool returns a bool value or false.
func (r Record) Bool(name string) bool { v, _ := r[name].(bool); return v }

// Time returns a time value or the zero time.
func (r Record) Time(name string) time.Time { t, _ := r[name].(time.Time); return t }

// List returns a string-list value or nil.
func (r Record) List(name string) []string { v, _ := r[name].([]string); return v }

// Clone returns a shallow copy (list values are copied too).
func (r Record) Clone() Record {
	c := make(Record, len(r))
	for k, v := range r {
		if l, ok := v.([]string); ok {
			v = append([]string(nil), l...)
		}
		c[k] = v
	}
	return c
}

// DateLayout is the canonical layout of Date values.
const DateLayout = "2006-01-02"

var (
	phoneRE  = regexp.MustCompile(`^\+?[0-9]{3,20}$`)
	phoneSep = strings.NewReplacer(" ", "", "-", "", "(", "", ")", "", "（", "", "）", "", ".", "", "\u00a0", "", "—", "")
)

// NormalizePhone strips separators; it returns "" if what remains is not a
// plausible phone number.
func NormalizePhone(s string) string {
	s = phoneSep.Replace(strings.TrimSpace(s))
	s = strings.Map(func(r rune) rune { // full-width digits and plus
		if r >= '０' && r <= '９' {
			return '0' + (r - '０')
		}
		if r == '＋' {
			return '+'
		}
		return r
	}, s)
	if !phoneRE.MatchString(s) {
		return ""
	}
	return s
}

// ParseDate accepts the common ways people write a date in China and
// elsewhere: 2026-01-31, 2026/1/31, 2026.1.31, 2026年1月31日, 20260131.
func ParseDate(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	if len(s) > 10 && (strings.Contains(s, "T") || strings.Contains(s, " ")) {
		// A timestamp (an Excel date-time cell): keep its date part.
		if d, _, ok := strings.Cut(strings.Replace(s, "T", " ", 1), " "); ok {
			s = d
		}
	}
	r := strings.NewReplacer("年", "-", "月", "-", "日", "", "/", "-", ".", "-")
	norm := r.Replace(s)
	for _, layout := range []string{"2006-1-2", "20060102"} {
		if t, err := time.Parse(layout, norm); err == nil && t.Year() >= 1000 && t.Year() <= 9999 {
			return t.Format(DateLayout), true
		}
	}
	return "", false
}

// ParseDateTime accepts RFC 3339 and a few local forms; times without an
// offset are read in UTC. ParseLocalDateTime reads them in a time zone.
func ParseDateTime(s string) (time.Time, bool) { return ParseLocalDateTime(s, time.UTC) }

// ParseLocalDateTime accepts RFC 3339 (its offset wins) and local forms
// (2026-03-01 09:30, 2026-03-01T09:30, 2026/3/1 9:30, a bare date meaning
// midnight) read in loc — what people type and what forms send.
func ParseLocalDateTime(s string, loc *time.Location) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return CanonTime(t), true
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006/1/2 15:04", "2006/1/2 15:04:05", "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05Z07:00"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return CanonTime(t), true
		}
	}
	if len(s) <= 11 {
		if d, ok := ParseDate(s); ok {
			t, _ := time.ParseInLocation(DateLayout, d, loc)
			return CanonTime(t), true
		}
	}
	return time.Time{}, false
}

// CanonTime is the canonical form of a stored time: UTC, microseconds (the
// precision PostgreSQL keeps).
func CanonTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// ParseMoney reads an amount in major units ("1,234.56", "¥1234.5",
// "1234") into minor units, refusing more than two decimals.
func ParseMoney(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	s = strings.NewReplacer(",", "", "，", "", "¥", "", "￥", "", "$", "", "€", "", " ", "", "元", "").Replace(s)
	if s == "" {
		return 0, false
	}
	d, err := decimal.NewFromString(s)
	if err != nil || d.Exponent() < -2 && !d.Equal(d.Round(2)) {
		return 0, false
	}
	minor := d.Shift(2)
	if !minor.IsInteger() || minor.Abs().GreaterThan(decimal.NewFromInt(math.MaxInt64/2)) {
		return 0, false
	}
	return minor.IntPart(), true
}

// ParseScaled reads a decimal ("5", "5.25", "5.25%") into an integer scaled by
// 10^scale, refusing more decimals than scale.
func ParseScaled(s string, scale int) (int64, bool) {
	s = strings.TrimSpace(strings.NewReplacer(",", "", "%", "", "％", "", " ", "").Replace(s))
	if s == "" {
		return 0, false
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return 0, false
	}
	n := d.Shift(int32(scale))
	if !n.IsInteger() || n.Abs().GreaterThan(decimal.NewFromInt(math.MaxInt64/2)) {
		return 0, false
	}
	return n.IntPart(), true
}

// FormatScaled renders an integer scaled by 10^scale as a decimal without
// trailing zeros (525, 2 → "5.25"; 500, 2 → "5").
func FormatScaled(n int64, scale int) string {
	return decimal.New(n, -int32(scale)).String()
}

// FormatMoney renders minor units as a major-unit amount with two decimals
// and thousands separators.
func FormatMoney(minor int64) string {
	d := decimal.New(minor, -2)
	s := d.StringFixed(2)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String() + "." + frac
	if neg {
		out = "-" + out
	}
	return out
}

func fieldErr(f *Field, code string, args ...any) *errs.FieldError {
	fe := &errs.FieldError{Field: f.Name, Code: code}
	if len(args) > 0 {
		fe.Args = map[string]any{}
		for i := 0; i+1 < len(args); i += 2 {
			fe.Args[fmt.Sprint(args[i])] = args[i+1]
		}
	}
	return fe
}

// ParseText converts user text (a form field, an import cell, a filter
// value) into the field's canonical value. Empty input means nil.
func (s *Schema) ParseText(f *Field, in string) (any, *errs.FieldError) {
	in = strings.TrimSpace(in)
	if in == "" {
		return nil, nil
	}
	switch f.Kind {
	case Integer:
		if f.Scale > 0 {
			n, ok := ParseScaled(in, f.Scale)
			if !ok {
				return nil, fieldErr(f, "invalid_decimal", "scale", f.Scale)
			}
			return s.checkRange(f, float64(n), n)
		}
		n, err := strconv.ParseInt(strings.ReplaceAll(in, ",", ""), 10, 64)
		if err != nil {
			return nil, fieldErr(f, "invalid_integer")
		}
		return s.checkRange(f, float64(n), n)
	case Number:
		x, err := strconv.ParseFloat(strings.ReplaceAll(in, ",", ""), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fieldErr(f, "invalid_number")
		}
		return s.checkRange(f, x, x)
	case Money:
		m, ok := ParseMoney(in)
		if !ok {
			return nil, fieldErr(f, "invalid_money")
		}
		return s.checkRange(f, float64(m), m)
	case Date:
		d, ok := ParseDate(in)
		if !ok {
			return nil, fieldErr(f, "invalid_date")
		}
		return d, nil
	case DateTime:
		t, ok := ParseLocalDateTime(in, s.loc())
		if !ok {
			return nil, fieldErr(f, "invalid_datetime")
		}
		return t, nil
	case Bool:
		switch strings.ToLower(in) {
		case "1", "true", "t", "yes", "y", "on", "是", "对", "√", "✓":
			return true, nil
		case "0", "false", "f", "no", "n", "off", "否", "不", "×", "✗":
			return false, nil
		}
		return nil, fieldErr(f, "invalid_bool")
	case MultiSelect, Tags, Refs:
		parts := strings.FieldsFunc(in, func(r rune) bool { return r == ',' || r == '，' || r == ';' || r == '；' || r == '、' || r == '|' })
		return s.parseList(f, parts)
	}
	return s.checkText(f, in)
}

func (s *Schema) checkRange(f *Field, x float64, v any) (any, *errs.FieldError) {
	if (f.Min != nil && x < *f.Min) || (f.Max != nil && x > *f.Max) {
		return nil, fieldErr(f, "out_of_range")
	}
	return v, nil
}

func (s *Schema) checkText(f *Field, in string) (any, *errs.FieldError) {
	if !utf8.ValidString(in) || strings.ContainsRune(in, 0) {
		return nil, fieldErr(f, "invalid_text")
	}
	if utf8.RuneCountInString(in) > f.MaxChars() {
		return nil, fieldErr(f, "too_long", "max", f.MaxChars())
	}
	switch f.Kind {
	case Text, Phone, Email, Select, User, Ref:
		if strings.ContainsAny(in, "\r\n") {
			in = strings.Join(strings.Fields(in), " ")
		}
	}
	switch f.Kind {
	case Select:
		code, ok := s.MatchOption(f, in)
		if !ok {
			return nil, fieldErr(f, "invalid_option", "value", in)
		}
		return code, nil
	case Phone:
		p := NormalizePhone(in)
		if p == "" {
			return nil, fieldErr(f, "invalid_phone")
		}
		return p, nil
	case Email:
		a, err := mail.ParseAddress(in)
		if err != nil || a.Address != in && !strings.EqualFold(a.Address, in) || !strings.Contains(in, ".") {
			return nil, fieldErr(f, "invalid_email")
		}
		return strings.ToLower(in), nil
	case User, Ref:
		if !looksLikeID(in) {
			if f.Kind == User {
				return nil, fieldErr(f, "invalid_user")
			}
			return nil, fieldErr(f, "invalid_ref")
		}
		return strings.ToLower(in), nil
	}
	return in, nil
}

var idRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func looksLikeID(s string) bool { return idRE.MatchString(s) }

// LooksLikeID reports whether s has the shape of a record id (a UUID).
func LooksLikeID(s string) bool { return looksLikeID(s) }

func (s *Schema) parseList(f *Field, parts []string) (any, *errs.FieldError) {
	var out []string
	seen := map[string]bool{}
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if f.Kind == Refs {
			if !looksLikeID(p) {
				return nil, fieldErr(f, "invalid_ref")
			}
			p = strings.ToLower(p)
		} else if f.Kind == MultiSelect {
			code, ok := s.MatchOption(f, p)
			if !ok {
				return nil, fieldErr(f, "invalid_option", "value", p)
			}
			p = code
		} else if utf8.RuneCountInString(p) > 50 {
			return nil, fieldErr(f, "too_long", "max", 50)
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	if len(out) > 100 {
		return nil, fieldErr(f, "too_long", "max", 100)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// ParseJSON converts a decoded JSON value (decoded with UseNumber) into the
// field's canonical value.
func (s *Schema) ParseJSON(f *Field, in any) (any, *errs.FieldError) {
	switch v := in.(type) {
	case nil:
		return nil, nil
	case string:
		switch f.Kind {
		case Integer, Money, Number, Bool:
			// Numbers must be JSON numbers; strings are a client mistake worth naming.
			return nil, fieldErr(f, "invalid_"+kindCode(f.Kind))
		case DateTime:
			if v == "" {
				return nil, nil
			}
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return nil, fieldErr(f, "invalid_datetime")
			}
			return CanonTime(t), nil
		case Date:
			if v == "" {
				return nil, nil
			}
			if _, err := time.Parse(DateLayout, v); err != nil {
				return nil, fieldErr(f, "invalid_date")
			}
			return v, nil
		case MultiSelect, Tags, Refs:
			return nil, fieldErr(f, "invalid_list")
		}
		return s.ParseText(f, v)
	case json.Number:
		switch f.Kind {
		case Integer, Money:
			n, err := v.Int64()
			if err != nil {
				return nil, fieldErr(f, "invalid_"+kindCode(f.Kind))
			}
			return s.checkRange(f, float64(n), n)
		case Number:
			x, err := v.Float64()
			if err != nil || math.IsInf(x, 0) {
				return nil, fieldErr(f, "invalid_number")
			}
			return s.checkRange(f, x, x)
		}
		return nil, fieldErr(f, "invalid_"+kindCode(f.Kind))
	case float64: // decoded without UseNumber
		return s.ParseJSON(f, json.Number(strconv.FormatFloat(v, 'f', -1, 64)))
	case bool:
		if f.Kind != Bool {
			return nil, fieldErr(f, "invalid_"+kindCode(f.Kind))
		}
		return v, nil
	case []any:
		if !f.Kind.IsList() {
			return nil, fieldErr(f, "invalid_"+kindCode(f.Kind))
		}
		parts := make([]string, 0, len(v))
		for _, x := range v {
			str, ok := x.(string)
			if !ok {
				return nil, fieldErr(f, "invalid_list")
			}
			parts = append(parts, str)
		}
		return s.parseList(f, parts)
	case []string:
		if !f.Kind.IsList() {
			return nil, fieldErr(f, "invalid_"+kindCode(f.Kind))
		}
		return s.parseList(f, v)
	}
	return nil, fieldErr(f, "invalid_"+kindCode(f.Kind))
}

func kindCode(k Kind) string {
	switch k {
	case Integer:
		return "integer"
	case Number:
		return "number"
	case Money:
		return "money"
	case Date:
		return "date"
	case DateTime:
		return "datetime"
	case Bool:
		return "bool"
	case MultiSelect, Tags, Refs:
		return "list"
	case User:
		return "user"
	case Ref:
		return "ref"
	}
	return "text"
}

// Format renders a value for people: pages, exports, timelines.
func (s *Schema) Format(f *Field, v any, l i18n.Lang, loc *time.Location) string {
	if v == nil {
		return ""
	}
	switch x := v.(type) {
	case string:
		if f.Kind == Select {
			return s.OptionLabel(f, x, l)
		}
		return x
	case []string:
		if f.Kind == MultiSelect {
			labels := make([]string, len(x))
			for i, c := range x {
				labels[i] = s.OptionLabel(f, c, l)
			}
			return strings.Join(labels, "、")
		}
		return strings.Join(x, ", ")
	case int64:
		if f.Kind == Money {
			return FormatMoney(x)
		}
		if f.Scale > 0 {
			return FormatScaled(x, f.Scale)
		}
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		if x {
			return i18n.Msg(l, "value.yes")
		}
		return i18n.Msg(l, "value.no")
	case time.Time:
		if loc == nil {
			loc = time.UTC
		}
		return x.In(loc).Format("2006-01-02 15:04")
	}
	return fmt.Sprint(v)
}

// Required checks that required fields have values in r.
func (e *Entity) RequiredMissing(r Record) []errs.FieldError {
	var out []errs.FieldError
	for _, f := range e.Fields {
		if f.Required && isEmpty(r[f.Name]) {
			out = append(out, errs.FieldError{Field: f.Name, Code: "required"})
		}
	}
	return out
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []string:
		return len(x) == 0
	}
	return false
}

// IsEmpty reports whether a canonical value is empty.
func IsEmpty(v any) bool { return isEmpty(v) }

// Equal compares two canonical values.
func Equal(a, b any) bool {
	if isEmpty(a) && isEmpty(b) {
		return true
	}
	switch x := a.(type) {
	case []string:
		y, ok := b.([]string)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	}
	return a == b
}
