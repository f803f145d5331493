// The compose page, enhanced: generate without leaving the page when the server refuses
// (the message shows in place), follow a running generation by polling its state every
// second (every few seconds while app.js's live stream is open: its "dreamfeed:generation"
// events ask for the state at once), and keep double clicks from posting twice. Without this file every step still
// works: forms post and redirect, and a running generation's page reloads itself.
(function () {
  "use strict";

  var errors = document.getElementById("compose-errors");
  // The page's words (static/app.js; English when it is missing).
  var text = window.dreamfeedText || function (message, values) {
    return message.replace(/%\((\w+)\)s/g, function (all, name) {
      return values && name in values ? String(values[name]) : all;
    });
  };

  function showError(message) {
    if (!errors) { window.alert(message); return; }
    errors.textContent = "";
    var p = document.createElement("p");
    p.className = "error";
    // Service messages start lowercase (they also end CLI lines): the page shows a sentence.
    p.textContent = message.charAt(0).toUpperCase() + message.slice(1);
    errors.appendChild(p);
    errors.focus();
  }

  function clearErrors() {
    if (errors) { errors.textContent = ""; }
  }

  function readJson(response) {
    return response.json().catch(function () {
      return { ok: false, error: text("The server answered %(status)s; try again.", { status: response.status }) };
    });
  }

  // --- the day's quota ----------------------------------------------------------------

  // A refusal costs images too (the server says how many are left): the quota line follows,
  // and Generate is disabled, with the reason beside it, once none is left.
  var quotaLine = document.getElementById("compose-quota");

  function showQuota(quota) {
    if (!quotaLine || !quota || quota.left === null || quota.left === undefined) { return; }
    quotaLine.dataset.left = String(quota.left);
    var spent = quota.left === 0;
    quotaLine.classList.toggle("spent", spent);
    var counts = { left: quota.left, limit: quota.limit, when: quota.resets_in };
    quotaLine.textContent = spent
      ? text("You have used all %(limit)s of today's images. More %(when)s, at midnight UTC.",
             counts)
      : text("%(left)s of %(limit)s images left today; the count resets %(when)s, at midnight " +
             "UTC. Prompts refused by moderation count too.", counts);
    // More images than are left would be refused: those counts cannot be picked.
    Array.prototype.forEach.call(document.querySelectorAll("#generate-form select[name=n] option"),
      function (option) {
        option.disabled = !spent && Number(option.value) > quota.left;
        if (option.disabled && option.selected) { option.parentNode.value = "1"; }
      });
    Array.prototype.forEach.call(document.querySelectorAll("form.js-generate button[type=submit]"),
      function (button) {
        button.disabled = spent;
        if (spent) { button.setAttribute("aria-describedby", "compose-quota"); }
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
      if (button) { button.disabled = true; button.textContent = text("Starting…"); }
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
        showError(body.error || text("The generation could not be started."));
        done();
        showQuota(body.quota);
      }).catch(function () {
        showError(text("Dreamfeed could not be reached. Check your connection and try again."));
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
        elapsed.textContent = text("%(seconds)s s", { seconds: seconds });
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
          showError(body.error || text("This generation is gone."));
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
          message.textContent = text("Connection lost; still trying…");
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

  // --- drafts ---------------------------------------------------------------------------

  // Discard removes the tile in place (without scripts the form posts and the page comes
  // back without it). Focus goes to the next tile's Post link, else the tray's heading.
  Array.prototype.forEach.call(document.querySelectorAll("form.js-discard"), function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.fetch || !window.URLSearchParams) { return; }
      event.preventDefault();
      var tile = form.closest(".draft");
      var button = form.querySelector("button[type=submit]");
      if (button) { button.disabled = true; }
      clearErrors();
      fetch(form.action, {
        method: "POST", credentials: "same-origin",
        headers: { "Accept": "application/json" },
        body: new URLSearchParams(new FormData(form))
      }).then(readJson).then(function (body) {
        if (!body.ok) {
          showError(body.error || text("The draft could not be discarded."));
          if (button) { button.disabled = false; }
          return;
        }
        var next = tile && (tile.nextElementSibling || tile.previousElementSibling);
        var list = tile && tile.parentNode;
        if (tile) { tile.remove(); }
        var target = next ? next.querySelector("a") : null;
        if (!target && list) {
          var section = list.closest("section");
          target = section ? section.querySelector("h1, h2") : null;
          if (target) { target.setAttribute("tabindex", "-1"); }
        }
        if (target) { target.focus(); }
      }).catch(function () {
        showError(text("Dreamfeed could not be reached. Check your connection and try again."));
        if (button) { button.disabled = false; }
      });
    });
  });

  var postForm = document.getElementById("post-form");
  if (postForm) {
    postForm.addEventListener("submit", function (event) {
      if (!postForm.querySelector("input[name=media_id]:checked")) {
        event.preventDefault();
        showError(text("Pick at least one image for your post."));
        return;
      }
      var button = postForm.querySelector("button[type=submit]");
      // The form carries an idempotency key too: a second submit would post nothing new.
      if (button) { window.setTimeout(function () { button.disabled = true; }, 0); }
    });
  }
})();
