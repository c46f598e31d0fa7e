// Package web is Hospital Priceline's HTTP server: one route table, the
// handlers that translate HTTP to the flows in package auth, the middleware
// (security headers, body limits, CSRF) and the error-to-status mapping.
//
// Handlers return errors; one function (respond, in respond.go) turns them into
// status codes and JSON bodies, error pages or forms shown again, so every bad input is answered the same way.
package web
