package tablestorage

import (
	"testing"

	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/priceline/pricelinetest"
)

func TestOutboxStoreContract(t *testing.T) {
	pricelinetest.TestOutboxStore(t, func(t *testing.T) priceline.OutboxStore { return newTestClient(t).Outbox() })
}
