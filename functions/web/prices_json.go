package web

import (
	"strconv"
	"time"

	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/pricing"
)

// The JSON shapes of the price API (docs/api.md) and the functions that
// turn the price service's answers into them.

// moneyJSON is an exact amount: a decimal string and whole cents, in USD.
type moneyJSON struct {
	Amount   string `json:"amount"`
	Cents    int64  `json:"cents"`
	Currency string `json:"currency"`
}

func toMoney(m priceline.Money) *moneyJSON {
	if !m.Set {
		return nil
	}
	return &moneyJSON{Amount: m.Decimal, Cents: m.Cents, Currency: "USD"}
}

// percentJSON is a percentage as the file gives it: "62.5" means 62.5 %.
type percentJSON struct {
	Value string `json:"value"`
	Unit  string `json:"unit"`
}

func toPercent(s string) *percentJSON {
	if s == "" {
		return nil
	}
	return &percentJSON{Value: s, Unit: "percent"}
}

type hospitalRefJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type codeJSON struct {
	Code string `json:"code"`
	Type string `json:"type"`
}

// hospitalJSON is the public view of a hospital.
type hospitalJSON struct {
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	Locations     []string `json:"locations"`
	Addresses     []string `json:"addresses"`
	LicenseNumber string   `json:"licenseNumber,omitempty"`
	LicenseState  string   `json:"licenseState,omitempty"`
	LastUpdatedOn string   `json:"lastUpdatedOn"`
	FileVersion   string   `json:"fileVersion"`
	// Where the hospital is, from its address ZIP (geo), and whether its
	// file is older than a year; see hospitalPlace.
	Zip       string   `json:"zip,omitempty"`
	Latitude  *float64 `json:"latitude,omitempty"`
	Longitude *float64 `json:"longitude,omitempty"`
	Stale     bool     `json:"stale"`
	// What the import of the current file found (see priceline.ImportFacts):
	// attestsComplete is absent when the file gave no valid answer, import
	// absent for hospitals imported before the counts were kept.
	AttestsComplete *bool       `json:"attestsComplete,omitempty"`
	Import          *importJSON `json:"import,omitempty"`
}

// importJSON is the counts of a hospital's current file's import.
type importJSON struct {
	RowsRead     int `json:"rowsRead"`
	RowsImported int `json:"rowsImported"`
	RowsRejected int `json:"rowsRejected"`
	RowsSalvaged int `json:"rowsSalvaged"`
	CellsDropped int `json:"cellsDropped"`
}

// withFacts adds what the import of the hospital's file found.
func (j hospitalJSON) withFacts(f priceline.ImportFacts) hospitalJSON {
	if f.Attests != "" {
		yes := f.Attests == "true"
		j.AttestsComplete = &yes
	}
	if f.Known() {
		j.Import = &importJSON{RowsRead: f.RowsRead, RowsImported: f.RowsImported, RowsRejected: f.RowsRejected, RowsSalvaged: f.RowsSalvaged, CellsDropped: f.CellsDropped}
	}
	return j
}

