/* Follow buttons on profiles and search results (form[data-follow]), progressively
   enhanced: posted with fetch and relabelled from the JSON answer: Follow, Unfollow, or
   Requested while a locked account decides. Without this file the form posts and the page
   comes back. (Confirmations and "Load more" are static/app.js's: data-confirm,
   a[data-load-more].) */
(function () {
  "use strict";

  function label(button, state) {
    var active = state.following || state.requested;
    button.textContent = state.following ? "Unfollow" : state.requested ? "Requested" : "Follow";
    button.setAttribute("aria-pressed", active ? "true" : "false");
    button.classList.toggle("primary", !active);
    if (state.requested) {
      button.title = "Waiting for approval; click to withdraw the request";
    } else {
      button.removeAttribute("title");
    }
    return active;
  }

  function say(form, message) {
    var note = form.querySelector(".follow-error");
    if (!note) {
      note = document.createElement("span");
      note.className = "follow-error error";
      note.setAttribute("role", "alert");
      form.appendChild(note);
    }
    note.textContent = message;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    if (!form.hasAttribute("data-follow")) return;
    event.preventDefault();
    var button = form.querySelector("button");
    if (button.disabled) return;
    button.disabled = true;
    fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().catch(function () {
        return { ok: false, error: "The server answered " + response.status + "." };
      });
    }).then(function (state) {
      if (!state.ok) { say(form, state.error || "That did not work."); return; }
      var active = label(button, state);
      form.action = form.action.replace(/\/(un)?follow$/, active ? "/unfollow" : "/follow");
      var old = form.querySelector(".follow-error");
      if (old) old.remove();
    }).catch(function () {
      say(form, "Could not reach the server. Try again.");
    }).finally(function () {
      button.disabled = false;
    });
  });

})();
