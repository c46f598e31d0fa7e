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
