// Progressive enhancement only: every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // Procedure autocomplete on the search box.
  var input = document.querySelector("input[data-autocomplete]");
  if (!input || !window.fetch) return;
  var list = document.createElement("ul");
  list.className = "suggestions";
  list.id = "q-suggestions";
  list.setAttribute("role", "listbox");
  list.hidden = true;
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-autocomplete", "list");
  input.parentNode.insertBefore(list, input.nextSibling);
  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    var q = input.value.trim();
    if (q.length < 2) { list.hidden = true; return; }
    timer = setTimeout(function () {
      fetch(input.dataset.autocomplete + "?limit=8&q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { procedures: [] }; })
        .then(function (data) {
          list.textContent = "";
          (data.procedures || []).forEach(function (p) {
            var li = document.createElement("li");
            li.setAttribute("role", "option");
            li.textContent = p.code + " (" + p.codeType + ") " + p.description;
            li.addEventListener("click", function () { input.value = p.code; list.hidden = true; input.form.submit(); });
            list.appendChild(li);
          });
          list.hidden = list.children.length === 0;
        })
        .catch(function () { list.hidden = true; });
    }, 200);
  });
});
