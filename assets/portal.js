// The portal works without this file; it only adds conveniences.
// Print buttons (the receipt, a certificate): a button with data-print prints the page.
document.addEventListener("click", function (event) {
  var target = event.target;
  if (target instanceof Element && target.closest("[data-print]")) {
    event.preventDefault();
    window.print();
  }
});
