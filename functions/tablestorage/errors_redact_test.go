package tablestorage

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"hospitalpriceline/functions/internal/azurite"
	"hospitalpriceline/functions/priceline"
)

// Stand-ins for a user ID (partition key) and a session key (row key: the
// SHA-256 of a session ID), in the shapes the session store accepts.
const (
	redactUserID     = "0123456789abcdef0123456789abcdef"
	redactSessionKey = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
)

// logged is what the HTTP layer's error log line would hold for err: the
// same slog JSON handler and "err" attribute as web.Server.respond.
func logged(err error) string {
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Error("request failed", "status", 503, "err", err)
	return buf.String()
}

// assertNoKeys fails when text holds either key, raw or in any part.
func assertNoKeys(t *testing.T, what, text string) {
	t.Helper()
	for _, k := range []string{redactUserID, redactSessionKey, redactSessionKey[:16], redactSessionKey[48:]} {
		if strings.Contains(text, k) {
			t.Errorf("%s holds a key %q:\n%s", what, k, text)
		}
	}
}

// sdkResponseError builds the error azcore returns for a failed request, from
// an http.Response as the pipeline would see it.
func sdkResponseError(t *testing.T, method, rawURL string, status int, code, body string) error {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	resp := &http.Response{
		StatusCode: status,
		Status:     http.StatusText(status),
		Header:     http.Header{"X-Ms-Error-Code": {code}, "X-Ms-Request-Id": {"req-1234"}},
		Body:       io.NopCloser(strings.NewReader(body)),
		Request:    &http.Request{Method: method, URL: u},
	}
	return runtime.NewResponseError(resp)
}

// Storage errors on session paths carry the session key in azcore's text
// (the entity URL) and in transport errors (the URL and its $filter). The
// logged text must hold neither key (ASVS V16.2.5: session tokens are not
// logged, or only masked), while errors.As and the Kind/Code mapping still
// see the SDK error.
func TestASVS_V16_2_5_StorageErrorTextHoldsNoSessionKey(t *testing.T) {
	entityURL := "https://acct.table.core.windows.net/sessions(PartitionKey='" + redactUserID + "',RowKey='" + redactSessionKey + "')"
	body := `{"odata.error":{"code":"InternalError","message":{"lang":"en-US","value":"Server busy on sessions(PartitionKey='` + redactUserID + `',RowKey='` + redactSessionKey + `')"}}}`
	cases := []struct {
		name     string
		err      error
		kind     string
		status   int
		wantText []string
	}{
		{
			name:     "server error on a point read",
			err:      sdkResponseError(t, "GET", entityURL, http.StatusServiceUnavailable, "ServerBusy", body),
			kind:     priceline.KindUnavailable,
			status:   http.StatusServiceUnavailable,
			wantText: []string{"read session", "status 503", "error code ServerBusy", "request id req-1234", "sessions(PartitionKey='[redacted]',RowKey='[redacted]')"},
		},
		{
			name:     "refused request",
			err:      sdkResponseError(t, "DELETE", entityURL, http.StatusForbidden, "AuthorizationFailure", ""),
			kind:     priceline.KindInternal,
			status:   http.StatusForbidden,
			wantText: []string{"read session", "status 403", "error code AuthorizationFailure"},
		},
		{
			name: "percent-encoded path with a doubled quote",
			err: sdkResponseError(t, "GET", "https://acct.table.core.windows.net/sessions%28PartitionKey=%27"+redactUserID+
				"%27%27x%27,RowKey=%27"+redactSessionKey+"%27%29", http.StatusInternalServerError, "InternalError", ""),
			kind:   priceline.KindUnavailable,
			status: http.StatusInternalServerError,
		},
		{
			name: "already wrapped by the caller",
			err: &url.Error{Op: "Get", URL: entityURL + "?$filter=PartitionKey%20eq%20%27" + redactUserID + "%27&$top=5",
				Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}},
			kind:     priceline.KindUnavailable,
			wantText: []string{"$filter=[redacted]&$top=5", "connection refused"},
		},
		{
			name: "filter written out",
			err:  errors.New("list sessions where PartitionKey eq '" + redactUserID + "' and RowKey ge '" + redactSessionKey + "': " + "timeout"),
			kind: priceline.KindInternal,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := translate(c.err, "read session")
			if got := priceline.ErrorKind(err); got != c.kind {
				t.Errorf("kind = %q, want %q (%v)", got, c.kind, err)
			}
			var re *azcore.ResponseError
			if c.status != 0 && (!errors.As(err, &re) || re.StatusCode != c.status) {
				t.Errorf("errors.As(*azcore.ResponseError) lost the SDK error: %v", err)
			}
			var ue *url.Error
			if errors.As(c.err, &ue) && !errors.As(err, &ue) {
				t.Errorf("errors.As(*url.Error) lost the transport error: %v", err)
			}
			text := err.Error()
			assertNoKeys(t, "Error()", text)
			assertNoKeys(t, "the log line", logged(err))
			for _, w := range c.wantText {
				if !strings.Contains(text, w) {
					t.Errorf("Error() lacks %q:\n%s", w, text)
				}
			}
			if strings.Contains(text, "odata.error") {
				t.Errorf("Error() repeats the response body:\n%s", text)
			}
		})
	}
}

