package web

import (
	"context"
	"net/url"

	"hospitalpriceline/functions/estimate"
	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/pricing"
)

// The comparison page's form: what it compares (a catalogue service or a
// billing code), the insurer, the place and the person's plan details, read
// from the query with the API's checks and written back into every link the
// page makes, so that sorting or switching keeps the rest.

// comparePageParams are the parameters the comparison page takes: the
// API's (GET /api/prices/compare), with the same limits.
func comparePageParams() map[string]int {
	limits := map[string]int{"code": maxCodeLen, "codeType": maxCodeTypeLen, "payer": maxNameLen, "plan": maxNameLen}
	for k, v := range compareExtraParams {
		limits[k] = v
	}
	return limits
}

// compareForm is one comparison page's query.
type compareForm struct {
	Service, Code, CodeType string
	Payer, Plan, Sort       string
	// NoDescriptions leaves description matches out (descriptionMatches=false).
	NoDescriptions bool
	Zip, Radius    string
	Benefits       pricing.BenefitsInput
	// PlanFromAccount is set when the plan details were filled in from the
	// signed-in person's account rather than typed.
	PlanFromAccount bool
}

// compareFormOf reads the page's parsed query (or the save form's fields).
// The descriptionMatches switch is read as the API reads it: refused on a
// comparison by code, which has no switch (errSwitchWithCode), and parsed
// with pricing.ParseDescriptionMatches on one by service. A bad value is a
// mistake of the form, returned with the form at the comparison's default
// (matches included), so the page shows the comparison and says what was
// wrong beside it.
func compareFormOf(q map[string]string) (compareForm, error) {
	withDesc, err := true, error(nil)
	if _, given := q["descriptionMatches"]; given && q["service"] == "" {
		err = errSwitchWithCode()
	} else if withDesc, err = pricing.ParseDescriptionMatches(q["descriptionMatches"]); err != nil {
		withDesc = true
		err = withNextStep(err, "The comparison below includes the hospitals matched by description; use the switch to leave them out.")
	}
	return compareForm{
		Service: q["service"], Code: q["code"], CodeType: q["codeType"], Payer: q["payer"], Plan: q["plan"], Sort: q["sort"],
		NoDescriptions: !withDesc, Zip: q["zip"], Radius: q["radiusMiles"], Benefits: benefitsInput(q),
	}, err
}

// errSwitchWithCode refuses descriptionMatches on a comparison by code:
// the switch belongs to a comparison by service.
func errSwitchWithCode() error {
	return invalid("invalid_query", "descriptionMatches applies to a service comparison (service=ID).")
}

// benefitsGiven reports whether any plan detail was typed.
func (f *compareForm) benefitsGiven() bool {
	b := f.Benefits
	return b.DeductibleRemaining != "" || b.CoinsurancePercent != "" || b.Copay != "" || b.OOPMaxRemaining != ""
}

// withAccountPlan fills the plan details in from the account when none
// were typed and the person keeps some; a failure to read them only leaves
// the fields empty (the comparison does not depend on them).
func (f *compareForm) withAccountPlan(ctx context.Context, svc *pricing.Service, u *priceline.User) {
	if u == nil || f.benefitsGiven() {
		return
	}
	pb, err := svc.PlanBenefits(ctx, u.ID)
	if err != nil || pb.IsZero() {
		return
	}
	f.Benefits = pricing.BenefitsInput{DeductibleRemaining: pb.DeductibleRemaining, CoinsurancePercent: pb.CoinsurancePercent,
		Copay: pb.Copay, OOPMaxRemaining: pb.OOPMaxRemaining}
	f.PlanFromAccount = true
}

// parsedBenefits checks the plan details with the estimate package's rules.
func (f *compareForm) parsedBenefits() (estimate.Benefits, error) {
	b := f.Benefits
	return estimate.ParseBenefits(b.DeductibleRemaining, b.CoinsurancePercent, b.Copay, b.OOPMaxRemaining)
}

// url is this comparison's address sorted by sort; the plan details are
// kept only when typed (an account's stay on the account).
func (f *compareForm) url(sort string) string {
	v := url.Values{}
	if f.Service != "" {
		v.Set("service", f.Service)
		if f.NoDescriptions {
			v.Set("descriptionMatches", "false")
		}
	} else {
		v.Set("code", f.Code)
		v.Set("codeType", f.CodeType)
	}
	for _, kv := range [][2]string{
		{"payer", f.Payer}, {"plan", f.Plan}, {"sort", sort}, {"zip", f.Zip}, {"radiusMiles", f.Radius},
	} {
		if kv[1] != "" {
			v.Set(kv[0], kv[1])
		}
	}
	if !f.PlanFromAccount {
		b := f.Benefits
		for _, kv := range [][2]string{
			{"deductibleRemaining", b.DeductibleRemaining}, {"coinsurancePercent", b.CoinsurancePercent},
			{"copay", b.Copay}, {"oopMaxRemaining", b.OOPMaxRemaining},
		} {
			if kv[1] != "" {
				v.Set(kv[0], kv[1])
			}
		}
	}
	return "/compare?" + v.Encode()
}

// withDescriptions is this comparison with description matches switched
// on or off.
func (f compareForm) withDescriptions(on bool) string {
	f.NoDescriptions = !on
	return f.url(f.Sort)
}
