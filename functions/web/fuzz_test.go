package web

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"unicode/utf8"

	"hospitalpriceline/functions/priceline"
)

// FuzzReadInput feeds arbitrary bodies and content types to the request
// decoder that login, register and password change use. It must not panic,
// must answer every bad body with a client error (invalid, unsupported
// media type or too large) carrying a code and a message, and when it
// accepts a body the result must hold exactly the allowed fields, every
// required one, each valid UTF-8.
func FuzzReadInput(f *testing.F) {
	f.Add("application/json", []byte(`{"email":"a@example.com","password":"purple-Tiger-42-bicycle"}`), true)
	f.Add("application/json", []byte(`{"email":"a@example.com","password":"x","returnTo":"/account"}`), false)
	f.Add("application/x-www-form-urlencoded", []byte("email=a%40example.com&password=x&returnTo=%2F"), true)
	f.Add("multipart/form-data; boundary=XYZ", []byte("--XYZ\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\na@example.com\r\n--XYZ\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nx\r\n--XYZ--\r\n"), true)
	fields, optional := []string{"email", "password"}, []string{"returnTo"}
	f.Fuzz(func(t *testing.T, contentType string, body []byte, allowForm bool) {
		r := httptest.NewRequest(http.MethodPost, "/api/login", bytes.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, maxBodyBytes)
		in, err := readInput(r, allowForm, fields, optional)
		if err != nil {
			var pe *priceline.Error
			if !errors.As(err, &pe) || pe.Code == "" || pe.Message == "" {
				t.Fatalf("readInput error %v is not a *priceline.Error with a code and message", err)
			}
			switch pe.Kind {
			case priceline.KindInvalid, priceline.KindUnsupported, priceline.KindTooLarge:
			default:
				t.Fatalf("readInput error kind %q (%v), want a client error", pe.Kind, err)
			}
			return
		}
		for k, v := range in {
			if !slices.Contains(fields, k) && !slices.Contains(optional, k) {
				t.Fatalf("accepted unexpected field %q", k)
			}
			if !utf8.ValidString(v) {
				t.Fatalf("field %q is not valid UTF-8: %q", k, v)
			}
		}
		for _, k := range fields {
			if _, ok := in[k]; !ok {
				t.Fatalf("accepted a body without the required field %q", k)
			}
		}
		if !allowForm && isForm(r) {
			t.Fatalf("accepted a form body where only JSON is allowed")
		}
	})
}