// failingClients are two clients of one test prefix whose requests fail
// without retries: refused signs with a wrong account key (403), down
// points at a closed port (transport errors that show the whole URL).
func failingClients(t *testing.T) (*Client, *Client) {
	t.Helper()
	srv := azurite.Shared(t)
	good := newTestClient(t)
	fast := &aztables.ClientOptions{ClientOptions: policy.ClientOptions{Retry: policy.RetryOptions{MaxRetries: -1}}}
	wrongKey := strings.Replace(srv.ConnectionString(), azurite.DevAccountKey, "AAAA"+azurite.DevAccountKey[4:], 1)
	refused, err := NewFromConnectionString(wrongKey, Options{TablePrefix: good.prefix, ClientOptions: fast})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	down, err := NewFromConnectionString(strings.Replace(srv.ConnectionString(),
		"127.0.0.1:"+strconv.Itoa(srv.Port), "127.0.0.1:"+strconv.Itoa(closedPort), 1), Options{TablePrefix: good.prefix, ClientOptions: fast})
	if err != nil {
		t.Fatal(err)
	}
	return refused, down
}

// The same through the session store against Azurite: a request refused
// by the service (wrong account key, 403) and storage unreachable (a closed
// port: transport errors whose text is the whole URL, $filter included)
// yield errors whose text names no key.
func TestASVS_V16_2_5_SessionStoreErrorsAgainstAzuriteHoldNoSessionKey(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	refused, down := failingClients(t)

	checks := []struct {
		name string
		kind string
		call func() error
	}{
		{"read, refused", priceline.KindInternal, func() error {
			_, err := refused.Sessions().Session(ctx, redactUserID, redactSessionKey)
			return err
		}},
		{"delete, refused", priceline.KindInternal, func() error {
			return refused.Sessions().DeleteSession(ctx, redactUserID, redactSessionKey)
		}},
		{"read, storage down", priceline.KindUnavailable, func() error {
			_, err := down.Sessions().Session(ctx, redactUserID, redactSessionKey)
			return err
		}},
		{"delete, storage down", priceline.KindUnavailable, func() error {
			return down.Sessions().DeleteSession(ctx, redactUserID, redactSessionKey)
		}},
		{"list by filter, storage down", priceline.KindUnavailable, func() error {
			_, err := down.Sessions().UserSessions(ctx, redactUserID)
			return err
		}},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			if err == nil {
				t.Fatal("no error")
			}
			t.Logf("logged as: %v", err)
			if got := priceline.ErrorKind(err); got != c.kind {
				t.Errorf("kind = %q, want %q: %v", got, c.kind, err)
			}
			// The unredacted cause is still there for code that inspects it.
			var re *azcore.ResponseError
			if c.kind == priceline.KindInternal && (!errors.As(err, &re) || re.StatusCode != http.StatusForbidden) {
				t.Errorf("errors.As(*azcore.ResponseError) = %v, want the 403: %v", re, err)
			}
			assertNoKeys(t, "Error()", err.Error())
			assertNoKeys(t, "the log line", logged(err))
			if !strings.Contains(err.Error(), "[redacted]") {
				t.Errorf("expected a placeholder where the key was: %v", err)
			}
		})
	}
}

