// Behaviours the templates ask for with data attributes, so that no page needs an inline
// script or an on*= handler (the Content-Security-Policy allows scripts from our files only).
// Listeners sit on the document, so content that htmx swaps in works too.
(function () {
  "use strict";

  // <select data-autosubmit>: submit its form on change (the language switcher)
  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches("[data-autosubmit]") && e.target.form) {
      e.target.form.submit();
    }
  });

  // <form data-confirm="question">: ask before submitting
  document.addEventListener("submit", function (e) {
    const form = e.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      e.preventDefault();
    }
  }, true);

  document.addEventListener("click", function (e) {
    const target = e.target.closest ? e.target : e.target.parentElement;
    // <button data-clear="id">: empty an element (closing an inline form)
    const clear = target.closest("[data-clear]");
    if (clear) {
      const panel = document.getElementById(clear.dataset.clear);
      if (panel) panel.innerHTML = "";
      return;
    }
    // <button data-print>: print the page (a statement; no inline handler under the CSP)
    if (target.closest("[data-print]")) {
      window.print();
      return;
    }
    // <button data-copy="id">: copy an input's value to the clipboard
    const copy = target.closest("[data-copy]");
    if (copy) {
      const input = document.getElementById(copy.dataset.copy);
      if (input && navigator.clipboard) navigator.clipboard.writeText(input.value);
      return;
    }
    // <button data-pick-value data-pick-name data-pick-target data-pick-search
    // data-pick-options>: choose a record from a search list into a hidden input
    const pick = target.closest("[data-pick-value]");
    if (pick) {
      document.getElementById(pick.dataset.pickTarget).value = pick.dataset.pickValue;
      document.getElementById(pick.dataset.pickSearch).value = pick.dataset.pickName;
      document.getElementById(pick.dataset.pickOptions).innerHTML = "";
    }
  });

  // <input data-select-on-focus>: select the whole value (addresses to copy)
  document.addEventListener("focusin", function (e) {
    if (e.target.matches && e.target.matches("[data-select-on-focus]")) e.target.select();
  });

  // <div data-progress="42">: a progress bar's width, set through the CSSOM (allowed by
  // the policy, unlike a style="" attribute)
  function progress(root) {
    root.querySelectorAll("[data-progress]").forEach(function (bar) {
      bar.style.width = Math.max(0, Math.min(100, Number(bar.dataset.progress) || 0)) + "%";
    });
  }
  document.addEventListener("DOMContentLoaded", function () { progress(document); });
  document.addEventListener("htmx:load", function (e) { progress(e.target); });
})();
