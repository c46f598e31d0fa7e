package services

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"hospitalpriceline/functions/priceline"
)

func money(dec string, cents int64) priceline.Money {
	return priceline.Money{Decimal: dec, Cents: cents, Set: true}
}

func usd(cents int64) priceline.Money {
	return money(fmt.Sprintf("%d.%02d", cents/100, cents%100), cents)
}

func TestPlaceholder(t *testing.T) {
	for _, tc := range []struct {
		m    priceline.Money
		want bool
	}{
		{money("0", 0), true},
		{money("0.00", 0), true},
		{money("1", 100), true},
		{money("1.00", 100), true},
		{money("99999", 9999900), true},
		{money("9999999.99", 999999999), true},
		{money("999999999", 99999999900), true},
		{money("0.001", 0), false},
		{money("1.01", 101), false},
		{money("9999", 999900), false},
		{money("99998", 9999800), false},
		{money("99999.98", 9999998), false},
		{money("120.50", 12050), false},
		{priceline.Money{}, false},
	} {
		if _, got := Placeholder(tc.m); got != tc.want {
			t.Errorf("Placeholder(%q) = %v, want %v", tc.m.Decimal, got, tc.want)
		}
	}
}

func TestFlagRates(t *testing.T) {
	for _, tc := range []struct {
		name  string
		rates []priceline.Money
		want  []Flag
	}{
		{"none", nil, nil},
		{"placeholders", []priceline.Money{usd(0), usd(100), money("9999999", 999999900), usd(5000)}, []Flag{
			{0, "placeholder amount $0"}, {1, "placeholder amount $1"}, {2, "placeholder amount $9999999"}}},
		{"too few for the outlier rule", []priceline.Money{usd(100_00), usd(100_000_00)}, nil},
		{"high outlier", []priceline.Money{usd(100_00), usd(120_00), usd(110_00), usd(5000_00)}, []Flag{
			{3, "more than 10× the median ($115.00) of this hospital's 4 rates for the service"}}},
		{"low outlier", []priceline.Money{usd(100_00), usd(120_00), usd(110_00), usd(9_00)}, []Flag{
			{3, "less than 1/10 of the median ($105.00) of this hospital's 4 rates for the service"}}},
		{"exactly 10x is not an outlier", []priceline.Money{usd(100_00), usd(100_00), usd(1000_00)}, nil},
		{"just over 10x is", []priceline.Money{usd(100_00), usd(100_00), usd(1000_01)}, []Flag{
			{2, "more than 10× the median ($100.00) of this hospital's 3 rates for the service"}}},
		{"exactly a tenth is not", []priceline.Money{usd(100_00), usd(100_00), usd(10_00)}, nil},
		{"half-cent median", []priceline.Money{usd(1), usd(3), usd(1000), usd(1000)}, []Flag{
			{0, "less than 1/10 of the median ($5.015) of this hospital's 4 rates for the service"},
			{1, "less than 1/10 of the median ($5.015) of this hospital's 4 rates for the service"}}},
		{"placeholders leave the median", []priceline.Money{usd(0), usd(100_00), usd(110_00), usd(120_00)}, []Flag{
			{0, "placeholder amount $0"}}},
		{"unset amounts ignored", []priceline.Money{{}, usd(100_00), {}, usd(100_00), usd(100_00)}, nil},
	} {
		if diff := cmp.Diff(tc.want, FlagRates(tc.rates)); diff != "" {
			t.Errorf("%s: mismatch (-want, +got):\n%s", tc.name, diff)
		}
	}
}
