/* closeloop — app.js
 *
 * Small progressive enhancements, all driven by classes and data-attributes
 * (the contract is docs/ui-kit.md). Plain ES2017, no framework, no eval, no
 * inline handlers: works under `script-src 'self'; style-src 'self'`.
 * Load with <script src="/static/app.js" defer></script> after htmx and ECharts.
 *
 * Sections
 *   i18n + helpers · toasts · confirm · nav / dropdowns / dialogs
 *   filters · autosubmit · copy · dismiss · "/" shortcut · lookup
 *   charts · kanban drag and drop · htmx glue · init
 */
(function () {
  'use strict';

  /* ---------------------------------------------------------------- */
  /* i18n + helpers                                                    */
  /* ---------------------------------------------------------------- */
  var lang = (document.documentElement.getAttribute('lang') || 'zh').toLowerCase().indexOf('en') === 0 ? 'en' : 'zh';
  var STR = {
    zh: {
      noMatches: '无匹配结果', loadFailed: '加载失败，请重试', copied: '已复制', copyFailed: '复制失败',
      moveFailed: '移动失败', network: '网络错误，请检查连接后重试', requestFailed: '请求失败',
      close: '关闭', chartError: '图表数据无效'
    },
    en: {
      noMatches: 'No matches', loadFailed: 'Could not load, please retry', copied: 'Copied', copyFailed: 'Copy failed',
      moveFailed: 'Move failed', network: 'Network error, please check your connection and retry', requestFailed: 'Request failed',
      close: 'Close', chartError: 'Invalid chart data'
    }
  }[lang];

  var uid = 0;
  function nextId(prefix) { uid += 1; return prefix + '-' + uid; }
  function closest(el, sel) { return el && el.closest ? el.closest(sel) : null; }
  function all(root, sel) {
    var out = [];
    if (!root) return out;
    if (root.matches && root.matches(sel)) out.push(root);
    if (root.querySelectorAll) out.push.apply(out, root.querySelectorAll(sel));
    return out;
  }
  function isTypingTarget(el) {
    if (!el) return false;
    if (el.isContentEditable) return true;
    var tag = el.tagName;
    return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT';
  }
  var wideMQ = window.matchMedia('(min-width: 640px)');
  var navMQ = window.matchMedia('(min-width: 900px)');
  var darkMQ = window.matchMedia('(prefers-color-scheme: dark)');

  /* Polite live region for short announcements ("copied") */
  var live = null;
  function announce(text) {
    if (!live) {
      live = document.createElement('div');
      live.className = 'sr-only';
      live.setAttribute('aria-live', 'polite');
      document.body.appendChild(live);
    }
    live.textContent = '';
    window.setTimeout(function () { live.textContent = text; }, 30);
  }

  /* ---------------------------------------------------------------- */
  /* Toasts: closeloop.toast(message, kind) and HX-Trigger {"toast":…}  */
  /* ---------------------------------------------------------------- */
  function toastArea() {
    var area = document.querySelector('.toast-area');
    if (!area) {
      area = document.createElement('div');
      area.className = 'toast-area';
      document.body.appendChild(area);
    }
    return area;
  }

  function dismissButton() {
    var b = document.createElement('button');
    b.type = 'button';
    b.setAttribute('data-dismiss', '');
    b.setAttribute('aria-label', STR.close);
    b.textContent = '×';
    return b;
  }

  // kind: success | error | warning | info. Errors stay until dismissed.
  function toast(message, kind, autohideMs) {
    kind = kind || 'info';
    if (kind === 'danger') kind = 'error';
    var area = toastArea();
    // do not stack identical messages (e.g. a failing poll every second)
    var existing = area.querySelectorAll('.alert');
    for (var i = 0; i < existing.length; i++) {
      if (existing[i].getAttribute('data-msg') === message) return existing[i];
    }
    var el = document.createElement('div');
    el.className = 'alert alert-' + kind;
    el.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    el.setAttribute('data-msg', message);
    var span = document.createElement('div');
    span.textContent = message;
    el.appendChild(span);
    el.appendChild(dismissButton());
    if (autohideMs === undefined) autohideMs = kind === 'error' || kind === 'warning' ? 0 : 5000;
    if (autohideMs > 0) el.setAttribute('data-autohide', String(autohideMs));
    area.appendChild(el);
    scheduleAutohide(el);
    return el;
  }

  function scheduleAutohide(el) {
    if (el.__clAutohide) return;
    el.__clAutohide = true;
    var ms = parseInt(el.getAttribute('data-autohide'), 10);
    if (!(ms > 0)) ms = 5000;
    window.setTimeout(function () { if (el.isConnected) el.remove(); }, ms);
  }

  document.addEventListener('toast', function (e) {
    var d = e.detail || {};
    var msg = d.message || d.value;
    if (msg) toast(String(msg), d.kind || d.level || 'info');
  });

  /* ---------------------------------------------------------------- */
  /* data-confirm (forms, buttons, links; htmx requests too)            */
  /* ---------------------------------------------------------------- */
  var confirmedEvents = new WeakSet();

  document.addEventListener('click', function (e) {
    var el = closest(e.target, '[data-confirm]');
    if (!el || el.tagName === 'FORM') return;
    if (!el.matches('a[href], button, input[type="submit"], input[type="button"], input[type="image"], [role="button"]')) return;
    if (el.disabled) return;
    if (!window.confirm(el.getAttribute('data-confirm'))) {
      e.preventDefault();
      e.stopImmediatePropagation();
      return;
    }
    confirmedEvents.add(e);
  }, true);

  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (!(form instanceof HTMLFormElement)) return;
    var sub = e.submitter;
    if (sub && sub.hasAttribute('data-confirm')) { confirmedEvents.add(e); return; } // asked on click
    if (!form.hasAttribute('data-confirm')) return;
    if (!window.confirm(form.getAttribute('data-confirm'))) {
      e.preventDefault();
      e.stopImmediatePropagation();
      return;
    }
    confirmedEvents.add(e);
  }, true);

  // htmx requests triggered by other events (change, keyup, …) on an element with data-confirm
  document.addEventListener('htmx:confirm', function (e) {
    var d = e.detail || {};
    var elt = d.elt;
    if (!elt || !elt.hasAttribute || !elt.hasAttribute('data-confirm')) return;
    if (d.triggeringEvent && confirmedEvents.has(d.triggeringEvent)) return;
    e.preventDefault();
    if (window.confirm(elt.getAttribute('data-confirm'))) d.issueRequest(true);
  });

  /* ---------------------------------------------------------------- */
  /* Nav toggle, dropdowns (<details class="dropdown">), dialogs       */
  /* ---------------------------------------------------------------- */
  function setNav(open) {
    document.body.classList.toggle('nav-open', open);
    document.querySelectorAll('.nav-toggle').forEach(function (b) {
      b.setAttribute('aria-expanded', open ? 'true' : 'false');
    });
  }
  function navIsOpen() { return document.body.classList.contains('nav-open'); }

  document.addEventListener('click', function (e) {
    var t = e.target;

    var toggle = closest(t, '.nav-toggle');
    if (toggle) {
      e.preventDefault();
      setNav(!navIsOpen());
      if (navIsOpen()) {
        var first = document.querySelector('.nav a[aria-current="page"]') || document.querySelector('.nav a');
        if (first) first.focus({ preventScroll: true });
      }
      return;
    }
    if (navIsOpen() && (closest(t, '.nav a') || !closest(t, '.nav'))) setNav(false);

    // close open dropdowns when clicking elsewhere
    document.querySelectorAll('details.dropdown[open]').forEach(function (d) {
      if (!d.contains(t)) d.removeAttribute('open');
    });

    var opener = closest(t, '[data-dialog-open]');
    if (opener) {
      var dlg = document.querySelector(opener.getAttribute('data-dialog-open'));
      if (dlg && typeof dlg.showModal === 'function' && !dlg.open) {
        e.preventDefault();
        dlg.showModal();
      }
      return;
    }
    var closer = closest(t, '[data-dialog-close]');
    if (closer) {
      var d = closest(closer, 'dialog');
      if (d) { e.preventDefault(); d.close(); }
      return;
    }
    // click on the backdrop of a .dialog closes it (unless data-static)
    if (t.tagName === 'DIALOG' && t.classList.contains('dialog') && t.open && !t.hasAttribute('data-static')) {
      var r = t.getBoundingClientRect();
      if (e.clientX < r.left || e.clientX > r.right || e.clientY < r.top || e.clientY > r.bottom) t.close();
    }
  });

  document.addEventListener('keydown', function (e) {
    if (e.key !== 'Escape') return;
    if (navIsOpen()) {
      setNav(false);
      var tg = document.querySelector('.nav-toggle');
      if (tg) tg.focus();
    }
    document.querySelectorAll('details.dropdown[open]').forEach(function (d) {
      d.removeAttribute('open');
      var s = d.querySelector('summary');
      if (s && d.contains(document.activeElement)) s.focus();
    });
  });

  navMQ.addEventListener('change', function (m) { if (m.matches) setNav(false); });

  /* ---------------------------------------------------------------- */
  /* <details class="filters">: always open on wide screens            */
  /* ---------------------------------------------------------------- */
  function openFilters(root) {
    if (!wideMQ.matches) return;
    all(root, 'details.filters').forEach(function (d) { d.open = true; });
  }
  wideMQ.addEventListener('change', function () { openFilters(document); });

  /* ---------------------------------------------------------------- */
  /* data-autosubmit: submit the form when a select/checkbox changes   */
  /* ---------------------------------------------------------------- */
  document.addEventListener('change', function (e) {
    var el = e.target;
    var form = el.form || closest(el, 'form');
    if (!form || !form.hasAttribute('data-autosubmit')) return;
    if (!el.matches('select, input[type="checkbox"], input[type="radio"], input[type="date"], input[type="month"], input[type="hidden"]')) return;
    if (typeof form.requestSubmit === 'function') form.requestSubmit();
    else form.submit();
  });

  /* ---------------------------------------------------------------- */
  /* data-copy="text"                                                  */
  /* ---------------------------------------------------------------- */
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    return new Promise(function (resolve, reject) {
      // fallback for plain-http intranet deployments
      var ta = document.createElement('textarea');
      ta.value = text;
      ta.setAttribute('readonly', '');
      ta.className = 'sr-only';
      document.body.appendChild(ta);
      ta.select();
      var ok = false;
      try { ok = document.execCommand('copy'); } catch (err) { ok = false; }
      ta.remove();
      if (ok) resolve(); else reject(new Error('copy failed'));
    });
  }

  document.addEventListener('click', function (e) {
    var btn = closest(e.target, '[data-copy]');
    if (!btn) return;
    e.preventDefault();
    copyText(btn.getAttribute('data-copy')).then(function () {
      if (btn.__clCopyTimer) window.clearTimeout(btn.__clCopyTimer);
      else btn.__clCopyLabel = btn.textContent;
      btn.textContent = '✓';
      btn.classList.add('copied');
      announce(STR.copied);
      btn.__clCopyTimer = window.setTimeout(function () {
        btn.textContent = btn.__clCopyLabel;
        btn.classList.remove('copied');
        btn.__clCopyTimer = 0;
      }, 1500);
    }, function () { toast(STR.copyFailed, 'error', 4000); });
  });

  /* ---------------------------------------------------------------- */
  /* data-dismiss inside .alert                                        */
  /* ---------------------------------------------------------------- */
  document.addEventListener('click', function (e) {
    var b = closest(e.target, '[data-dismiss]');
    if (!b) return;
    var box = closest(b, '.alert');
    if (box) { e.preventDefault(); box.remove(); }
  });

  /* ---------------------------------------------------------------- */
  /* "/" focuses the top-bar search                                    */
  /* ---------------------------------------------------------------- */
  document.addEventListener('keydown', function (e) {
    if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
    if (isTypingTarget(document.activeElement) || isTypingTarget(e.target)) return;
    if (document.querySelector('dialog[open]')) return;
    var input = document.querySelector('.topbar-search input[type="search"], .topbar-search input[type="text"]');
    if (!input) return;
    e.preventDefault();
    input.focus();
    input.select();
  });

  /* ---------------------------------------------------------------- */
  /* Lookup (autocomplete for a reference field)                       */
  /* <div class="lookup" data-lookup-url="…">                          */
  /*   <input class="lookup-input"> <input type="hidden" name="…">     */
  /*   <ul class="lookup-list" role="listbox" hidden></ul></div>       */
  /* ---------------------------------------------------------------- */
  var lookups = new WeakMap();

  function lookupState(root) {
    var s = lookups.get(root);
    if (s) return s;
    var input = root.querySelector('.lookup-input');
    var hidden = root.querySelector('input[type="hidden"]');
    if (!input) return null;
    var list = root.querySelector('.lookup-list');
    if (!list) {
      list = document.createElement('ul');
      list.className = 'lookup-list';
      list.hidden = true;
      root.appendChild(list);
    }
    list.setAttribute('role', 'listbox');
    if (!list.id) list.id = nextId('lookup-list');
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-expanded', 'false');
    input.setAttribute('aria-controls', list.id);
    input.setAttribute('autocomplete', 'off');
    if (input.id) {
      var lbl = document.querySelector('label[for="' + input.id + '"]');
      if (lbl && !list.hasAttribute('aria-labelledby')) {
        if (!lbl.id) lbl.id = nextId('lookup-label');
        list.setAttribute('aria-labelledby', lbl.id);
      }
    }
    s = {
      root: root, input: input, hidden: hidden, list: list,
      items: [], active: -1, timer: 0, ctrl: null, seq: 0,
      selectedTitle: hidden && hidden.value ? input.value : ''
    };
    lookups.set(root, s);
    return s;
  }

  function lookupOpen(s, open) {
    s.list.hidden = !open;
    s.input.setAttribute('aria-expanded', open ? 'true' : 'false');
    if (!open) {
      s.active = -1;
      s.input.removeAttribute('aria-activedescendant');
    }
  }

  function lookupSetActive(s, i) {
    var opts = s.list.querySelectorAll('li[role="option"]');
    if (!opts.length) { s.active = -1; return; }
    if (i < 0) i = opts.length - 1;
    if (i >= opts.length) i = 0;
    s.active = i;
    opts.forEach(function (li, k) { li.setAttribute('aria-selected', k === i ? 'true' : 'false'); });
    s.input.setAttribute('aria-activedescendant', opts[i].id);
    opts[i].scrollIntoView({ block: 'nearest' });
  }

  function lookupRender(s, items, message) {
    s.items = items;
    s.list.textContent = '';
    items.forEach(function (it, i) {
      var li = document.createElement('li');
      li.id = s.list.id + '-' + i;
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', 'false');
      li.setAttribute('data-index', String(i));
      var title = document.createElement('span');
      title.className = 'lookup-title';
      title.textContent = it.title == null ? String(it.id) : String(it.title);
      li.appendChild(title);
      if (it.subtitle) {
        var sub = document.createElement('span');
        sub.className = 'lookup-sub';
        sub.textContent = String(it.subtitle);
        li.appendChild(sub);
      }
      s.list.appendChild(li);
    });
    if (!items.length) {
      var empty = document.createElement('li');
      empty.className = 'lookup-empty';
      empty.setAttribute('aria-disabled', 'true');
      empty.textContent = message || s.root.getAttribute('data-empty-text') || STR.noMatches;
      s.list.appendChild(empty);
    }
    lookupOpen(s, true);
    if (items.length) lookupSetActive(s, 0);
  }

  function lookupFetch(s) {
    var q = s.input.value.trim();
    var url = s.root.getAttribute('data-lookup-url');
    if (!url) return;
    if (s.ctrl) s.ctrl.abort();
    s.ctrl = typeof AbortController === 'function' ? new AbortController() : null;
    var seq = ++s.seq;
    s.root.classList.add('is-loading');
    fetch(url + (url.indexOf('?') >= 0 ? '&' : '?') + 'q=' + encodeURIComponent(q), {
      credentials: 'same-origin',
      headers: { 'Accept': 'application/json', 'X-Requested-With': 'fetch' },
      signal: s.ctrl ? s.ctrl.signal : undefined
    }).then(function (r) {
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.json();
    }).then(function (data) {
      if (seq !== s.seq || document.activeElement !== s.input) return;
      lookupRender(s, (data && Array.isArray(data.items)) ? data.items : []);
    }).catch(function (err) {
      if (err && err.name === 'AbortError') return;
      if (seq !== s.seq) return;
      lookupRender(s, [], STR.loadFailed);
    }).then(function () {
      if (seq === s.seq) s.root.classList.remove('is-loading');
    });
  }

  function lookupSelect(s, i) {
    var it = s.items[i];
    if (!it) return;
    var title = it.title == null ? String(it.id) : String(it.title);
    s.input.value = title;
    s.selectedTitle = title;
    lookupOpen(s, false);
    if (s.hidden && s.hidden.value !== String(it.id)) {
      s.hidden.value = String(it.id);
      s.hidden.dispatchEvent(new Event('change', { bubbles: true }));
    }
    s.root.dispatchEvent(new CustomEvent('lookup:select', { bubbles: true, detail: it }));
  }

  function lookupClear(s) {
    s.selectedTitle = '';
    if (s.hidden && s.hidden.value !== '') {
      s.hidden.value = '';
      s.hidden.dispatchEvent(new Event('change', { bubbles: true }));
    }
  }

  document.addEventListener('input', function (e) {
    if (!e.target.classList || !e.target.classList.contains('lookup-input')) return;
    var root = closest(e.target, '.lookup');
    var s = root && lookupState(root);
    if (!s) return;
    window.clearTimeout(s.timer);
    var q = s.input.value.trim();
    if (!q) {
      if (s.ctrl) s.ctrl.abort();
      s.seq++;
      root.classList.remove('is-loading');
      lookupClear(s);
      lookupOpen(s, false);
      return;
    }
    var min = parseInt(root.getAttribute('data-lookup-min'), 10) || 1;
    if (q.length < min) { lookupOpen(s, false); return; }
    s.timer = window.setTimeout(function () { lookupFetch(s); }, 200);
  });

  document.addEventListener('keydown', function (e) {
    if (!e.target.classList || !e.target.classList.contains('lookup-input')) return;
    var root = closest(e.target, '.lookup');
    var s = root && lookupState(root);
    if (!s) return;
    var open = !s.list.hidden;
    switch (e.key) {
      case 'ArrowDown':
        e.preventDefault();
        if (!open) {
          if (s.items.length) { lookupOpen(s, true); lookupSetActive(s, 0); }
          else if (s.input.value.trim()) lookupFetch(s);
        } else lookupSetActive(s, s.active + 1);
        break;
      case 'ArrowUp':
        if (open) { e.preventDefault(); lookupSetActive(s, s.active - 1); }
        break;
      case 'Enter':
        if (open && s.active >= 0) { e.preventDefault(); lookupSelect(s, s.active); }
        // never submit the form while the text does not match the chosen value
        else if (s.input.value !== s.selectedTitle) e.preventDefault();
        break;
      case 'Escape':
        if (open) { e.preventDefault(); e.stopPropagation(); lookupOpen(s, false); }
        break;
      case 'Tab':
        if (open) lookupOpen(s, false);
        break;
    }
  });

  document.addEventListener('mousedown', function (e) {
    if (closest(e.target, '.lookup-list')) e.preventDefault(); // keep focus in the input
  });

  document.addEventListener('click', function (e) {
    var li = closest(e.target, '.lookup-list li[role="option"]');
    if (!li) return;
    var root = closest(li, '.lookup');
    var s = root && lookupState(root);
    if (s) lookupSelect(s, parseInt(li.getAttribute('data-index'), 10));
  });

  document.addEventListener('focusout', function (e) {
    if (!e.target.classList || !e.target.classList.contains('lookup-input')) return;
    var root = closest(e.target, '.lookup');
    var s = root && lookupState(root);
    if (!s) return;
    window.setTimeout(function () {
      if (root.contains(document.activeElement)) return;
      window.clearTimeout(s.timer);
      if (s.ctrl) s.ctrl.abort();
      s.seq++;
      root.classList.remove('is-loading');
      lookupOpen(s, false);
      // select-only: the text always shows the chosen record (or nothing)
      if (s.hidden && s.hidden.value) {
        if (s.input.value !== s.selectedTitle) s.input.value = s.selectedTitle;
      } else if (s.input.value) {
        s.input.value = '';
      }
    }, 0);
  });

  function initLookups(root) { all(root, '.lookup').forEach(lookupState); }

  /* ---------------------------------------------------------------- */
  /* Charts: <div class="chart" data-chart='{ECharts option JSON}'>     */
  /* ---------------------------------------------------------------- */
  var charts = new Set();
  var palette = ['#0f6e69', '#3b82c4', '#e0a030', '#8a63d2', '#d9534f', '#2bb3a6', '#6b8e23', '#c2549d', '#5f6b78'];
  var moneyNF = new Intl.NumberFormat('zh-CN', { maximumFractionDigits: 2 });
  var moneyAxisNF = new Intl.NumberFormat('zh-CN', { maximumFractionDigits: 0 });

  function money(v) {
    if (v === null || v === undefined || v === '' || v === '-') return '-';
    if (Array.isArray(v)) v = v[v.length - 1];
    var n = Number(v);
    if (!isFinite(n)) return String(v);
    return (n < 0 ? '-¥' : '¥') + moneyNF.format(Math.abs(n));
  }
  function moneyAxis(v) {
    var n = Number(v);
    if (!isFinite(n)) return String(v);
    return (n < 0 ? '-¥' : '¥') + moneyAxisNF.format(Math.abs(n));
  }

  function asArray(x) { return x == null ? [] : (Array.isArray(x) ? x : [x]); }

  function prepareOption(opt) {
    var fmt = opt._fmt;
    delete opt._fmt;
    if (!('backgroundColor' in opt)) opt.backgroundColor = 'transparent';
    if (!opt.color) opt.color = palette.slice();
    opt.textStyle = Object.assign({ fontFamily: window.getComputedStyle(document.body).fontFamily }, opt.textStyle || {});
    if (!opt.aria) opt.aria = { enabled: true };
    // HTML tooltips use inline style="" attributes, which the CSP blocks:
    // render tooltips on the canvas instead.
    asArray(opt.tooltip).forEach(function (tt) {
      if (tt && !tt.renderMode) tt.renderMode = 'richText';
      if (fmt === 'money' && tt && !tt.valueFormatter) tt.valueFormatter = money;
    });
    if (fmt === 'money') {
      ['xAxis', 'yAxis'].forEach(function (key) {
        asArray(opt[key]).forEach(function (ax) {
          if (!ax) return;
          var type = ax.type || (key === 'xAxis' ? 'category' : 'value');
          if (type !== 'value') return;
          ax.axisLabel = ax.axisLabel || {};
          if (!ax.axisLabel.formatter) ax.axisLabel.formatter = moneyAxis;
          if (ax.axisPointer && ax.axisPointer.label && !ax.axisPointer.label.formatter) {
            ax.axisPointer.label.formatter = function (p) { return money(p.value); };
          }
        });
      });
      asArray(opt.series).forEach(function (se) {
        if (!se) return;
        if (se.label && se.label.show && !se.label.formatter && (se.type === 'bar' || se.type === 'line' || se.type === 'scatter')) {
          se.label.formatter = function (p) { return money(p.value); };
        }
        if (se.tooltip && !se.tooltip.valueFormatter) se.tooltip.valueFormatter = money;
      });
    }
    return opt;
  }

  var ro = typeof ResizeObserver === 'function' ? new ResizeObserver(function (entries) {
    entries.forEach(function (en) {
      var inst = window.echarts && window.echarts.getInstanceByDom(en.target);
      if (inst) inst.resize();
    });
  }) : null;

  function initChart(el) {
    var ec = window.echarts;
    if (!ec || ec.getInstanceByDom(el)) return;
    var opt;
    try {
      opt = JSON.parse(el.getAttribute('data-chart'));
    } catch (err) {
      if (window.console) console.error('closeloop: bad data-chart JSON', el, err);
      el.textContent = '';
      var msg = document.createElement('div');
      msg.className = 'chart-error';
      msg.textContent = STR.chartError;
      el.appendChild(msg);
      return;
    }
    var inst = ec.init(el, darkMQ.matches ? 'dark' : null, { locale: lang === 'en' ? 'EN' : 'ZH' });
    inst.setOption(prepareOption(opt));
    charts.add(el);
    if (ro) ro.observe(el);
  }

  function initCharts(root) {
    all(root || document, '.chart[data-chart]').forEach(initChart);
  }

  function disposeChart(el) {
    var inst = window.echarts && window.echarts.getInstanceByDom(el);
    if (inst) inst.dispose();
    if (ro) ro.unobserve(el);
    charts.delete(el);
  }

  // dispose charts whose nodes were removed (htmx swaps, manual removal)
  var sweepPending = false;
  function sweepCharts() {
    sweepPending = false;
    charts.forEach(function (el) { if (!el.isConnected) disposeChart(el); });
  }
  new MutationObserver(function () {
    if (sweepPending || !charts.size) return;
    sweepPending = true;
    window.setTimeout(sweepCharts, 100);
  }).observe(document.documentElement, { childList: true, subtree: true });

  if (!ro) {
    var resizeTimer = 0;
    window.addEventListener('resize', function () {
      window.clearTimeout(resizeTimer);
      resizeTimer = window.setTimeout(function () {
        charts.forEach(function (el) {
          var inst = window.echarts.getInstanceByDom(el);
          if (inst) inst.resize();
        });
      }, 100);
    });
  }

  // follow the OS light/dark switch
  darkMQ.addEventListener('change', function () {
    Array.from(charts).forEach(function (el) { disposeChart(el); initChart(el); });
  });

  /* ---------------------------------------------------------------- */
  /* Kanban drag and drop                                              */
  /* cards [draggable=true][data-card-id] in .kanban-col[data-drop-url] */
  /* ---------------------------------------------------------------- */
  var drag = null; // { card, from }

  function clearDropMarks() {
    document.querySelectorAll('.kanban-col.drop-ok').forEach(function (c) { c.classList.remove('drop-ok'); });
  }

  document.addEventListener('dragstart', function (e) {
    var card = closest(e.target, '.kanban [draggable="true"][data-card-id]');
    if (!card) return;
    drag = { card: card, from: closest(card, '.kanban-col') };
    card.classList.add('dragging');
    if (e.dataTransfer) {
      e.dataTransfer.effectAllowed = 'move';
      e.dataTransfer.setData('text/plain', card.getAttribute('data-card-id'));
    }
  });

  document.addEventListener('dragend', function () {
    if (drag) drag.card.classList.remove('dragging');
    drag = null;
    clearDropMarks();
  });

  document.addEventListener('dragover', function (e) {
    if (!drag) return;
    var col = closest(e.target, '.kanban-col[data-drop-url]');
    if (!col || col === drag.from) return;
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'move';
    if (!col.classList.contains('drop-ok')) { clearDropMarks(); col.classList.add('drop-ok'); }
  });

  document.addEventListener('dragleave', function (e) {
    var col = closest(e.target, '.kanban-col.drop-ok');
    if (col && !col.contains(e.relatedTarget)) col.classList.remove('drop-ok');
  });

  document.addEventListener('drop', function (e) {
    if (!drag) return;
    var col = closest(e.target, '.kanban-col[data-drop-url]');
    if (!col || col === drag.from) return;
    e.preventDefault();
    var card = drag.card;
    clearDropMarks();
    moveCard(card, col);
  });

  function refuse(col, message) {
    toast(message, 'error');
    col.classList.remove('drop-refused');
    void col.offsetWidth; // restart the animation
    col.classList.add('drop-refused');
    window.setTimeout(function () { col.classList.remove('drop-refused'); }, 1600);
  }

  function moveCard(card, col) {
    var body = new URLSearchParams();
    body.set('id', card.getAttribute('data-card-id'));
    body.set('to', col.getAttribute('data-stage') || '');
    card.setAttribute('aria-busy', 'true');
    fetch(col.getAttribute('data-drop-url'), {
      method: 'POST',
      credentials: 'same-origin',
      headers: {
        'X-Requested-With': 'fetch',
        'Content-Type': 'application/x-www-form-urlencoded;charset=UTF-8',
        'Accept': 'application/json'
      },
      body: body.toString()
    }).then(function (r) {
      card.removeAttribute('aria-busy');
      if (r.ok) {
        var list = col.querySelector('.kanban-cards') || col;
        list.appendChild(card);
        card.dispatchEvent(new CustomEvent('kanban:moved', { bubbles: true, detail: { id: card.getAttribute('data-card-id'), to: col.getAttribute('data-stage') } }));
        var board = closest(col, '.kanban');
        var refresh = board && board.getAttribute('data-refresh-url');
        if (refresh && window.htmx) window.htmx.ajax('GET', refresh, { target: board, swap: 'outerHTML' });
        else if (!board || !board.hasAttribute('data-no-reload')) window.location.reload();
        return;
      }
      return r.text().then(function (text) {
        var detail = '';
        try { detail = (JSON.parse(text) || {}).detail || ''; } catch (err) { detail = ''; }
        refuse(col, detail || (STR.moveFailed + ' (' + r.status + ')'));
      });
    }).catch(function () {
      card.removeAttribute('aria-busy');
      refuse(col, STR.network);
    });
  }

  /* ---------------------------------------------------------------- */
  /* htmx glue                                                         */
  /* ---------------------------------------------------------------- */
  document.addEventListener('htmx:afterSettle', function () { enhance(document); });

  document.addEventListener('htmx:responseError', function (e) {
    var elt = e.detail && e.detail.elt;
    if (elt && closest(elt, '[data-no-error-toast]')) return;
    var xhr = e.detail && e.detail.xhr;
    toast(STR.requestFailed + (xhr ? ' (' + xhr.status + ')' : ''), 'error');
  });
  document.addEventListener('htmx:sendError', function (e) {
    var elt = e.detail && e.detail.elt;
    if (elt && closest(elt, '[data-no-error-toast]')) return;
    toast(STR.network, 'error');
  });

  /* ---------------------------------------------------------------- */
  /* init                                                              */
  /* ---------------------------------------------------------------- */
  function enhance(root) {
    openFilters(root);
    initLookups(root);
    initCharts(root);
    all(root, '.alert[data-autohide]').forEach(scheduleAutohide);
    all(root, 'dialog.dialog[data-autoshow]').forEach(function (d) {
      if (!d.open && d.isConnected && typeof d.showModal === 'function') d.showModal();
      d.removeAttribute('data-autoshow');
    });
    document.querySelectorAll('.nav-toggle:not([aria-expanded])').forEach(function (b) {
      b.setAttribute('aria-expanded', navIsOpen() ? 'true' : 'false');
    });
  }

  window.closeloop = { toast: toast, initCharts: initCharts, money: money };

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () { enhance(document); });
  } else {
    enhance(document);
  }
})();
