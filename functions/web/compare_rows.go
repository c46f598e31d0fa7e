package web

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"hospitalpriceline/functions/estimate"
	"hospitalpriceline/functions/priceline"
	"hospitalpriceline/functions/pricing"
	"hospitalpriceline/functions/services"
)

// What a comparison row shows beyond the amounts: how the hospital's rows
// matched a service, which amounts were flagged rather than shown, its
// distance and what the person would pay.

// compareExtras is what the comparison page adds to the price service's
// comparison.
type compareExtras struct {
	Service    *services.Service               // a comparison by service
	Matches    map[string]pricing.ServiceMatch // hospital ID → how it matched
	Flags      map[string][]string             // hospital ID → amounts not shown as prices, and why
	Estimates  map[string]estimate.Estimate    // hospital ID → what the person would pay
	Origin     *pricing.Origin                 // the person's ZIP, when given
	ByDistance bool                            // nearest first
	Benefits   bool                            // plan details were given
}

// compareRowExtras are a row's fields beyond the amounts.
type compareRowExtras struct {
	HospitalID string
	// Match says how the hospital's rows were put under the service, in
	// its own words; ByDescription marks a description match.
	Match         string
	ByDescription bool
	Flags         []string
	// Distance is "12.3 miles", or "no ZIP code" when the hospital has
	// none; empty without a ZIP code of the person's.
	Distance string
	// YouPay is the estimate and YouPayBasis what it started from.
	YouPay, YouPayBasis string
}

// serviceView is the catalogue service a comparison is of, with the switch
// that leaves description matches out or brings them back.
type serviceView struct {
	ID, Name, Description, Category string
	Codes                           string
	NoDescriptions                  bool
	SwitchURL, SwitchText           string
}

func toServiceView(s *services.Service, f *compareForm) *serviceView {
	v := &serviceView{ID: s.ID, Name: s.Name, Description: s.Description, Category: s.Category, NoDescriptions: f.NoDescriptions}
	var codes []string
	for _, c := range s.Codes {
		codes = append(codes, c.Type+" "+c.Code)
	}
	v.Codes = strings.Join(codes, ", ")
	if f.NoDescriptions {
		v.SwitchURL, v.SwitchText = f.withDescriptions(true), "Include hospitals matched by description"
	} else {
		v.SwitchURL, v.SwitchText = f.withDescriptions(false), "Leave out hospitals matched by description"
	}
	return v
}

// basisText says what an estimate started from.
var basisText = map[estimate.Basis]string{
	estimate.BasisNegotiatedDollar: "from the negotiated rate",
	estimate.BasisMedianAllowed:    "from the median allowed amount",
	estimate.BasisCash:             "the discounted cash price",
}

// rowExtras is hospital id's match, flags, distance and estimate.
func rowExtras(id string, x compareExtras, distances map[string]float64) compareRowExtras {
	e := compareRowExtras{HospitalID: id, Flags: x.Flags[id]}
	if m, ok := x.Matches[id]; ok {
		switch m.By {
		case services.ByDescription:
			e.Match, e.ByDescription = "matched by description: "+m.Description, true
		default:
			e.Match = "matched by code " + m.Code.Code
			if m.Code.Type != "" {
				e.Match = "matched by code " + strings.ToUpper(m.Code.Type) + " " + m.Code.Code
			}
		}
	}
	if x.Origin != nil {
		if miles, ok := distances[id]; ok {
			e.Distance = strconv.FormatFloat(miles, 'f', 1, 64) + " miles"
		} else {
			e.Distance = "no ZIP code"
		}
	}
	if est, ok := x.Estimates[id]; ok && est.Basis != estimate.BasisNone {
		e.YouPay, e.YouPayBasis = formatUSD(est.YouPay), basisText[est.Basis]
	}
	return e
}

// placeByDistance measures each hospital's distance from o, leaves out
// those outside the radius, and puts hospitals without a ZIP code last
// (never dropped); nearest first when byDistance, else in the given order.
// It returns the rows kept, the distances and how many were left out.
func placeByDistance(ps []priceline.HospitalPrice, hospitals map[string]*priceline.Hospital, o pricing.Origin, byDistance bool) ([]priceline.HospitalPrice, map[string]float64, int) {
	type placed struct {
		p     priceline.HospitalPrice
		miles float64
		known bool
	}
	var kept []placed
	dist := map[string]float64{}
	left := 0
	for _, p := range ps {
		var miles float64
		var known bool
		if h := hospitals[p.HospitalID]; h != nil {
			miles, known = o.Distance(h)
		}
		if !o.Keep(miles, known) {
			left++
			continue
		}
		if known {
			dist[p.HospitalID] = miles
		}
		kept = append(kept, placed{p, miles, known})
	}
	slices.SortStableFunc(kept, func(a, b placed) int {
		switch {
		case a.known && !b.known:
			return -1
		case !a.known && b.known:
			return 1
		case byDistance && a.known:
			return cmp.Compare(a.miles, b.miles)
		}
		return 0
	})
	out := make([]priceline.HospitalPrice, 0, len(kept))
	for _, k := range kept {
		out = append(out, k.p)
	}
	return out, dist, left
}
