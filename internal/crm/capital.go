package crm

import "strings"

// Chinese capital numerals (大写金额), as written on quotes, contracts and
// invoices so that a figure cannot be altered: 壹 … 玖, 拾 佰 仟 within a
// group of four digits, 万 亿 between groups.
var (
	capDigits = []string{"零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"}
	capUnits  = []string{"", "拾", "佰", "仟"}
)

// AmountInWords writes an amount in fen in capital numerals, the way
// banks and the tax office expect it: 1234560 → 壹万贰仟叁佰肆拾伍元陆角整,
// 100005 → 壹仟元零伍分, 1000000 → 壹万元整, 0 → 零元整. Zeros inside the
// figure are read once (壹万零伍元整), a leading ten is 壹拾 (壹拾元整: no
// one can write a digit in front of it), an amount without fen ends in 整,
// and a negative amount starts with 负.
func AmountInWords(fen int64) string {
	var b strings.Builder
	u := uint64(fen)
	if fen < 0 {
		b.WriteString("负")
		u = -u
	}
	yuan, jiao, fenDigit := u/100, u/10%10, u%10
	if yuan > 0 {
		b.WriteString(integerInWords(yuan))
		b.WriteString("元")
	}
	switch {
	case jiao == 0 && fenDigit == 0:
		if yuan == 0 {
			b.WriteString("零元")
		}
		b.WriteString("整")
	case jiao > 0 && fenDigit == 0:
		b.WriteString(capDigits[jiao] + "角整")
	case jiao > 0:
		b.WriteString(capDigits[jiao] + "角" + capDigits[fenDigit] + "分")
	default: // 0 jiao, some fen
		if yuan > 0 {
			b.WriteString("零")
		}
		b.WriteString(capDigits[fenDigit] + "分")
	}
	return b.String()
}

// integerInWords writes a positive whole number, by 亿 and then by 万
// from the top: the part above is written the same way and named, and a
// 零 joins it to the part below when that part does not fill its highest
// place (壹万零伍, 壹亿零壹仟, but 壹拾万壹仟). Any int64 amount fits
// (922 亿亿 yuan is written 玖亿…亿).
func integerInWords(n uint64) string {
	split := func(unit uint64, name string) string {
		high, low := n/unit, n%unit
		out := integerInWords(high) + name
		if low > 0 {
			if low < unit/10 {
				out += "零"
			}
			out += integerInWords(low)
		}
		return out
	}
	switch {
	case n >= 1_0000_0000:
		return split(1_0000_0000, "亿")
	case n >= 1_0000:
		return split(1_0000, "万")
	}
	// Below 10000: one digit per place, a run of zeros between digits read
	// once, zeros at the end not read.
	var b strings.Builder
	zero := false
	for pos := 3; pos >= 0; pos-- {
		d := n / pow10[pos] % 10
		if d == 0 {
			zero = b.Len() > 0
			continue
		}
		if zero {
			b.WriteString("零")
			zero = false
		}
		b.WriteString(capDigits[d] + capUnits[pos])
	}
	return b.String()
}

var pow10 = []uint64{1, 10, 100, 1000}
