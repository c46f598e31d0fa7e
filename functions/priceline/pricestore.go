package priceline

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxChargeBatch is the most charges PutCharges accepts in one call: the
// entity limit of one Table Storage batch transaction, so that one call is
// one atomic write.
const MaxChargeBatch = 100

// Procedure is one entry of the procedures catalog: a billing code and how a
// hospital described it.
type Procedure struct {
	Code        string // as the file writes it
	CodeType    string // CPT, HCPCS, MS-DRG, RC, ...
	Description string
}

// PriceStore keeps hospitals, their charges by procedure and the procedures
// catalog. Imports are generational: the rows of one file are written under
// a generation, and become visible all at once when CommitImport makes that
// generation the hospital's current one, so readers never see a mix of two
// files.
type PriceStore interface {
	// BeginImport records that a file of h is about to be imported as
	// generation gen. It fails with KindConflict/"older_file" when the store
	// already holds a file of h with a later LastUpdatedOn, and writes
	// nothing then.
	BeginImport(ctx context.Context, h Hospital, gen string) error
	// PrepareCharges declares that charges filed under codes will be
	// written under gen, so that CommitImport can find them later. Calling it
	// first is optional (PutCharges declares an undeclared code itself) but
	// lets a store record many codes in a few writes.
	PrepareCharges(ctx context.Context, hospitalID, gen string, codes []Code) error
	// PutCharges writes charges of hospitalID under generation gen, filed
	// under code. At most MaxChargeBatch charges; writing the same charges
	// again changes nothing.
	PutCharges(ctx context.Context, hospitalID, gen string, code Code, charges []Charge) error
	// PutProcedures adds entries to the procedures catalog (upsert).
	PutProcedures(ctx context.Context, ps []Procedure) error
	// CommitImport makes gen the current generation of h (storing h's
	// details) and deletes the rows of every other generation. It returns
	// how many stale rows it deleted.
	CommitImport(ctx context.Context, h Hospital, gen string) (deleted int, err error)
	// Hospitals lists the hospitals that have a committed import.
	Hospitals(ctx context.Context) ([]Hospital, error)
	// Procedures finds up to limit catalog entries whose normalised code
	// starts with q, or whose description has words starting with each word
	// of q.
	Procedures(ctx context.Context, q string, limit int) ([]Procedure, error)
	// ChargesFor returns the current charges of every hospital filed under
	// code, in no particular order.
	ChargesFor(ctx context.Context, code Code) ([]Charge, error)
	// CompareRows returns the same rows as ChargesFor with only the fields
	// Compare reads set (HospitalID, Gross, DiscountedCash, Min, Max, Payer,
	// Plan, NegotiatedDollar, NegotiatedPercentage, NegotiatedAlgorithm,
	// Methodology), so that a store can read less for a comparison.
	CompareRows(ctx context.Context, code Code) ([]Charge, error)
}

// NormalizeCode returns the form of a code that lookups compare: code type
// upper-cased, code trimmed and upper-cased, and revenue codes (RC) without
// leading zeros, so that "0450" and "450" are the same revenue code. Stored
// charges keep the code as the file wrote it.
func NormalizeCode(c Code) Code {
	n := Code{Type: strings.ToUpper(strings.TrimSpace(c.Type)), Code: strings.ToUpper(strings.TrimSpace(c.Code))}
	if n.Type == "RC" {
		n.Code = strings.TrimLeft(n.Code, "0")
		if n.Code == "" && c.Code != "" {
			n.Code = "0"
		}
	}
	return n
}

// SearchWords splits text into the lower-cased words the catalog indexes and
// searches: runs of letters and digits of at least two characters.
func SearchWords(text string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if len([]rune(w)) >= 2 && !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

// PriceQuery selects and orders charge rows of one procedure. Empty fields
// do not filter.
type PriceQuery struct {
	Words      []string // every word must start a word of the description (see SearchWords)
	Payer      string   // case-insensitive equality with the payer name
	Plan       string   // case-insensitive equality with the plan name
	Setting    string   // inpatient, outpatient or both (case-insensitive)
	HospitalID string
}

// Match reports whether c passes every filter of q.
func (q PriceQuery) Match(c *Charge) bool {
	if q.HospitalID != "" && c.HospitalID != q.HospitalID {
		return false
	}
	if q.Payer != "" && !sameFold(c.Payer, q.Payer) {
		return false
	}
	if q.Plan != "" && !sameFold(c.Plan, q.Plan) {
		return false
	}
	if q.Setting != "" && !sameFold(c.Setting, q.Setting) {
		return false
	}
	if len(q.Words) > 0 {
		have := SearchWords(c.Description)
		for _, w := range q.Words {
			if !slices.ContainsFunc(have, func(h string) bool { return strings.HasPrefix(h, w) }) {
				return false
			}
		}
	}
	return true
}

// sameFold compares names ignoring case and surrounding or repeated spaces,
// which is how files differ in spelling the same payer.
func sameFold(a, b string) bool {
	return strings.EqualFold(strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " "))
}

