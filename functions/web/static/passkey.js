// Passkeys: "Add a passkey" on /account, "Sign in with a passkey" on
// /login and "Use your passkey" on /login/mfa. All stay hidden where the
// browser has no WebAuthn.
"use strict";
(function () {
  if (!window.PublicKeyCredential || !window.fetch) return;

  function toBytes(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function toB64(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function credentialJSON(c) {
    var r = c.response, out = { id: c.id, rawId: toB64(c.rawId), type: c.type, response: { clientDataJSON: toB64(r.clientDataJSON) } };
    if (r.attestationObject) {
      out.response.attestationObject = toB64(r.attestationObject);
      if (r.getTransports) out.response.transports = r.getTransports();
    } else {
      out.response.authenticatorData = toB64(r.authenticatorData);
      out.response.signature = toB64(r.signature);
      if (r.userHandle) out.response.userHandle = toB64(r.userHandle);
    }
    out.clientExtensionResults = c.getClientExtensionResults ? c.getClientExtensionResults() : {};
    if (c.authenticatorAttachment) out.authenticatorAttachment = c.authenticatorAttachment;
    return out;
  }
  function post(url, body, csrf) {
    var headers = { "Content-Type": "application/json" };
    if (csrf) headers["X-CSRF-Token"] = csrf;
    return fetch(url, { method: "POST", headers: headers, credentials: "same-origin", body: JSON.stringify(body || {}) })
      .then(function (resp) {
        return resp.json().catch(function () { return {}; }).then(function (j) {
          if (!resp.ok) throw new Error((j.error && j.error.message) || "Something went wrong. Please try again.");
          return j;
        });
      });
  }
  function say(text) {
    var s = document.getElementById("passkey-status");
    if (s) s.textContent = text;
  }
  function failed(err) {
    say(err && err.name === "NotAllowedError" ? "The passkey request was cancelled or timed out." : (err && err.message) || "That did not work.");
  }

  document.addEventListener("DOMContentLoaded", function () {
    var add = document.getElementById("passkey-add");
    if (add) {
      add.hidden = false;
      document.getElementById("add-passkey").addEventListener("click", function () {
        var csrf = add.getAttribute("data-csrf");
        // The current password, as for every other change to how the
        // account signs in: a passkey then signs in with no password.
        var pw = document.getElementById("passkeyPassword");
        if (!pw.value) {
          say("Enter your current password to add a passkey.");
          pw.focus();
          return;
        }
        var currentPassword = pw.value;
        pw.value = "";
        say("Follow your browser's prompt to create the passkey…");
        post("/api/me/passkeys/options", { currentPassword: currentPassword }, csrf).then(function (o) {
          var pk = o.publicKey;
          pk.challenge = toBytes(pk.challenge);
          pk.user.id = toBytes(pk.user.id);
          (pk.excludeCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
          return navigator.credentials.create({ publicKey: pk });
        }).then(function (cred) {
          var name = document.getElementById("passkeyName").value;
          return post("/api/me/passkeys", { name: name, credential: credentialJSON(cred) }, csrf);
        }).then(function (j) {
          if (!j.recoveryCodes) {
            window.location.assign("/account?done=passkey-added");
            return;
          }
          // The account's first recovery codes: shown here once.
          add.textContent = "";
          var h = document.createElement("h4");
          h.id = "new-recovery-codes-heading";
          h.textContent = "Your passkey was added. Save these recovery codes now: they will not be shown again.";
          var ul = document.createElement("ul");
          ul.id = "recovery-codes";
          ul.className = "codes";
          ul.setAttribute("aria-labelledby", h.id);
          j.recoveryCodes.forEach(function (c) {
            var li = document.createElement("li"), code = document.createElement("code");
            code.textContent = c;
            li.appendChild(code);
            ul.appendChild(li);
          });
          var done = document.createElement("a");
          done.className = "button";
          done.id = "codes-saved";
          done.href = "/account?done=passkey-added";
          done.textContent = "I have saved my codes";
          add.appendChild(h);
          add.appendChild(ul);
          add.appendChild(done);
          done.focus();
        }).catch(failed);
      });
    }
    // Signing in: with no email and no password on /login, or as the
    // second step of a pending sign-in on /login/mfa (options for that
    // account's passkeys only).
    function useOnClick(btn, optionsURL, finishURL) {
      btn.addEventListener("click", function () {
        say("Follow your browser's prompt to use your passkey…");
        post(optionsURL, {}).then(function (o) {
          var pk = o.publicKey;
          pk.challenge = toBytes(pk.challenge);
          (pk.allowCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
          return navigator.credentials.get({ publicKey: pk });
        }).then(function (cred) {
          return post(finishURL, { credential: credentialJSON(cred), returnTo: btn.getAttribute("data-return-to") || "/" });
        }).then(function (j) {
          window.location.assign(j.returnTo || "/");
        }).catch(failed);
      });
    }
    var area = document.getElementById("passkey-area");
    if (area) {
      area.hidden = false;
      useOnClick(document.getElementById("passkey-sign-in"), "/api/login/passkey/options", "/api/login/passkey");
    }
    var step = document.getElementById("mfa-passkey-area");
    if (step) {
      step.hidden = false;
      useOnClick(document.getElementById("mfa-passkey"), "/api/login/mfa/passkey/options", "/api/login/mfa");
    }
  });
})();
