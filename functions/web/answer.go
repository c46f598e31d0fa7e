package web

import "net/http"

// answerInput is the usual shape of a JSON API handler: read the named
// string fields of a JSON body (readInput), run do with them, and answer
// status with what do returns (204 No Content answers no body). An error of
// either step is returned for respond, so nothing is written then.
func answerInput(w http.ResponseWriter, r *http.Request, status int, fields, optional []string, do func(in input) (any, error)) error {
	in, err := readInput(r, false, fields, optional)
	if err != nil {
		return err
	}
	out, err := do(in)
	if err != nil {
		return err
	}
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return nil
	}
	writeJSON(w, status, out)
	return nil
}

// answerQuery is answerInput's twin for the public GET routes: read the
// query (queryParams: only the parameters in limits, each at most that
// long), run do with it, and answer 200 with what do returns, cacheable
// (writePublicJSON: only a success is).
func answerQuery(w http.ResponseWriter, r *http.Request, limits map[string]int, do func(q map[string]string) (any, error)) error {
	q, err := queryParams(r, limits)
	if err != nil {
		return err
	}
	out, err := do(q)
	if err != nil {
		return err
	}
	writePublicJSON(w, out)
	return nil
}

// answerOwn is the shape of every signed-in read behind withSession (GET
// /api/me, its sessions, MFA, passkeys, saved estimates and plan): none takes
// a query parameter, so any is refused as the price routes refuse an unknown
// one (docs/api.md), every bad input getting a clear error rather than being
// ignored; the answer is 200 with what do returns, private (withSession has
// already said no-store).
func answerOwn(w http.ResponseWriter, r *http.Request, do func() (any, error)) error {
	if _, err := queryParams(r, nil); err != nil {
		return err
	}
	out, err := do()
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// viewsOf turns each element of xs into its view: the list answers of the
// API. Never nil, so that an empty list is [] in JSON, not null.
func viewsOf[T, V any](xs []T, view func(*T) V) []V {
	out := make([]V, 0, len(xs))
	for i := range xs {
		out = append(out, view(&xs[i]))
	}
	return out
}
