// Copy buttons for the read-only text boxes (snippets, a new API token). Without this script
// the buttons stay hidden and the boxes are selected and copied by hand.
document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
  var source = document.getElementById(button.dataset.copy);
  if (!source || !navigator.clipboard) return;
  var label = button.textContent;
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(source.value).then(function () {
      button.textContent = "✓";
      setTimeout(function () { button.textContent = label; }, 1500);
    });
  });
});
document.querySelectorAll("textarea.copy-source").forEach(function (box) {
  box.addEventListener("focus", function () { box.select(); });
});
