package tablestorage

import (
	"context"
	"encoding/json"
	"errors"

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

// entityKey is the key of a listed entity, all a clean-up needs.
type entityKey struct{ PartitionKey, RowKey string }

// deleteListed deletes, unconditionally, every entity of table that filter
// selects and returns how many it deleted; one already gone counts as
// neither. It collects the keys first: deleting while paging could move
// continuation tokens. what names the entities in errors ("auth flow").
func deleteListed(ctx context.Context, table *aztables.Client, filter, what string) (int, error) {
	sel := "PartitionKey,RowKey"
	var keys []entityKey
	err := eachEntity(ctx, table, &aztables.ListEntitiesOptions{Filter: &filter, Select: &sel},
		"list expired "+what+"s", "decode "+what+" key", func(k entityKey) error {
			keys = append(keys, k)
			return nil
		})
	if err != nil {
		return 0, err
	}
	deleted := 0
	for _, k := range keys {
		_, err := table.DeleteEntity(ctx, k.PartitionKey, k.RowKey, nil)
		switch {
		case err == nil:
			deleted++
		case isStatus(err, 404):
		default:
			return deleted, translate(err, "delete expired "+what)
		}
	}
	return deleted, nil
}

// takeEntity reads an entity and deletes it on the condition that it is
// still the version read, so of racing takers only one gets it; the others,
// and a missing entity, get notFound(). A missing table is an outage
// (missingTable). what names the entity in errors ("challenge").
func takeEntity(ctx context.Context, table *aztables.Client, tableName, pk, rk, what string, notFound func() error) ([]byte, error) {
	resp, err := table.GetEntity(ctx, pk, rk, nil)
	if err := missingTable(err, tableName); err != nil {
		return nil, err
	}
	if isStatus(err, 404) {
		return nil, notFound()
	}
	if err != nil {
		return nil, translate(err, "read "+what)
	}
	etag := resp.ETag
	_, err = table.DeleteEntity(ctx, pk, rk, &aztables.DeleteEntityOptions{IfMatch: &etag})
	switch {
	case isStatus(err, 404) || isConflictStatus(err):
		return nil, notFound() // another request took it first
	case err != nil:
		return nil, translate(err, "delete "+what)
	}
	return resp.Value, nil
}
