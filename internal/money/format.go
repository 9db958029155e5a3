package money

// This file formats amounts for pages and documents; nothing here uses floats.

import "strconv"

// signs are the currency symbols shown before an amount; other currencies
// show their ISO code and a space ("GBP 12.00").
var signs = map[string]string{"CNY": "¥", "USD": "$", "EUR": "€", "HKD": "HK$", "JPY": "JP¥", "GBP": "£"}

// Format renders fen as yuan with the sign, thousands separators and two
// decimals: 1234560 → "¥12,345.60", -5 → "-¥0.05". Documents and mail use
// it so an amount reads the same everywhere.
func Format(fen int64) string { return FormatIn("CNY", fen) }

// FormatIn renders minor units of a currency (two decimals for every
// currency, as amounts are stored) with its sign.
func FormatIn(currency string, minor int64) string {
	sign, ok := signs[currency]
	if !ok {
		sign = currency + " "
		if currency == "" {
			sign = ""
		}
	}
	s := Plain(minor)
	if s[0] == '-' {
		return "-" + sign + s[1:]
	}
	return sign + s
}

// Plain renders minor units without a sign: 1234560 → "12,345.60". Tables
// whose column header names the currency use it.
func Plain(minor int64) string {
	neg := minor < 0
	// Through uint64 so that math.MinInt64 has an absolute value too.
	u := uint64(minor)
	if neg {
		u = -u
	}
	digits := strconv.FormatUint(u/100, 10)
	frac := u % 100
	out := make([]byte, 0, len(digits)+len(digits)/3+4)
	if neg {
		out = append(out, '-')
	}
	for i := 0; i < len(digits); i++ {
		if i > 0 && (len(digits)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, digits[i])
	}
	out = append(out, '.', byte('0'+frac/10), byte('0'+frac%10))
	return string(out)
}
