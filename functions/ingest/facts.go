package ingest

import (
	"strings"

	"hospitalpriceline/functions/mrf"
	"hospitalpriceline/functions/priceline"
)

// facts are what a summary tells a reader about how far to trust the
// hospital's numbers; CommitImport stores them with the hospital.
func facts(sum *Summary) priceline.ImportFacts {
	return priceline.ImportFacts{
		Attests:      attests(sum.FileProblems),
		RowsRead:     sum.RowsRead,
		RowsImported: sum.RowsImported,
		RowsRejected: sum.RowsRejected,
		RowsSalvaged: sum.RowsSalvaged,
		CellsDropped: sum.CellsDropped,
	}
}

// attests reads the file's attestation (v3) or affirmation (v2) from the
// reader's file problems: the reader warns when the hospital answered
// false and errs when the answer is missing or not true or false, so a
// file with neither problem answered true. Problems with the statement's
// wording or the attester's name do not change the answer.
func attests(ps []mrf.Problem) string {
	answer := "true"
	for _, p := range ps {
		col := strings.ToLower(p.Column)
		if strings.Contains(col, "attester_name") ||
			(!strings.Contains(col, "attestation") && !strings.Contains(col, "affirmation")) {
			continue
		}
		switch p.Rule {
		case mrf.RuleAttestationFalse:
			answer = "false"
		case mrf.RuleRequired, mrf.RuleEnumBoolean, mrf.RuleHeaderMissingColumn:
			return ""
		}
	}
	return answer
}