// A failed merge into a user record says what the merge was for, but not
// whose record it was: the user ID is a partition key, and error texts reach
// the logs (ASVS V16.2.5). Refused (403) and unreachable storage both go
// through translate with the merge's name.
func TestASVS_V16_2_5_UserMergeErrorsHoldNoUserID(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	refused, down := failingClients(t)
	for name, c := range map[string]*Client{"refused": refused, "storage down": down} {
		t.Run(name, func(t *testing.T) {
			err := c.Users().mergeUser(ctx, redactUserID, azcore.ETag(`W/"datetime'2024-01-01T00%3A00%3A00Z'"`),
				entity{"Name": "x"}, "update profile")
			if err == nil {
				t.Fatal("no error")
			}
			assertNoKeys(t, "Error()", err.Error())
			assertNoKeys(t, "the log line", logged(err))
			if !strings.Contains(err.Error(), "update profile of a user") {
				t.Errorf("Error() no longer says what failed: %v", err)
			}
		})
	}
}

// The conflicts the stores wrap themselves (not through translate) hide the
// keys too: the auth flows log them as warnings.
func TestASVS_V16_2_5_ConflictErrorsHoldNoKeys(t *testing.T) {
	entityURL := "https://acct.table.core.windows.net/sessions(PartitionKey='" + redactUserID + "',RowKey='" + redactSessionKey + "')"
	sdk := sdkResponseError(t, "PUT", entityURL, http.StatusConflict, "EntityAlreadyExists", "")
	for name, err := range map[string]error{
		"session_changed": conflict(priceline.SessionChanged, sdk),
		"session_exists":  conflict(priceline.SessionExists, sdk),
		"redacted twice":  redactKeys(redactKeys(sdk)),
		"user_exists":     conflict(priceline.UserExists, sdk),
	} {
		if err == nil {
			continue
		}
		assertNoKeys(t, name, err.Error())
		assertNoKeys(t, name+" logged", logged(err))
		var re *azcore.ResponseError
		if !errors.As(err, &re) || re.StatusCode != http.StatusConflict {
			t.Errorf("%s: errors.As lost the SDK error", name)
		}
	}
}

// A listing's later pages carry the next entity's keys (base64) in the
// continuation query; a transport error on such a page shows that URL.
func TestASVS_V16_2_5_ContinuationTokensAreRedacted(t *testing.T) {
	pk := "1!44!" + base64.StdEncoding.EncodeToString([]byte(redactUserID))
	rk := "1!88!" + base64.StdEncoding.EncodeToString([]byte(redactSessionKey))
	err := translate(&url.Error{Op: "Get", URL: "https://acct.table.core.windows.net/sessions()?$top=1000&NextPartitionKey=" + pk + "&NextRowKey=" + rk,
		Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}, "sweep sessions")
	for _, text := range []string{err.Error(), logged(err)} {
		assertNoKeys(t, "continuation", text)
		if strings.Contains(text, pk) || strings.Contains(text, rk) || strings.Contains(text, pk[5:20]) || strings.Contains(text, rk[5:20]) {
			t.Errorf("continuation keys in %q", text)
		}
		if !strings.Contains(text, "NextPartitionKey=[redacted]") || !strings.Contains(text, "NextRowKey=[redacted]") {
			t.Errorf("want placeholders in %q", text)
		}
	}
}
