/* KMCS keyboard shortcuts for the daily loop (issue 14.6). No framework, no eval (CSP).
 *
 * A key presses the button the page itself offers, marked data-shortcut="<name>": the same
 * form, permission and Korean refusal as a click. Nothing fires while typing in a field,
 * or with Ctrl/Alt/Meta held (browser shortcuts stay the browser's).
 *
 *   n  next case of my queue        t  take (내가 가져오기)      d  decide as proposed
 *   s  send the current step's SMS   c  complete the current step  a  save the answer
 *   x  close the case               q  my queue                  /  focus search
 *   ?  this list                    Esc  close the list
 *   Ctrl+Enter in the answer box saves it.
 */
(function () {
  "use strict";

  var BUTTONS = { t: "take", d: "decide", s: "send", c: "tick", a: "answer", x: "close" };

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function visible(el) {
    return el.offsetParent !== null && !el.disabled;
  }

  /* The first visible, enabled control of that name: the current step is the first whose
     button is offered (the checklist is in order). */
  function pressButton(name) {
    var all = document.querySelectorAll('[data-shortcut="' + name + '"]');
    for (var i = 0; i < all.length; i++) {
      if (visible(all[i])) {
        all[i].focus();
        all[i].click();
        return true;
      }
    }
    return false;
  }

  function help() {
    return document.getElementById("shortcut-help");
  }

  function toggleHelp() {
    var dialog = help();
    if (!dialog) return;
    if (dialog.open) dialog.close();
    else dialog.showModal();
  }

  function hint(text) {
    var box = document.getElementById("shortcut-hint");
    if (!box) return;
    box.textContent = text;
    box.hidden = false;
    window.clearTimeout(hint.timer);
    hint.timer = window.setTimeout(function () { box.hidden = true; }, 2500);
  }

  document.addEventListener("keydown", function (event) {
    /* Ctrl+Enter in the answer box saves it (the text is where the cursor is). */
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target &&
        event.target.closest && event.target.closest("#answer-form")) {
      event.preventDefault();
      pressButton("answer");
      return;
    }
    if (event.ctrlKey || event.altKey || event.metaKey || event.defaultPrevented) return;
    var key = event.key;
    var dialog = help();
    if (dialog && dialog.open) {
      if (key === "?" || key === "Escape") { event.preventDefault(); dialog.close(); }
      return;
    }
    if (typing(event.target)) return;
    var body = document.body;
    if (key === "?") {
      event.preventDefault();
      toggleHelp();
    } else if (key === "/") {
      var search = document.getElementById("site-search");
      if (search) { event.preventDefault(); search.focus(); search.select(); }
    } else if (key === "n" && body.dataset.nextUrl) {
      var current = document.querySelector("[data-case-id]");
      var url = body.dataset.nextUrl;
      if (current) url += "?after=" + encodeURIComponent(current.dataset.caseId);
      event.preventDefault();
      window.location.assign(url);
    } else if (key === "q" && body.dataset.queueUrl) {
      event.preventDefault();
      window.location.assign(body.dataset.queueUrl);
    } else if (Object.prototype.hasOwnProperty.call(BUTTONS, key)) {
      event.preventDefault();
      if (!pressButton(BUTTONS[key])) {
        var label = help() && help().querySelector('[data-key="' + key + '"]');
        hint((label ? label.textContent : key) + ": 이 화면에서 지금 할 수 없습니다.");
      }
    }
  });

  /* The close button of the help list (no inline handlers under the CSP). */
  document.addEventListener("click", function (event) {
    if (event.target && event.target.id === "shortcut-help-close") toggleHelp();
  });
})();
