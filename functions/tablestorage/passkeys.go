package tablestorage

import (
	"context"
	"encoding/json"
	"sort"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"hospitalpriceline/functions/priceline"
)

// passkeysTable holds WebAuthn credentials:
//
//	passkeys: "cred"+h[:2] / h      → CredentialID, UserID, Name, PublicKey, AttestationType, AAGUID, Transports, SignCount, BackupEligible, BackupState, CreatedAt, LastUsedAt
//	passkeys: "user-"+userID / h    → (none: the user's list)
//
// h is the hex SHA-256 of the credential ID, which can be longer than a key
// may be. The credential entity is the authority: AddEntity on it is what
// makes a credential ID belong to one user, and a sign-in with a
// discoverable credential is one point read. The user's list entities only
// name credentials; a list entry whose credential entity is gone or belongs
// to someone else is skipped.
const passkeysTable = "passkeys"

// PasskeyStore keeps priceline.Passkeys.
type PasskeyStore struct{ store }

type passkeyRecord struct {
	CredentialID    string
	UserID          string
	Name            string
	PublicKey       []byte
	AttestationType string
	AAGUID          []byte
	Transports      string
	SignCount       int64
	BackupEligible  bool
	BackupState     bool
	CreatedAt       edmTime
	LastUsedAt      edmTime
}

var passkeyErrors = entityErrors{
	what: "passkey", notFound: priceline.PasskeyNotFound,
	exists:  priceline.PasskeyExists,
	changed: priceline.PasskeyChanged,
}

func credentialKeys(id string) (pk, rk string) {
	h := hashHex(id)
	return "cred" + h[:2], h
}

func userPasskeyPartition(userID string) string { return "user-" + userID }

// AddPasskey adds the credential entity (a conflict means the ID is taken)
// and then the user's list entry; if the second write fails the first is
// undone.
func (s *PasskeyStore) AddPasskey(ctx context.Context, p *priceline.Passkey) error {
	if err := priceline.ValidPasskey(p); err != nil {
		return err
	}
	pk, rk := credentialKeys(p.ID)
	e := entity{
		"PartitionKey": pk, "RowKey": rk, "CredentialID": p.ID, "UserID": p.UserID, "Name": p.Name,
		"PublicKey": p.PublicKey, "PublicKey@odata.type": "Edm.Binary",
		"AttestationType": p.AttestationType, "Transports": strings.Join(p.Transports, ","),
		"SignCount": int64(p.SignCount), "BackupEligible": p.BackupEligible, "BackupState": p.BackupState,
	}
	if len(p.AAGUID) > 0 {
		e["AAGUID"], e["AAGUID@odata.type"] = p.AAGUID, "Edm.Binary"
	}
	e.setTime("CreatedAt", p.CreatedAt)
	e.setTime("LastUsedAt", p.LastUsedAt)
	var version string
	if err := addEntity(ctx, s.t, passkeyErrors, e, &version); err != nil {
		return err
	}
	list, _ := json.Marshal(entity{"PartitionKey": userPasskeyPartition(p.UserID), "RowKey": rk})
	if _, err := s.t.UpsertEntity(ctx, list, nil); err != nil {
		// Undo, so that the credential does not work unlisted; if the undo
		// fails too, the error below still tells the user it was not added.
		_, _ = s.t.DeleteEntity(ctx, pk, rk, nil)
		return translate(err, "add passkey to user list")
	}
	p.Version = version
	return nil
}

func (s *PasskeyStore) read(ctx context.Context, pk, rk string) (*priceline.Passkey, error) {
	rec, etag, err := readEntity[passkeyRecord](ctx, s.t, passkeyErrors, pk, rk)
	if err != nil {
		return nil, err
	}
	p := &priceline.Passkey{
		ID: rec.CredentialID, UserID: rec.UserID, Name: rec.Name, PublicKey: rec.PublicKey,
		AttestationType: rec.AttestationType, AAGUID: rec.AAGUID, SignCount: uint32(rec.SignCount),
		BackupEligible: rec.BackupEligible, BackupState: rec.BackupState,
		CreatedAt: rec.CreatedAt.Time, LastUsedAt: rec.LastUsedAt.Time, Version: string(etag),
	}
	if rec.Transports != "" {
		p.Transports = strings.Split(rec.Transports, ",")
	}
	return p, nil
}

// PasskeyByID is a point read of the credential entity.
func (s *PasskeyStore) PasskeyByID(ctx context.Context, credentialID string) (*priceline.Passkey, error) {
	if credentialID == "" || len(credentialID) > 2048 {
		return nil, priceline.PasskeyNotFound.Err()
	}
	pk, rk := credentialKeys(credentialID)
	p, err := s.read(ctx, pk, rk)
	if err == nil && p.ID != credentialID {
		return nil, priceline.PasskeyNotFound.Err()
	}
	return p, err
}

