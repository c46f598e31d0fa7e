package priceline

import (
	"testing"
	"time"
)

// A lifetime is stated exactly, in the largest unit that does so: never
// rounded up to a longer span than the link really has.
func TestLifetimeText(t *testing.T) {
	for d, want := range map[time.Duration]string{
		AccountTokenLifetime: "30 minutes",
		VerifyTokenLifetime:  "24 hours",
		time.Hour:            "1 hour",
		90 * time.Minute:     "90 minutes",
		time.Minute:          "1 minute",
		45 * time.Second:     "45 seconds",
		time.Second:          "1 second",
	} {
		if got := LifetimeText(d); got != want {
			t.Errorf("LifetimeText(%v) = %q, want %q", d, got, want)
		}
	}
}
