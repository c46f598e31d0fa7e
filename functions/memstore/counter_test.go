package memstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"hospitalpriceline/functions/priceline"
)

// Calls counts every call, Succeeded only those that returned no error,
// whether the store or the Fail hook refused the others.
func TestCallsAndSucceeded(t *testing.T) {
	ctx := context.Background()
	s := NewSessions()
	sess := &priceline.Session{Key: priceline.SessionKey(priceline.NewSessionID()), UserID: priceline.NewUserID(),
		Method: priceline.MethodPassword, IdleExpiresAt: time.Now().Add(time.Hour), ExpiresAt: time.Now().Add(time.Hour)}
	if err := s.CreateSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSession(ctx, sess); priceline.ErrorKind(err) != priceline.KindConflict {
		t.Fatalf("second CreateSession = %v, want a conflict", err)
	}
	down := errors.New("down")
	s.Fail = FailOn(down, "CreateSession")
	if err := s.CreateSession(ctx, sess); !errors.Is(err, down) {
		t.Fatalf("CreateSession with the hook = %v, want %v", err, down)
	}
	if _, err := s.Session(ctx, sess.UserID, sess.Key); err != nil {
		t.Fatalf("Session, not named by the hook: %v", err)
	}
	if c, ok := s.Calls("CreateSession"), s.Succeeded("CreateSession"); c != 3 || ok != 1 {
		t.Errorf("CreateSession calls = %d, succeeded = %d; want 3 and 1", c, ok)
	}
	if c, ok := s.Calls("Session"), s.Succeeded("Session"); c != 1 || ok != 1 {
		t.Errorf("Session calls = %d, succeeded = %d; want 1 and 1", c, ok)
	}
	if n := s.Calls("TouchSession"); n != 0 {
		t.Errorf("TouchSession calls = %d, want 0", n)
	}
}

// FailOn without method names fails every method.
func TestFailOnEveryMethod(t *testing.T) {
	down := errors.New("down")
	f := NewAuthFlows()
	f.Fail = FailOn(down)
	if err := f.PutFlow(context.Background(), nil); !errors.Is(err, down) {
		t.Errorf("PutFlow = %v, want %v", err, down)
	}
	if _, err := f.DeleteExpiredFlows(context.Background(), time.Now()); !errors.Is(err, down) {
		t.Errorf("DeleteExpiredFlows = %v, want %v", err, down)
	}
	if f.Len() != 0 || f.Calls("PutFlow") != 1 || f.Succeeded("PutFlow") != 0 {
		t.Errorf("Len %d, PutFlow calls %d, succeeded %d; want 0, 1, 0", f.Len(), f.Calls("PutFlow"), f.Succeeded("PutFlow"))
	}
}
