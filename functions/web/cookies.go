package web

import (
	"net/http"
	"time"

	"hospitalpriceline/functions/priceline"
)

// setHostCookie sets one of the site's cookies. Every one is __Host- (the
// browser insists on Secure, Path=/ and no Domain) and HttpOnly, because no
// script of ours reads a cookie (ASVS V3.3.1–V3.3.4); they differ only in
// name, SameSite and lifetime. maxAge is passed as net/http reads it: -1
// deletes the cookie.
func setHostCookie(w http.ResponseWriter, name, value string, sameSite http.SameSite, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		Secure:   true,
		HttpOnly: true,
		SameSite: sameSite,
		MaxAge:   maxAge,
	})
}

// setSessionCookie sets the session cookie, expiring with the session.
// SameSite=Lax, so that a top-level navigation from B2C back to us still
// carries it.
func setSessionCookie(w http.ResponseWriter, value string, expires time.Time, now time.Time) {
	setHostCookie(w, SessionCookie, value, http.SameSiteLaxMode, int(expires.Sub(now).Seconds()))
}

// clearSessionCookie tells the browser to forget the session cookie.
func clearSessionCookie(w http.ResponseWriter) {
	setHostCookie(w, SessionCookie, "", http.SameSiteLaxMode, -1)
}

// setFlowCookie binds a new flow to this browser for at most the flow's
// lifetime. SameSite=Lax, not Strict: the callback is a top-level
// navigation from the provider's site, which Strict would send without it.
func setFlowCookie(w http.ResponseWriter, id string) {
	setHostCookie(w, B2CFlowCookie, id, http.SameSiteLaxMode, int(priceline.AuthFlowLifetime.Seconds()))
}

// clearFlowCookie tells the browser to forget its B2C flow.
func clearFlowCookie(w http.ResponseWriter) {
	setHostCookie(w, B2CFlowCookie, "", http.SameSiteLaxMode, -1)
}

// setStepCookie sets (or with value "" clears) the cookie of a step that
// lives as long as its server-side state: the pending two-step sign-in
// (PendingCookie) or a passkey ceremony (CeremonyCookie). SameSite=Strict:
// both steps are this site's own requests.
func setStepCookie(w http.ResponseWriter, name, value string, expires, now time.Time) {
	maxAge := int(expires.Sub(now).Seconds())
	if value == "" || maxAge < 1 {
		value, maxAge = "", -1
	}
	setHostCookie(w, name, value, http.SameSiteStrictMode, maxAge)
}
