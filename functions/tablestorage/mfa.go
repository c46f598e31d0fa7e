package tablestorage

import (
	"context"
	"encoding/json"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"hospitalpriceline/functions/priceline"
)

// mfaTable holds each user's second factors other than passkeys:
//
//	mfa: <userID> / "totp"        → Secret (Edm.Binary, sealed), Confirmed, LastStep (Edm.Int64), CreatedAt
//	mfa: <userID> / "rc-"+<hash>  → CreatedAt (one entity per unused recovery code)
//
// One partition per user keeps a user's recovery codes one query, and
// deleting a code's entity is what makes it single use.
const mfaTable = "mfa"

const (
	totpRowKey         = "totp"
	recoveryCodePrefix = "rc-"
)

// MFAStore keeps authenticator-app enrolments and recovery codes; it is a
// priceline.TOTPStore and a priceline.RecoveryCodeStore.
type MFAStore struct{ store }

type totpRecord struct {
	Secret    []byte
	Confirmed bool
	LastStep  string // Edm.Int64 travels as a string
	CreatedAt edmTime
}

var totpErrors = entityErrors{what: "totp", notFound: priceline.TOTPNotFound, changed: priceline.TOTPChanged}

// PutTOTP upserts the user's enrolment (replacing any other).
func (s *MFAStore) PutTOTP(ctx context.Context, e *priceline.TOTPEnrolment) error {
	if err := priceline.ValidTOTP(e); err != nil {
		return err
	}
	ent := entity{
		"PartitionKey": e.UserID, "RowKey": totpRowKey,
		"Secret": e.SealedSecret, "Secret@odata.type": "Edm.Binary",
		"Confirmed": e.Confirmed,
		"LastStep":  int64Text(e.LastStep), "LastStep@odata.type": "Edm.Int64",
	}
	ent.setTime("CreatedAt", e.CreatedAt)
	return upsertEntity(ctx, s.t, totpErrors, ent, &e.Version)
}

// TOTP is a point read.
func (s *MFAStore) TOTP(ctx context.Context, userID string) (*priceline.TOTPEnrolment, error) {
	if !validUserID(userID) {
		return nil, priceline.TOTPNotFound.Err()
	}
	rec, etag, err := readEntity[totpRecord](ctx, s.t, totpErrors, userID, totpRowKey)
	if err != nil {
		return nil, err
	}
	e := &priceline.TOTPEnrolment{UserID: userID, SealedSecret: rec.Secret, Confirmed: rec.Confirmed, CreatedAt: rec.CreatedAt.Time, Version: string(etag)}
	if e.LastStep, err = parseInt64(rec.LastStep); err != nil {
		return nil, translate(err, "decode totp step")
	}
	return e, nil
}

// UpdateTOTP merges Confirmed and LastStep if the ETag still matches.
func (s *MFAStore) UpdateTOTP(ctx context.Context, e *priceline.TOTPEnrolment) error {
	if e == nil || !validUserID(e.UserID) {
		return priceline.TOTPNotFound.Err()
	}
	if e.Version == "" {
		return priceline.TOTPChanged.Err()
	}
	return mergeIf(ctx, s.t, totpErrors, entity{
		"PartitionKey": e.UserID, "RowKey": totpRowKey, "Confirmed": e.Confirmed,
		"LastStep": int64Text(e.LastStep), "LastStep@odata.type": "Edm.Int64",
	}, "update totp", &e.Version)
}

// DeleteTOTP removes the enrolment; a missing one is fine.
func (s *MFAStore) DeleteTOTP(ctx context.Context, userID string) error {
	if !validUserID(userID) {
		return nil
	}
	return deleteEntity(ctx, s.t, userID, totpRowKey, "delete totp")
}

// recoveryRowKeys lists the row keys of the user's unused codes.
func (s *MFAStore) recoveryRowKeys(ctx context.Context, userID string) ([]string, error) {
	// Row keys "rc-" … "rc." cover exactly the prefix; the user ID was
	// checked to be hex before it reaches the filter.
	filter := "PartitionKey eq " + odataString(userID) + " and RowKey ge 'rc-' and RowKey lt 'rc.'"
	sel := "RowKey"
	var keys []string
	if err := eachEntity(ctx, s.t.Client, &aztables.ListEntitiesOptions{Filter: &filter, Select: &sel}, "list recovery codes", "decode recovery code key", func(k struct{ RowKey string }) error {
		keys = append(keys, k.RowKey)
		return nil
	}); err != nil {
		return nil, err
	}
	return keys, nil
}

// ReplaceRecoveryCodes deletes the user's codes and adds the new ones in one
// entity-group transaction (one partition, at most 100 operations), so the
// old set and the new never mix.
func (s *MFAStore) ReplaceRecoveryCodes(ctx context.Context, userID string, hashes []string, at time.Time) error {
	if err := priceline.ValidRecoveryCodes(userID, hashes); err != nil {
		return err
	}
	old, err := s.recoveryRowKeys(ctx, userID)
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, h := range hashes {
		keep[recoveryCodePrefix+h] = true
	}
	var actions []aztables.TransactionAction
	for _, rk := range old {
		if keep[rk] {
			continue
		}
		body, _ := json.Marshal(entity{"PartitionKey": userID, "RowKey": rk})
		actions = append(actions, aztables.TransactionAction{ActionType: aztables.TransactionTypeDelete, Entity: body})
	}
	for _, h := range hashes {
		e := entity{"PartitionKey": userID, "RowKey": recoveryCodePrefix + h}
		e.setTime("CreatedAt", at)
		body, err := json.Marshal(e)
		if err != nil {
			return translate(err, "encode recovery code")
		}
		actions = append(actions, aztables.TransactionAction{ActionType: aztables.TransactionTypeInsertReplace, Entity: body})
	}
	if len(actions) == 0 {
		return nil
	}
	if len(actions) > 100 {
		return priceline.Errorf(priceline.KindInvalid, "too_many_recovery_codes", "Too many recovery codes.")
	}
	if _, err := s.t.SubmitTransaction(ctx, actions, nil); err != nil {
		return translate(err, "replace recovery codes")
	}
	return nil
}

// UseRecoveryCode deletes the code's entity: only the request whose delete
// finds it succeeds.
func (s *MFAStore) UseRecoveryCode(ctx context.Context, userID, hash string) error {
	if !validUserID(userID) || !priceline.IsLowerHex(hash, 64) {
		return priceline.RecoveryCodeNotFound.Err()
	}
	_, err := s.t.DeleteEntity(ctx, userID, recoveryCodePrefix+hash, nil)
	if isStatus(err, 404) {
		return priceline.RecoveryCodeNotFound.Err()
	}
	if err != nil {
		return translate(err, "use recovery code")
	}
	return nil
}

// RecoveryCodesLeft counts the user's code entities.
func (s *MFAStore) RecoveryCodesLeft(ctx context.Context, userID string) (int, error) {
	if !validUserID(userID) {
		return 0, nil
	}
	keys, err := s.recoveryRowKeys(ctx, userID)
	return len(keys), err
}

// DeleteRecoveryCodes removes all the user's codes.
func (s *MFAStore) DeleteRecoveryCodes(ctx context.Context, userID string) error {
	if !validUserID(userID) {
		return nil
	}
	return s.ReplaceRecoveryCodes(ctx, userID, nil, time.Time{})
}
