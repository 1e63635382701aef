// The project form: selecting words in the project's text chooses, in the last source-sentence select
// the editor used (or the row just added, or the first empty one of a grant, partner, figure or place),
// the sentence that holds them. The selects work without this.
(function () {
  "use strict";
  const text = document.getElementById("id_text");
  if (!text) return;
  let target = null;
  const selects = () => [...document.querySelectorAll("select.source-sentence")].filter(
    (select) => !select.closest(".empty-form")
  );
  document.addEventListener("focusin", (event) => {
    if (event.target.matches && event.target.matches("select.source-sentence")) target = event.target;
  });
  // "Add another figure": the new row's select is the one the next selection fills (Django's inlines.js event).
  document.addEventListener("formset:added", (event) => {
    const added = event.target.querySelector && event.target.querySelector("select.source-sentence");
    if (added) target = added;
  });
  // The chosen sentence, shown whole under its select (a select cuts long sentences off).
  document.addEventListener("change", (event) => {
    const select = event.target;
    if (!select.matches || !select.matches("select.source-sentence")) return;
    const chosen = document.getElementById(select.id + "_chosen");
    if (!chosen) return;
    chosen.textContent = select.value;
    chosen.hidden = !select.value;
  });
  const fold = (value) => value.replace(/\s+/g, " ").trim();
  function pick() {
    const words = fold(text.value.slice(text.selectionStart, text.selectionEnd));
    if (words.length < 3) return;
    // Rows of facts first: the start date's and the duration's sentences are chosen only when asked for.
    const empty = selects().filter((s) => !s.value);
    const select = target && document.body.contains(target)
      ? target
      : empty.find((s) => s.closest(".inline-related")) || empty[0];
    if (!select) return;
    const option = [...select.options].find((o) => o.value && fold(o.value).includes(words));
    if (!option) return;
    select.value = option.value;
    select.dispatchEvent(new Event("change", { bubbles: true }));
    select.classList.add("sentence-picked");
    window.setTimeout(() => select.classList.remove("sentence-picked"), 1500);
  }
  text.addEventListener("mouseup", pick);
  text.addEventListener("keyup", (event) => { if (event.shiftKey) pick(); });
})();
