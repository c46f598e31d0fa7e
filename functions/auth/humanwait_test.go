package auth

import (
	"testing"
	"time"
)

// A wait is never said shorter than it is: it rounds up to the unit.
func TestHumanWaitRoundsUp(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Second:                  "1 second",
		30 * time.Second:             "30 seconds",
		time.Minute:                  "1 minute",
		61 * time.Second:             "2 minutes",
		59*time.Minute + time.Second: "1 hour",
		90 * time.Minute:             "2 hours",
	} {
		if got := humanWait(d); got != want {
			t.Errorf("humanWait(%v) = %q, want %q", d, got, want)
		}
	}
}
