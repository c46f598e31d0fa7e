package priceline

// Refusal names one way a component says no: the Kind that picks the
// status, the Code callers and the API act on, and the Message shown. The
// producer returns r.Err() and the checker asks r.In(err), so the two
// compare through one value and cannot drift apart in spelling.
type Refusal struct {
	Kind    string
	Code    string
	Message string
}

// Err returns the refusal as a new *Error each call, so a caller that
// wraps or changes its error cannot change another caller's.
func (r Refusal) Err() error { return r.Wrap(nil) }

// Wrap returns the refusal as a new *Error that keeps cause (which may be
// nil) for the log; the cause is never shown.
func (r Refusal) Wrap(cause error) *Error {
	return Wrap(cause, r.Kind, r.Code, r.Message)
}

// Saying returns the same refusal (kind and code) worded for another
// situation, for a flow that says more than the store did.
func (r Refusal) Saying(message string) Refusal {
	r.Message = message
	return r
}

// In reports whether err, or an error it wraps, is this refusal: an *Error
// with r's code.
func (r Refusal) In(err error) bool { return err != nil && ErrorCode(err) == r.Code }
