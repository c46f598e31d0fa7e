package pricing

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"hospitalpriceline/functions/priceline"
)

// Service answers every price question the site asks: hospitals,
// procedures, charge rows, comparisons and saved estimates. The JSON API and
// the HTML pages hold the same *Service, so a rule written here holds for
// both. A nil *Service, or one without a store, answers 503.
type Service struct {
	// Store keeps hospitals, charges and the procedures catalog; nil answers
	// 503 prices_unavailable.
	Store priceline.PriceStore
	// Saved keeps signed-in users' saved estimates; nil answers 503
	// saved_unavailable.
	Saved priceline.SavedStore
	// Now is the clock saved estimates are stamped with; nil is time.Now.
	Now func() time.Time
	// CursorKey returns the key that signs continuation cursors. Every
	// instance must get the same key (a per-process key would break paging
	// across instances), so cmd derives it from the session-signing key.
	// Nil, or an empty key, means a built-in key: cursors then still detect
	// accidental damage and reuse for another query, but could be forged —
	// which is harmless, since a cursor only says where a page starts.
	CursorKey func() []byte
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// store returns the price store, or the 503 that says prices are off.
func (s *Service) store() (priceline.PriceStore, error) {
	if s == nil || s.Store == nil {
		return nil, priceline.Errorf(priceline.KindUnavailable, "prices_unavailable", "Prices are not available right now.")
	}
	return s.Store, nil
}

// saved returns the saved-estimate store, or the 503 that says they are off.
func (s *Service) saved() (priceline.SavedStore, error) {
	if s == nil || s.Saved == nil {
		return nil, priceline.Errorf(priceline.KindUnavailable, "saved_unavailable", "Saved estimates are not available right now.")
	}
	return s.Saved, nil
}

// Hospitals lists the hospitals with imported prices, by name
// (case-insensitive), then ID.
func (s *Service) Hospitals(ctx context.Context) ([]priceline.Hospital, error) {
	st, err := s.store()
	if err != nil {
		return nil, err
	}
	hs, err := st.Hospitals(ctx)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(hs, func(a, b priceline.Hospital) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), cmp.Compare(a.ID, b.ID))
	})
	return hs, nil
}

// Procedures is the autocomplete: up to limit catalog entries whose code
// starts with q or whose description has words starting with q's words.
// A limit of 0 is DefaultProcedureLimit.
func (s *Service) Procedures(ctx context.Context, q string, limit int) ([]priceline.Procedure, error) {
	st, err := s.store()
	if err != nil {
		return nil, err
	}
	if limit, err = checkLimit(limit, DefaultProcedureLimit, MaxProcedureLimit); err != nil {
		return nil, err
	}
	if strings.TrimSpace(q) == "" {
		return nil, invalid("missing_query", "q is required: the start of a code, or words of a description.")
	}
	return st.Procedures(ctx, q, limit)
}

// ExactCode finds the one procedure of ps whose code is exactly q (as
// lookups compare codes), so that typing a code can go straight to its
// comparison. ok is false when none or several match.
func ExactCode(ps []priceline.Procedure, q string) (code priceline.Code, ok bool) {
	var found []priceline.Code
	for _, pr := range ps {
		c := priceline.Code{Code: pr.Code, Type: pr.CodeType}
		if priceline.NormalizeCode(c).Code == priceline.NormalizeCode(priceline.Code{Code: q, Type: pr.CodeType}).Code {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		return priceline.Code{}, false
	}
	return found[0], true
}

// hospitalNames maps hospital IDs to names for the rows of an answer.
func hospitalNames(ctx context.Context, st priceline.PriceStore) (map[string]string, error) {
	hs, err := st.Hospitals(ctx)
	if err != nil {
		return nil, err
	}
	return namesOf(hs), nil
}

// namesOf maps the IDs of hs to their names.
func namesOf(hs []priceline.Hospital) map[string]string {
	names := make(map[string]string, len(hs))
	for _, h := range hs {
		names[h.ID] = h.Name
	}
	return names
}

// MissingPayer is the refusal of a comparison with a plan but no payer: a
// plan name alone does not say whose plan it is.
var MissingPayer = priceline.Refusal{Kind: priceline.KindInvalid, Code: "missing_payer", Message: "plan needs a payer."}

// invalid builds a KindInvalid error.
func invalid(code, format string, args ...any) error {
	return priceline.Errorf(priceline.KindInvalid, code, format, args...)
}
