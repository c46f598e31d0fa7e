package tablestorage

import (
	"context"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"hospitalpriceline/functions/priceline"
)

// CloudEmailStore keeps priceline.CloudEmailStore in the users table, one
// row per (address, cloud account): PartitionKey = "cloudemail-" + the
// address's hash, RowKey = user ID, holding the address. The prefix keeps
// these rows apart from the local email index ("email-"), the subject index
// and the user records (bare IDs), so no row here can answer or block a
// sign-in lookup, and several accounts share a partition without conflict.
type CloudEmailStore struct{ store }

const cloudEmailPrefix = "cloudemail-"

// cloudEmailKey is the partition of an address's rows.
func cloudEmailKey(email string) string { return cloudEmailPrefix + hashHex(email) }

// PutCloudEmail upserts the (address, account) row.
func (s *CloudEmailStore) PutCloudEmail(ctx context.Context, email, userID string) error {
	if err := priceline.ValidCloudEmail(email, userID); err != nil {
		return err
	}
	e := entity{"PartitionKey": cloudEmailKey(email), "RowKey": userID, "Email": email}
	e.setTime("CreatedAt", s.c.now())
	return upsertEntity(ctx, s.t, entityErrors{what: "cloud email"}, e, nil)
}

// DeleteCloudEmail deletes the (address, account) row if there is one.
func (s *CloudEmailStore) DeleteCloudEmail(ctx context.Context, email, userID string) error {
	if email == "" || !validUserID(userID) {
		return nil
	}
	return deleteEntity(ctx, s.t, cloudEmailKey(email), userID, "delete cloud email")
}

// CloudEmailAccounts lists the address's partition. The filter holds only
// the hash-derived key, and each row's stored address is compared with the
// one asked about, so even a hash collision returns nobody else's account.
func (s *CloudEmailStore) CloudEmailAccounts(ctx context.Context, email string) ([]string, error) {
	out := []string{}
	if email == "" {
		return out, nil
	}
	filter := "PartitionKey eq " + odataString(cloudEmailKey(email))
	sel := "RowKey,Email"
	top := int32(priceline.MaxCloudEmailAccounts)
	type row struct {
		RowKey string
		Email  string
	}
	err := eachEntity(ctx, s.t.Client, &aztables.ListEntitiesOptions{Filter: &filter, Select: &sel, Top: &top},
		"list cloud emails", "decode cloud email", func(r row) error {
			if r.Email == email && validUserID(r.RowKey) {
				out = append(out, r.RowKey)
			}
			if len(out) >= priceline.MaxCloudEmailAccounts {
				return errStop
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}