// Sort orders for charge rows. A leading "-" on the money orders reverses
// them; rows without the amount always come last.
var SortOrders = []string{"hospital", "gross", "-gross", "cash", "-cash", "negotiated", "-negotiated"}

// ChargeOrder returns the comparison of order (one of SortOrders; ""
// means "hospital"), with ties broken so that the order is total and stable
// across requests. hospitalName names each hospital ID.
func ChargeOrder(order string, hospitalName func(id string) string) func(a, b *Charge) int {
	money := func(c *Charge) *Money { return nil }
	desc := strings.HasPrefix(order, "-")
	switch strings.TrimPrefix(order, "-") {
	case "gross":
		money = func(c *Charge) *Money { return &c.Gross }
	case "cash":
		money = func(c *Charge) *Money { return &c.DiscountedCash }
	case "negotiated":
		money = func(c *Charge) *Money { return &c.NegotiatedDollar }
	}
	return func(a, b *Charge) int {
		if ma, mb := money(a), money(b); ma != nil {
			switch {
			case ma.Set && !mb.Set:
				return -1
			case !ma.Set && mb.Set:
				return 1
			case ma.Set && mb.Set && ma.Cents != mb.Cents:
				if desc {
					return cmp.Compare(mb.Cents, ma.Cents)
				}
				return cmp.Compare(ma.Cents, mb.Cents)
			}
		}
		return cmp.Or(
			cmp.Compare(strings.ToLower(hospitalName(a.HospitalID)), strings.ToLower(hospitalName(b.HospitalID))),
			cmp.Compare(a.HospitalID, b.HospitalID),
			cmp.Compare(strings.ToLower(a.Payer), strings.ToLower(b.Payer)),
			cmp.Compare(strings.ToLower(a.Plan), strings.ToLower(b.Plan)),
			cmp.Compare(a.Setting, b.Setting),
			cmp.Compare(a.Description, b.Description),
			cmp.Compare(a.NegotiatedDollar.Cents, b.NegotiatedDollar.Cents),
			cmp.Compare(a.NegotiatedPercentage, b.NegotiatedPercentage),
			cmp.Compare(a.NegotiatedAlgorithm, b.NegotiatedAlgorithm),
			cmp.Compare(strings.Join(a.Modifiers, ","), strings.Join(b.Modifiers, ",")),
			cmp.Compare(a.Gross.Cents, b.Gross.Cents),
			cmp.Compare(a.DiscountedCash.Cents, b.DiscountedCash.Cents),
			cmp.Compare(a.Payer, b.Payer),
			cmp.Compare(a.Plan, b.Plan),
		)
	}
}

// HospitalPrice is one hospital's prices for a procedure in a comparison.
// Each amount is the lowest the hospital lists for the procedure across its
// rows (rows differ by setting, modifiers or description).
type HospitalPrice struct {
	HospitalID     string
	Rows           int // charge rows the hospital has for the procedure
	Gross          Money
	DiscountedCash Money
	Min            Money
	Max            Money
	// Negotiated is the lowest negotiated dollar amount of the chosen payer
	// and plan; NegotiatedPercentage and NegotiatedAlgorithm are given when
	// the hospital states the rate that way instead.
	Negotiated           Money
	NegotiatedPercentage string
	NegotiatedAlgorithm  string
	Methodology          string
	PayerRows            int // rows of the chosen payer and plan
}

// Spread is the range of one amount across hospitals.
type Spread struct {
	Hospitals int   // hospitals that list the amount
	Low       Money // lowest
	High      Money // highest
	// RatioPercent is High as a percentage of Low, a decimal string with one
	// decimal ("250.0"); "" when fewer than two hospitals or Low is zero.
	RatioPercent string
}

// Comparison is a procedure's prices across hospitals.
type Comparison struct {
	Prices         []HospitalPrice
	Gross          Spread
	DiscountedCash Spread
	Negotiated     Spread
}

