// Progressive enhancement only: every page works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // Procedure autocomplete on the search box: suggestions from
  // /api/procedures ({"procedures":[{code,codeType,description}]}); choosing
  // one opens its comparison. Arrow keys move, Enter chooses, Escape closes;
  // Enter with nothing chosen submits the search as usual.
  var input = document.querySelector("input[data-autocomplete]");
  if (!input || !window.fetch) return;
  var list = document.createElement("ul");
  list.className = "suggestions";
  list.id = "q-suggestions";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Suggested procedures");
  list.hidden = true;
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.form.insertBefore(list, input.nextSibling);
  var timer = null;
  var active = -1;
  var seq = 0;

  function compareURL(p) {
    return "/compare?code=" + encodeURIComponent(p.code) + "&codeType=" + encodeURIComponent(p.codeType);
  }
  function show(on) {
    list.hidden = !on;
    input.setAttribute("aria-expanded", on ? "true" : "false");
    if (!on) { setActive(-1); }
  }
  function setActive(i) {
    var items = list.children;
    if (active >= 0 && items[active]) { items[active].setAttribute("aria-selected", "false"); }
    active = i;
    if (i >= 0 && items[i]) {
      items[i].setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", items[i].id);
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    var q = input.value.trim();
    if (q.length < 2) { show(false); return; }
    timer = setTimeout(function () {
      var mine = ++seq;
      fetch(input.dataset.autocomplete + "?limit=8&q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { procedures: [] }; })
        .then(function (data) {
          if (mine !== seq) return; // an older answer arriving late
          list.textContent = "";
          active = -1;
          (data.procedures || []).forEach(function (p, i) {
            var li = document.createElement("li");
            li.id = "q-option-" + i;
            li.setAttribute("role", "option");
            li.setAttribute("aria-selected", "false");
            li.dataset.href = compareURL(p);
            var name = document.createElement("span");
            name.textContent = p.description;
            var code = document.createElement("span");
            code.className = "code";
            code.textContent = " " + p.codeType + " " + p.code;
            li.appendChild(name);
            li.appendChild(code);
            li.addEventListener("mousedown", function (ev) { ev.preventDefault(); window.location.href = li.dataset.href; });
            list.appendChild(li);
          });
          show(list.children.length > 0);
        })
        .catch(function () { show(false); });
    }, 200);
  });

  input.addEventListener("keydown", function (ev) {
    var n = list.children.length;
    if (list.hidden || n === 0) return;
    if (ev.key === "ArrowDown") { ev.preventDefault(); setActive((active + 1) % n); }
    else if (ev.key === "ArrowUp") { ev.preventDefault(); setActive(active <= 0 ? n - 1 : active - 1); }
    else if (ev.key === "Escape") { show(false); }
    else if (ev.key === "Enter" && active >= 0) {
      ev.preventDefault();
      window.location.href = list.children[active].dataset.href;
    }
  });
  // Some keyboards and assistive tools submit the form on Enter even when
  // the keydown was handled; a chosen suggestion still wins.
  input.form.addEventListener("submit", function (ev) {
    if (!list.hidden && active >= 0 && list.children[active]) {
      ev.preventDefault();
      window.location.href = list.children[active].dataset.href;
    }
  });
  input.addEventListener("blur", function () { setTimeout(function () { show(false); }, 150); });
});
