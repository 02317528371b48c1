// The phone page: save each call with fetch(); on a weak connection keep what was typed.
// Without this script the forms post as usual and the page comes back without the worker.
(function () {
  "use strict";
  var status = document.getElementById("phone-status");
  if (!status || !window.fetch) { return; }

  function say(text, kind) {
    status.textContent = text;
    status.setAttribute("data-kind", kind || "");
  }

  function draftOf(form) {
    var data = {};
    form.querySelectorAll("input[name], select[name], textarea[name]").forEach(function (el) {
      if (el.type === "hidden") { return; }
      if (el.type === "radio") { if (el.checked) { data[el.name] = el.value; } return; }
      data[el.name] = el.value;
    });
    return data;
  }

  function restore(form, data) {
    Object.keys(data).forEach(function (name) {
      form.querySelectorAll("[name='" + name + "']").forEach(function (el) {
        if (el.type === "radio") { el.checked = el.value === data[name]; } else { el.value = data[name]; }
      });
    });
  }

  function keep(form) {
    try { localStorage.setItem(form.dataset.draft, JSON.stringify(draftOf(form))); } catch (e) { /* full or off */ }
  }

  function forget(form) {
    try { localStorage.removeItem(form.dataset.draft); } catch (e) { /* off */ }
  }

  function refused(answer, body) {
    var reason = body && body.error ? body.error.split(".").pop() : "";
    if (body && body.error === "phone.bad_input") { return status.dataset.bad; }
    return status.getAttribute("data-refused-" + reason) || status.dataset.refusedOther;
  }

  var restored = false;
  document.querySelectorAll("form.phone-call").forEach(function (form) {
    var saved = null;
    try { saved = localStorage.getItem(form.dataset.draft); } catch (e) { saved = null; }
    if (saved) {
      try { restore(form, JSON.parse(saved)); restored = true; } catch (e) { forget(form); }
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var card = form.closest(".phone-card");
      var button = form.querySelector("button");
      button.disabled = true;
      say(status.dataset.saving, "busy");
      fetch(form.action, {
        method: "POST",
        body: new URLSearchParams(new FormData(form)),
        headers: { "Accept": "application/json" },
        credentials: "omit"
      }).then(function (answer) {
        return answer.json().catch(function () { return null; }).then(function (body) {
          return { answer: answer, body: body };
        });
      }).then(function (result) {
        button.disabled = false;
        if (result.answer.ok && result.body && result.body.ok) {
          forget(form);
          say(status.dataset.saved.replace("{name}", card.dataset.name), "ok");
          card.remove();
          if (!document.querySelector(".phone-card")) {
            document.getElementById("phone-none").hidden = false;
          }
          return;
        }
        keep(form);
        if (result.answer.status >= 500) { say(status.dataset.offline, "error"); return; }
        say(refused(result.answer, result.body), "error");
      }).catch(function () {
        button.disabled = false;
        keep(form);
        say(status.dataset.offline, "error");
      });
    });
  });
  if (restored) { say(status.dataset.restored, "info"); }
})();
