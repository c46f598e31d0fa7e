package mrf

import "fmt"

// Severities of a Problem.
const (
	SeverityError   = "error"   // the file does not meet the CMS requirements
	SeverityWarning = "warning" // allowed, but probably not what the hospital meant
)

// Rule IDs. They are stable: callers count and filter by them.
const (
	RuleRequired              = "required"
	RuleType                  = "type"
	RuleEmpty                 = "empty"
	RuleEnumCodeType          = "enum.code_type"
	RuleEnumSetting           = "enum.setting"
	RuleEnumMethodology       = "enum.methodology"
	RuleEnumDrugType          = "enum.drug_type"
	RuleEnumState             = "enum.state"
	RuleEnumBoolean           = "enum.boolean"
	RuleDate                  = "date"
	RuleNumber                = "number"
	RuleNumberPositive        = "number.positive"
	RuleNumberTooLarge        = "number.too_large"
	RuleCount                 = "count"
	RuleNineNines             = "allowed_amount.nine_nines"
	RuleDollarNeedsMinMax     = "conditional.dollar_needs_min_max"
	RulePercentageNeedsCount  = "conditional.percentage_needs_count"
	RuleCountNeedsAmounts     = "conditional.count_needs_allowed_amounts"
	RuleZeroCountNeedsNotes   = "conditional.zero_count_needs_notes"
	RulePercentageNeedsEst    = "conditional.percentage_needs_estimate"
	RuleOtherNeedsNotes       = "conditional.other_needs_notes"
	RuleNDCNeedsDrugInfo      = "conditional.ndc_needs_drug_info"
	RuleDrugUnitNeedsType     = "conditional.drug_unit_needs_type"
	RuleChargeNeedsCode       = "conditional.charge_needs_code"
	RuleCodeNeedsType         = "conditional.code_needs_type"
	RuleItemNeedsCharge       = "conditional.item_needs_charge"
	RulePayerNeedsCharge      = "conditional.payer_needs_charge"
	RulePayerNeedsMethodology = "conditional.payer_needs_methodology"
	RulePayerNeedsName        = "conditional.charge_needs_payer"
	RuleModifierNeedsCharge   = "conditional.modifier_needs_charge"
	RuleHeaderMissingColumn   = "header.missing_column"
	RuleHeaderBlank           = "header.blank"
	RuleHeaderDuplicate       = "header.duplicate_column"
	RuleHeaderUnknown         = "header.unknown_column"
	RuleHeaderUnrecognized    = "header.unrecognized"
	RuleHeaderAmbiguous       = "header.ambiguous_format"
	RuleLayoutNoPayers        = "layout.no_payer_columns"
	RuleVersionUnknown        = "version.unknown"
	RuleVersionMismatch       = "version.mismatch"
	RuleAttestationFalse      = "attestation.false"
	RuleAttestationText       = "attestation.text"
	RuleRemovedInV3           = "removed_in_v3"
	RuleMinRows               = "rows.min"
	RuleCSVSyntax             = "csv.syntax"
	RuleCSVDelimiter          = "csv.delimiter"
	RuleJSONSyntax            = "json.syntax"
	RuleJSONOrder             = "json.order"
	RuleTooLarge              = "too_large"
)

// Problem is one violation of a CMS rule.
type Problem struct {
	Row      int    // CSV: 1-based line of the file's record; JSON: 1-based index in standard_charge_information (0 for the file as a whole)
	Column   string // CSV: the header name; JSON: the path inside the item or file
	Rule     string // stable rule ID, e.g. "required" or "conditional.dollar_needs_min_max"
	Severity string // SeverityError or SeverityWarning
	Message  string // for people
}

// String formats p for logs and the command line.
func (p Problem) String() string {
	return fmt.Sprintf("row %d, %s: %s [%s] %s", p.Row, p.Column, p.Severity, p.Rule, p.Message)
}

// problems collects Problems for one row, item or file.
type problems []Problem

func (ps *problems) errorf(row int, col, rule, format string, args ...any) {
	*ps = append(*ps, Problem{Row: row, Column: col, Rule: rule, Severity: SeverityError, Message: fmt.Sprintf(format, args...)})
}

func (ps *problems) warnf(row int, col, rule, format string, args ...any) {
	*ps = append(*ps, Problem{Row: row, Column: col, Rule: rule, Severity: SeverityWarning, Message: fmt.Sprintf(format, args...)})
}

// FormatError is returned by Open when the file cannot be read as a CMS price
// file at all: a wrong delimiter, header rows it cannot understand, or JSON
// that is not an object. Problems says what is wrong, row by row.
type FormatError struct {
	Name     string
	Problems []Problem
	Applied  string // the CMS version whose rules were being applied, "" if not yet chosen
}

// Error summarises the first problem.
func (e *FormatError) Error() string {
	if len(e.Problems) == 0 {
		return fmt.Sprintf("%s: not a CMS price file", e.Name)
	}
	return fmt.Sprintf("%s: not a readable CMS price file: %s", e.Name, e.Problems[0].Message)
}
