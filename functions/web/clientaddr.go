package web

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Where the client's address comes from, and why it cannot be forged.
//
// Behind the Functions host every request reaches the handler from the
// host's loopback address, so the client is known only from X-Forwarded-For.
// A client can send that header itself, with any addresses in it; what it
// cannot do is stop the proxies in front of the app from adding to it. Each
// proxy appends the address of the peer it received the connection from
// (Azure Front Door: "If there's an existing X-Forwarded-For header, Front
// Door appends the client socket IP to it", and it passes the original
// header on; https://learn.microsoft.com/azure/frontdoor/front-door-http-headers-protocol).
// So, counting from the right, the first hops entries were written by
// proxies we run behind, and the hops-th one is the address the outermost
// of them saw: the client. Everything left of it is whatever the client
// sent, and is ignored.
//
//   - A bare Function App: the App Service front end is the only proxy, so
//     hops is 1 (the last entry).
//   - Azure Front Door (or Application Gateway) in front: Front Door appends
//     the client, then the App Service front end appends Front Door, so hops
//     is 2. Lock the app to the Front Door profile (access restriction on
//     X-Azure-FDID), or a client reaching the app directly could put any
//     address second from the right.
//
// Several X-Forwarded-For lines are one list in order (RFC 9110 section
// 5.3), so they are joined before counting. Entries may carry a port
// ("203.0.113.7:51234", "[2001:db8::1]:443"), which is dropped.

// clientAddress returns the address throttling counts against: with hops 0,
// RemoteAddr (the handler is reached directly); otherwise the hops-th
// X-Forwarded-For entry from the right. A chain shorter than hops yields its
// first entry, which a trusted proxy wrote. When there is no usable entry
// the answer is RemoteAddr, which behind the host is loopback: every such
// request then shares one budget, which fails safe.
func clientAddress(r *http.Request, hops int) string {
	remote := remoteHost(r.RemoteAddr)
	if hops <= 0 {
		return remote
	}
	var chain []string
	for _, line := range r.Header.Values("X-Forwarded-For") {
		for _, e := range strings.Split(line, ",") {
			if e = strings.TrimSpace(e); e != "" {
				chain = append(chain, e)
			}
		}
	}
	if len(chain) == 0 {
		return remote
	}
	i := max(len(chain)-hops, 0)
	if a, ok := parseForwardedAddr(chain[i]); ok {
		return a
	}
	return remote
}

// parseForwardedAddr accepts an IPv4 or IPv6 address with or without a
// port ("1.2.3.4", "1.2.3.4:80", "2001:db8::1", "[2001:db8::1]:80") and
// returns it in canonical form, IPv4-mapped IPv6 as IPv4.
func parseForwardedAddr(s string) (string, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone("").String(), true
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone("").String(), true
	}
	return "", false
}

// remoteHost is RemoteAddr without its port.
func remoteHost(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return remoteAddr
	}
	return host
}

// clientIP returns the address used for throttling, as configured: the
// forwarded chain only when TrustForwardedFor is set.
func (s *Server) clientIP(r *http.Request) string {
	hops := 0
	if s.Config.TrustForwardedFor {
		hops = max(s.Config.TrustedProxyHops, 1)
	}
	return clientAddress(r, hops)
}
