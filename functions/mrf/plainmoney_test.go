package mrf

import (
	"math/big"
	"math/rand/v2"
	"testing"
)

// plainMoney's zero-allocation canonical form must be exactly the general
// path's: the same decimal, cents and sign for every plain literal.
func TestPlainMoneyMatchesTheGeneralPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	digits := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "0000123456789"[rng.IntN(13)]
		}
		return string(b)
	}
	cases := []string{"0", "00", "0.0", "00.50", ".5", "5.", "007", "120.50", "50.00", "-0", "-0.10", "1.005", "1.015", "1.0051"}
	for range 20000 {
		s := digits(rng.IntN(6))
		if rng.IntN(3) > 0 {
			s += "." + digits(rng.IntN(5))
		}
		if rng.IntN(10) == 0 {
			s = "-" + s
		}
		cases = append(cases, s)
	}
	for _, s := range cases {
		m, pos, ok, done := plainMoney(s)
		if !done {
			continue
		}
		r, good := new(big.Rat).SetString(s)
		if !good {
			if s == "." || s == "-." || s == "" || s == "-" {
				continue
			}
			t.Fatalf("%q: plain path accepted what big.Rat refuses", s)
		}
		cents := roundHalfEven(new(big.Rat).Mul(r, big.NewRat(100, 1)))
		want := canonicalDecimal(r, s)
		if !ok || m.Decimal != want || m.Cents != cents.Int64() || pos != (r.Sign() > 0) {
			t.Errorf("%q: plain = %q %d %v, general = %q %d %v", s, m.Decimal, m.Cents, pos, want, cents.Int64(), r.Sign() > 0)
		}
	}
}
