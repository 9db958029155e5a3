// Package money computes and formats amounts kept as int64 minor units
// (fen for CNY). Nothing here uses floats: amounts are integers, rates and
// discounts are basis points (1 % = 100 bp), and the one multiplication
// that needs more than int64 precision goes through shopspring/decimal,
// which is exact for it.
package money

import (
	"errors"
	"fmt"
	"math"

	"github.com/shopspring/decimal"
)

// BP is 100 % in basis points.
const BP = 10000

// ErrOverflow says an amount does not fit in int64 fen. It is an error,
// never a wrapped-around number.
var ErrOverflow = errors.New("money: amount too large")

// ErrInvalid says an input is out of its range (a negative quantity or
// price, a discount or tax rate outside 0–100 %).
var ErrInvalid = errors.New("money: invalid amount")

// Line is one priced line of a quote or order: whole units, the unit price
// in fen, a discount and a tax rate in basis points. Unit prices are net of
// tax (不含税单价): tax is added on top of the discounted amount.
type Line struct {
	Quantity   int64
	UnitPrice  int64
	DiscountBP int64
	TaxRateBP  int64
}

// LineAmounts are the computed amounts of one line, in fen.
type LineAmounts struct {
	Gross    int64 // quantity × unit price, before the discount (exact)
	Discount int64 // Gross − Net
	Net      int64 // after the discount, before tax
	Tax      int64 // Net × tax rate
	Total    int64 // Net + Tax
}

// Totals are a document's amounts: the sums of its lines, and the largest
// discount any line gives (what approval rules test).
type Totals struct {
	Subtotal      int64 // sum of the lines' Gross: before discount (折前金额)
	Discount      int64 // Subtotal − Net (折扣金额)
	Net           int64 // sum of the lines' Net (不含税金额)
	Tax           int64 // sum of the lines' Tax (税额)
	Total         int64 // Net + Tax = sum of the lines' Total (含税总额)
	MaxDiscountBP int64 // the largest line discount, in basis points
	Lines         []LineAmounts
}

// Compute prices one line. Rounding happens exactly twice, each time half
// up to the fen and each time on this line alone:
//
//	net = round(quantity × unit price × (10000 − discount) / 10000)
//	tax = round(net × tax rate / 10000)
//	total = net + tax
//
// Gross (quantity × unit price) is exact, as is the discount amount
// (gross − net). Tax is taken on the rounded net, as a printed invoice line
// does (金额 × 税率 = 税额), so every printed line reads right on its own.
// Inputs are never negative, so half up and half away from zero agree.
func Compute(l Line) (LineAmounts, error) {
	if l.Quantity < 0 || l.UnitPrice < 0 || l.DiscountBP < 0 || l.DiscountBP > BP || l.TaxRateBP < 0 || l.TaxRateBP > BP {
		return LineAmounts{}, fmt.Errorf("%w: quantity %d, unit price %d, discount %d bp, tax %d bp", ErrInvalid, l.Quantity, l.UnitPrice, l.DiscountBP, l.TaxRateBP)
	}
	gross, err := mul(l.Quantity, l.UnitPrice)
	if err != nil {
		return LineAmounts{}, err
	}
	net, err := applyBP(gross, BP-l.DiscountBP)
	if err != nil {
		return LineAmounts{}, err
	}
	tax, err := applyBP(net, l.TaxRateBP)
	if err != nil {
		return LineAmounts{}, err
	}
	total, err := add(net, tax)
	if err != nil {
		return LineAmounts{}, err
	}
	return LineAmounts{Gross: gross, Discount: gross - net, Net: net, Tax: tax, Total: total}, nil
}

// Sum prices every line and adds them up. A document's amounts are the
// sums of its rounded lines — never a rounding of the exact sum — so the
// lines printed on a quote add up to its printed totals to the fen, and
// the order of the lines cannot change any figure.
func Sum(lines []Line) (Totals, error) {
	t := Totals{Lines: make([]LineAmounts, len(lines))}
	for i, l := range lines {
		a, err := Compute(l)
		if err != nil {
			return Totals{}, fmt.Errorf("line %d: %w", i+1, err)
		}
		t.Lines[i] = a
		for _, p := range []struct {
			dst *int64
			v   int64
		}{{&t.Subtotal, a.Gross}, {&t.Net, a.Net}, {&t.Tax, a.Tax}} {
			if *p.dst, err = add(*p.dst, p.v); err != nil {
				return Totals{}, fmt.Errorf("line %d: %w", i+1, err)
			}
		}
		t.MaxDiscountBP = max(t.MaxDiscountBP, l.DiscountBP)
	}
	total, err := add(t.Net, t.Tax)
	if err != nil {
		return Totals{}, err
	}
	t.Total = total
	t.Discount = t.Subtotal - t.Net
	return t, nil
}

// mul multiplies two non-negative amounts, refusing an overflow.
func mul(a, b int64) (int64, error) {
	if a != 0 && b > math.MaxInt64/a {
		return 0, fmt.Errorf("%w: %d × %d", ErrOverflow, a, b)
	}
	return a * b, nil
}

// add adds two non-negative amounts, refusing an overflow.
func add(a, b int64) (int64, error) {
	if a > math.MaxInt64-b {
		return 0, fmt.Errorf("%w: %d + %d", ErrOverflow, a, b)
	}
	return a + b, nil
}

var (
	maxAmount = decimal.NewFromInt(math.MaxInt64)
	half      = decimal.NewFromInt(BP / 2)
	bpDiv     = decimal.NewFromInt(BP)
)

// applyBP is round_half_up(amount × bp / 10000) for non-negative inputs.
// amount × bp may exceed int64 (a 9e14-fen line at 100 %), so the product
// is an exact decimal; adding 5000 and dividing with the remainder
// dropped is half-up rounding without any fractional arithmetic.
func applyBP(amount, bp int64) (int64, error) {
	if amount <= math.MaxInt64/BP {
		return (amount*bp + BP/2) / BP, nil // fits: plain integers
	}
	p := decimal.NewFromInt(amount).Mul(decimal.NewFromInt(bp)).Add(half)
	q, _ := p.QuoRem(bpDiv, 0)
	if q.Cmp(maxAmount) > 0 {
		return 0, fmt.Errorf("%w: %d × %d bp", ErrOverflow, amount, bp)
	}
	return q.IntPart(), nil
}
