package web

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/token"
)

// keySource is a vault double for KeyHealth: it answers err, or one strong
// version when err is nil.
type keySource struct{ err error }

func (s *keySource) SigningKeys(context.Context, string) ([]priceline.SigningKey, error) {
	if s.err != nil {
		return nil, s.err
	}
	return []priceline.SigningKey{{Version: "v1", Secret: []byte(strings.Repeat("k", 32)), Enabled: true, Created: time.Now().Add(-time.Hour)}}, nil
}

func (s *keySource) Secret(context.Context, string) (string, error) { return "", s.err }

// KeyHealth says starting before the first refresh, unavailable while no
// key is loaded, unavailable again while the last refresh failed with
// cached keys in use, and ok otherwise.
func TestKeyHealthFollowsTheRefresher(t *testing.T) {
	ctx := context.Background()
	src := &keySource{err: errors.New("vault down")}
	keys := token.NewKeyring()
	ref := &token.Refresher{Keys: keys, Source: src, Name: "session-signing-key"}
	check := KeyHealth("signingKeys", "signing key", ref)
	if check.Name != "signingKeys" {
		t.Errorf("name = %q", check.Name)
	}
	if err := check.Check(ctx); !errors.Is(err, ErrStarting) {
		t.Errorf("before the first refresh = %v, want ErrStarting", err)
	}
	_ = ref.Refresh(ctx)
	if err := check.Check(ctx); err == nil || errors.Is(err, ErrStarting) || !strings.Contains(err.Error(), "no signing key loaded") {
		t.Errorf("after a failed first refresh = %v, want no signing key loaded", err)
	}
	src.err = nil
	if err := ref.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if err := check.Check(ctx); err != nil {
		t.Errorf("after a refresh = %v, want nil", err)
	}
	src.err = errors.New("vault down")
	_ = ref.Refresh(ctx)
	if err := check.Check(ctx); err == nil || !strings.Contains(err.Error(), "serving with cached keys") {
		t.Errorf("after a failed refresh with keys cached = %v, want the failure", err)
	}

	dev := token.NewKeyring()
	if err := dev.Set([]priceline.SigningKey{{Version: "dev", Secret: []byte(strings.Repeat("d", 32)), Enabled: true, Created: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	if err := DevKeyHealth("signingKeys", "signing key", dev).Check(ctx); err != nil {
		t.Errorf("a development key = %v, want nil", err)
	}
}
