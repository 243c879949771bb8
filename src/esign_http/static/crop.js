// esign: a minimal image cropper for the appearance page (no dependencies, no inline code).
// For every form with [data-crop]: choosing a file shows it with a movable, resizable rectangle;
// the rectangle, in the image's own pixels, goes into the hidden crop_* fields and the server
// applies it (Pillow). Images are read as data: URLs (the CSP allows img-src data:).
(function () {
  function setup(form) {
    var input = form.querySelector("input[type=file]");
    var stage = form.querySelector(".crop-stage");
    var img = stage.querySelector("img");
    var box = stage.querySelector(".crop-box");
    var handle = box.querySelector(".crop-handle");
    var fields = {};
    ["x", "y", "width", "height"].forEach(function (k) { fields[k] = form.querySelector("[name=crop_" + k + "]"); });
    var rect = { x: 0, y: 0, w: 0, h: 0 };  // in displayed pixels

    function sync() {
      box.style.left = rect.x + "px"; box.style.top = rect.y + "px";
      box.style.width = rect.w + "px"; box.style.height = rect.h + "px";
      var sx = img.naturalWidth / img.clientWidth, sy = img.naturalHeight / img.clientHeight;
      fields.x.value = Math.round(rect.x * sx); fields.y.value = Math.round(rect.y * sy);
      fields.width.value = Math.round(rect.w * sx); fields.height.value = Math.round(rect.h * sy);
    }
    function clamp() {
      var W = img.clientWidth, H = img.clientHeight;
      rect.w = Math.max(10, Math.min(rect.w, W)); rect.h = Math.max(10, Math.min(rect.h, H));
      rect.x = Math.max(0, Math.min(rect.x, W - rect.w)); rect.y = Math.max(0, Math.min(rect.y, H - rect.h));
    }
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file) { return; }
      var reader = new FileReader();
      reader.onload = function () { img.src = reader.result; };
      reader.readAsDataURL(file);
    });
    img.addEventListener("load", function () {
      stage.hidden = false;
      var W = img.clientWidth, H = img.clientHeight;
      rect = { x: Math.round(W * 0.1), y: Math.round(H * 0.1), w: Math.round(W * 0.8), h: Math.round(H * 0.8) };
      sync();
    });
    var drag = null;
    function start(mode) {
      return function (e) {
        e.preventDefault(); e.stopPropagation();
        drag = { mode: mode, px: e.clientX, py: e.clientY, r: { x: rect.x, y: rect.y, w: rect.w, h: rect.h } };
      };
    }
    box.addEventListener("pointerdown", start("move"));
    handle.addEventListener("pointerdown", start("resize"));
    document.addEventListener("pointermove", function (e) {
      if (!drag) { return; }
      var dx = e.clientX - drag.px, dy = e.clientY - drag.py;
      if (drag.mode === "move") { rect.x = drag.r.x + dx; rect.y = drag.r.y + dy; rect.w = drag.r.w; rect.h = drag.r.h; }
      else { rect.w = drag.r.w + dx; rect.h = drag.r.h + dy; }
      clamp(); sync();
    });
    document.addEventListener("pointerup", function () { drag = null; });
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-crop]"), setup);
  });
})();
