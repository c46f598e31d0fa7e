package auth

import (
	"bytes"
	"context"
	"testing"
	"time"

	"hospitalpriceline/functions/memstore"
	"hospitalpriceline/functions/password"
	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/token"
)

// BenchmarkAuthenticate is the per-request cost of checking a session with
// the Table round trips taken out: the stores are in memory, so what is
// measured is the cookie's JWT verification, the record's checks and the
// bookkeeping around them (target: under 50 µs).
func BenchmarkAuthenticate(b *testing.B) {
	ctx := context.Background()
	keys := token.NewKeyring()
	if err := keys.Set([]priceline.SigningKey{{Version: "k1", Secret: bytes.Repeat([]byte{7}, 32), Enabled: true, Created: time.Now()}}); err != nil {
		b.Fatal(err)
	}
	svc := &Service{
		Users:    memstore.NewUsers(),
		Sessions: memstore.NewSessions(),
		Attempts: memstore.NewAttempts(),
		Hasher:   password.NewHasher(cheapParams, 4, time.Second),
		Policy:   password.DefaultPolicy(),
		Tokens:   &token.Codec{Keys: keys, Issuer: "https://bench.example", Audience: "priceline-bench"},
	}
	u, err := svc.Register(ctx, "bench@example.com", goodPassword, "Bench Mark")
	if err != nil {
		b.Fatal(err)
	}
	res, err := svc.StartSession(ctx, u, priceline.MethodPassword, Client{UserAgent: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := svc.Authenticate(ctx, res.Cookie); err != nil {
			b.Fatal(err)
		}
	}
}
