package access

import (
	"strings"
	"unicode/utf8"
)

// Mask hides most of a contact detail, keeping enough to recognise it:
// 13812345678 → 138****5678, zhang.wei@acme.com → z***@acme.com,
// wxid_abc123 → wx****23.
func Mask(kind, v string) string {
	if v == "" {
		return ""
	}
	switch kind {
	case "email":
		local, domain, ok := strings.Cut(v, "@")
		if !ok {
			return maskMiddle(v)
		}
		first, _ := utf8.DecodeRuneInString(local)
		return string(first) + "***@" + domain
	case "phone":
		digits := strings.TrimPrefix(v, "+")
		prefix := ""
		if len(digits) != len(v) {
			prefix = "+"
		}
		if len(digits) >= 7 {
			keep := 3
			if len(digits) > 11 { // keep the country code visible with the first digits
				keep = len(digits) - 8
			}
			return prefix + digits[:keep] + "****" + digits[len(digits)-4:]
		}
		return prefix + maskMiddle(digits)
	}
	return maskMiddle(v)
}

func maskMiddle(v string) string {
	r := []rune(v)
	switch {
	case len(r) <= 2:
		return strings.Repeat("*", len(r))
	case len(r) <= 5:
		return string(r[:1]) + "****"
	}
	return string(r[:2]) + "****" + string(r[len(r)-2:])
}

// IsMasked reports whether v looks like a masked value (contains ****), so a
// client sending back what it was shown does not overwrite the real value.
func IsMasked(v string) bool { return strings.Contains(v, "***") }
