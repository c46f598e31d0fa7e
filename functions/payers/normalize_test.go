package payers

import (
	"strings"
	"testing"
	"time"
)

// normalizeCase is one raw payer and plan and the names they should get.
type normalizeCase struct {
	payer, plan         string
	wantPayer, wantPlan string
}

// commonSpellings are spellings seen in hospitals' published files and
// payer lists, written from experience of them, not copied from any one.
var commonSpellings = []normalizeCase{
	// Tidying: case, spaces, underscores, punctuation, corporate suffixes.
	{"  Platform   Health Insurance ", "", "Platform Health Insurance", ""},
	{"Platform_Health_Insurance", "PPO", "Platform Health Insurance", "PPO"},
	{"Simpra Advantage, Inc.", "", "Simpra Advantage", ""},
	{"Acme Health Plan LLC", "", "Acme Health Plan", ""},
	{"", "PPO", "", "PPO"},

	// Bracketed ids and labels.
	{"UHC [87726]", "", "UnitedHealthcare", ""},
	{"Aetna (Payer ID 60054)", "", "Aetna", ""},
	{"Cigna {62308}", "", "Cigna", ""},
	{"Simpra Advantage Inc MCR Adv (Plan: All)", "", "Simpra Advantage", "Medicare Advantage"},
	{"Acme Health (Plan: All)", "", "Acme Health", "All plans"},
	{"Acme Health (Plans - Gold)", "", "Acme Health", "Gold"},
	{"Acme Health (Gold Network)", "", "Acme Health", "Gold Network"},
	{"Acme Health ()", "", "Acme Health", ""},

	// Plan words after a separator or at the end of the payer name.
	{"Aetna - COMMERCIAL", "", "Aetna", "Commercial"},
	{"Aetna - COMMERCIAL", "PPO", "Aetna", "Commercial PPO"},
	{"AETNA – Medicare Advantage", "", "Aetna", "Medicare Advantage"},
	{"UHC: Medicare Adv", "", "UnitedHealthcare", "Medicare Advantage"},
	{"Cigna | PPO", "", "Cigna", "PPO"},
	{"Cigna PPO", "", "Cigna", "PPO"},
	{"Cigna HMO", "", "Cigna", "HMO"},
	{"Cigna Medicare Adv", "", "Cigna", "Medicare Advantage"},
	{"HUMANA MCR ADV", "", "Humana", "Medicare Advantage"},
	{"Humana Medicare Advantage PPO", "", "Humana", "Medicare Advantage PPO"},
	{"Humana Medicare", "", "Humana", "Medicare"},
	{"Humana Gold Plus HMO", "", "Humana", "Gold Plus HMO"},
	{"Humana", "MEDICARE ADVANTAGE", "Humana", "Medicare Advantage"},
	{"Aetna", "mcr adv ppo", "Aetna", "Medicare Advantage PPO"},
	{"Aetna Exchange", "", "Aetna", "Marketplace"},
	{"Acme Health Workers Comp", "", "Acme Health", "Workers' Compensation"},
	{"Acme Health Commercial", "", "Acme Health", "Commercial"},
	{"Acme Health Medicaid", "", "Acme Health Medicaid", ""}, // Medicaid is taken off only a known payer
	{"Alabama Medicaid", "", "Alabama Medicaid", ""},
	{"MCR ADV", "", "Medicare Advantage", ""}, // a plan word as the whole payer: said one way, no insurer invented
	{"Medicare Advantage", "", "Medicare Advantage", ""},
	{"Aetna", "All", "Aetna", "All plans"},
	{"Aetna (Plan: All)", "HMO", "Aetna", "HMO"},
	{"Aetna - Commercial", "Commercial", "Aetna", "Commercial"},

	// National payers.
	{"AETNA", "", "Aetna", ""},
	{"Aetna Life Insurance Company", "", "Aetna", ""},
	{"Aetna Better Health", "", "Aetna", "Managed Medicaid"},
	{"Aetna Signature Administrators", "", "Aetna", "Signature Administrators"},
	{"CIGNA", "", "Cigna", ""},
	{"Cigna Healthcare", "", "Cigna", ""},
	{"Connecticut General Life Insurance Co.", "", "Cigna", ""},
	{"Cigna HealthSpring", "", "Cigna", "HealthSpring"},
	{"United Healthcare", "", "UnitedHealthcare", ""},
	{"UnitedHealthcare", "", "UnitedHealthcare", ""},
	{"United Health Care", "", "UnitedHealthcare", ""},
	{"UHC", "", "UnitedHealthcare", ""},
	{"uhc", "choice plus", "UnitedHealthcare", "choice plus"},
	{"UHC Community Plan", "", "UnitedHealthcare", "Community Plan"},
	{"United Healthcare Medicare Advantage", "", "UnitedHealthcare", "Medicare Advantage"},
	{"UMR", "", "UMR", ""},                                             // a UnitedHealthcare company, but a name of its own
	{"United American Insurance", "", "United American Insurance", ""}, // "United" alone is no brand
	{"HUMANA INC", "", "Humana", ""},
	{"Anthem", "", "Anthem", ""},
	{"Anthem Blue Cross", "", "Anthem", ""},
	{"Anthem BCBS", "", "Anthem", ""},
	{"Anthem Blue Cross PPO", "", "Anthem", "PPO"},
	{"Kaiser Permanente", "", "Kaiser Permanente", ""},
	{"KAISER", "", "Kaiser Permanente", ""},
	{"Kaiser Foundation Health Plan of Colorado", "", "Kaiser Permanente", "Colorado"},
	{"Ambetter", "", "Centene", "Ambetter"},
	{"Ambetter from Centene", "", "Centene", "Ambetter"},
	{"Centene Corporation", "", "Centene", ""},
	{"Wellcare", "", "Centene", "Wellcare"},
	{"Molina", "", "Molina Healthcare", ""},
	{"Molina Healthcare of Texas", "", "Molina Healthcare", "Texas"},
	{"Molina Medicaid", "", "Molina Healthcare", "Medicaid"},
	{"TRICARE", "", "Tricare", ""},
	{"Tricare East", "", "Tricare", "East"},
	{"Champus", "", "Tricare", ""},
	{"Medicare", "", "Medicare", ""},
	{"MEDICARE PART B", "", "Medicare", "Part B"},
	{"Traditional Medicare", "", "Medicare", ""},
	{"Medicaid", "", "Medicaid", ""},
	{"MCD", "", "Medicaid", ""},

	// Blue Cross Blue Shield, per state.
	{"BCBS", "", "Blue Cross Blue Shield", ""},
	{"Blue Cross Blue Shield", "", "Blue Cross Blue Shield", ""},
	{"BC/BS", "", "Blue Cross Blue Shield", ""},
	{"BCBS PPO", "", "Blue Cross Blue Shield", "PPO"},
	{"BCBS Federal Employee Program", "", "Blue Cross Blue Shield", "Federal Employee Program"},
	{"BCBS FEP", "", "Blue Cross Blue Shield", "Federal Employee Program"},
	{"BCBS of AL", "", "Blue Cross Blue Shield of Alabama", ""},
	{"BCBS AL", "", "Blue Cross Blue Shield of Alabama", ""},
	{"BCBS-AL", "", "Blue Cross Blue Shield of Alabama", ""},
	{"BCBSAL", "", "Blue Cross Blue Shield of Alabama", ""},
	{"BLUE CROSS OF AL", "", "Blue Cross Blue Shield of Alabama", ""},
	{"Blue Cross Blue Shield of Alabama", "", "Blue Cross Blue Shield of Alabama", ""},
	{"Blue Cross and Blue Shield of Alabama", "", "Blue Cross Blue Shield of Alabama", ""},
	{"Blue Cross & Blue Shield of Alabama", "", "Blue Cross Blue Shield of Alabama", ""},
	{"BlueCross BlueShield of Alabama", "", "Blue Cross Blue Shield of Alabama", ""},
	{"Alabama Blue Cross", "", "Blue Cross Blue Shield of Alabama", ""},
	{"Alabama BCBS", "", "Blue Cross Blue Shield of Alabama", ""},
	{"BCBS of AL Blue Advantage", "", "Blue Cross Blue Shield of Alabama", "Blue Advantage"},
	{"BCBS of Alabama - PPO", "", "Blue Cross Blue Shield of Alabama", "PPO"},
	{"BC/BS of Texas", "HMO", "Blue Cross Blue Shield of Texas", "HMO"},
	{"BCBSTX", "", "Blue Cross Blue Shield of Texas", ""},
	{"Blue Cross Blue Shield of North Carolina", "", "Blue Cross Blue Shield of North Carolina", ""},
	{"BCBSNC", "", "Blue Cross Blue Shield of North Carolina", ""},
	{"BCBSM", "", "Blue Cross Blue Shield of Michigan", ""},
	{"BCBST", "", "Blue Cross Blue Shield of Tennessee", ""},
	{"BCBS of Kansas City", "", "Blue Cross Blue Shield of Kansas City", ""},
	{"BCBS Kansas", "", "Blue Cross Blue Shield of Kansas", ""},
	{"Blue Cross Blue Shield of the District of Columbia", "", "Blue Cross Blue Shield of District of Columbia", ""},
	{"BCBSMA", "", "Blue Cross Blue Shield of Massachusetts", ""},
	{"BCBS of MA", "", "Blue Cross Blue Shield of Massachusetts", ""},
	{"BCBS MA", "", "Blue Cross Blue Shield", "MA"},                 // MA may be Medicare Advantage: no state guessed
	{"BCBS In-Network", "", "Blue Cross Blue Shield", "In Network"}, // IN is Indiana only after "of"
	{"BCBS of IN", "", "Blue Cross Blue Shield of Indiana", ""},
	{"Blue Cross of California", "", "Blue Cross of California", ""}, // two Blue companies there
	{"Blue Shield of California", "", "Blue Shield of California", ""},
	{"BCBS of CA", "", "Blue Cross Blue Shield of California", ""},
	{"Blue Cross", "", "Blue Cross", ""},
	{"Blue Shield", "", "Blue Shield", ""},
	{"Blue Cross of the Rio Grande", "", "Blue Cross of the Rio Grande", ""}, // an unknown place: as written
	{"Florida Blue", "", "Florida Blue", ""},
	{"Horizon BCBS", "", "Horizon Blue Cross Blue Shield of New Jersey", ""},
	{"Highmark BCBS", "", "Highmark BCBS", ""}, // several states: not guessed
	{"Wellmark", "", "Wellmark", ""},
}

