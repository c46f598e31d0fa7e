package tablestorage

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"hospitalpriceline/functions/priceline"
)

// SavedStore keeps saved estimates, one partition per user. Each estimate
// occupies one of MaxSavedEstimates numbered slots (row keys "s00" …), and a
// save inserts into a free slot with an insert that fails if the slot is
// taken, so concurrent saves can never exceed the limit.
type SavedStore struct {
	t *aztables.Client
}

// Saved returns the saved-estimates store (its table is created by
// EnsureTables).
func (c *Client) Saved() *SavedStore {
	return &SavedStore{t: c.svc.NewClient(c.priceTableNames()[4])}
}

type savedEntity struct {
	PartitionKey string
	RowKey       string
	ID           string
	Code         string
	CodeType     string
	ServiceID    string // "" for an estimate of a code
	HospitalID   string
	Payer        string
	Plan         string
	Label        string
	CreatedAt    string
	Benefits     string // JSON of priceline.PlanBenefits; "" when none
	ETag         string `json:"odata.etag"`
	// NoDescriptionMatches is written only when true, so an entity saved
	// before it existed reads as false, the comparison's default.
	NoDescriptionMatches bool
}

// planRowKey is the row of the user's plan details in their partition:
// outside the slot keys ("s00" …), which list reads alone.
const planRowKey = "plan"

func slotKey(i int) string { return fmt.Sprintf("s%02d", i) }

func (s *SavedStore) list(ctx context.Context, userID string) ([]savedEntity, error) {
	filter := "PartitionKey eq " + odataString(userID) + " and RowKey ge 's' and RowKey lt 't'"
	var out []savedEntity
	if err := eachEntity(ctx, s.t, &aztables.ListEntitiesOptions{Filter: &filter}, "list saved estimates", "decode saved estimate", func(e savedEntity) error {
		out = append(out, e)
		return nil
	}); err != nil {
		return nil, err
	}
	return out, nil
}

// SaveEstimate inserts e into the first free slot, retrying the next free
// one when a concurrent save took it.
func (s *SavedStore) SaveEstimate(ctx context.Context, e *priceline.SavedEstimate) error {
	if err := priceline.ValidSavedEstimate(e); err != nil {
		return err
	}
	for attempt := 0; attempt < 3; attempt++ {
		existing, err := s.list(ctx, e.UserID)
		if err != nil {
			return err
		}
		taken := map[string]bool{}
		for _, x := range existing {
			taken[x.RowKey] = true
		}
		for i := range priceline.MaxSavedEstimates {
			if taken[slotKey(i)] {
				continue
			}
			ent := entity{"PartitionKey": e.UserID, "RowKey": slotKey(i), "ID": e.ID, "Code": e.Code, "CodeType": e.CodeType,
				"HospitalID": e.HospitalID, "Payer": e.Payer, "Plan": e.Plan, "Label": e.Label}
			if e.ServiceID != "" {
				ent["ServiceID"] = e.ServiceID
			}
			if e.NoDescriptionMatches {
				ent["NoDescriptionMatches"] = true
			}
			ent.setTime("CreatedAt", e.CreatedAt)
			if !e.Benefits.IsZero() {
				b, _ := json.Marshal(e.Benefits)
				ent["Benefits"] = string(b)
			}
			body, err := json.Marshal(ent)
			if err != nil {
				return translate(err, "encode saved estimate")
			}
			_, err = s.t.AddEntity(ctx, body, nil)
			if err == nil {
				return nil
			}
			if !isConflictStatus(err) {
				return translate(err, "save estimate")
			}
			// Taken meanwhile by a concurrent save: try the next slot.
			taken[slotKey(i)] = true
		}
	}
	return priceline.SavedLimit.Err()
}

