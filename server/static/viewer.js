// The media viewer: a post's images full screen. Without this file an image's link opens the
// full image (post page) or the post (feeds, profile grid); with it, a click opens the viewer:
// - a dialog (role=dialog, aria-modal) over an inert page: focus moves in, Tab stays in, and
//   goes back to the image's link when it closes;
// - Esc, the close button or the browser's back button close it (opening it pushes a history
//   entry, so "back" on a phone closes the viewer instead of leaving the page);
// - arrow keys, the previous/next buttons or a swipe move between the post's images;
// - click (mouse), double-tap (touch), the wheel, pinch, or + / - / 0 zoom; drag pans;
// - under the image: its alt text, the published prompt, and how it was made.
// It reads what to show from data-viewer (JSON: server/services/reading/post_cards.py,
// PostCard.viewer_data) on the clicked link's post. No inline code (CSP).
(function () {
  "use strict";

  var MAX_SCALE = 4;
  var CLICK_SCALE = 2.5;
  var SWIPE = 50; // px a finger travels sideways to turn to the next image

  var viewer = null; // the dialog's elements, built on first use
  var state = null; // {data, index, opener, pushed}
  var zoom = { scale: 1, x: 0, y: 0 };
  var pointers = {}; // active pointers by id: {x, y}
  var gesture = null; // {kind: "pan"|"pinch"|"swipe", ...}
  var lastTap = 0;

  // The page's words (static/app.js, read when first used; English when it is missing).
  function text(message, values) {
    if (window.dreamfeedText) return window.dreamfeedText(message, values);
    return message.replace(/%\((\w+)\)s/g, function (all, name) {
      return values && name in values ? String(values[name]) : all;
    });
  }

  function el(tag, className, content) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (content) node.textContent = content;
    return node;
  }

  function button(className, label, glyph) {
    var b = el("button", "viewer-button " + className);
    b.type = "button";
    b.setAttribute("aria-label", label);
    b.title = label;
    var span = el("span", "", glyph);
    span.setAttribute("aria-hidden", "true");
    b.appendChild(span);
    return b;
  }

  function build() {
    var root = el("div", "viewer");
    root.setAttribute("role", "dialog");
    root.setAttribute("aria-modal", "true");
    root.setAttribute("aria-labelledby", "viewer-title");
    root.hidden = true;
    var title = el("h2", "sr-only");
    title.id = "viewer-title";
    var bar = el("div", "viewer-bar");
    var counter = el("span", "viewer-counter");
    counter.setAttribute("aria-live", "polite");
    var zoomButton = button("viewer-zoom", text("Zoom in"), "+");
    var close = button("viewer-close", text("Close"), "\u00d7");
    bar.append(counter, zoomButton, close);
    var stage = el("div", "viewer-stage");
    var img = el("img", "viewer-image");
    img.decoding = "async";
    img.draggable = false;
    stage.appendChild(img);
    var prev = button("viewer-prev", text("Previous image"), "\u2039");
    var next = button("viewer-next", text("Next image"), "\u203a");
    var info = el("div", "viewer-info");
    var alt = el("p", "viewer-alt");
    var prompt = el("p", "viewer-prompt");
    var made = el("p", "viewer-made");
    var open = el("a", "viewer-open", text("Open post"));
    info.append(alt, prompt, made, open);
    root.append(title, bar, stage, prev, next, info);
    document.body.appendChild(root);

    close.addEventListener("click", function () { hide(true); });
    prev.addEventListener("click", function () { go(-1); });
    next.addEventListener("click", function () { go(1); });
    zoomButton.addEventListener("click", function () {
      if (zoom.scale > 1) reset(); else zoomAt(CLICK_SCALE, null);
    });
    root.addEventListener("keydown", onKey);
    stage.addEventListener("wheel", onWheel, { passive: false });
    stage.addEventListener("pointerdown", onDown);
    stage.addEventListener("pointermove", onMove);
    stage.addEventListener("pointerup", onUp);
    stage.addEventListener("pointercancel", onCancel);
    stage.addEventListener("click", onStageClick);
    img.addEventListener("load", function () { stage.classList.remove("loading"); fit(); });
    return { root: root, title: title, counter: counter, zoomButton: zoomButton, close: close,
             stage: stage, img: img, prev: prev, next: next, alt: alt, prompt: prompt,
             made: made, open: open };
  }

  // --- opening and closing -------------------------------------------------------------------

  function show(data, index, opener) {
    if (!viewer) viewer = build();
    var wasOpen = state !== null;
    state = { data: data, index: index, opener: opener, pushed: wasOpen && state.pushed };
    if (!wasOpen) {
      // "Back" closes the viewer: one history entry for as long as it is open.
      try {
        history.pushState({ dreamfeedViewer: true }, "");
        state.pushed = true;
      } catch (e) { state.pushed = false; }
      Array.prototype.forEach.call(document.body.children, function (child) {
        if (child !== viewer.root && !child.inert) {
          child.inert = true;
          child.setAttribute("data-viewer-inert", "");
        }
      });
      document.documentElement.classList.add("viewer-open");
      viewer.root.hidden = false;
    }
    render();
    viewer.close.focus();
  }

  function hide(viaButton) {
    if (!state) return;
    var opener = state.opener;
    var pushed = state.pushed;
    state = null;
    reset();
    viewer.root.hidden = true;
    viewer.img.removeAttribute("src");
    viewer.img.removeAttribute("srcset");
    document.documentElement.classList.remove("viewer-open");
    Array.prototype.forEach.call(document.querySelectorAll("[data-viewer-inert]"), function (n) {
      n.inert = false;
      n.removeAttribute("data-viewer-inert");
    });
    if (opener && document.contains(opener)) opener.focus();
    // Closed by Esc or the button: take back the entry that opening pushed.
    if (viaButton && pushed) history.back();
  }

  window.addEventListener("popstate", function () { if (state) hide(false); });

  function render() {
    var images = state.data.images;
    var image = images[state.index];
    var many = images.length > 1;
    reset();
    viewer.stage.classList.add("loading");
    viewer.img.alt = image.alt || "";
    viewer.img.sizes = "100vw";
    if (image.srcset) viewer.img.srcset = image.srcset; else viewer.img.removeAttribute("srcset");
    viewer.img.src = image.url;
    fit();
    if (viewer.img.complete) viewer.stage.classList.remove("loading");
    var place = { number: state.index + 1, total: images.length, name: state.data.author };
    viewer.title.textContent = state.data.author
      ? text("Image %(number)s of %(total)s by %(name)s", place)
      : text("Image %(number)s of %(total)s", place);
    viewer.counter.textContent = many ? (state.index + 1) + " / " + images.length : "";
    viewer.prev.hidden = !many;
    viewer.next.hidden = !many;
    viewer.prev.disabled = state.index === 0;
    viewer.next.disabled = state.index === images.length - 1;
    viewer.alt.textContent = image.alt || text("No description.");
    viewer.alt.classList.toggle("missing", !image.alt);
    setLine(viewer.prompt, text("Prompt"), state.data.prompt);
    setLine(viewer.made, text("Made with"), state.data.made);
    viewer.open.href = state.data.path;
    viewer.open.hidden = !state.data.path || samePage(state.data.path);
  }

  // The image as large as the stage allows at its own shape: sized here from its stated
  // width and height (before it loads: nothing jumps), or its natural size once loaded.
  function fit() {
    if (!state) return;
    var image = state.data.images[state.index];
    var w = image.width || viewer.img.naturalWidth;
    var h = image.height || viewer.img.naturalHeight;
    if (!w || !h) return;
    var box = viewer.stage.getBoundingClientRect();
    var scale = Math.min(box.width / w, box.height / h);
    viewer.img.style.width = Math.max(1, Math.floor(w * scale)) + "px";
    viewer.img.style.height = Math.max(1, Math.floor(h * scale)) + "px";
  }

  window.addEventListener("resize", function () { if (state) { fit(); clamp(); apply(); } });

  function setLine(node, label, value) {
    node.textContent = "";
    node.hidden = !value;
    if (!value) return;
    var strong = el("span", "viewer-label", label);
    node.append(strong, " ", value);
  }

  function samePage(path) {
    return location.pathname === path;
  }

  function go(step) {
    if (!state) return;
    var target = state.index + step;
    if (target < 0 || target >= state.data.images.length) return;
    state.index = target;
    render();
  }

  // --- zoom and pan --------------------------------------------------------------------------

  function apply() {
    var img = viewer.img;
    img.style.transform = zoom.scale === 1 ? ""
      : "translate(" + zoom.x + "px, " + zoom.y + "px) scale(" + zoom.scale + ")";
    viewer.stage.classList.toggle("zoomed", zoom.scale > 1);
    var label = zoom.scale > 1 ? text("Zoom out") : text("Zoom in");
    viewer.zoomButton.setAttribute("aria-label", label);
    viewer.zoomButton.title = label;
    viewer.zoomButton.firstChild.textContent = zoom.scale > 1 ? "\u2212" : "+";
  }

  function reset() {
    zoom = { scale: 1, x: 0, y: 0 };
    if (viewer) apply();
  }

  // Zoom to `scale`, keeping the point under (clientX, clientY) where it is (null: centre).
  function zoomAt(scale, point) {
    scale = Math.max(1, Math.min(MAX_SCALE, scale));
    if (scale === 1) { reset(); return; }
    var rect = viewer.stage.getBoundingClientRect();
    var cx = rect.left + rect.width / 2;
    var cy = rect.top + rect.height / 2;
    var px = point ? point.x - cx : 0;
    var py = point ? point.y - cy : 0;
    var ratio = scale / zoom.scale;
    zoom.x = px - (px - zoom.x) * ratio;
    zoom.y = py - (py - zoom.y) * ratio;
    zoom.scale = scale;
    clamp();
    apply();
  }

  // Panning stops at the image's edges (offsetWidth: its laid-out size, before the scale).
  function clamp() {
    var stage = viewer.stage.getBoundingClientRect();
    var limitX = Math.max(0, (viewer.img.offsetWidth * zoom.scale - stage.width) / 2);
    var limitY = Math.max(0, (viewer.img.offsetHeight * zoom.scale - stage.height) / 2);
    zoom.x = Math.max(-limitX, Math.min(limitX, zoom.x));
    zoom.y = Math.max(-limitY, Math.min(limitY, zoom.y));
  }

  function onWheel(event) {
    event.preventDefault();
    var factor = Math.exp(-event.deltaY / 300);
    zoomAt(zoom.scale * factor, { x: event.clientX, y: event.clientY });
  }

  function distance() {
    var ids = Object.keys(pointers);
    var a = pointers[ids[0]], b = pointers[ids[1]];
    return Math.hypot(a.x - b.x, a.y - b.y);
  }

  function middle() {
    var ids = Object.keys(pointers);
    var a = pointers[ids[0]], b = pointers[ids[1]];
    return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
  }

  function onDown(event) {
    if (event.target.closest("button")) return;
    viewer.stage.setPointerCapture(event.pointerId);
    pointers[event.pointerId] = { x: event.clientX, y: event.clientY };
    var count = Object.keys(pointers).length;
    if (count === 2) {
      gesture = { kind: "pinch", start: distance(), scale: zoom.scale };
    } else if (count === 1) {
      gesture = { kind: zoom.scale > 1 ? "pan" : "swipe", x: event.clientX, y: event.clientY,
                  zx: zoom.x, zy: zoom.y, moved: false, type: event.pointerType };
    }
  }

  function onMove(event) {
    if (!pointers[event.pointerId] || !gesture) return;
    pointers[event.pointerId] = { x: event.clientX, y: event.clientY };
    if (gesture.kind === "pinch" && Object.keys(pointers).length === 2) {
      zoomAt(gesture.scale * distance() / gesture.start, middle());
      return;
    }
    var dx = event.clientX - gesture.x, dy = event.clientY - gesture.y;
    if (Math.abs(dx) > 4 || Math.abs(dy) > 4) gesture.moved = true;
    if (gesture.kind === "pan") {
      zoom.x = gesture.zx + dx;
      zoom.y = gesture.zy + dy;
      clamp();
      apply();
    } else if (gesture.kind === "swipe") {
      viewer.img.style.transform = "translateX(" + dx + "px)";
    }
  }

  function onUp(event) {
    if (!pointers[event.pointerId]) return;
    delete pointers[event.pointerId];
    var done = gesture;
    if (Object.keys(pointers).length > 0) {
      // One finger of a pinch lifted: the other pans from here.
      var id = Object.keys(pointers)[0];
      gesture = { kind: "pan", x: pointers[id].x, y: pointers[id].y, zx: zoom.x, zy: zoom.y,
                  moved: true, type: "touch" };
      return;
    }
    gesture = null;
    if (!done) return;
    if (done.kind === "swipe") {
      var dx = event.clientX - done.x;
      apply();
      if (Math.abs(dx) > SWIPE && Math.abs(dx) > Math.abs(event.clientY - done.y)) {
        go(dx < 0 ? 1 : -1);
        done.moved = true;
      }
    }
    if (!done.moved && done.type === "touch") {
      // Double-tap toggles zoom at the finger.
      var now = Date.now();
      if (now - lastTap < 350) {
        lastTap = 0;
        if (zoom.scale > 1) reset(); else zoomAt(CLICK_SCALE, { x: event.clientX, y: event.clientY });
      } else {
        lastTap = now;
      }
    }
    viewer.stage.dataset.dragged = done.moved ? "1" : "";
  }

  function onCancel(event) {
    delete pointers[event.pointerId];
    gesture = null;
    apply();
  }

  function onStageClick(event) {
    // A mouse click on the image toggles zoom there; a click beside it closes; a drag or a
    // touch (double-tap zooms) does neither.
    if (viewer.stage.dataset.dragged === "1" || event.pointerType === "touch") return;
    if (event.target.closest("button")) return;
    // By where it lands, not its target: pointer capture makes the stage the target.
    var box = viewer.img.getBoundingClientRect();
    var onImage = event.clientX >= box.left && event.clientX <= box.right
      && event.clientY >= box.top && event.clientY <= box.bottom;
    if (onImage) {
      if (zoom.scale > 1) reset(); else zoomAt(CLICK_SCALE, { x: event.clientX, y: event.clientY });
    } else if (zoom.scale === 1) {
      hide(true);
    }
  }

  // --- keyboard ------------------------------------------------------------------------------

  function focusable() {
    return Array.prototype.filter.call(
      viewer.root.querySelectorAll("button, a[href]"),
      function (n) { return !n.hidden && !n.disabled && n.offsetParent !== null; });
  }

  function onKey(event) {
    var key = event.key;
    if (key === "Escape") { event.preventDefault(); hide(true); }
    else if (key === "ArrowLeft") { event.preventDefault(); go(-1); }
    else if (key === "ArrowRight") { event.preventDefault(); go(1); }
    else if (key === "+" || key === "=") { event.preventDefault(); zoomAt(zoom.scale * 1.5, null); }
    else if (key === "-") { event.preventDefault(); zoomAt(zoom.scale / 1.5, null); }
    else if (key === "0") { event.preventDefault(); reset(); }
    else if (key === "Tab") {
      // Focus stays in the dialog.
      var items = focusable();
      if (!items.length) return;
      var first = items[0], last = items[items.length - 1];
      if (event.shiftKey && document.activeElement === first) {
        event.preventDefault(); last.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault(); first.focus();
      } else if (items.indexOf(document.activeElement) < 0) {
        event.preventDefault(); first.focus();
      }
    }
  }

  // --- opening from a page -------------------------------------------------------------------

  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey
        || event.shiftKey || event.altKey) return;
    var link = event.target.closest && event.target.closest("a[data-viewer-index]");
    if (!link) return;
    var holder = link.closest("[data-viewer]");
    if (!holder) return;
    var data;
    try { data = JSON.parse(holder.getAttribute("data-viewer")); } catch (e) { return; }
    if (!data.images || !data.images.length) return;
    var index = parseInt(link.getAttribute("data-viewer-index"), 10) || 0;
    event.preventDefault();
    show(data, Math.min(index, data.images.length - 1), link);
  });
})();
