// The compose page, enhanced: generate without leaving the page when the server refuses
// (the message shows in place), follow a running generation by polling its state every
// second (every few seconds while app.js's live stream is open: its "dreamfeed:generation"
// events ask for the state at once), and keep double clicks from posting twice. Without this file every step still
// works: forms post and redirect, and a running generation's page reloads itself.
(function () {
  "use strict";

  var errors = document.getElementById("compose-errors");

  function showError(message) {
    if (!errors) { window.alert(message); return; }
    errors.textContent = "";
    var p = document.createElement("p");
    p.className = "error";
    p.textContent = message;
    errors.appendChild(p);
    errors.focus();
  }

  function clearErrors() {
    if (errors) { errors.textContent = ""; }
  }

  function readJson(response) {
    return response.json().catch(function () {
      return { ok: false, error: "The server answered " + response.status + "; try again." };
    });
  }

  // --- generating ---------------------------------------------------------------------

  function enhanceGenerate(form) {
    var button = form.querySelector("button[type=submit]");
    var idle = button ? button.textContent : "";
    form.addEventListener("submit", function (event) {
      if (!window.fetch || !window.URLSearchParams) { return; }
      event.preventDefault();
      if (form.dataset.busy) { return; }
      form.dataset.busy = "1";
      if (button) { button.disabled = true; button.textContent = "Starting…"; }
      clearErrors();
      fetch(form.action, {
        method: "POST", credentials: "same-origin",
        headers: { "Accept": "application/json" },
        body: new URLSearchParams(new FormData(form))
      }).then(readJson).then(function (body) {
        if (body.ok && body.url) {
          // The page of the running generation: it shows the progress and polls.
          window.location.assign(body.url);
          return;
        }
        showError(body.error || "The generation could not be started.");
        done();
      }).catch(function () {
        showError("Dreamfeed could not be reached. Check your connection and try again.");
        done();
      });
    });

    function done() {
      delete form.dataset.busy;
      if (button) { button.disabled = false; button.textContent = idle; }
    }
  }

  Array.prototype.forEach.call(document.querySelectorAll("form.js-generate"), enhanceGenerate);

  // --- following a running generation -------------------------------------------------

  var status = document.getElementById("gen-status");
  if (status && status.dataset.poll && window.fetch) {
    var interval = Math.max(Number(status.dataset.interval) || 1, 0.5) * 1000;
    var created = Date.parse(status.dataset.created || "") || Date.now();
    var label = status.querySelector(".gen-label");
    var elapsed = status.querySelector(".gen-elapsed");
    var message = status.querySelector(".gen-message");
    var finished = false;
    var timer = null;
    var live = false;
    // While the stream is open it says when the state changes: polling only backs it up.
    var LIVE_FACTOR = 5;
    var schedule = function (delay) {
      window.clearTimeout(timer);
      timer = window.setTimeout(poll, delay);
    };

    var tick = function () {
      if (elapsed) {
        var seconds = Math.max(0, Math.round((Date.now() - created) / 1000));
        elapsed.textContent = seconds + " s";
      }
    };
    tick();
    var clock = window.setInterval(tick, 1000);

    var show = function (body) {
      status.dataset.state = body.state;
      Array.prototype.forEach.call(status.querySelectorAll(".gen-steps li"), function (li) {
        if (li.dataset.step === body.state) { li.setAttribute("aria-current", "step"); }
        else { li.removeAttribute("aria-current"); }
      });
      if (label && body.label) { label.textContent = body.label; }
      if (message) {
        message.hidden = !body.error;
        message.textContent = body.error || "";
      }
    };

    var poll = function () {
      fetch(status.dataset.poll, {
        credentials: "same-origin", cache: "no-store",
        headers: { "Accept": "application/json" }
      }).then(readJson).then(function (body) {
        if (!body.ok) {
          window.clearInterval(clock);
          showError(body.error || "This generation is gone.");
          return;
        }
        show(body);
        if (body.state === "done" || body.state === "failed") {
          finished = true;
          window.clearInterval(clock);
          // The server renders the results (or the failure) with every form they need.
          window.location.replace(status.dataset.page);
          return;
        }
        schedule(live ? interval * LIVE_FACTOR : interval);
      }).catch(function () {
        if (message) {
          message.hidden = false;
          message.textContent = "Connection lost; still trying…";
        }
        schedule(interval * 3);
      });
    };
    schedule(interval);
    document.addEventListener("dreamfeed:live", function (event) {
      live = Boolean(event.detail && event.detail.open);
      if (!live && !finished) { schedule(interval); }
    });
    document.addEventListener("dreamfeed:generation", function (event) {
      var detail = event.detail || {};
      if (!finished && String(detail.generation_id) === status.dataset.generation) {
        schedule(0);
      }
    });
    window.addEventListener("pageshow", function (event) {
      // Back to a cached page of a finished generation: show the real state.
      if (event.persisted && finished) { window.location.reload(); }
    });
  }

  // --- posting ------------------------------------------------------------------------

  // "Use my prompt as the alt text": shows the prompt in the box, to read and edit, when
  // ticked, and takes it back out when unticked. Nothing fills the box otherwise: alt text
  // is public and the prompt is not. (Without scripts the server uses the prompt for a box
  // left empty with the tick.)
  Array.prototype.forEach.call(document.querySelectorAll(".use-prompt input"), function (box) {
    var alt = document.getElementById(box.dataset.alt || "");
    if (!alt) { return; }
    box.addEventListener("change", function () {
      if (box.checked && !alt.value.trim()) { alt.value = box.dataset.prompt || ""; }
      else if (!box.checked && alt.value === box.dataset.prompt) { alt.value = ""; }
    });
  });

  var postForm = document.getElementById("post-form");
  if (postForm) {
    postForm.addEventListener("submit", function (event) {
      if (!postForm.querySelector("input[name=media_id]:checked")) {
        event.preventDefault();
        showError("Pick at least one image for your post.");
        return;
      }
      var button = postForm.querySelector("button[type=submit]");
      // The form carries an idempotency key too: a second submit would post nothing new.
      if (button) { window.setTimeout(function () { button.disabled = true; }, 0); }
    });
  }
})();
