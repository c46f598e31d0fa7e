package auth

import (
	"context"
	"fmt"
	"time"
)

// sweep runs one of the clean-up timer's deletions (expired sessions,
// flows, challenges, account tokens, orphaned provider tokens) at the
// Service's clock, naming what in the error. The count is kept even on an
// error: the stores report what they deleted before they failed.
func (s *Service) sweep(ctx context.Context, what string, del func(context.Context, time.Time) (int, error)) (int, error) {
	n, err := del(ctx, s.now())
	if err != nil {
		return n, fmt.Errorf("%s: %w", what, err)
	}
	return n, nil
}
