package mrf

import (
	"bytes"
	"strings"
	"testing"
)

func TestJSONItemsBeforeHospitalDataAreReadWithWarning(t *testing.T) {
	var b bytes.Buffer
	if err := Generate(&b, FormatJSON, 3, 1); err != nil {
		t.Fatal(err)
	}
	// Move the metadata after the items: split at the array key.
	s := b.String()
	i := strings.Index(s, `"standard_charge_information"`)
	meta := strings.TrimSuffix(strings.TrimSpace(s[1:i]), ",")
	items := strings.TrimSuffix(strings.TrimSpace(s[i:]), "}")
	in := "{" + items + "," + meta + "}"
	rep, err := Validate(strings.NewReader(in), "late.json")
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Valid || rep.Rows != 3 || rep.Version != "3.0.0" || !hasRule(rep, RuleJSONOrder, SeverityWarning) {
		t.Errorf("report = %+v", rep)
	}
}

func TestJSONTypeAndRequiredRules(t *testing.T) {
	var b bytes.Buffer
	if err := Generate(&b, FormatJSON, 4, 1); err != nil {
		t.Fatal(err)
	}
	good := b.String()
	cases := map[string]struct{ old, new, rule string }{
		"count as number":   {`"count":"0"`, `"count":0`, RuleType},
		"dollar as string":  {`"standard_charge_dollar":`, `"standard_charge_dollar":"1",` + `"x":`, RuleType},
		"bad date":          {`"last_updated_on":"2026-04-01"`, `"last_updated_on":"4/1/2026"`, RuleDate},
		"bad state":         {`"state":"CA"`, `"state":"ZZ"`, RuleEnumState},
		"attestation text":  {`"attestation":"To the best`, `"attestation":"To the worst`, RuleAttestationText},
		"confirm not bool":  {`"confirm_attestation":true`, `"confirm_attestation":"true"`, RuleEnumBoolean},
		"no attester":       {`"attester_name":"Test Attester"`, `"attester":"x"`, RuleRequired},
		"empty location":    {`"location_name":["Generated Test Hospital"]`, `"location_name":[]`, RuleEmpty},
		"no description":    {`"description":"Generated service 1"`, `"label":"x"`, RuleRequired},
		"bad code type":     {`"type":"CPT"`, `"type":"cpt"`, RuleEnumCodeType},
		"no setting":        {`"setting":"outpatient"`, `"place":"outpatient"`, RuleRequired},
		"zero gross":        {`"gross_charge":4978.59`, `"gross_charge":0`, RuleNumberPositive},
		"bad methodology":   {`"methodology":"fee schedule"`, `"methodology":"Fee Schedule"`, RuleEnumMethodology},
		"drug unit string":  {`"unit":1`, `"unit":"1"`, RuleType},
		"no items":          {`"standard_charge_information":[`, `"standard_charge_informatio":[`, RuleRequired},
		"trailing garbage":  {"]}\n", "]}\n{}", RuleJSONSyntax},
		"truncated":         {"]}\n", "]", RuleJSONSyntax},
		"item not object":   {`"standard_charge_information":[`, `"standard_charge_information":[1,`, RuleType},
		"array not array":   {`"standard_charge_information":[`, `"standard_charge_information":{"a":[1]},"z":[`, RuleType},
		"modifier no payer": {`"standard_charge_information":[`, `"modifier_information":[{"description":"d","code":"50","setting":"both","modifier_payer_information":[]}],"standard_charge_information":[`, RuleEmpty},
	}
	for name, tc := range cases {
		if !strings.Contains(good, tc.old) {
			t.Fatalf("%s: generated file lacks %q", name, tc.old)
		}
		in := strings.Replace(good, tc.old, tc.new, 1)
		rep, err := Validate(strings.NewReader(in), name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if rep.Valid || !hasRule(rep, tc.rule, SeverityError) {
			t.Errorf("%s: want error %q, got %v", name, tc.rule, rep.Errors)
		}
	}
}
