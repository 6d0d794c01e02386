// The portal works without this file; it only adds conveniences.
// Print buttons (the receipt, a certificate): a button with data-print prints the page.
document.addEventListener("click", function (event) {
  var target = event.target;
  if (target instanceof Element && target.closest("[data-print]")) {
    event.preventDefault();
    window.print();
  }
});

// The receipt page (a report just filed): until "I have saved my receipt" is sent, leaving the
// page asks first. Without this file the confirm step is still there, only not enforced.
(function () {
  var guard = document.querySelector("[data-receipt-guard]");
  if (!guard) {
    return;
  }
  var saved = false;
  guard.addEventListener("submit", function () {
    saved = true;
  });
  window.addEventListener("beforeunload", function (event) {
    if (!saved) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
