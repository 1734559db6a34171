/* Keyboard shortcuts for the coding screen (progressive enhancement: the screen
 * works without this file).
 *
 * - 1–9: tick or untick the n-th code of the answer whose codes have the focus;
 * - Enter on a code, or Ctrl+Enter (⌘+Enter) anywhere: save and open the next
 *   uncoded reply, as the main button does.
 */
(function () {
  "use strict";

  function init() {
    var form = document.getElementById("coding-form");
    if (!form) { return; }
    var main = form.querySelector('.submit-row input[name="save_next"]');
    if (!main) { return; }  // a reader's view: nothing to save

    form.querySelectorAll('fieldset.codes input[type="checkbox"][data-number]').forEach(function (box) {
      var number = parseInt(box.dataset.number, 10);
      if (number <= 9) {
        var kbd = document.createElement("kbd");
        kbd.className = "shortcut";
        kbd.textContent = String(number);
        kbd.setAttribute("aria-hidden", "true");
        box.parentNode.insertBefore(kbd, box);
      }
    });

    function submitMain() {
      if (form.requestSubmit) { form.requestSubmit(main); } else { main.click(); }
    }

    form.addEventListener("keydown", function (event) {
      var target = event.target;
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        submitMain();
        return;
      }
      var isBox = target instanceof HTMLInputElement && target.type === "checkbox";
      if (!isBox || event.altKey || event.ctrlKey || event.metaKey) { return; }
      if (event.key === "Enter") {
        event.preventDefault();
        submitMain();
        return;
      }
      if (/^[1-9]$/.test(event.key)) {
        var fieldset = target.closest("fieldset.codes");
        var box = fieldset && fieldset.querySelector('input[type="checkbox"][data-number="' + event.key + '"]');
        if (box && !box.disabled) {
          event.preventDefault();
          box.checked = !box.checked;
          box.focus();
        }
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
