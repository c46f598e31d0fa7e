package tablestorage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"

	"hospitalpriceline/functions/internal/azurite"
	"hospitalpriceline/functions/priceline"
)

// recordingTransport answers every request with 404 and remembers the URLs,
// so client construction can be checked without a network.
type recordingTransport struct {
	mu   sync.Mutex
	urls []string
}

func (rt *recordingTransport) Do(req *http.Request) (*http.Response, error) {
	rt.mu.Lock()
	rt.urls = append(rt.urls, req.URL.String())
	rt.mu.Unlock()
	return &http.Response{
		StatusCode: http.StatusNotFound,
		Header:     http.Header{"Content-Type": {"application/json"}, "X-Ms-Error-Code": {"ResourceNotFound"}},
		Body:       io.NopCloser(strings.NewReader(`{"odata.error":{"code":"ResourceNotFound","message":{"value":"not found"}}}`)),
		Request:    req,
	}, nil
}

func TestUseDevelopmentStorageTargetsLocalAzurite(t *testing.T) {
	for _, cs := range []string{"UseDevelopmentStorage=true", "UseDevelopmentStorage=true;", " usedevelopmentstorage=TRUE "} {
		rt := &recordingTransport{}
		c, err := NewFromConnectionString(cs, Options{ClientOptions: &aztables.ClientOptions{ClientOptions: policy.ClientOptions{Transport: rt}}})
		if err != nil {
			t.Fatalf("NewFromConnectionString(%q): %v", cs, err)
		}
		if err := c.Ping(context.Background()); err != nil {
			t.Fatalf("Ping: %v", err)
		}
		if len(rt.urls) == 0 || !strings.HasPrefix(rt.urls[0], "http://127.0.0.1:10002/devstoreaccount1/users(") {
			t.Errorf("%q sent requests to %v", cs, rt.urls)
		}
	}
}

func TestMalformedConnectionStringDoesNotEchoIt(t *testing.T) {
	_, err := NewFromConnectionString("AccountKey=c2VjcmV0LWtleQ==;nonsense", Options{})
	if err == nil {
		t.Fatal("malformed connection string accepted")
	}
	if strings.Contains(err.Error(), "c2VjcmV0") {
		t.Errorf("error reveals the key: %v", err)
	}
}

func TestTablePrefixValidated(t *testing.T) {
	cs := "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + azurite.DevAccountKey + ";TableEndpoint=http://127.0.0.1:1/devstoreaccount1"
	for _, p := range []string{"", "t1", "Abc123"} {
		if _, err := NewFromConnectionString(cs, Options{TablePrefix: p}); err != nil {
			t.Errorf("prefix %q rejected: %v", p, err)
		}
	}
	longest, err := NewFromConnectionString(cs, Options{TablePrefix: "a" + strings.Repeat("1", maxTablePrefix-1)})
	if err != nil {
		t.Fatalf("prefix of %d characters rejected: %v", maxTablePrefix, err)
	}
	for _, name := range longest.tableNames {
		if len(name) > 63 {
			t.Errorf("table name %q is over 63 characters", name)
		}
	}
	for _, p := range []string{"1abc", "a-b", "a_b", "a b", "ä", "a'b", strings.Repeat("a", 60)} {
		if _, err := NewFromConnectionString(cs, Options{TablePrefix: p}); err == nil {
			t.Errorf("prefix %q accepted", p)
		}
	}
}

type fakeCredential struct{}

func (fakeCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "t", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func TestNewWithCredentialRequiresHTTPS(t *testing.T) {
	if _, err := NewWithCredential("https://acct.table.core.windows.net", fakeCredential{}, Options{}); err != nil {
		t.Errorf("https endpoint rejected: %v", err)
	}
	for _, ep := range []string{"http://acct.table.core.windows.net", "acct.table.core.windows.net", "", "https://"} {
		if _, err := NewWithCredential(ep, fakeCredential{}, Options{}); err == nil {
			t.Errorf("endpoint %q accepted", ep)
		}
	}
	if _, err := NewWithCredential("https://acct.table.core.windows.net", nil, Options{}); err == nil {
		t.Error("nil credential accepted")
	}
}

func TestFailFastRetryAppliedUnlessConfigured(t *testing.T) {
	if got := clientOptions(Options{}).Retry; got.MaxRetries != 2 || got.TryTimeout != 3*time.Second {
		t.Errorf("default retry = %+v", got)
	}
	custom := &aztables.ClientOptions{ClientOptions: policy.ClientOptions{Retry: policy.RetryOptions{MaxRetries: -1}}}
	if got := clientOptions(Options{ClientOptions: custom}).Retry; got.MaxRetries != -1 {
		t.Errorf("injected retry options overridden: %+v", got)
	}
}

func responseError(status int, code string) error {
	resp := &http.Response{
		StatusCode: status,
		Header:     http.Header{"X-Ms-Error-Code": {code}},
		Body:       io.NopCloser(strings.NewReader("")),
		Request:    &http.Request{Method: http.MethodGet, URL: mustURL("http://127.0.0.1:10002/devstoreaccount1/users")},
	}
	return runtime.NewResponseError(resp)
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func TestTranslateErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		kind string
	}{
		{"404", responseError(404, "ResourceNotFound"), priceline.KindNotFound},
		{"409", responseError(409, "EntityAlreadyExists"), priceline.KindConflict},
		{"412", responseError(412, "UpdateConditionNotSatisfied"), priceline.KindConflict},
		{"500", responseError(500, "InternalError"), priceline.KindUnavailable},
		{"503", responseError(503, "ServerBusy"), priceline.KindUnavailable},
		{"429", responseError(429, "TooManyRequests"), priceline.KindUnavailable},
		{"400", responseError(400, "InvalidInput"), priceline.KindInternal},
		{"403", responseError(403, "AuthorizationFailure"), priceline.KindInternal},
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}, priceline.KindUnavailable},
		{"dns", fmt.Errorf("send: %w", &net.DNSError{Err: "no such host", Name: "acct.table.core.windows.net"}), priceline.KindUnavailable},
		{"deadline", fmt.Errorf("try: %w", context.DeadlineExceeded), priceline.KindUnavailable},
		{"eof", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), priceline.KindUnavailable},
		{"other", errors.New("json: cannot unmarshal"), priceline.KindInternal},
	} {
		got := translate(c.err, "op")
		if priceline.ErrorKind(got) != c.kind {
			t.Errorf("%s: kind %q (%v), want %q", c.name, priceline.ErrorKind(got), got, c.kind)
		}
		var pe *priceline.Error
		if !errors.As(got, &pe) || !errors.Is(got, c.err) {
			t.Errorf("%s: cause not kept: %v", c.name, got)
			continue
		}
		if c.kind == priceline.KindUnavailable && (pe.Code != "storage_unavailable" || pe.RetryAfter != 2*time.Second) {
			t.Errorf("%s: code %q retry-after %v", c.name, pe.Code, pe.RetryAfter)
		}
		if strings.Contains(pe.Message, "127.0.0.1") || strings.Contains(pe.Message, "table") || strings.Contains(pe.Message, c.err.Error()) {
			t.Errorf("%s: message reveals internals: %q", c.name, pe.Message)
		}
	}
	if translate(nil, "op") != nil {
		t.Error("translate(nil) != nil")
	}
}