// owned reads the credential when it is userID's; another user's, like a
// missing one, is not found.
func (s *PasskeyStore) owned(ctx context.Context, userID, credentialID string) (*priceline.Passkey, error) {
	if !validUserID(userID) {
		return nil, priceline.PasskeyNotFound.Err()
	}
	p, err := s.PasskeyByID(ctx, credentialID)
	if err != nil {
		return nil, err
	}
	if p.UserID != userID {
		return nil, priceline.PasskeyNotFound.Err()
	}
	return p, nil
}

// UserPasskeys reads the user's list, then each credential.
func (s *PasskeyStore) UserPasskeys(ctx context.Context, userID string) ([]*priceline.Passkey, error) {
	if !validUserID(userID) {
		return nil, nil
	}
	filter := "PartitionKey eq " + odataString(userPasskeyPartition(userID))
	sel := "RowKey"
	var out []*priceline.Passkey
	err := eachEntity(ctx, s.t.Client, &aztables.ListEntitiesOptions{Filter: &filter, Select: &sel},
		"list passkeys", "decode passkey key", func(k struct{ RowKey string }) error {
			if !priceline.IsLowerHex(k.RowKey, 64) {
				return nil
			}
			p, err := s.read(ctx, "cred"+k.RowKey[:2], k.RowKey)
			if priceline.IsNotFound(err) {
				return nil
			}
			if err != nil {
				return err
			}
			if p.UserID == userID {
				out = append(out, p)
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// UpdatePasskeyUse merges the use fields if the ETag still matches and the
// credential is p.UserID's. Another user's credential is not found, as in
// DeletePasskey: the ETag alone would let a caller that read someone else's
// passkey write to it. The owner read first cannot go stale unseen: a
// credential that changed hands has a new ETag, so the merge then fails.
func (s *PasskeyStore) UpdatePasskeyUse(ctx context.Context, p *priceline.Passkey) error {
	if p == nil {
		return priceline.PasskeyNotFound.Err()
	}
	if _, err := s.owned(ctx, p.UserID, p.ID); err != nil {
		return err
	}
	pk, rk := credentialKeys(p.ID)
	e := entity{"PartitionKey": pk, "RowKey": rk, "SignCount": int64(p.SignCount), "BackupState": p.BackupState}
	e.setTime("LastUsedAt", p.LastUsedAt)
	return mergeIf(ctx, s.t, passkeyErrors, e, "update passkey use", &p.Version)
}

// DeletePasskey deletes the credential entity if it is the user's, then the
// list entry.
func (s *PasskeyStore) DeletePasskey(ctx context.Context, userID, credentialID string) error {
	p, err := s.owned(ctx, userID, credentialID)
	if err != nil {
		return err
	}
	pk, rk := credentialKeys(credentialID)
	if err := deleteIf(ctx, s.t, passkeyErrors, pk, rk, azcore.ETag(p.Version), "delete passkey"); err != nil {
		return err
	}
	// The credential is gone, so it no longer signs in; a list entry left
	// behind by a failure here is skipped when listed.
	_, _ = s.t.DeleteEntity(ctx, userPasskeyPartition(userID), rk, nil)
	return nil
}

// DeleteUserPasskeys deletes each credential entity the user's list names
// that is the user's, then the list entries, stale ones included. The
// credential entities go first: they are what signs in.
func (s *PasskeyStore) DeleteUserPasskeys(ctx context.Context, userID string) error {
	if !validUserID(userID) {
		return nil
	}
	filter := "PartitionKey eq " + odataString(userPasskeyPartition(userID))
	sel := "RowKey"
	var rows []string
	err := eachEntity(ctx, s.t.Client, &aztables.ListEntitiesOptions{Filter: &filter, Select: &sel},
		"list passkeys to delete", "decode passkey key", func(k struct{ RowKey string }) error {
			rows = append(rows, k.RowKey)
			return nil
		})
	if err != nil {
		return err
	}
	for _, rk := range rows {
		if !priceline.IsLowerHex(rk, 64) {
			continue
		}
		p, err := s.read(ctx, "cred"+rk[:2], rk)
		if priceline.IsNotFound(err) {
			continue
		}
		if err != nil {
			return err
		}
		if p.UserID != userID {
			continue // a stale entry naming a credential now someone else's
		}
		if err := deleteEntity(ctx, s.t, "cred"+rk[:2], rk, "delete passkey"); err != nil {
			return err
		}
	}
	for _, rk := range rows {
		if err := deleteEntity(ctx, s.t, userPasskeyPartition(userID), rk, "delete passkey list entry"); err != nil {
			return err
		}
	}
	return nil
}
