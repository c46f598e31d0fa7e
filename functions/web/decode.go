package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"unicode/utf8"

	"hospitalpriceline/functions/priceline"
)

// input is a request's string fields, from a JSON object or an HTML form.
type input map[string]string

// readInput reads the named string fields of a request body. JSON bodies
// must be one object holding only those fields, each a string; HTML form
// posts are accepted when allowForm is set (extra form fields such as the
// submit button are ignored). A field that is absent is an error unless it is
// listed in optional.
func readInput(r *http.Request, allowForm bool, fields, optional []string) (input, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		mt = ""
	}
	switch {
	case mt == "application/json":
		return readJSONInput(r, fields, optional)
	case allowForm && (mt == "application/x-www-form-urlencoded" || mt == "multipart/form-data"):
		return readFormInput(r, fields, optional)
	default:
		want := "application/json"
		if allowForm {
			want += " or an HTML form"
		}
		return nil, priceline.Errorf(priceline.KindUnsupported, "unsupported_media_type", "Send the request body as %s.", want)
	}
}

func readJSONInput(r *http.Request, fields, optional []string) (input, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, bodyReadError(err)
	}
	if !utf8.Valid(body) {
		return nil, invalid("malformed_json", "The request body is not valid UTF-8.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var raw map[string]json.RawMessage
	if err := dec.Decode(&raw); err != nil || raw == nil {
		return nil, invalid("malformed_json", "The request body is not a JSON object.")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, invalid("malformed_json", "The request body has data after the JSON object.")
	}
	in := input{}
	for k, v := range raw {
		if !slices.Contains(fields, k) && !slices.Contains(optional, k) {
			return nil, invalid("unknown_field", "The field %q is not expected here.", k)
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, invalid("invalid_field", "The field %q must be a string.", k)
		}
		in[k] = s
	}
	for _, f := range fields {
		if _, ok := in[f]; !ok {
			return nil, invalid("missing_field", "The field %q is required.", f)
		}
	}
	return in, nil
}

func readFormInput(r *http.Request, fields, optional []string) (input, error) {
	if err := r.ParseMultipartForm(maxBodyBytes); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return nil, bodyReadError(err)
	}
	in := input{}
	for _, f := range append(slices.Clone(fields), optional...) {
		vs, ok := r.PostForm[f]
		if !ok {
			continue
		}
		if len(vs) != 1 {
			return nil, invalid("invalid_field", "The field %q was sent more than once.", f)
		}
		if !utf8.ValidString(vs[0]) {
			return nil, invalid("invalid_field", "The field %q is not valid text.", f)
		}
		in[f] = vs[0]
	}
	for _, f := range fields {
		if _, ok := in[f]; !ok {
			return nil, invalid("missing_field", "The field %q is required.", f)
		}
	}
	return in, nil
}

// bodyReadError turns a body read failure into the right client error.
func bodyReadError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return priceline.Errorf(priceline.KindTooLarge, "body_too_large", "The request body is larger than 64 KiB.")
	}
	return invalid("unreadable_body", "The request body could not be read.")
}