func toHospitalJSON(h *priceline.Hospital) hospitalJSON {
	return hospitalJSON{
		ID: h.ID, Name: h.Name, Locations: nonNil(h.Locations), Addresses: nonNil(h.Addresses),
		LicenseNumber: h.LicenseNumber, LicenseState: h.LicenseState, LastUpdatedOn: h.LastUpdatedOn, FileVersion: h.Version,
		Stale: staleFile(h.LastUpdatedOn, time.Now()),
	}.withPlace(h).withFacts(h.Facts)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type procedureJSON struct {
	Code        string `json:"code"`
	CodeType    string `json:"codeType"`
	Description string `json:"description"`
}

// chargeJSON is one charge row. Amounts are exact (see moneyJSON); the
// negotiated percentage is a percentage of the gross charge, as CMS defines.
type chargeJSON struct {
	Hospital             hospitalRefJSON `json:"hospital"`
	Description          string          `json:"description"`
	Code                 string          `json:"code"`
	CodeType             string          `json:"codeType"`
	Codes                []codeJSON      `json:"codes"`
	Setting              string          `json:"setting"`
	Modifiers            []string        `json:"modifiers"`
	DrugUnit             string          `json:"drugUnit,omitempty"`
	DrugType             string          `json:"drugType,omitempty"`
	Gross                *moneyJSON      `json:"gross"`
	DiscountedCash       *moneyJSON      `json:"discountedCash"`
	Min                  *moneyJSON      `json:"min"`
	Max                  *moneyJSON      `json:"max"`
	Payer                string          `json:"payer"`
	Plan                 string          `json:"plan"`
	NegotiatedDollar     *moneyJSON      `json:"negotiatedDollar"`
	NegotiatedPercentage *percentJSON    `json:"negotiatedPercentage"`
	NegotiatedAlgorithm  string          `json:"negotiatedAlgorithm"`
	Median               *moneyJSON      `json:"median"`
	P10                  *moneyJSON      `json:"p10"`
	P90                  *moneyJSON      `json:"p90"`
	Count                string          `json:"count"`
	Methodology          string          `json:"methodology"`
	PayerNotes           string          `json:"payerNotes"`
	Notes                string          `json:"notes"`
	// DistanceMiles is the great-circle distance from the query's zip to
	// the hospital; absent without a zip or when the hospital has none.
	DistanceMiles *float64 `json:"distanceMiles,omitempty"`
	// Flags are the row's amounts that are placeholders or outliers: they
	// are null in their fields and listed here with the reason.
	Flags []flagJSON `json:"flags"`
}

// flagJSON is one amount of a row not shown as a price: the field it was
// filed in, the amount as filed, and why.
type flagJSON struct {
	Field  string `json:"field"`
	Amount string `json:"amount"`
	Reason string `json:"reason"`
}

func toFlagsJSON(fs []pricing.AmountFlag) []flagJSON {
	return viewsOf(fs, func(f *pricing.AmountFlag) flagJSON {
		return flagJSON{Field: f.Field, Amount: f.Amount, Reason: f.Reason}
	})
}

func toChargeJSON(c *priceline.Charge, code priceline.Code, names map[string]string) chargeJSON {
	out := chargeJSON{
		Hospital: hospitalRefJSON{ID: c.HospitalID, Name: names[c.HospitalID]}, Description: c.Description,
		Code: code.Code, CodeType: code.Type, Codes: []codeJSON{}, Setting: c.Setting, Modifiers: nonNil(c.Modifiers),
		DrugUnit: c.DrugUnit, DrugType: c.DrugType, Gross: toMoney(c.Gross), DiscountedCash: toMoney(c.DiscountedCash),
		Min: toMoney(c.Min), Max: toMoney(c.Max), Payer: c.Payer, Plan: c.Plan, NegotiatedDollar: toMoney(c.NegotiatedDollar),
		NegotiatedPercentage: toPercent(c.NegotiatedPercentage), NegotiatedAlgorithm: c.NegotiatedAlgorithm,
		Median: toMoney(c.Median), P10: toMoney(c.P10), P90: toMoney(c.P90), Count: c.Count, Methodology: c.Methodology,
		PayerNotes: c.PayerNotes, Notes: c.GenericNotes, Flags: []flagJSON{},
	}
	want := priceline.NormalizeCode(code)
	for _, cd := range c.Codes {
		out.Codes = append(out.Codes, codeJSON{Code: cd.Code, Type: cd.Type})
		if priceline.NormalizeCode(cd) == want {
			out.Code, out.CodeType = cd.Code, cd.Type // as this hospital writes it
		}
	}
	return out
}

type hospitalPriceJSON struct {
	Hospital       hospitalRefJSON `json:"hospital"`
	Rows           int             `json:"rows"`
	Gross          *moneyJSON      `json:"gross"`
	DiscountedCash *moneyJSON      `json:"discountedCash"`
	Min            *moneyJSON      `json:"min"`
	Max            *moneyJSON      `json:"max"`
	Negotiated     *negotiatedJSON `json:"negotiated"`
	// DataQuality lists the hospital's amounts that were not used as
	// prices (placeholders and outliers) and why.
	DataQuality []string `json:"dataQuality"`
}

// negotiatedJSON is a hospital's rate with the chosen payer and plan.
// Basis names the dollar figure that stands for it ("negotiatedDollar":
// dollar; "medianAllowed": allowed.median, because the rate is only a
// percentage or an algorithm; "none"), so that a client never shows a
// median allowed amount as a negotiated price.
type negotiatedJSON struct {
	Payer      string       `json:"payer"`
	Plan       string       `json:"plan"`
	Rows       int          `json:"rows"`
	Basis      string       `json:"basis"`
	Dollar     *moneyJSON   `json:"dollar"`
	Percentage *percentJSON `json:"percentage"`
	Algorithm  string       `json:"algorithm"`
	Method     string       `json:"methodology"`
	Allowed    *allowedJSON `json:"allowed"`
}

// allowedJSON is the v3.0.0 allowed amounts: what the payer paid, not a
// negotiated rate. Count is as the file writes it ("0", "1 through 10",
// "299"); "" when the file gives none.
type allowedJSON struct {
	Median *moneyJSON `json:"median"`
	P10    *moneyJSON `json:"p10"`
	P90    *moneyJSON `json:"p90"`
	Count  string     `json:"count"`
}

func toAllowed(a priceline.Allowed) *allowedJSON {
	if a.IsZero() {
		return nil
	}
	return &allowedJSON{Median: toMoney(a.Median), P10: toMoney(a.P10), P90: toMoney(a.P90), Count: a.Count}
}

type spreadJSON struct {
	Hospitals    int        `json:"hospitals"`
	Low          *moneyJSON `json:"low"`
	High         *moneyJSON `json:"high"`
	Difference   *moneyJSON `json:"difference"`
	RatioPercent string     `json:"highAsPercentOfLow,omitempty"`
}

func toSpread(s priceline.Spread) spreadJSON {
	out := spreadJSON{Hospitals: s.Hospitals, Low: toMoney(s.Low), High: toMoney(s.High), RatioPercent: s.RatioPercent}
	if s.Low.Set && s.High.Set {
		d := s.High.Cents - s.Low.Cents
		out.Difference = &moneyJSON{Amount: strconv.FormatInt(d/100, 10) + "." + twoDigits(d%100), Cents: d, Currency: "USD"}
	}
	return out
}

func twoDigits(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

// toCompareJSON is the body of GET /api/prices/compare.
func toCompareJSON(c *pricing.Comparison) map[string]any {
	withPayer := c.Payer != ""
	out := make([]hospitalPriceJSON, 0, len(c.Prices))
	for _, hp := range c.Prices {
		e := hospitalPriceJSON{
			Hospital: hospitalRefJSON{ID: hp.HospitalID, Name: c.Names[hp.HospitalID]}, Rows: hp.Rows,
			Gross: toMoney(hp.Gross), DiscountedCash: toMoney(hp.DiscountedCash), Min: toMoney(hp.Min), Max: toMoney(hp.Max),
			DataQuality: nonNil(c.Flags[hp.HospitalID]),
		}
		if withPayer {
			e.Negotiated = &negotiatedJSON{
				Payer: c.Payer, Plan: c.Plan, Rows: hp.PayerRows, Basis: hp.Basis(), Dollar: toMoney(hp.Negotiated),
				Percentage: toPercent(hp.NegotiatedPercentage), Algorithm: hp.NegotiatedAlgorithm, Method: hp.Methodology,
				Allowed: toAllowed(hp.Allowed),
			}
		}
		out = append(out, e)
	}
	spread := map[string]spreadJSON{"gross": toSpread(c.Gross), "discountedCash": toSpread(c.DiscountedCash)}
	if withPayer {
		spread["negotiated"] = toSpread(c.Negotiated)
		spread["medianAllowed"] = toSpread(c.MedianAllowed)
	}
	return map[string]any{
		"code": c.Code.Code, "codeType": c.Code.Type, "payer": c.Payer, "plan": c.Plan,
		"hospitals": out, "spread": spread,
	}
}

// savedJSON is the public view of a saved estimate.
type savedJSON struct {
	ID       string `json:"id"`
	Code     string `json:"code"`
	CodeType string `json:"codeType"`
	// ServiceID is the catalogue service of an estimate saved from a
	// comparison by service (code and codeType are then empty).
	ServiceID  string    `json:"service,omitempty"`
	HospitalID string    `json:"hospital,omitempty"`
	Payer      string    `json:"payer,omitempty"`
	Plan       string    `json:"plan,omitempty"`
	Label      string    `json:"label,omitempty"`
	CreatedAt  time.Time `json:"createdAt"`
	// Benefits are the plan details the estimate used; absent when none.
	Benefits *planJSON `json:"benefits,omitempty"`
	// DescriptionMatches is the service comparison's switch the estimate
	// reopens with (true for one saved before the switch was kept, the
	// comparison's default); absent for an estimate of a code.
	DescriptionMatches *bool `json:"descriptionMatches,omitempty"`
}

func toSavedJSON(e *priceline.SavedEstimate) savedJSON {
	j := savedJSON{ID: e.ID, Code: e.Code, CodeType: e.CodeType, ServiceID: e.ServiceID, HospitalID: e.HospitalID, Payer: e.Payer, Plan: e.Plan,
		Label: e.Label, CreatedAt: e.CreatedAt.UTC()}
	if !e.Benefits.IsZero() {
		p := toPlanJSON(e.Benefits)
		j.Benefits = &p
	}
	if e.ServiceID != "" {
		withDesc := !e.NoDescriptionMatches
		j.DescriptionMatches = &withDesc
	}
	return j
}

// planJSON is a user's plan details: decimal strings, "" for one left out.
type planJSON struct {
	DeductibleRemaining string `json:"deductibleRemaining"`
	CoinsurancePercent  string `json:"coinsurancePercent"`
	Copay               string `json:"copay"`
	OOPMaxRemaining     string `json:"oopMaxRemaining"`
}

func toPlanJSON(b priceline.PlanBenefits) planJSON {
	return planJSON{DeductibleRemaining: b.DeductibleRemaining, CoinsurancePercent: b.CoinsurancePercent, Copay: b.Copay, OOPMaxRemaining: b.OOPMaxRemaining}
}
