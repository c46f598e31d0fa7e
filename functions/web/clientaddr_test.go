package web

import (
	"net/http/httptest"
	"testing"
)

func TestClientAddressTakesTheEntryTheTrustedProxiesWrote(t *testing.T) {
	tests := []struct {
		name   string
		xff    []string // one element per header line
		remote string
		hops   int
		want   string
	}{
		{"hops 0 ignores the header", []string{"203.0.113.7"}, "198.51.100.2:4000", 0, "198.51.100.2"},
		{"hops 0 without a header", nil, "[2001:db8::9]:4000", 0, "2001:db8::9"},
		{"bare app: the last entry", []string{"203.0.113.7"}, "127.0.0.1:5000", 1, "203.0.113.7"},
		{"spoofed entries left of the proxy's are ignored", []string{"10.9.9.9, 192.0.2.1, 203.0.113.7"}, "127.0.0.1:5000", 1, "203.0.113.7"},
		{"a spoofed extra header line comes first and is ignored", []string{"192.0.2.1", "203.0.113.7"}, "127.0.0.1:5000", 1, "203.0.113.7"},
		{"several lines are one list", []string{"192.0.2.1, 198.51.100.20", "203.0.113.7"}, "127.0.0.1:5000", 2, "198.51.100.20"},
		{"front door: second from the right", []string{"192.0.2.66, 203.0.113.7, 147.243.1.1"}, "127.0.0.1:5000", 2, "203.0.113.7"},
		{"front door, no client header", []string{"203.0.113.7, 147.243.1.1"}, "127.0.0.1:5000", 2, "203.0.113.7"},
		{"chain shorter than hops: its first entry", []string{"203.0.113.7"}, "127.0.0.1:5000", 2, "203.0.113.7"},
		{"IPv4 with a port", []string{"203.0.113.7:51234"}, "127.0.0.1:5000", 1, "203.0.113.7"},
		{"IPv6", []string{"2001:db8::1"}, "127.0.0.1:5000", 1, "2001:db8::1"},
		{"IPv6 with a port", []string{"[2001:db8::1]:443"}, "127.0.0.1:5000", 1, "2001:db8::1"},
		{"IPv6 in brackets without a port", []string{"[2001:DB8::1]"}, "127.0.0.1:5000", 1, "2001:db8::1"},
		{"IPv4-mapped IPv6 is the IPv4 address", []string{"::ffff:203.0.113.7"}, "127.0.0.1:5000", 1, "203.0.113.7"},
		{"empty entries are skipped", []string{"203.0.113.7, , "}, "127.0.0.1:5000", 1, "203.0.113.7"},
		{"garbage where the proxy's entry should be falls back to RemoteAddr", []string{"203.0.113.7, not-an-ip"}, "127.0.0.1:5000", 1, "127.0.0.1"},
		{"no header falls back to RemoteAddr", nil, "127.0.0.1:5000", 1, "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			for _, line := range tt.xff {
				r.Header.Add("X-Forwarded-For", line)
			}
			if got := clientAddress(r, tt.hops); got != tt.want {
				t.Errorf("clientAddress(X-Forwarded-For %q, RemoteAddr %s, hops %d) = %q, want %q", tt.xff, tt.remote, tt.hops, got, tt.want)
			}
		})
	}
}

func TestClientIPFollowsTheServerConfig(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "127.0.0.1:5000"
	r.Header.Set("X-Forwarded-For", "192.0.2.66, 203.0.113.7, 147.243.1.1")
	for _, tt := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "127.0.0.1"},
		{Config{TrustForwardedFor: true}, "147.243.1.1"},
		{Config{TrustForwardedFor: true, TrustedProxyHops: 2}, "203.0.113.7"},
		{Config{TrustForwardedFor: false, TrustedProxyHops: 2}, "127.0.0.1"},
	} {
		s := &Server{Config: tt.cfg}
		if got := s.clientIP(r); got != tt.want {
			t.Errorf("%+v: clientIP = %q, want %q", tt.cfg, got, tt.want)
		}
	}
}
