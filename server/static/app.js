// Dreamfeed's progressive enhancement. Every page works without this file; with it:
// - <form data-remote> is sent with fetch (X-CSRF-Token header, Accept: application/json)
//   and the page is updated from the JSON answer instead of reloaded:
//     {"ok": true, "liked": true, "favourites_count": 3}: every [data-count=KEY] inside the
//     post's cards ([data-post=ID]) shows the new number; a form with data-state=KEY swaps
//     its action between data-action-on / data-action-off and its button's pressed state;
//     data-remove=SELECTOR removes the closest such element; {"redirect": URL} navigates;
//     any other form goes to its `next` field (or reloads). A "remote:done" event (detail:
//     the JSON) fires on the form. {"ok": false, "error": "..."} shows in a toast.
// - data-confirm="question" on any form asks before submitting.
// - a[data-load-more] fetches the next page with ?partial=1 and appends it (also when it
//   scrolls into view).
// - canvas[data-blurhash] shows the image's blurhash until the image has loaded.
// - time[datetime] shows relative times ("5m", "3h").
// - signed in (<meta name="live-stream">), one EventSource on /web/stream keeps the page
//   live: a timeline ([data-live-timeline]) shows a "N new posts" pill that loads them at the
//   top when pressed (the page never moves under the reader on its own), the nav's
//   notifications badge follows the unread count, a post page's counts follow the post, and
//   the other events are re-sent on document as "dreamfeed:NAME" (compose.js listens for
//   "dreamfeed:generation"). Without it pages are as they were served.
// No frameworks, no CDN; CSP-friendly (no inline code, no eval).
(function () {
  "use strict";

  // --- blurhash (https://github.com/woltapp/blurhash, decoder) ------------------------------
  var DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";

  function decode83(text) {
    var value = 0;
    for (var i = 0; i < text.length; i++) {
      var digit = DIGITS.indexOf(text.charAt(i));
      if (digit < 0) throw new Error("bad blurhash");
      value = value * 83 + digit;
    }
    return value;
  }

  function srgbToLinear(value) {
    var v = value / 255;
    return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  }

  function linearToSrgb(value) {
    var v = Math.max(0, Math.min(1, value));
    return v <= 0.0031308 ? Math.round(v * 12.92 * 255 + 0.5)
      : Math.round((1.055 * Math.pow(v, 1 / 2.4) - 0.055) * 255 + 0.5);
  }

  function signPow(value, exp) {
    return (value < 0 ? -1 : 1) * Math.pow(Math.abs(value), exp);
  }

  function decodeBlurhash(hash, width, height) {
    if (!hash || hash.length < 6) throw new Error("bad blurhash");
    var sizeFlag = decode83(hash.charAt(0));
    var numY = Math.floor(sizeFlag / 9) + 1;
    var numX = (sizeFlag % 9) + 1;
    if (hash.length !== 4 + 2 * numX * numY) throw new Error("bad blurhash length");
    var maxValue = (decode83(hash.charAt(1)) + 1) / 166;
    var colors = [];
    for (var i = 0; i < numX * numY; i++) {
      if (i === 0) {
        var dc = decode83(hash.substring(2, 6));
        colors.push([srgbToLinear(dc >> 16), srgbToLinear((dc >> 8) & 255), srgbToLinear(dc & 255)]);
      } else {
        var ac = decode83(hash.substring(4 + i * 2, 6 + i * 2));
        colors.push([
          signPow((Math.floor(ac / 361) - 9) / 9, 2) * maxValue,
          signPow((Math.floor(ac / 19) % 19 - 9) / 9, 2) * maxValue,
          signPow((ac % 19 - 9) / 9, 2) * maxValue,
        ]);
      }
    }
    var pixels = new Uint8ClampedArray(width * height * 4);
    for (var y = 0; y < height; y++) {
      for (var x = 0; x < width; x++) {
        var r = 0, g = 0, b = 0;
        for (var j = 0; j < numY; j++) {
          var basisY = Math.cos(Math.PI * y * j / height);
          for (var k = 0; k < numX; k++) {
            var basis = Math.cos(Math.PI * x * k / width) * basisY;
            var color = colors[k + j * numX];
            r += color[0] * basis; g += color[1] * basis; b += color[2] * basis;
          }
        }
        var p = 4 * (x + y * width);
        pixels[p] = linearToSrgb(r); pixels[p + 1] = linearToSrgb(g);
        pixels[p + 2] = linearToSrgb(b); pixels[p + 3] = 255;
      }
    }
    return pixels;
  }

  function paintBlurhash(canvas) {
    if (canvas.dataset.painted) return;
    canvas.dataset.painted = "1";
    var width = canvas.width, height = canvas.height;
    try {
      var pixels = decodeBlurhash(canvas.dataset.blurhash, width, height);
      var context = canvas.getContext("2d");
      var image = context.createImageData(width, height);
      image.data.set(pixels);
      context.putImageData(image, 0, 0);
    } catch (e) {
      canvas.hidden = true; // a malformed hash: the plain placeholder colour stays
    }
  }

  function watchImage(img) {
    var figure = img.closest(".image");
    if (!figure) return;
    var done = function () { figure.classList.add("loaded"); };
    if (img.complete && img.naturalWidth) done();
    else {
      img.addEventListener("load", done, { once: true });
      img.addEventListener("error", function () { figure.classList.add("broken"); }, { once: true });
    }
  }

  // --- words ---------------------------------------------------------------------------------
  // What scripts say, in the page's language: base.html's #ui-messages (absent in English)
  // maps each English message to its translation; %(name)s is filled from `values`.
  var UI = {};
  var uiNode = document.getElementById("ui-messages");
  if (uiNode) {
    try { UI = JSON.parse(uiNode.textContent) || {}; } catch (e) { UI = {}; }
  }
  function text(message, values) {
    var words = Object.prototype.hasOwnProperty.call(UI, message) ? UI[message] : message;
    return words.replace(/%\((\w+)\)s/g, function (all, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : all;
    });
  }
  window.dreamfeedText = text;

  // --- relative times ------------------------------------------------------------------------
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  // The page's language (base.html's <html lang>): other than English, the browser's own
  // words for times (Intl), so no catalogue is needed here.
  var LANG = document.documentElement.lang || "en";

  function localRelative(date, now, seconds) {
    var words = new Intl.RelativeTimeFormat(LANG, { numeric: "auto", style: "narrow" });
    if (seconds < 45) return words.format(0, "second");
    if (seconds < 3600) return words.format(-Math.max(1, Math.round(seconds / 60)), "minute");
    if (seconds < 86400) return words.format(-Math.round(seconds / 3600), "hour");
    if (seconds < 7 * 86400) return words.format(-Math.round(seconds / 86400), "day");
    var options = { day: "numeric", month: "short" };
    if (date.getFullYear() !== new Date(now).getFullYear()) options.year = "numeric";
    return new Intl.DateTimeFormat(LANG, options).format(date);
  }

  function relative(date, now) {
    var seconds = Math.round((now - date) / 1000);
    if (LANG !== "en" && window.Intl && Intl.RelativeTimeFormat) return localRelative(date, now, seconds);
    if (seconds < 45) return "now";
    if (seconds < 3600) return Math.max(1, Math.round(seconds / 60)) + "m";
    if (seconds < 86400) return Math.round(seconds / 3600) + "h";
    if (seconds < 7 * 86400) return Math.round(seconds / 86400) + "d";
    var text = date.getDate() + " " + MONTHS[date.getMonth()];
    return date.getFullYear() === new Date(now).getFullYear() ? text : text + " " + date.getFullYear();
  }

  function updateTimes(root) {
    var now = Date.now();
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      var date = new Date(el.getAttribute("datetime"));
      // Relative times say how long ago; a time to come (the quota's reset) keeps its words.
      if (isNaN(date.getTime()) || date.getTime() > now + 60000) return;
      el.textContent = relative(date, now);
      if (!el.title) el.title = date.toLocaleString(LANG);
    });
  }

  // --- toast ---------------------------------------------------------------------------------
  var toastTimer = null;

  function toast(message) {
    var el = document.querySelector(".toast");
    if (!el) { window.alert(message); return; }
    el.textContent = message;
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { el.hidden = true; }, 5000);
  }

  // --- remote forms --------------------------------------------------------------------------
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function setState(form, on) {
    var target = on ? form.dataset.actionOn : form.dataset.actionOff;
    if (target) form.setAttribute("action", target);
    var button = form.querySelector("button");
    if (!button) return;
    button.classList.toggle("on", on);
    button.setAttribute("aria-pressed", on ? "true" : "false");
    var label = on ? button.dataset.labelOn : button.dataset.labelOff;
    if (!label) return;
    button.title = label;
    // The name is the button's text (a hidden label, then the visible count), so that what
    // is read out includes what is seen; a button without that hidden label has its own.
    var hidden = button.querySelector("[data-label]");
    if (hidden) hidden.textContent = label + " ";
    else button.setAttribute("aria-label", label);
  }

  function formatCount(n) {
    if (n >= 1000000) return (n / 1000000).toFixed(1) + "M";
    if (n >= 10000) return Math.floor(n / 1000) + "k";
    if (n >= 1000) return (n / 1000).toFixed(1) + "k";
    return String(n);
  }

  function applyAnswer(form, data) {
    var post = form.closest("[data-post]");
    var scopes = post ? document.querySelectorAll('[data-post="' + post.dataset.post + '"]')
      : [form.parentElement || document.body];
    var stateKey = form.dataset.state;
    scopes.forEach(function (scope) {
      Object.keys(data).forEach(function (key) {
        if (typeof data[key] !== "number") return;
        scope.querySelectorAll('[data-count="' + key + '"]').forEach(function (el) {
          el.textContent = formatCount(data[key]);
        });
      });
      if (stateKey && typeof data[stateKey] === "boolean") {
        scope.querySelectorAll('form[data-state="' + stateKey + '"]').forEach(function (f) {
          setState(f, data[stateKey]);
        });
      }
    });
    form.dispatchEvent(new CustomEvent("remote:done", { bubbles: true, detail: data }));
    if (data.redirect) { window.location.assign(data.redirect); return; }
    if (form.dataset.remove) {
      var gone = form.closest(form.dataset.remove);
      if (gone) {
        gone.classList.add("removing");
        setTimeout(function () { gone.remove(); }, 200);
      }
      return;
    }
    if (stateKey || form.hasAttribute("data-stay")) return;
    var next = form.querySelector('input[name="next"]');
    if (next && next.value) window.location.assign(next.value);
    else window.location.reload();
  }

  function submitRemote(form, submitter) {
    var body = new FormData(form);
    if (submitter && submitter.name) body.append(submitter.name, submitter.value);
    var multipart = (form.getAttribute("enctype") || "").indexOf("multipart") === 0;
    var buttons = form.querySelectorAll("button, input[type=submit]");
    buttons.forEach(function (b) { b.disabled = true; });
    form.setAttribute("aria-busy", "true");
    var finish = function () {
      buttons.forEach(function (b) { b.disabled = false; });
      form.removeAttribute("aria-busy");
    };
    fetch(form.getAttribute("action") || window.location.href, {
      method: (form.getAttribute("method") || "post").toUpperCase(),
      body: multipart ? body : new URLSearchParams(body),
      headers: { "Accept": "application/json", "X-CSRF-Token": csrfToken() },
      credentials: "same-origin",
    }).then(function (response) {
      if (response.status === 401) {
        window.location.assign("/auth/sign_in?next=" + encodeURIComponent(location.pathname + location.search));
        return null;
      }
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") < 0) {
        // Not a scripted answer: let the browser send the form itself.
        finish();
        HTMLFormElement.prototype.submit.call(form);
        return null;
      }
      return response.json().then(function (data) {
        finish();
        if (response.status === 429 && !data.error) data.error = text("Too many requests: try again in a moment.");
        if (!response.ok || data.ok === false) { toast(data.error || text("That did not work.")); return; }
        applyAnswer(form, data);
      });
    }).catch(function () {
      finish();
      toast(text("The server could not be reached. Check your connection and try again."));
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var question = form.dataset.confirm;
    if (question && !window.confirm(question)) { event.preventDefault(); return; }
    if (!form.hasAttribute("data-remote")) return;
    event.preventDefault();
    submitRemote(form, event.submitter);
  });

  // --- load more -----------------------------------------------------------------------------
  function partialUrl(href) {
    var url = new URL(href, window.location.href);
    url.searchParams.set("partial", "1");
    return url.toString();
  }

  function loadMore(link) {
    if (link.dataset.loading) return;
    link.dataset.loading = "1";
    link.setAttribute("aria-busy", "true");
    link.textContent = text("Loading…");
    fetch(partialUrl(link.href), { headers: { "Accept": "text/html" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        var template = document.createElement("template");
        template.innerHTML = html;
        var fragment = template.content;
        var added = Array.prototype.slice.call(fragment.children);
        link.replaceWith(fragment);
        added.forEach(function (node) { enhance(node); });
      })
      .catch(function () {
        delete link.dataset.loading;
        link.removeAttribute("aria-busy");
        link.textContent = text("Load more");
        toast(text("Could not load more posts. Try again."));
      });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-load-more]");
    if (link && !event.ctrlKey && !event.metaKey && !event.shiftKey) {
      event.preventDefault();
      loadMore(link);
    }
  });

  var scrollObserver = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (entry.isIntersecting) { scrollObserver.unobserve(entry.target); loadMore(entry.target); }
    });
  }, { rootMargin: "600px 0px" }) : null;

  // --- menus ---------------------------------------------------------------------------------
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      menu.removeAttribute("open");
      var summary = menu.querySelector("summary");
      if (summary) summary.focus();
    });
  });

  // --- live ----------------------------------------------------------------------------------
  function badgeText(n) { return n > 99 ? "99+" : String(n); }

  function setUnread(count) {
    // Both navigations (sidebar and phone tab bar) link to /notifications.
    document.querySelectorAll('a.nav-link[href="/notifications"]').forEach(function (link) {
      var labelEl = link.querySelector(".label");
      var name = link.dataset.name || (labelEl ? labelEl.textContent : text("Notifications"));
      link.dataset.name = name;
      var holder = link.querySelector(".nav-icon");
      var badge = link.querySelector(".unread-badge");
      // The link is named by its text: the label, then hidden ", 3 unread".
      var said = link.querySelector(".unread-text");
      if (!count) {
        if (badge) badge.remove();
        if (said) said.remove();
        link.title = name;
        return;
      }
      if (!holder) {
        var svg = link.querySelector("svg");
        holder = document.createElement("span");
        holder.className = "nav-icon";
        if (svg) { link.insertBefore(holder, svg); holder.appendChild(svg); }
        else link.insertBefore(holder, link.firstChild);
      }
      if (!badge) {
        badge = document.createElement("span");
        badge.className = "unread-badge";
        badge.setAttribute("aria-hidden", "true");
        holder.appendChild(badge);
      }
      badge.textContent = badgeText(count);
      badge.classList.toggle("many", count > 99);
      if (!said) {
        said = document.createElement("span");
        said.className = "sr-only unread-text";
        link.appendChild(said);
      }
      var unread = text("%(count)s unread", { count: badgeText(count) });
      said.textContent = ", " + unread;
      link.title = name + " (" + unread + ")";
    });
  }

  function setCounts(data) {
    document.querySelectorAll('[data-post="' + data.post_id + '"]').forEach(function (scope) {
      ["replies_count", "favourites_count", "reblogs_count"].forEach(function (key) {
        if (typeof data[key] !== "number") return;
        scope.querySelectorAll('[data-count="' + key + '"]').forEach(function (el) {
          el.textContent = formatCount(data[key]);
        });
      });
    });
  }

  // The timeline's waiting posts: ids heard on the stream, not yet on the page.
  var waiting = [];

  function pill(feed) {
    var button = document.querySelector(".new-posts");
    if (button) return button;
    button = document.createElement("button");
    button.type = "button";
    button.className = "new-posts";
    button.hidden = true;
    button.setAttribute("aria-live", "polite");
    button.addEventListener("click", function () { showWaiting(feed, button); });
    // In the page's sticky header when there is one (it would cover a pill of its own).
    var head = document.querySelector("main .page-head");
    if (head) head.appendChild(button);
    else feed.parentNode.insertBefore(button, feed);
    return button;
  }

  function announce(feed, statusId) {
    if (document.getElementById("post-" + statusId) || waiting.indexOf(statusId) >= 0) return;
    waiting.push(statusId);
    var button = pill(feed);
    // Two messages, not a plural rule: the pill only ever counts one, or more than one.
    button.textContent = waiting.length === 1 ? text("1 new post")
      : text("%(count)s new posts", { count: waiting.length });
    button.hidden = false;
  }

  function showWaiting(feed, button) {
    var url = new URL(window.location.href);
    if (url.searchParams.has("max_id") || url.searchParams.has("min_id")) {
      // An older page: the newest posts are on the first one.
      url.searchParams.delete("max_id"); url.searchParams.delete("min_id");
      window.location.assign(url.toString());
      return;
    }
    button.disabled = true;
    fetch(partialUrl(url.toString()), { headers: { "Accept": "text/html" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        var template = document.createElement("template");
        template.innerHTML = html;
        var first = feed.querySelector("article.post-card");
        var added = [];
        template.content.querySelectorAll("article.post-card").forEach(function (card) {
          if (document.getElementById(card.id)) return;
          feed.insertBefore(card, first);
          added.push(card);
        });
        var empty = feed.querySelector(".empty");
        if (empty && added.length) empty.remove();
        added.forEach(function (node) { enhance(node); });
        waiting = [];
        button.hidden = true;
        button.disabled = false;
        // The reader asked for them: take them to the top, where the new posts are.
        feed.scrollIntoView({ block: "start" });
      })
      .catch(function () {
        button.disabled = false;
        toast(text("Could not load the new posts. Try again."));
      });
  }

  function startLive() {
    var meta = document.querySelector('meta[name="live-stream"]');
    if (!meta || !window.EventSource) return;
    var url = new URL(meta.getAttribute("content"), window.location.href);
    var feed = document.querySelector("[data-live-timeline]");
    if (feed) url.searchParams.set("timeline", feed.dataset.liveTimeline);
    var detail = document.querySelector("article.post-card.detail[data-post]");
    if (detail) url.searchParams.set("post", detail.dataset.post);
    var source = new EventSource(url.toString());
    var on = function (name, handle) {
      source.addEventListener(name, function (event) {
        var data;
        try { data = JSON.parse(event.data); } catch (e) { return; }
        if (handle) handle(data);
        document.dispatchEvent(new CustomEvent("dreamfeed:" + name, { detail: data }));
      });
    };
    on("timeline", function (data) { if (feed) announce(feed, data.status_id); });
    on("notifications", function (data) { setUnread(data.unread); });
    on("counts", setCounts);
    on("generation", null);
    source.addEventListener("open", function () {
      document.documentElement.classList.add("live");
      document.dispatchEvent(new CustomEvent("dreamfeed:live", { detail: { open: true } }));
    });
    source.addEventListener("error", function () {
      // The browser retries by itself; meanwhile the pages' own polling carries on.
      document.documentElement.classList.remove("live");
      document.dispatchEvent(new CustomEvent("dreamfeed:live", { detail: { open: false } }));
    });
  }

  // --- start ---------------------------------------------------------------------------------
  function enhance(root) {
    if (!root.querySelectorAll) return;
    var canvases = root.matches && root.matches("canvas[data-blurhash]") ? [root]
      : root.querySelectorAll("canvas[data-blurhash]");
    Array.prototype.forEach.call(canvases, paintBlurhash);
    root.querySelectorAll(".image img").forEach(watchImage);
    updateTimes(root);
    if (scrollObserver) root.querySelectorAll("a[data-load-more]").forEach(function (link) {
      scrollObserver.observe(link);
    });
    if (root.matches && root.matches("a[data-load-more]") && scrollObserver) scrollObserver.observe(root);
  }

  function start() {
    document.documentElement.classList.add("js");
    enhance(document);
    setInterval(function () { updateTimes(document); }, 60000);
    startLive();
  }

  window.Dreamfeed = { toast: toast, enhance: enhance, decodeBlurhash: decodeBlurhash };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