// Compare builds a comparison from the charges of one procedure. Payer and
// plan choose the negotiated rate (case-insensitive; an empty plan takes any
// plan of the payer). Hospitals come ordered by name.
func Compare(rows []Charge, payer, plan string, hospitalName func(id string) string) Comparison {
	byHospital := map[string]*HospitalPrice{}
	var order []string
	low := func(dst *Money, m Money) {
		if m.Set && (!dst.Set || m.Cents < dst.Cents) {
			*dst = m
		}
	}
	for i := range rows {
		c := &rows[i]
		hp := byHospital[c.HospitalID]
		if hp == nil {
			hp = &HospitalPrice{HospitalID: c.HospitalID}
			byHospital[c.HospitalID] = hp
			order = append(order, c.HospitalID)
		}
		hp.Rows++
		low(&hp.Gross, c.Gross)
		low(&hp.DiscountedCash, c.DiscountedCash)
		low(&hp.Min, c.Min)
		low(&hp.Max, c.Max)
		if payer == "" || !sameFold(c.Payer, payer) || (plan != "" && !sameFold(c.Plan, plan)) {
			continue
		}
		hp.PayerRows++
		low(&hp.Negotiated, c.NegotiatedDollar)
		if hp.NegotiatedPercentage == "" {
			hp.NegotiatedPercentage = c.NegotiatedPercentage
		}
		if hp.NegotiatedAlgorithm == "" {
			hp.NegotiatedAlgorithm = c.NegotiatedAlgorithm
		}
		if hp.Methodology == "" {
			hp.Methodology = c.Methodology
		}
	}
	slices.SortFunc(order, func(a, b string) int {
		return cmp.Or(cmp.Compare(strings.ToLower(hospitalName(a)), strings.ToLower(hospitalName(b))), cmp.Compare(a, b))
	})
	var cmpn Comparison
	for _, id := range order {
		cmpn.Prices = append(cmpn.Prices, *byHospital[id])
	}
	spread := func(get func(*HospitalPrice) Money) Spread {
		var s Spread
		for i := range cmpn.Prices {
			m := get(&cmpn.Prices[i])
			if !m.Set {
				continue
			}
			s.Hospitals++
			if !s.Low.Set || m.Cents < s.Low.Cents {
				s.Low = m
			}
			if !s.High.Set || m.Cents > s.High.Cents {
				s.High = m
			}
		}
		if s.Hospitals >= 2 && s.Low.Cents > 0 {
			// Tenths of a percent, rounded half up, in integers: exact.
			t := (s.High.Cents*2000 + s.Low.Cents) / (2 * s.Low.Cents)
			s.RatioPercent = strconv.FormatInt(t/10, 10) + "." + strconv.FormatInt(t%10, 10)
		}
		return s
	}
	cmpn.Gross = spread(func(h *HospitalPrice) Money { return h.Gross })
	cmpn.DiscountedCash = spread(func(h *HospitalPrice) Money { return h.DiscountedCash })
	cmpn.Negotiated = spread(func(h *HospitalPrice) Money { return h.Negotiated })
	return cmpn
}

// MaxSavedEstimates is how many estimates one user may keep.
const MaxSavedEstimates = 50

// SavedEstimate is a price lookup a signed-in user kept to come back to: a
// procedure, optionally narrowed to a hospital, payer and plan.
type SavedEstimate struct {
	ID         string // random, 32 lowercase hex characters
	UserID     string
	Code       string
	CodeType   string
	HospitalID string // "" for every hospital
	Payer      string
	Plan       string
	Label      string // the user's own name for it
	CreatedAt  time.Time
}

// Validate checks the user-supplied fields with the same limits as the
// price API's query parameters.
func (e *SavedEstimate) Validate() error {
	bad := func(format string, args ...any) error {
		return Errorf(KindInvalid, "invalid_estimate", format, args...)
	}
	text := func(name, v string, max int) error {
		if !utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsControl) {
			return bad("%s contains characters that are not allowed.", name)
		}
		if utf8.RuneCountInString(v) > max {
			return bad("%s is longer than %d characters.", name, max)
		}
		return nil
	}
	switch {
	case strings.TrimSpace(e.Code) == "":
		return bad("code is required.")
	case e.CodeType == "" || len(e.CodeType) > 20 || strings.ContainsFunc(e.CodeType, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-')
	}):
		return bad("codeType must be a code type such as CPT, HCPCS, MS-DRG or RC.")
	case e.HospitalID != "" && !IsLowerHex(e.HospitalID, 32):
		return bad("hospital must be an id from /api/hospitals.")
	case e.Plan != "" && e.Payer == "":
		return bad("plan needs a payer.")
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"code", e.Code, 64}, {"payer", e.Payer, 200}, {"plan", e.Plan, 200}, {"label", e.Label, 100}} {
		if err := text(f.name, f.v, f.max); err != nil {
			return err
		}
	}
	return nil
}

// IsLowerHex reports whether s is exactly n lowercase hex characters: the
// shape of every ID the server generates (user IDs 32, session keys 64),
// checked before such a value is used as a key.
func IsLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// SavedStore keeps users' saved estimates, one partition per user.
type SavedStore interface {
	// SaveEstimate stores e (with e.ID and e.CreatedAt set by the caller).
	// It fails with KindConflict/"saved_limit" when the user already has
	// MaxSavedEstimates, however many saves run at once.
	SaveEstimate(ctx context.Context, e *SavedEstimate) error
	// SavedEstimates lists a user's estimates, oldest first.
	SavedEstimates(ctx context.Context, userID string) ([]SavedEstimate, error)
	// DeleteSavedEstimate removes one; KindNotFound when the user has no
	// estimate with that ID.
	DeleteSavedEstimate(ctx context.Context, userID, id string) error
}
