// Package services is the catalogue of shoppable services people can name
// (the 70 CMS-specified shoppable services of 45 CFR 180.60) and the rules
// that put hospitals' price rows under them: by billing code where a row
// carries one, by an explainable description match where it carries only
// the hospital's own chargemaster code, and the placeholder and outlier rules
// that keep amounts such as $0 or 9999999 from being shown as prices.
//
// It is pure: it reads only its embedded data files (data/), imports only
// the priceline domain, and does no I/O. docs/services.md explains the
// catalogue, the matcher and its measured precision and recall.
package services
