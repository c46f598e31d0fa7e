package pricing

import (
	"testing"

	"hospitalpriceline/functions/priceline"
)

// A radius that is not a number from 1 to 500 is refused, NaN included:
// NaN compares false both ways, so a plain "r < 1 || r > 500" let it in and
// every hospital with a ZIP then fell outside the radius.
func TestParseOriginRefusesRadiusOutsideBounds(t *testing.T) {
	for _, r := range []string{"0", "0.5", "501", "NaN", "nan", "-NaN", "Inf", "-Inf", "ten"} {
		_, _, err := ParseOrigin("90012", r)
		wantCode(t, "radiusMiles="+r, err, priceline.KindInvalid, "invalid_radius")
	}
	for _, r := range []string{"1", "500", "25.5"} {
		if _, ok, err := ParseOrigin("90012-1234", r); err != nil || !ok {
			t.Errorf("radiusMiles=%s with a ZIP+4 = %v, %v; want accepted", r, ok, err)
		}
	}
}
