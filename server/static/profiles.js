/* Follow buttons on profiles and search results (form[data-follow]), progressively
   enhanced: posted with fetch and relabelled from the JSON answer: Follow, Following, or
   Requested while a locked account decides; the profile's follower count follows. Without
   this file the form posts and the page comes back. (Confirmations and "Load more" are
   static/app.js's: data-confirm, a[data-load-more].) */
(function () {
  "use strict";

  // The page's words (static/app.js; English when it is missing).
  var text = window.dreamfeedText || function (message, values) {
    return message.replace(/%\((\w+)\)s/g, function (all, name) {
      return values && name in values ? String(values[name]) : all;
    });
  };

  function label(button, state) {
    var active = state.following || state.requested;
    button.textContent = state.following ? text("Following")
      : state.requested ? text("Requested") : text("Follow");
    button.setAttribute("aria-pressed", active ? "true" : "false");
    button.classList.toggle("primary", !active);
    if (state.requested) {
      button.title = text("Waiting for approval; press to withdraw the request");
    } else if (state.following) {
      button.title = text("You follow this account; press to unfollow");
    } else {
      button.removeAttribute("title");
    }
    return active;
  }

  // The profile's own count ("12 followers"), when this page shows one.
  function followers(count) {
    document.querySelectorAll("[data-followers-count]").forEach(function (el) {
      el.querySelector("strong").textContent = String(count);
      // The page's own words for one and for more (profile.html, in its language).
      var word = el.querySelector("[data-word]");
      var said = count === 1 ? word.dataset.one : word.dataset.other;
      if (said) word.textContent = said;
    });
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
        return { ok: false, error: text("The server answered %(status)s.", { status: response.status }) };
      });
    }).then(function (state) {
      if (!state.ok) { say(form, state.error || text("That did not work.")); return; }
      var active = label(button, state);
      form.action = form.action.replace(/\/(un)?follow$/, active ? "/unfollow" : "/follow");
      if (typeof state.followers_count === "number") followers(state.followers_count);
      var old = form.querySelector(".follow-error");
      if (old) old.remove();
    }).catch(function () {
      say(form, text("Could not reach the server. Try again."));
    }).finally(function () {
      button.disabled = false;
    });
  });

})();
