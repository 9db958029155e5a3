package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"closeloop/internal/entity"
)

// Object is a record as the API shows it: its visible fields in declaration
// order. It encodes itself without reflection — a list page of 50 records
// spent more time in encoding/json's sorted map keys than in its query.
type Object struct {
	e *entity.Entity
	r entity.Record
}

// Record is the JSON object of a record.
func Record(e *entity.Entity, r entity.Record) Object { return Object{e, r} }

// MarshalJSON implements json.Marshaler.
func (o Object) MarshalJSON() ([]byte, error) { return o.AppendJSON(nil), nil }

// AppendJSON appends the object's JSON encoding to b.
func (o Object) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	first := true
	for _, f := range o.e.Fields {
		if f.Has(entity.Hidden) && f.Name != "id" && f.Name != "version" {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, f.Name)
		b = append(b, ':')
		b = appendValue(b, o.r[f.Name])
	}
	return append(b, '}')
}

// appendValue encodes the canonical value kinds of entity.Record; anything
// else goes through encoding/json.
func appendValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendString(b, v)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case bool:
		return strconv.AppendBool(b, v)
	case time.Time:
		return appendString(b, v.UTC().Format(time.RFC3339Nano))
	case []string:
		b = append(b, '[')
		for i, s := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, s)
		}
		return append(b, ']')
	}
	j, err := json.Marshal(v)
	if err != nil {
		return append(b, "null"...)
	}
	return append(b, j...)
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string the way encoding/json does with
// HTML escaping on: <, > and & escaped, invalid UTF-8 replaced by U+FFFD,
// U+2028 and U+2029 escaped.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// writeList writes a list page: {"items": [...], "next_cursor": "...",
// and with a count "total" and "total_capped"}.
func writeList(w http.ResponseWriter, e *entity.Entity, items []entity.Record, next string, total int, withTotal bool) {
	b := make([]byte, 0, 1024*(len(items)+1))
	b = append(b, `{"items":[`...)
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = Record(e, it).AppendJSON(b)
	}
	b = append(b, `],"next_cursor":`...)
	b = appendString(b, next)
	if withTotal {
		b = append(b, `,"total":`...)
		b = strconv.AppendInt(b, int64(min(total, entity.TotalCap)), 10)
		b = append(b, `,"total_capped":`...)
		b = strconv.AppendBool(b, total > entity.TotalCap)
	}
	b = append(b, '}', '\n')
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}
