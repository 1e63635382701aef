// The filter form shows the list's address, never what was ticked or typed before leaving the page.
// Browsers keep a page in the back/forward cache as the visitor left it: the box ticked just before
// "Apply filters" would still be ticked on the unfiltered list they go back to. reset() puts every
// control back to what the server rendered for this address.
window.addEventListener("pageshow", (event) => {
  if (event.persisted) {
    document.getElementById("filters")?.reset();
  }
});
