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

// viewsOf turns each element of xs into its view: the list answers of the
// API. Never nil, so that an empty list is [] in JSON, not null.
func viewsOf[T, V any](xs []T, view func(*T) V) []V {
	out := make([]V, 0, len(xs))
	for i := range xs {
		out = append(out, view(&xs[i]))
	}
	return out
}
