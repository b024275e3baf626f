/* The images page: "Copy URL" buttons (data-copy) put the image's address on the
   clipboard; where the clipboard is not available the address field is selected. */
(function () {
  "use strict";
  document.addEventListener("click", async (event) => {
    const button = event.target.closest ? event.target.closest("button[data-copy]") : null;
    if (!button) return;
    const url = new URL(button.dataset.copy, window.location.origin).href;
    try {
      await navigator.clipboard.writeText(url);
      button.textContent = "Copied";
    } catch (e) {
      const field = button.closest("figcaption").querySelector("input");
      field.value = url;
      field.select();
      button.textContent = "Press Ctrl+C";
    }
    window.setTimeout(() => { button.textContent = "Copy URL"; }, 2000);
  });
})();
