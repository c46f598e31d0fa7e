package tablestorage

import (
	"context"
	"time"

	"hospitalpriceline/functions/priceline"
)

// authFlowsTable holds B2C sign-in attempts between the redirect to the
// provider and the callback:
//
//	authflows: "flow"+id[:2] / id → State, Nonce, PKCEVerifier, ReturnTo, Policy,
//	           MaxAgeSeconds, Action, UserID, CreatedAt, ExpiresAt
//
// The flow ID is 64 server-generated hex characters, so it is a safe key as
// is; its first byte spreads flows over 256 partitions.
const authFlowsTable = "authflows"

// authFlowPartitionPrefix starts every partition key of the flows table.
const authFlowPartitionPrefix = "flow"

// AuthFlowStore keeps priceline.AuthFlows in the authflows table. Any
// instance may receive the callback, so the flow lives in shared storage;
// TakeFlow's ETag-conditional delete makes it single use across instances.
type AuthFlowStore struct{ store }

type authFlowRecord struct {
	State        string
	Nonce        string
	PKCEVerifier string
	ReturnTo     string
	Policy       string
	MaxAge       int32 `json:"MaxAgeSeconds"`
	Action       string
	UserID       string
	CreatedAt    edmTime
	ExpiresAt    edmTime
}

// validFlowID accepts only the shape priceline.NewToken(32) produces, so a
// forged cookie never reaches storage as a key.
func validFlowID(id string) bool { return priceline.IsLowerHex(id, 64) }

func authFlowKeys(id string) (pk, rk string) { return authFlowPartitionPrefix + id[:2], id }

var authFlowErrors = entityErrors{what: "auth flow", notFound: priceline.AuthFlowNotFound, exists: priceline.AuthFlowExists}

// PutFlow stores f with AddEntity, so an existing flow with the same ID is a
// conflict and never overwritten.
func (s *AuthFlowStore) PutFlow(ctx context.Context, f *priceline.AuthFlow) error {
	if err := priceline.ValidAuthFlow(f); err != nil {
		return err
	}
	pk, rk := authFlowKeys(f.ID)
	e := entity{
		"PartitionKey": pk, "RowKey": rk,
		"State": f.State, "Nonce": f.Nonce, "PKCEVerifier": f.PKCEVerifier,
		"ReturnTo": f.ReturnTo, "Policy": f.Policy,
		"MaxAgeSeconds": int32(f.MaxAge / time.Second), "Action": f.Action, "UserID": f.UserID,
	}
	e.setTime("CreatedAt", f.CreatedAt)
	e.setTime("ExpiresAt", f.ExpiresAt)
	return addEntity(ctx, s.t, authFlowErrors, e, nil)
}

// TakeFlow reads the flow and deletes it on the condition that it is still
// the version read. Of two callbacks racing on one flow, on one instance or
// two, only the one whose delete succeeds gets the flow; the other sees
// KindNotFound, exactly like a replay after the fact. An expired flow is
// deleted too and reported as KindNotFound "auth_flow_expired".
func (s *AuthFlowStore) TakeFlow(ctx context.Context, id string) (*priceline.AuthFlow, error) {
	if !validFlowID(id) {
		return nil, priceline.AuthFlowNotFound.Err()
	}
	pk, rk := authFlowKeys(id)
	return takeLive(ctx, s.store, authFlowErrors, pk, rk, func(rec authFlowRecord) *priceline.AuthFlow {
		return &priceline.AuthFlow{
			ID: id, State: rec.State, Nonce: rec.Nonce, PKCEVerifier: rec.PKCEVerifier,
			ReturnTo: rec.ReturnTo, Policy: rec.Policy,
			MaxAge: time.Duration(rec.MaxAge) * time.Second, Action: rec.Action, UserID: rec.UserID,
			CreatedAt: rec.CreatedAt.Time, ExpiresAt: rec.ExpiresAt.Time,
		}
	}, (*priceline.AuthFlow).Expired, priceline.AuthFlowExpired.Err)
}

// DeleteExpiredFlows removes flows whose ExpiresAt is at or before now and
// returns how many it removed. Flows that are never completed (the user
// closed the tab) are otherwise kept forever; expired ones are refused
// whether or not this has run.
func (s *AuthFlowStore) DeleteExpiredFlows(ctx context.Context, now time.Time) (int, error) {
	// Unconditional: an expired flow is dead whatever its version, and a
	// callback taking it at the same moment would refuse it anyway.
	return deleteListed(ctx, s.t.Client, "ExpiresAt le "+odataDateTime(now), "auth flow", false)
}