// SavedEstimates lists the user's estimates, oldest first.
func (s *SavedStore) SavedEstimates(ctx context.Context, userID string) ([]priceline.SavedEstimate, error) {
	if !validUserID(userID) {
		return nil, nil
	}
	es, err := s.list(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]priceline.SavedEstimate, 0, len(es))
	for _, e := range es {
		created, _ := parseTime(e.CreatedAt)
		se := priceline.SavedEstimate{ID: e.ID, UserID: userID, Code: e.Code, CodeType: e.CodeType, ServiceID: e.ServiceID,
			HospitalID: e.HospitalID, Payer: e.Payer, Plan: e.Plan, Label: e.Label, CreatedAt: created, NoDescriptionMatches: e.NoDescriptionMatches}
		if e.Benefits != "" {
			_ = json.Unmarshal([]byte(e.Benefits), &se.Benefits)
		}
		out = append(out, se)
	}
	slices.SortStableFunc(out, func(a, b priceline.SavedEstimate) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

// DeleteSavedEstimate finds the estimate by ID in the user's partition (at
// most MaxSavedEstimates entities) and deletes its slot.
func (s *SavedStore) DeleteSavedEstimate(ctx context.Context, userID, id string) error {
	notFound := priceline.SavedNotFound.Err()
	if !validUserID(userID) || !priceline.IsLowerHex(id, 32) {
		return notFound
	}
	es, err := s.list(ctx, userID)
	if err != nil {
		return err
	}
	for _, e := range es {
		if e.ID != id {
			continue
		}
		return s.deleteSlot(ctx, e, notFound)
	}
	return notFound
}

// deleteSlot deletes the listed estimate e only if its slot still holds
// that version: slots are reused, so an unconditional delete racing a save
// could remove the new estimate that took the slot after a concurrent delete
// freed it.
func (s *SavedStore) deleteSlot(ctx context.Context, e savedEntity, notFound error) error {
	_, err := s.t.DeleteEntity(ctx, e.PartitionKey, e.RowKey, &aztables.DeleteEntityOptions{IfMatch: ptr(azcore.ETag(e.ETag))})
	if err != nil && (isStatus(err, 404) || isStatus(err, 412)) {
		return notFound
	}
	if err != nil {
		return translate(err, "delete saved estimate")
	}
	return nil
}

// planEntity is a user's plan details as stored.
type planEntity struct {
	PartitionKey        string
	RowKey              string
	DeductibleRemaining string
	CoinsurancePercent  string
	Copay               string
	OOPMaxRemaining     string
}

// PlanBenefits reads the user's plan details, zero when none.
func (s *SavedStore) PlanBenefits(ctx context.Context, userID string) (priceline.PlanBenefits, error) {
	if !validUserID(userID) {
		return priceline.PlanBenefits{}, nil
	}
	resp, err := s.t.GetEntity(ctx, userID, planRowKey, nil)
	if err != nil {
		if isStatus(err, 404) && !hasErrorCode(err, aztables.TableNotFound) {
			return priceline.PlanBenefits{}, nil
		}
		return priceline.PlanBenefits{}, translate(err, "read plan details")
	}
	var e planEntity
	if err := json.Unmarshal(resp.Value, &e); err != nil {
		return priceline.PlanBenefits{}, translate(err, "decode plan details")
	}
	return priceline.PlanBenefits{DeductibleRemaining: e.DeductibleRemaining, CoinsurancePercent: e.CoinsurancePercent,
		Copay: e.Copay, OOPMaxRemaining: e.OOPMaxRemaining}, nil
}

// PutPlanBenefits writes the user's plan details in one upsert; zero b
// deletes them.
func (s *SavedStore) PutPlanBenefits(ctx context.Context, userID string, b priceline.PlanBenefits) error {
	if err := priceline.ValidPlanBenefits(userID, b); err != nil {
		return err
	}
	if b.IsZero() {
		if _, err := s.t.DeleteEntity(ctx, userID, planRowKey, nil); err != nil && !(isStatus(err, 404) && !hasErrorCode(err, aztables.TableNotFound)) {
			return translate(err, "delete plan details")
		}
		return nil
	}
	body, err := json.Marshal(planEntity{PartitionKey: userID, RowKey: planRowKey, DeductibleRemaining: b.DeductibleRemaining,
		CoinsurancePercent: b.CoinsurancePercent, Copay: b.Copay, OOPMaxRemaining: b.OOPMaxRemaining})
	if err != nil {
		return translate(err, "encode plan details")
	}
	if _, err := s.t.UpsertEntity(ctx, body, &aztables.UpsertEntityOptions{UpdateMode: aztables.UpdateModeReplace}); err != nil {
		return translate(err, "save plan details")
	}
	return nil
}

// DeleteUserData deletes every entity of the user's partition: the saved
// estimates and the plan details.
func (s *SavedStore) DeleteUserData(ctx context.Context, userID string) error {
	if !validUserID(userID) {
		return nil
	}
	filter := "PartitionKey eq " + odataString(userID)
	sel := "PartitionKey,RowKey"
	return eachEntity(ctx, s.t, &aztables.ListEntitiesOptions{Filter: &filter, Select: &sel}, "list user data", "decode user data", func(e entityKey) error {
		if _, err := s.t.DeleteEntity(ctx, e.PartitionKey, e.RowKey, nil); err != nil && !isStatus(err, 404) {
			return translate(err, "delete user data")
		}
		return nil
	})
}
