/* The ticket queue and workspace: countdowns to SLA deadlines. The server
 * renders the remaining time; this ticks it every second and turns it red
 * when the deadline passes. No inline script (strict CSP). */
(function () {
  'use strict';
  var fmt = document.getElementById('tk-fmt');
  var els = document.querySelectorAll('.tk-countdown[data-due]');
  if (!fmt || !els.length) return;
  function fill(t, vals) {
    return t.replace(/\{(\w+)\}/g, function (_, k) { return vals[k] !== undefined ? vals[k] : ''; });
  }
  function span(ms) {
    var m = Math.floor(ms / 60000), s = Math.floor(ms / 1000) % 60;
    if (m >= 24 * 60) return fill(fmt.dataset.dh, { d: Math.floor(m / 1440), h: Math.floor((m % 1440) / 60) });
    if (m >= 60) return fill(fmt.dataset.hm, { h: Math.floor(m / 60), m: m % 60 });
    if (m < 10) return fill(fmt.dataset.ms, { m: m, s: s });
    return fill(fmt.dataset.m, { m: m });
  }
  function tick() {
    var now = Date.now();
    els.forEach(function (el) {
      if (el.classList.contains('is-paused')) return;
      var due = Date.parse(el.dataset.due);
      if (isNaN(due)) return;
      var left = due - now, text = el.querySelector('.tk-cd-text');
      if (left < 0) {
        el.classList.add('is-breached');
        el.classList.remove('is-warning');
        text.textContent = fill(fmt.dataset.over, { d: span(-left) });
      } else {
        text.textContent = fill(fmt.dataset.left, { d: span(left) });
      }
    });
  }
  tick();
  window.setInterval(tick, 1000);
})();
