package b2c

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"

	"hospitalpriceline/functions/priceline"
)

// Messages shown to users. They never include provider text, which may be
// attacker-influenced (error_description comes back through the browser).
const (
	msgGeneric     = "Signing in with your cloud account failed. Please try again."
	msgUnavailable = "Cloud sign-in is unavailable right now. Please try again in a minute."
	msgTokenBad    = "We could not verify your sign-in. Please start again."
)

// retryAfterUnavailable is the RetryAfter of b2c_unavailable errors.
const retryAfterUnavailable = 30 * time.Second

// B2C error codes that arrive in error_description on the callback.
const (
	b2cForgotPassword = "AADB2C90118" // the user chose "Forgot your password?" in a sign-in flow
	b2cCancelled      = "AADB2C90091" // the user cancelled a page of the flow
)

func unavailable(err error) *priceline.Error {
	return priceline.Unavailable(err, "b2c_unavailable", msgUnavailable, retryAfterUnavailable)
}

func tokenInvalid(err error) *priceline.Error {
	return priceline.Wrap(err, priceline.KindUnauthorized, "b2c_token_invalid", msgTokenBad)
}

// providerError turns an error response on the callback into a specific code.
// The description is kept only as the (sanitised) cause.
func providerError(code, desc string) *priceline.Error {
	cause := fmt.Errorf("provider returned error %q: %s", sanitize(code, 64), sanitize(desc, 300))
	switch {
	case strings.Contains(desc, b2cForgotPassword):
		return priceline.ForgotPassword.Wrap(cause)
	case strings.Contains(desc, b2cCancelled) || (code == "access_denied" && strings.Contains(strings.ToLower(desc), "cancel")):
		return priceline.SignInCancelled.Wrap(cause)
	case code == "temporarily_unavailable" || code == "server_error":
		return unavailable(cause)
	default:
		return priceline.Wrap(cause, priceline.KindUnauthorized, "b2c_error", msgGeneric)
	}
}

// classifyMSALError maps an MSAL failure to a priceline error. It never keeps
// MSAL's CallErr as the cause: its request carries the form body (client
// secret, code, verifier), which a verbose log of the cause would print.
func classifyMSALError(err error, doing string) *priceline.Error {
	var callErr msalerrors.CallErr
	if errors.As(err, &callErr) && callErr.Resp != nil {
		status := callErr.Resp.StatusCode
		endpoint := "metadata"
		if callErr.Req != nil && callErr.Req.Method == http.MethodPost {
			endpoint = "token endpoint"
		}
		oauthErr := readOAuthError(callErr.Resp.Body)
		cause := fmt.Errorf("%s: %s returned HTTP %d %s", doing, endpoint, status, oauthErr)
		if status >= 500 || status == http.StatusTooManyRequests || endpoint == "metadata" {
			return unavailable(cause)
		}
		// A 4xx from the token endpoint: the code was used, expired, issued
		// for another redirect URI or client, or the PKCE verifier is wrong.
		return priceline.Wrap(cause, priceline.KindUnauthorized, "b2c_code_rejected", "Your sign-in could not be completed. Please start again.")
	}
	var urlErr *url.Error
	var netErr net.Error
	if errors.As(err, &urlErr) || errors.As(err, &netErr) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.ErrUnexpectedEOF) {
		return unavailable(fmt.Errorf("%s: %w", doing, stripURLError(err)))
	}
	return priceline.Wrap(fmt.Errorf("%s: %w", doing, err), priceline.KindInternal, "b2c_error", msgGeneric)
}

// stripURLError keeps the transport failure but drops the wrapping text,
// which is only the URL and method.
func stripURLError(err error) error {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return fmt.Errorf("%s %s: %w", urlErr.Op, redactQuery(urlErr.URL), urlErr.Err)
	}
	return err
}

func redactQuery(raw string) string {
	if i := strings.IndexByte(raw, '?'); i >= 0 {
		return raw[:i]
	}
	return raw
}

// readOAuthError extracts error and error_description from a token endpoint
// response body, bounded and sanitised for logs.
func readOAuthError(body io.Reader) string {
	if body == nil {
		return ""
	}
	data, _ := io.ReadAll(io.LimitReader(body, 8<<10))
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(data, &e) != nil || e.Error == "" {
		return ""
	}
	return fmt.Sprintf("(%s: %s)", sanitize(e.Error, 64), sanitize(e.Description, 300))
}

// sanitize bounds s and drops control characters so provider text cannot
// forge log lines.
func sanitize(s string, max int) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= max {
			b.WriteString("…")
			break
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			r = ' '
		}
		b.WriteRune(r)
	}
	return b.String()
}
