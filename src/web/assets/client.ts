/**
 * The dashboard's only script of its own, served from /assets/app.js (CSP: script-src 'self').
 * Progressive enhancement: copy buttons, the provider picker filling in hosts and the env name,
 * and the username field for Basic secrets. Every page works without it.
 */
export const CLIENT_JS = `'use strict';
(function () {
  function flash(btn, text) {
    var label = btn.getAttribute('data-label') || btn.textContent;
    btn.setAttribute('data-label', label);
    btn.textContent = text;
    setTimeout(function () { btn.textContent = label; }, 1600);
  }

  function selectNode(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  function copy(node) {
    var text = node.textContent || '';
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    selectNode(node);
    return document.execCommand('copy') ? Promise.resolve() : Promise.reject(new Error('copy refused'));
  }

  document.addEventListener('click', function (ev) {
    var btn = ev.target && ev.target.closest ? ev.target.closest('button[data-copy]') : null;
    if (!btn) return;
    var target = document.getElementById(btn.getAttribute('data-copy'));
    if (!target) return;
    copy(target).then(function () { flash(btn, 'Copied'); }, function () { selectNode(target); flash(btn, 'Press Ctrl+C'); });
  });

  function revealCopyButtons(root) {
    var buttons = (root || document).querySelectorAll('button[data-copy][hidden]');
    for (var i = 0; i < buttons.length; i++) buttons[i].hidden = false;
  }

  function providerPicker() {
    var select = document.getElementById('provider');
    if (!select) return;
    var hosts = document.getElementById('hosts');
    var expose = document.getElementById('exposeAs');
    var hint = document.getElementById('provider-hint');
    // Only replace what the picker filled in itself, never what the user typed.
    var autoHosts = null, autoExpose = null;
    select.addEventListener('change', function () {
      var opt = select.options[select.selectedIndex];
      var h = (opt && opt.getAttribute('data-hosts')) || '';
      var e = (opt && opt.getAttribute('data-env')) || '';
      if (hosts && (hosts.value.trim() === '' || hosts.value === autoHosts)) {
        hosts.value = h.split(' ').filter(Boolean).join('\\n');
        autoHosts = hosts.value;
      }
      if (expose && (expose.value.trim() === '' || expose.value === autoExpose)) {
        expose.value = e;
        autoExpose = expose.value;
      }
      if (hint) hint.textContent = (opt && opt.getAttribute('data-hint')) || '';
    });
  }

  function typeToggle() {
    var type = document.getElementById('type');
    var field = document.getElementById('username-field');
    if (!type || !field) return;
    function sync() { field.hidden = type.value !== 'basic'; }
    type.addEventListener('change', sync);
    sync();
  }

  revealCopyButtons();
  providerPicker();
  typeToggle();
  document.addEventListener('htmx:afterSwap', function (ev) { revealCopyButtons(ev.target); });
})();
`;
