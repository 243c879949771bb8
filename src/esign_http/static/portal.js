/* Signing portal: the signature pad and the return to the caller's page. No dependencies, no
   inline code (the CSP allows scripts from /static only). */
(function () {
  "use strict";

  function setupPad() {
    var canvas = document.getElementById("signature-pad");
    var form = document.getElementById("sign-form");
    var field = document.getElementById("signature-data");
    if (!canvas || !form || !field) { return; }
    var ctx = canvas.getContext("2d");
    var drawing = false, drawn = false;
    ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#000";

    function point(event) {
      var rect = canvas.getBoundingClientRect();
      return { x: (event.clientX - rect.left) * canvas.width / rect.width,
               y: (event.clientY - rect.top) * canvas.height / rect.height };
    }
    canvas.addEventListener("pointerdown", function (event) {
      drawing = true;
      var p = point(event);
      ctx.beginPath(); ctx.moveTo(p.x, p.y);
      if (canvas.setPointerCapture) { canvas.setPointerCapture(event.pointerId); }
      event.preventDefault();
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) { return; }
      var p = point(event);
      ctx.lineTo(p.x, p.y); ctx.stroke();
      drawn = true;
      event.preventDefault();
    });
    function stop() { drawing = false; }
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    canvas.addEventListener("pointerleave", stop);

    var clear = document.getElementById("signature-clear");
    if (clear) {
      clear.addEventListener("click", function () {
        ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false; field.value = "";
      });
    }
    form.addEventListener("submit", function () {
      var mode = form.querySelector("input[name=signature_mode]:checked");
      field.value = (mode && mode.value === "drawn" && drawn) ? canvas.toDataURL("image/png") : "";
    });
  }

  function setupCallback() {
    var done = document.getElementById("portal-done");
    var target = done && done.getAttribute("data-callback");
    if (target && /^https?:\/\//.test(target)) {
      window.setTimeout(function () { window.location.assign(target); }, 5000);
    }
  }

  document.addEventListener("DOMContentLoaded", function () { setupPad(); setupCallback(); });
}());
