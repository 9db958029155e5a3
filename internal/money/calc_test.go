package money

import (
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// Hand-computed cases: each figure below was worked out on paper.
func TestComputeByHand(t *testing.T) {
	cases := []struct {
		name string
		in   Line
		want LineAmounts
	}{
		{"no discount, 13 %", Line{Quantity: 2, UnitPrice: 100000, DiscountBP: 0, TaxRateBP: 1300},
			// 2 × 1000.00 = 2000.00; tax 260.00
			LineAmounts{Gross: 200000, Discount: 0, Net: 200000, Tax: 26000, Total: 226000}},
		{"5 % off, 13 %", Line{Quantity: 3, UnitPrice: 12345, DiscountBP: 500, TaxRateBP: 1300},
			// 3 × 123.45 = 370.35; × 0.95 = 351.8325 → 351.83; × 0.13 = 45.7379 → 45.74
			LineAmounts{Gross: 37035, Discount: 1852, Net: 35183, Tax: 4574, Total: 39757}},
		{"net .5 fen rounds up", Line{Quantity: 1, UnitPrice: 1, DiscountBP: 5000, TaxRateBP: 0},
			// 0.01 × 0.5 = 0.005 → 0.01
			LineAmounts{Gross: 1, Discount: 0, Net: 1, Tax: 0, Total: 1}},
		{"net .5 fen rounds up (larger)", Line{Quantity: 7, UnitPrice: 15, DiscountBP: 5000, TaxRateBP: 0},
			// 7 × 0.15 = 1.05; × 0.5 = 0.525 → 0.53
			LineAmounts{Gross: 105, Discount: 52, Net: 53, Tax: 0, Total: 53}},
		{"tax .5 fen rounds up", Line{Quantity: 1, UnitPrice: 50, DiscountBP: 0, TaxRateBP: 900},
			// 0.50 × 0.09 = 0.045 → 0.05
			LineAmounts{Gross: 50, Discount: 0, Net: 50, Tax: 5, Total: 55}},
		{"tax just under .5 rounds down", Line{Quantity: 1, UnitPrice: 4999, DiscountBP: 0, TaxRateBP: 1},
			// 49.99 × 0.0001 = 0.004999 → 0.00
			LineAmounts{Gross: 4999, Discount: 0, Net: 4999, Tax: 0, Total: 4999}},
		{"9 %", Line{Quantity: 10, UnitPrice: 9999, DiscountBP: 1000, TaxRateBP: 900},
			// 999.90 × 0.9 = 899.91; × 0.09 = 80.9919 → 80.99
			LineAmounts{Gross: 99990, Discount: 9999, Net: 89991, Tax: 8099, Total: 98090}},
		{"6 % service", Line{Quantity: 1, UnitPrice: 1234567, DiscountBP: 250, TaxRateBP: 600},
			// 1234567 × 9750 / 10000 = 1203702.825 fen → 1203703 (¥12,037.03)
			// tax: 1203703 × 0.06 = 72222.18 → 72222
			LineAmounts{Gross: 1234567, Discount: 30864, Net: 1203703, Tax: 72222, Total: 1275925}},
		{"0 % tax", Line{Quantity: 4, UnitPrice: 2500, DiscountBP: 0, TaxRateBP: 0},
			LineAmounts{Gross: 10000, Discount: 0, Net: 10000, Tax: 0, Total: 10000}},
		{"100 % discount", Line{Quantity: 5, UnitPrice: 88800, DiscountBP: 10000, TaxRateBP: 1300},
			LineAmounts{Gross: 444000, Discount: 444000, Net: 0, Tax: 0, Total: 0}},
		{"free line", Line{Quantity: 1, UnitPrice: 0, DiscountBP: 0, TaxRateBP: 1300},
			LineAmounts{}},
		{"fractional discount 5.25 %", Line{Quantity: 1, UnitPrice: 100000, DiscountBP: 525, TaxRateBP: 1300},
			// 1000.00 × 0.9475 = 947.50; tax 123.175 → 123.18
			LineAmounts{Gross: 100000, Discount: 5250, Net: 94750, Tax: 12318, Total: 107068}},
		{"large quantity, kg material", Line{Quantity: 1_000_000_000, UnitPrice: 1_000_000, DiscountBP: 333, TaxRateBP: 1300},
			// 1e9 kg × ¥10,000.00 = 1e15 fen; net = 1e15 × 0.9667 = 9.667e14; tax = 1.25671e14
			LineAmounts{Gross: 1_000_000_000_000_000, Discount: 33_300_000_000_000, Net: 966_700_000_000_000, Tax: 125_671_000_000_000, Total: 1_092_371_000_000_000}},
		{"near the guard, needs decimal", Line{Quantity: 1, UnitPrice: math.MaxInt64 / 2, DiscountBP: 0, TaxRateBP: 10000},
			// gross = 4611686018427387903; tax 100 % = the same; total = 9223372036854775806 ≤ MaxInt64
			LineAmounts{Gross: math.MaxInt64 / 2, Net: math.MaxInt64 / 2, Tax: math.MaxInt64 / 2, Total: math.MaxInt64 - 1}},
		{"near the guard, rounding in decimal", Line{Quantity: 3, UnitPrice: 1_000_000_000_000_000_001, DiscountBP: 5000, TaxRateBP: 1},
			// gross 3000000000000000003; × 0.5 = 1500000000000000001.5 → …002; tax × 0.0001 = 150000000000000.0002 → 150000000000000
			LineAmounts{Gross: 3_000_000_000_000_000_003, Discount: 1_500_000_000_000_000_001, Net: 1_500_000_000_000_000_002, Tax: 150_000_000_000_000, Total: 1_500_150_000_000_000_002}},
	}
	for _, c := range cases {
		got, err := Compute(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestComputeRefuses(t *testing.T) {
	over := []Line{
		{Quantity: 2, UnitPrice: math.MaxInt64/2 + 1},                                         // gross overflows
		{Quantity: math.MaxInt64, UnitPrice: 2},                                               // gross overflows
		{Quantity: 1, UnitPrice: math.MaxInt64/2 + 1, TaxRateBP: 10000},                       // net + tax overflows
		{Quantity: 1, UnitPrice: math.MaxInt64, TaxRateBP: 1},                                 // net + tax overflows
		{Quantity: 1_000_000_000, UnitPrice: 10_000_000_000_000, DiscountBP: 0, TaxRateBP: 0}, // 1e22
	}
	for _, l := range over {
		if _, err := Compute(l); !errors.Is(err, ErrOverflow) {
			t.Errorf("%+v: want overflow, got %v", l, err)
		}
	}
	bad := []Line{
		{Quantity: -1, UnitPrice: 100}, {Quantity: 1, UnitPrice: -1},
		{Quantity: 1, UnitPrice: 1, DiscountBP: -1}, {Quantity: 1, UnitPrice: 1, DiscountBP: 10001},
		{Quantity: 1, UnitPrice: 1, TaxRateBP: -5}, {Quantity: 1, UnitPrice: 1, TaxRateBP: 10001},
	}
	for _, l := range bad {
		if _, err := Compute(l); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: want invalid, got %v", l, err)
		}
	}
	// A sum that overflows is refused even when every line fits.
	big := Line{Quantity: 1, UnitPrice: math.MaxInt64 / 3}
	if _, err := Sum([]Line{big, big, big, big}); !errors.Is(err, ErrOverflow) {
		t.Errorf("sum overflow: %v", err)
	}
}

func TestSumByHand(t *testing.T) {
	// An equipment line, a software licence and an installation service.
	lines := []Line{
		{Quantity: 2, UnitPrice: 3_580_000, DiscountBP: 800, TaxRateBP: 1300},  // 71600.00 → 65872.00, tax 8563.36
		{Quantity: 5, UnitPrice: 1_299_900, DiscountBP: 1500, TaxRateBP: 1300}, // 64995.00 → 55245.75, tax 7181.9475 → 7181.95
		{Quantity: 1, UnitPrice: 800_000, DiscountBP: 0, TaxRateBP: 600},       // 8000.00, tax 480.00
	}
	got, err := Sum(lines)
	if err != nil {
		t.Fatal(err)
	}
	want := Totals{Subtotal: 7_160_000 + 6_499_500 + 800_000, Net: 6_587_200 + 5_524_575 + 800_000, Tax: 856_336 + 718_195 + 48_000, MaxDiscountBP: 1500}
	want.Discount = want.Subtotal - want.Net
	want.Total = want.Net + want.Tax
	if got.Subtotal != want.Subtotal || got.Net != want.Net || got.Tax != want.Tax || got.Total != want.Total || got.Discount != want.Discount || got.MaxDiscountBP != 1500 {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if got.Total != 14_534_306 { // ¥145,343.06
		t.Fatalf("total %d", got.Total)
	}
	empty, err := Sum(nil)
	if err != nil || empty.Total != 0 || empty.MaxDiscountBP != 0 {
		t.Fatalf("empty: %+v %v", empty, err)
	}
}

// exact is the oracle: the amounts with big integers, rounding half up by
// comparing twice the remainder with the divisor.
func exact(l Line) LineAmounts {
	roundBP := func(a *big.Int, bp int64) *big.Int {
		p := new(big.Int).Mul(a, big.NewInt(bp))
		q, r := new(big.Int).QuoRem(p, big.NewInt(BP), new(big.Int))
		if new(big.Int).Mul(r, big.NewInt(2)).Cmp(big.NewInt(BP)) >= 0 {
			q.Add(q, big.NewInt(1))
		}
		return q
	}
	gross := new(big.Int).Mul(big.NewInt(l.Quantity), big.NewInt(l.UnitPrice))
	net := roundBP(gross, BP-l.DiscountBP)
	tax := roundBP(net, l.TaxRateBP)
	return LineAmounts{Gross: gross.Int64(), Net: net.Int64(), Tax: tax.Int64(), Total: net.Int64() + tax.Int64(), Discount: gross.Int64() - net.Int64()}
}

func randomLine(r *rand.Rand) Line {
	rates := []int64{1300, 900, 600, 300, 0}
	l := Line{Quantity: 1 + r.Int64N(5000), UnitPrice: r.Int64N(100_000_000), TaxRateBP: rates[r.IntN(len(rates))]}
	switch r.IntN(4) {
	case 0: // whole percentages
		l.DiscountBP = 100 * r.Int64N(101)
	case 1: // none
	default:
		l.DiscountBP = r.Int64N(BP + 1)
	}
	if r.IntN(10) == 0 { // large quantities of cheap material
		l.Quantity, l.UnitPrice = 1+r.Int64N(1_000_000_000), r.Int64N(10_000)
	}
	return l
}

// Properties over seeded random quotes: each line agrees with the exact
// half-up oracle; line totals add up to the total; net + tax = total;
// subtotal − discount = net; nothing depends on the order of the lines.
func TestSumProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(20261202, 4))
	for i := 0; i < 3000; i++ {
		lines := make([]Line, 1+r.IntN(25))
		for j := range lines {
			lines[j] = randomLine(r)
		}
		got, err := Sum(lines)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		var sumTotal, sumNet, sumTax, sumGross, maxD int64
		for j, l := range lines {
			a := got.Lines[j]
			if want := exact(l); a != want {
				t.Fatalf("case %d line %d %+v: got %+v, oracle %+v", i, j, l, a, want)
			}
			if a.Net+a.Tax != a.Total || a.Gross-a.Discount != a.Net {
				t.Fatalf("line identities: %+v", a)
			}
			sumTotal += a.Total
			sumNet += a.Net
			sumTax += a.Tax
			sumGross += a.Gross
			maxD = max(maxD, l.DiscountBP)
		}
		if got.Total != sumTotal || got.Net != sumNet || got.Tax != sumTax || got.Subtotal != sumGross || got.MaxDiscountBP != maxD {
			t.Fatalf("case %d: totals %+v, sums total %d net %d tax %d gross %d", i, got, sumTotal, sumNet, sumTax, sumGross)
		}
		if got.Net+got.Tax != got.Total || got.Subtotal-got.Discount != got.Net {
			t.Fatalf("case %d: identities %+v", i, got)
		}
		shuffled := append([]Line(nil), lines...)
		r.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
		again, err := Sum(shuffled)
		if err != nil {
			t.Fatal(err)
		}
		if again.Subtotal != got.Subtotal || again.Discount != got.Discount || again.Net != got.Net || again.Tax != got.Tax ||
			again.Total != got.Total || again.MaxDiscountBP != got.MaxDiscountBP {
			t.Fatalf("case %d: order changed the totals: %+v vs %+v", i, again, got)
		}
	}
}

// Half up, exactly at the half: every x.5 fen rounds up, every x.4999 down.
func TestHalfUpAtTheHalf(t *testing.T) {
	for gross := int64(1); gross < 400; gross += 2 { // odd fen at 50 % leave exactly half a fen
		a, err := Compute(Line{Quantity: 1, UnitPrice: gross, DiscountBP: 5000})
		if err != nil {
			t.Fatal(err)
		}
		if a.Net != gross/2+1 {
			t.Fatalf("%d fen at 50 %%: net %d, want %d", gross, a.Net, gross/2+1)
		}
	}
	// 0.5 fen of tax: net × rate / 10000 with a remainder of exactly 5000.
	for _, c := range []struct{ net, rate, tax int64 }{{50, 900, 5}, {150, 300, 5}, {250, 600, 15}, {2500, 1300, 325}, {1250, 1300, 163}} {
		a, err := Compute(Line{Quantity: 1, UnitPrice: c.net, TaxRateBP: c.rate})
		if err != nil {
			t.Fatal(err)
		}
		if a.Tax != c.tax {
			t.Fatalf("tax of %d at %d bp: %d, want %d", c.net, c.rate, a.Tax, c.tax)
		}
	}
}

func BenchmarkSum20(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	lines := make([]Line, 20)
	for i := range lines {
		lines[i] = randomLine(r)
	}
	for b.Loop() {
		if _, err := Sum(lines); err != nil {
			b.Fatal(err)
		}
	}
}
