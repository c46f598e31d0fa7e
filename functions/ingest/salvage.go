package ingest

import "hospitalpriceline/functions/priceline"

// RuleCount counts one rule's problems by severity.
type RuleCount struct {
	Errors, Warnings int
}

// hasPrice reports whether c carries something a person could compare:
// a gross, cash, minimum or maximum charge, or a payer's dollar amount,
// percentage, algorithm, estimated or median amount.
func hasPrice(c *priceline.Charge) bool {
	return c.Gross.Set || c.DiscountedCash.Set || c.Min.Set || c.Max.Set || c.NegotiatedDollar.Set ||
		c.NegotiatedPercentage != "" || c.NegotiatedAlgorithm != "" || c.EstimatedAmount.Set || c.Median.Set
}
