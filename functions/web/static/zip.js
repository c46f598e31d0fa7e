// Progressive enhancement only: the comparison page works without this file.
// Remembers the ZIP code in this browser (localStorage; it never leaves the
// browser except in the form the person sends) and fills the field on load.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var zip = document.getElementById("zip");
  var form = document.getElementById("compare-form");
  if (!zip || !form) return;
  var key = "priceline.zip";
  var store = null;
  try { store = window.localStorage; } catch (e) { return; }
  if (!store) return;
  if (zip.value === "") {
    var kept = store.getItem(key);
    if (kept && /^\d{5}$/.test(kept)) zip.value = kept;
  }
  form.addEventListener("submit", function () {
    var v = zip.value.trim();
    if (/^\d{5}$/.test(v)) store.setItem(key, v);
    else if (v === "") store.removeItem(key);
  });
});
