package tablestorage

import (
	"testing"

	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/priceline/pricelinetest"
)

func TestUserStoreContract(t *testing.T) {
	pricelinetest.TestUserStore(t, func(t *testing.T) priceline.UserStore { return newTestClient(t).Users() })
}

func TestSessionStoreContract(t *testing.T) {
	pricelinetest.TestSessionStore(t, func(t *testing.T) priceline.SessionStore { return newTestClient(t).Sessions() })
}

func TestAttemptStoreContract(t *testing.T) {
	pricelinetest.TestAttemptStore(t, func(t *testing.T) priceline.AttemptStore { return newTestClient(t).Attempts() })
}

func TestAuthFlowStoreContract(t *testing.T) {
	pricelinetest.TestAuthFlowStore(t, func(t *testing.T) priceline.AuthFlowStore { return newTestClient(t).AuthFlows() })
}

func TestTokenCacheStoreContract(t *testing.T) {
	pricelinetest.TestTokenCacheStore(t, func(t *testing.T, clock *pricelinetest.Clock) (priceline.TokenCacheStore, priceline.SessionStore) {
		c := newTestClient(t)
		c.now = clock.Now
		return c.TokenCaches(), c.Sessions()
	})
}

func TestPriceStoreContract(t *testing.T) {
	pricelinetest.TestPriceStore(t, func(t *testing.T) priceline.PriceStore { return newTestClient(t).Prices() })
}

func TestSavedStoreContract(t *testing.T) {
	pricelinetest.TestSavedStore(t, func(t *testing.T) priceline.SavedStore { return newTestClient(t).Saved() })
}

func TestServiceIndexContract(t *testing.T) {
	pricelinetest.TestServiceIndex(t, func(t *testing.T) pricelinetest.IndexedPriceStore { return newTestClient(t).Prices() })
}

func TestAccountTokenStoreContract(t *testing.T) {
	pricelinetest.TestAccountTokenStore(t, func(t *testing.T) priceline.AccountTokenStore { return newTestClient(t).AccountTokens() })
}

func TestTOTPStoreContract(t *testing.T) {
	pricelinetest.TestTOTPStore(t, func(t *testing.T) priceline.TOTPStore { return newTestClient(t).MFA() })
}

func TestRecoveryCodeStoreContract(t *testing.T) {
	pricelinetest.TestRecoveryCodeStore(t, func(t *testing.T) priceline.RecoveryCodeStore { return newTestClient(t).MFA() })
}

func TestPasskeyStoreContract(t *testing.T) {
	pricelinetest.TestPasskeyStore(t, func(t *testing.T) priceline.PasskeyStore { return newTestClient(t).Passkeys() })
}

func TestChallengeStoreContract(t *testing.T) {
	pricelinetest.TestChallengeStore(t, func(t *testing.T) priceline.ChallengeStore { return newTestClient(t).Challenges() })
}

func TestCloudEmailStoreContract(t *testing.T) {
	pricelinetest.TestCloudEmailStore(t, func(t *testing.T) priceline.CloudEmailStore { return newTestClient(t).CloudEmails() })
}
