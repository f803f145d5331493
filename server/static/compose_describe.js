// "Describe this image" in place: asks POST /compose/describe for JSON and puts the draft in
// the image's alt text box, focused, for the author to read and correct; the suggested
// caption is shown with a button that puts it in the caption box, never by itself. Without
// this file the buttons post the form and the page comes back with the draft filled in.
// Also focuses the alt text reminder when the page shows one.
(function () {
  "use strict";

  var form = document.getElementById("post-form");
  if (!form || !window.fetch || !window.URLSearchParams || !window.FormData) { return; }
  // The page's words (static/app.js; English when it is missing).
  var text = window.dreamfeedText || function (message, values) {
    return message.replace(/%\((\w+)\)s/g, function (all, name) {
      return values && name in values ? String(values[name]) : all;
    });
  };

  // Handled here, these are plain buttons: Enter in a text field and compose.js's
  // double-submit guard then find the Post button as the form's first submit button.
  Array.prototype.forEach.call(
    form.querySelectorAll(".describe-button, .describe-use-caption"),
    function (button) { button.type = "button"; });
  Array.prototype.forEach.call(form.querySelectorAll(".describe-default"), function (button) {
    button.parentNode.removeChild(button);
  });

  function sentence(words) {
    return words.charAt(0).toUpperCase() + words.slice(1);
  }

  function leftToday(quota) {
    if (!quota || quota.left === null || quota.left === undefined) { return ""; }
    return " " + text("%(left)s of %(limit)s descriptions left today.",
                      { left: quota.left, limit: quota.limit });
  }

  Array.prototype.forEach.call(form.querySelectorAll(".describe"), function (block) {
    var button = block.querySelector(".describe-button");
    var note = block.querySelector(".describe-note");
    var alt = document.getElementById(block.dataset.alt || "");
    var captionBlock = block.querySelector(".describe-caption");
    var captionText = block.querySelector(".describe-caption-text");
    var useCaption = block.querySelector(".describe-use-caption");
    var caption = document.getElementById("caption");
    if (!button || !alt) { return; }
    var idle = button.textContent;

    function say(words, failed) {
      if (!note) { return; }
      note.textContent = words;
      note.classList.toggle("error-text", Boolean(failed));
    }

    button.addEventListener("click", function () {
      if (block.dataset.busy) { return; }
      if (alt.value.trim() &&
          !window.confirm(text("Replace the alt text you wrote with a draft?"))) {
        return;
      }
      block.dataset.busy = "1";
      button.disabled = true;
      button.textContent = text("Describing…");
      say(text("Asking the vision model to describe the image…"), false);
      var body = new URLSearchParams(new FormData(form));
      body.set("describe", block.dataset.media);
      fetch("/compose/describe", {
        method: "POST", credentials: "same-origin",
        headers: { "Accept": "application/json" }, body: body
      }).then(function (response) {
        return response.json().catch(function () {
          return { ok: false,
                   error: text("The server answered %(status)s; try again.", { status: response.status }) };
        });
      }).then(function (answer) {
        if (!answer.ok) {
          say(sentence(answer.error || text("The image could not be described; try again.")), true);
          return;
        }
        alt.value = answer.description;
        say(text("Drafted by %(model)s from the image: read it and correct it before posting.",
                 { model: answer.model }) + leftToday(answer.quota), false);
        if (captionBlock && captionText && answer.caption) {
          captionText.textContent = answer.caption;
          captionBlock.hidden = false;
        }
        alt.focus();
      }).catch(function () {
        say(text("Dreamfeed could not be reached. Check your connection and try again."), true);
      }).then(function () {
        delete block.dataset.busy;
        button.disabled = false;
        button.textContent = idle;
      });
    });

    if (useCaption && caption && captionText) {
      useCaption.addEventListener("click", function () {
        var suggested = captionText.textContent;
        if (caption.value.trim() && caption.value !== suggested &&
            !window.confirm(text("Replace your caption with the suggestion?"))) { return; }
        caption.value = suggested;
        caption.focus();
      });
    }
  });

  var reminder = document.getElementById("alt-reminder");
  if (reminder) { reminder.focus(); }
})();
