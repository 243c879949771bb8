// Settings pages: keep the colour picker and its text field in step (no inline scripts: CSP).
document.addEventListener("input", function (event) {
  var el = event.target;
  if (el.dataset && el.dataset.mirror) {
    var other = document.getElementById(el.dataset.mirror);
    if (other) { other.value = el.value.toUpperCase(); }
  }
});
