// Package funchost is the Azure Functions custom-handler contract: it turns
// the web package's one route table into a staged function app (host.json,
// the handler binary and one function.json per function), checks a staged
// app against the rules the Functions host enforces, and answers the host's
// invocation requests for timer functions.
//
// Facts this package relies on, from the Azure Functions custom-handler and
// HTTP/timer binding documentation and the azure-functions-host and
// azure-webjobs-sdk-extensions sources:
//
//   - Proxying. With customHandler.enableProxyingHttpRequest true, the host
//     proxies the original HTTP request to the handler (YARP's IHttpForwarder:
//     azure-functions-host src/WebJobs.Script/Workers/Http/HttpProxyService/
//     DefaultHttpProxyService.cs) instead of sending the JSON invocation
//     payload, but only for a function whose metadata has exactly one input
//     binding, of type httpTrigger, and exactly one output binding, of type
//     http (FunctionMetadata.IsHttpInAndOutFunction; types compared
//     case-insensitively, binding names do not matter). Any extra binding
//     silently switches that function back to the JSON payload, so CheckApp
//     insists on exactly those two. The proxy streams the body whatever its
//     framing, passes the query on as sent, and adds an invocation-ID
//     header. The handler sees the host's loopback address as RemoteAddr.
//     The legacy enableForwardingHttpRequest instead rebuilds the request
//     (HttpWorkerOptions: "the legacy setting that rebuilds the HTTP request
//     for forwarding"; DefaultHttpWorkerService.ProcessHttpInAndOutInvocation
//     Request), re-encoding the query from a dictionary and copying the body
//     only when Content-Length is positive, so a chunked body would reach
//     the handler empty: CheckApp refuses it.
//   - Invocation payload. Every other function (here: timers) is invoked with
//     POST /{FunctionName} on the handler's port and a JSON body
//     {"Data": {<binding name>: ...}, "Metadata": {"sys": {...}, ...}}. The
//     handler answers {"Outputs": {...}, "Logs": [...], "ReturnValue": ...}.
//     A non-2xx answer fails the invocation and the host then ignores the
//     body, Logs included, so failures must also go to the handler's own log.
//   - Function names are folder names matching ^[a-z][a-z0-9_-]{0,127}$
//     case-insensitively, and "host" is reserved. Binding names match
//     ^[a-zA-Z][a-zA-Z0-9]{0,127}$ or are "$return".
//   - Routes. extensions.http.routePrefix "" removes the default "api"
//     prefix. An empty route defaults to the function name, so the site root
//     needs an optional parameter: RootRoute. Routes whose text, trimmed of
//     '/', starts with "admin" or "runtime" (case-insensitive) are rejected
//     by the host, and /admin/* requests never reach functions. Two functions
//     whose routes are equal (ignoring case and surrounding '/') and whose
//     methods intersect are rejected. Matching is ASP.NET routing:
//     case-insensitive literals, {name} one segment, {name?} optional, {*name}
//     catch-all, inline constraints; the host sorts routes literal-first,
//     then by constraint count, then longer-first, and takes the first route
//     whose path and method both match; no match is 404.
//   - Timers. The schedule is a six-field NCRONTAB expression (second minute
//     hour day month day-of-week), parsed by NCrontab with seconds included.
//     The TimeSpan form ("01:00:00") works only on App Service (Dedicated)
//     plans, so ValidateSchedule rejects it.
//
// Why proxying rather than the payload for HTTP: the web package stays an
// ordinary net/http server that runs the same way under the host, locally
// and in tests.
package funchost
