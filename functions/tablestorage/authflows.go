package tablestorage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

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
type AuthFlowStore struct {
	c     *Client
	table *aztables.Client
}

var _ priceline.AuthFlowStore = (*AuthFlowStore)(nil)

// authFlowTableName is the flows table's name under c's table prefix.
func (c *Client) authFlowTableName() string { return c.table(authFlowsTable) }

// AuthFlows returns the B2C sign-in flow store.
func (c *Client) AuthFlows() *AuthFlowStore {
	return &AuthFlowStore{c: c, table: c.svc.NewClient(c.authFlowTableName())}
}

type authFlowRecord struct {
	State        string `json:"State"`
	Nonce        string `json:"Nonce"`
	PKCEVerifier string `json:"PKCEVerifier"`
	ReturnTo     string `json:"ReturnTo"`
	Policy       string `json:"Policy"`
	MaxAge       int32  `json:"MaxAgeSeconds"`
	Action       string `json:"Action"`
	UserID       string `json:"UserID"`
	CreatedAt    string `json:"CreatedAt"`
	ExpiresAt    string `json:"ExpiresAt"`
}

// validFlowID accepts only the shape priceline.NewToken(32) produces, so a
// forged cookie never reaches storage as a key.
func validFlowID(id string) bool { return priceline.IsLowerHex(id, 64) }

func authFlowKeys(id string) (pk, rk string) { return authFlowPartitionPrefix + id[:2], id }

func authFlowNotFound() error {
	return priceline.Errorf(priceline.KindNotFound, "auth_flow_not_found",
		"This sign-in attempt was not started here or has already been used. Please start again.")
}

func authFlowExpired() error {
	return priceline.Errorf(priceline.KindNotFound, "auth_flow_expired",
		"This sign-in attempt took too long. Please start again.")
}

// missingTable turns "the table does not exist" into an outage. Reported as
// not found it would tell the user their sign-in link was stale, and hide
// that EnsureTables never ran.
func missingTable(err error, name string) error {
	if hasErrorCode(err, aztables.TableNotFound) {
		return unavailable(fmt.Errorf("table %s is missing: %w", name, err))
	}
	return nil
}

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
	body, err := json.Marshal(e)
	if err != nil {
		return translate(err, "encode auth flow")
	}
	_, err = s.table.AddEntity(ctx, body, nil)
	if err := missingTable(err, s.c.authFlowTableName()); err != nil {
		return err
	}
	if isStatus(err, 409) {
		return priceline.Wrap(redactKeys(err), priceline.KindConflict, "auth_flow_exists", "This sign-in attempt already exists.")
	}
	if err != nil {
		return translate(err, "add auth flow")
	}
	return nil
}

// TakeFlow reads the flow and deletes it on the condition that it is still
// the version read. Of two callbacks racing on one flow, on one instance or
// two, only the one whose delete succeeds gets the flow; the other sees
// KindNotFound, exactly like a replay after the fact. An expired flow is
// deleted too and reported as KindNotFound "auth_flow_expired".
func (s *AuthFlowStore) TakeFlow(ctx context.Context, id string) (*priceline.AuthFlow, error) {
	if !validFlowID(id) {
		return nil, authFlowNotFound()
	}
	pk, rk := authFlowKeys(id)
	value, err := takeEntity(ctx, s.table, s.c.authFlowTableName(), pk, rk, "auth flow", authFlowNotFound)
	if err != nil {
		return nil, err
	}
	var rec authFlowRecord
	if err := json.Unmarshal(value, &rec); err != nil {
		return nil, translate(err, "decode auth flow")
	}
	f := &priceline.AuthFlow{
		ID: id, State: rec.State, Nonce: rec.Nonce, PKCEVerifier: rec.PKCEVerifier,
		ReturnTo: rec.ReturnTo, Policy: rec.Policy,
		MaxAge: time.Duration(rec.MaxAge) * time.Second, Action: rec.Action, UserID: rec.UserID,
	}
	if f.CreatedAt, err = parseTime(rec.CreatedAt); err != nil {
		return nil, translate(err, "decode auth flow time")
	}
	if f.ExpiresAt, err = parseTime(rec.ExpiresAt); err != nil {
		return nil, translate(err, "decode auth flow time")
	}
	if f.ExpiresAt.IsZero() || f.Expired(s.c.now()) {
		return nil, authFlowExpired()
	}
	return f, nil
}

// DeleteExpiredFlows removes flows whose ExpiresAt is at or before now and
// returns how many it removed. Flows that are never completed (the user
// closed the tab) are otherwise kept forever; expired ones are refused
// whether or not this has run.
func (s *AuthFlowStore) DeleteExpiredFlows(ctx context.Context, now time.Time) (int, error) {
	// Unconditional: an expired flow is dead whatever its version, and a
	// callback taking it at the same moment would refuse it anyway.
	return deleteListed(ctx, s.table, "ExpiresAt le "+odataDateTime(now), "auth flow")
}
