// "Salin kode" and "Cetak / simpan PDF": buttons that only work with a script, so the page
// ships them hidden and this file shows them. Without it the code is still plain text to
// select and copy, and the browser's own print menu prints the page.
(function () {
  "use strict";

  function say(text) {
    var status = document.getElementById("copy-status");
    if (status) status.textContent = text;
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.dataset.copy);
    // The Clipboard API exists only on secure pages (https, or this computer).
    if (!source || !navigator.clipboard || !window.isSecureContext) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent.trim()).then(
        function () { say(button.dataset.done); },
        function () { say(button.dataset.failed); }
      );
    });
  });

  document.querySelectorAll("button[data-print]").forEach(function (button) {
    if (typeof window.print !== "function") return;
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
