package memstore

import (
	"testing"

	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/priceline/pricelinetest"
)

func TestUserStoreContract(t *testing.T) {
	pricelinetest.TestUserStore(t, func(t *testing.T) priceline.UserStore { return NewUsers() })
}

func TestSessionStoreContract(t *testing.T) {
	pricelinetest.TestSessionStore(t, func(t *testing.T) priceline.SessionStore { return NewSessions() })
}

func TestAttemptStoreContract(t *testing.T) {
	pricelinetest.TestAttemptStore(t, func(t *testing.T) priceline.AttemptStore { return NewAttempts() })
}

func TestAuthFlowStoreContract(t *testing.T) {
	pricelinetest.TestAuthFlowStore(t, func(t *testing.T) priceline.AuthFlowStore { return NewAuthFlows() })
}

func TestTokenCacheStoreContract(t *testing.T) {
	pricelinetest.TestTokenCacheStore(t, func(t *testing.T, clock *pricelinetest.Clock) (priceline.TokenCacheStore, priceline.SessionStore) {
		sessions := NewSessions()
		return &TokenCaches{Now: clock.Now, Sessions: sessions}, sessions
	})
}

func TestPriceStoreContract(t *testing.T) {
	pricelinetest.TestPriceStore(t, func(t *testing.T) priceline.PriceStore { return NewPrices() })
}

func TestSavedStoreContract(t *testing.T) {
	pricelinetest.TestSavedStore(t, func(t *testing.T) priceline.SavedStore { return NewSaved() })
}

func TestServiceIndexContract(t *testing.T) {
	pricelinetest.TestServiceIndex(t, func(t *testing.T) pricelinetest.IndexedPriceStore { return NewPrices() })
}

func TestAccountTokenStoreContract(t *testing.T) {
	pricelinetest.TestAccountTokenStore(t, func(t *testing.T) priceline.AccountTokenStore { return NewAccountTokens() })
}

func TestOutboxStoreContract(t *testing.T) {
	pricelinetest.TestOutboxStore(t, func(t *testing.T) priceline.OutboxStore { return NewOutbox() })
}

func TestTOTPStoreContract(t *testing.T) {
	pricelinetest.TestTOTPStore(t, func(t *testing.T) priceline.TOTPStore { return NewMFA() })
}

func TestRecoveryCodeStoreContract(t *testing.T) {
	pricelinetest.TestRecoveryCodeStore(t, func(t *testing.T) priceline.RecoveryCodeStore { return NewMFA() })
}

func TestPasskeyStoreContract(t *testing.T) {
	pricelinetest.TestPasskeyStore(t, func(t *testing.T) priceline.PasskeyStore { return NewPasskeys() })
}

func TestChallengeStoreContract(t *testing.T) {
	pricelinetest.TestChallengeStore(t, func(t *testing.T) priceline.ChallengeStore { return NewChallenges() })
}

func TestCloudEmailStoreContract(t *testing.T) {
	pricelinetest.TestCloudEmailStore(t, func(t *testing.T) priceline.CloudEmailStore { return NewCloudEmails() })
}