func TestNormalize(t *testing.T) {
	for _, tt := range commonSpellings {
		payer, plan := Normalize(tt.payer, tt.plan)
		if payer != tt.wantPayer || plan != tt.wantPlan {
			t.Errorf("Normalize(%q, %q) = %q, %q; want %q, %q", tt.payer, tt.plan, payer, plan, tt.wantPayer, tt.wantPlan)
		}
	}
}

// Normalising twice changes nothing: the API takes normalised names as
// parameters and must find the same payer again.
func TestNormalizeIsIdempotent(t *testing.T) {
	for _, tt := range commonSpellings {
		payer, plan := Normalize(tt.payer, tt.plan)
		if tt.wantPlan == "MA" || tt.wantPlan == "In Network" {
			continue // the plan came from the payer column; as a plan it is a plan word, not a state
		}
		p2, pl2 := Normalize(payer, plan)
		if Key(p2) != Key(payer) || Key(pl2) != Key(plan) {
			t.Errorf("Normalize(Normalize(%q, %q)) = %q, %q; want %q, %q", tt.payer, tt.plan, p2, pl2, payer, plan)
		}
	}
}

func TestKey(t *testing.T) {
	for in, want := range map[string]string{
		"BCBS-of AL.":               "bcbs of al",
		"  Blue Cross & Blue  ":     "blue cross and blue",
		"Workers' Comp":             "workers comp",
		"Aetna, Inc.":               "aetna inc",
		"BC/BS":                     "bc bs",
		"":                          "",
		"Région Santé":              "région santé",
		"AT&T Health Plan":          "atandt health plan",
		"Platform_Health_Insurance": "platform health insurance",
	} {
		if got := Key(in); got != want {
			t.Errorf("Key(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAliasTableParses(t *testing.T) {
	tab := aliases()
	if len(tab.states) != 53 {
		t.Errorf("alias table has %d Blue territories, want 53: 50 states, DC, Puerto Rico and Kansas City", len(tab.states))
	}
	for _, bad := range []string{
		"alias before kind\n",
		"[nope] X\nx\n",
		"[payer]\nx\n",
		"[payer] A\nx\n[payer] B\nx\n",
		"[blue] Alabama\n",
		"[blue] AL Alabama\n[blue] AL Alabama\n",
	} {
		if _, err := parseTable(bad); err == nil {
			t.Errorf("parseTable(%q) = nil error", bad)
		}
	}
}

// A hostile name costs little: past MaxNameBytes it is only tidied, and
// just under it the rules still finish at once.
func TestNormalizeLongNames(t *testing.T) {
	long := strings.Repeat("BCBS  of ", 40)
	if payer, plan := Normalize(long, "x"); payer != strings.TrimSpace(strings.Repeat("BCBS of ", 40)) || plan != "x" {
		t.Errorf("Normalize(long) = %q, %q; want it only tidied", payer, plan)
	}
	for _, unit := range []string{"ppo ", "medicare ", "bcbs of ", "(a)", " - x", "aetna "} {
		s := strings.Repeat(unit, MaxNameBytes/len(unit))
		start := time.Now()
		Normalize(s, s)
		if d := time.Since(start); d > time.Second {
			t.Errorf("Normalize(%q…) took %v", unit, d)
		}
	}
}
