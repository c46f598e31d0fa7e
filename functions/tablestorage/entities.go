package tablestorage

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
)

// eachRaw pages through the entities of table that opts selects and passes
// each entity's JSON to f, so a listing is written once; list names the step
// in the error it wraps. f's error ends the walk and is returned as it is,
// except errStop, which ends it with no error.
func eachRaw(ctx context.Context, table *aztables.Client, opts *aztables.ListEntitiesOptions, list string, f func(raw []byte) error) error {
	pager := table.NewListEntitiesPager(opts)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return translate(err, list)
		}
		for _, raw := range page.Entities {
			if err := f(raw); err == errStop {
				return nil
			} else if err != nil {
				return err
			}
		}
	}
	return nil
}

// errStop, returned by a listing's f, ends the listing early without error.
var errStop = errors.New("stop listing")

// eachEntity is eachRaw with each entity decoded into a T; decode names
// that step in the error it wraps.
func eachEntity[T any](ctx context.Context, table *aztables.Client, opts *aztables.ListEntitiesOptions, list, decode string, f func(T) error) error {
	return eachRaw(ctx, table, opts, list, func(raw []byte) error {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return translate(err, decode)
		}
		return f(v)
	})
}

// entityKey is the key of a listed entity, all a clean-up needs, and the
// version listed, for a clean-up that must spare an entity changed since.
type entityKey struct {
	PartitionKey, RowKey string
	ETag                 string `json:"odata.etag"`
}

// listKeys collects the keys, and the version listed, of every entity of
// table that filter selects. It collects before anything is deleted:
// deleting while paging could move continuation tokens. what names the
// entities in errors ("auth flow").
func listKeys(ctx context.Context, table *aztables.Client, filter, what string) ([]entityKey, error) {
	sel := "PartitionKey,RowKey"
	var keys []entityKey
	err := eachEntity(ctx, table, &aztables.ListEntitiesOptions{Filter: &filter, Select: &sel},
		"list expired "+what+"s", "decode "+what+" key", func(k entityKey) error {
			keys = append(keys, k)
			return nil
		})
	return keys, err
}

// deleteListed deletes every entity of table that filter selects and
// returns how many it deleted; one already gone counts as neither. With
// ifListed each delete is conditional on the version listed (see
// deleteEach), for a sweep whose rows can be rewritten meanwhile.
func deleteListed(ctx context.Context, table *aztables.Client, filter, what string, ifListed bool) (int, error) {
	keys, err := listKeys(ctx, table, filter, what)
	if err != nil {
		return 0, err
	}
	return deleteEach(ctx, table, keys, ifListed, "delete expired "+what)
}

// deleteEach deletes the entities keys name and returns how many it
// deleted; one already gone counts as neither. With ifListed each delete is
// conditional on the version listed (a key without one is deleted
// unconditionally), and an entity changed since is spared and not counted.
// op names the delete in errors.
func deleteEach(ctx context.Context, table *aztables.Client, keys []entityKey, ifListed bool, op string) (int, error) {
	deleted := 0
	for _, k := range keys {
		var opts *aztables.DeleteEntityOptions
		if ifListed && k.ETag != "" {
			opts = &aztables.DeleteEntityOptions{IfMatch: ptr(azcore.ETag(k.ETag))}
		}
		_, err := table.DeleteEntity(ctx, k.PartitionKey, k.RowKey, opts)
		switch {
		case err == nil:
			deleted++
		case isStatus(err, 404) || (ifListed && isConflictStatus(err)):
		default:
			return deleted, translate(err, op)
		}
	}
	return deleted, nil
}

// batchSize is Table Storage's limit of operations per entity-group
// transaction.
const batchSize = 100

// deleteKeys deletes the entities rks of partition pk of table, batchSize
// per transaction, and returns the sum of the weights of those it deleted
// (weights[i] for rks[i]); one already gone counts as nothing. what names
// the entities in errors ("expired session").
//
// A transaction fails whole when one of its entities is gone (a sign-out
// racing the session sweep, a commit racing another commit's clean-up).
// The service reports that inside its 202 answer, which the SDK's error
// does not decode (or, from some services, as the batch's 404), so on
// those two the batch is deleted entity by entity, where each says whether
// it was there. Any other failure concerns the request as a whole (an
// outage, a refused or malformed request, an answer that cannot be read)
// and is returned: one by one would not cure it, and after a batch that did
// commit it would find every entity gone and count nothing.
func deleteKeys(ctx context.Context, table *aztables.Client, pk string, rks []string, weights []int, what string) (int, error) {
	deleted := 0
	for len(rks) > 0 {
		n := min(len(rks), batchSize)
		if n > 1 {
			actions := make([]aztables.TransactionAction, n)
			for i, rk := range rks[:n] {
				body, err := json.Marshal(entity{"PartitionKey": pk, "RowKey": rk})
				if err != nil {
					return deleted, translate(err, "encode "+what+" key")
				}
				actions[i] = aztables.TransactionAction{ActionType: aztables.TransactionTypeDelete, Entity: body, IfMatch: ptr(azcore.ETagAny)}
			}
			_, err := table.SubmitTransaction(ctx, actions, nil)
			if err == nil {
				for _, w := range weights[:n] {
					deleted += w
				}
				rks, weights = rks[n:], weights[n:]
				continue
			}
			if !isStatus(err, http.StatusAccepted) && !isStatus(err, http.StatusNotFound) {
				return deleted, translate(err, "delete "+what+"s")
			}
		}
		for i, rk := range rks[:n] {
			found, err := deleteEach(ctx, table, []entityKey{{PartitionKey: pk, RowKey: rk}}, false, "delete "+what)
			if err != nil {
				return deleted, err
			}
			deleted += found * weights[i]
		}
		rks, weights = rks[n:], weights[n:]
	}
	return deleted, nil
}

// unitWeights is n weights of 1, for deleteKeys to count entities.
func unitWeights(n int) []int {
	w := make([]int, n)
	for i := range w {
		w[i] = 1
	}
	return w
}
