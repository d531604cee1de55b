// ironiam console: small progressive enhancements. Every page works without
// this script; with it, lists filter as you type, the policy picker filters
// the whole managed catalog in the browser, and policy editors validate as
// you type. Data is only ever inserted with textContent, never as HTML,
// except #results fragments, which the server has escaped.
(function () {
  'use strict';
  const P = '/console';
  const tokenMeta = document.querySelector('meta[name="csrf-token"]');
  const token = tokenMeta ? tokenMeta.content : '';

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === false || v === null || v === undefined) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (v === true) e.setAttribute(k, '');
      else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c);
    return e;
  }

  function debounce(fn, ms) {
    let t;
    return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); };
  }

  // ---- Lists that filter as you type (roles, policies) ----
  for (const form of document.querySelectorAll('form[data-live-search]')) {
    const target = document.getElementById(form.dataset.liveSearch);
    if (!target) continue;
    let seq = 0;
    const run = async () => {
      const params = new URLSearchParams();
      for (const [k, v] of new FormData(form)) if (v !== '') params.append(k, v);
      const url = form.action + '?' + params.toString();
      const mine = ++seq;
      target.setAttribute('aria-busy', 'true');
      try {
        const res = await fetch(url + (params.toString() ? '&' : '') + 'fragment=1', { credentials: 'same-origin' });
        const html = await res.text();
        if (mine !== seq) return;
        target.innerHTML = html; // escaped by the server
        history.replaceState(null, '', url);
      } finally {
        if (mine === seq) target.removeAttribute('aria-busy');
      }
    };
    form.addEventListener('input', debounce(run, 180));
    form.addEventListener('change', run);
    form.addEventListener('submit', (e) => { e.preventDefault(); run(); });
  }

  // ---- Client-side sorting of small tables ----
  for (const table of document.querySelectorAll('table[data-sortable]')) {
    const heads = table.tHead ? Array.from(table.tHead.rows[0].cells) : [];
    heads.forEach((th, col) => {
      if (th.querySelector('a.sort') || !th.textContent.trim()) return;
      th.dataset.sortKey = String(col);
      th.tabIndex = 0;
      const sort = () => {
        const asc = th.getAttribute('aria-sort') !== 'ascending';
        heads.forEach((h) => h.removeAttribute('aria-sort'));
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        const body = table.tBodies[0];
        const rows = Array.from(body.rows).filter((r) => r.cells.length > 1);
        const key = (r) => (r.cells[col] ? r.cells[col].textContent.trim() : '');
        rows.sort((a, b) => key(a).localeCompare(key(b), undefined, { numeric: true, sensitivity: 'base' }) * (asc ? 1 : -1));
        for (const r of rows) body.append(r);
      };
      th.addEventListener('click', sort);
      th.addEventListener('keydown', (e) => { if (e.key === 'Enter') sort(); });
    });
  }

  // ---- Copy buttons ----
  document.addEventListener('click', (e) => {
    const b = e.target.closest('[data-copy]');
    if (!b) return;
    if (navigator.clipboard) navigator.clipboard.writeText(b.dataset.copy).catch(() => {});
    const old = b.textContent;
    b.textContent = 'Copied';
    setTimeout(() => { b.textContent = old; }, 1200);
  });

  // ---- A policy's JSON, on demand ----
  document.addEventListener('click', async (e) => {
    const b = e.target.closest('button.json-toggle');
    if (!b) return;
    const tr = b.closest('tr');
    const next = tr.nextElementSibling;
    if (next && next.classList.contains('json-row')) {
      next.remove();
      b.setAttribute('aria-expanded', 'false');
      return;
    }
    b.setAttribute('aria-expanded', 'true');
    const code = el('code', { text: 'Loading…' });
    const row = el('tr', { class: 'json-row' }, el('td', { colspan: String(tr.cells.length) }, el('pre', { class: 'code' }, code)));
    tr.after(row);
    try {
      const res = await fetch(P + '/api/policy?arn=' + encodeURIComponent(b.dataset.arn), { credentials: 'same-origin' });
      const j = await res.json();
      code.textContent = res.ok ? j.document : (j.message || 'Unavailable');
    } catch (err) {
      code.textContent = 'Could not load the document.';
    }
  });

  // ---- The policy picker ----
  const KINDS = ['AWS managed', 'AWS managed – job function', 'Customer managed'];
  const LIMIT = 50;
  for (const root of document.querySelectorAll('[data-policy-picker]')) {
    const dataEl = document.getElementById(root.dataset.policyPicker);
    if (!dataEl) continue;
    const data = JSON.parse(dataEl.textContent);
    const rows = data.rows;
    const lower = rows.map((r) => r[0].toLowerCase());
    const byArn = new Map(rows.map((r) => [r[1], r]));
    const selected = new Set(data.selected);
    // A permissions boundary is one policy: choosing one drops the others.
    const single = root.dataset.single === 'true';
    const filter = root.querySelector('[data-picker-filter]');
    const type = root.querySelector('[data-picker-type]');
    const tbody = root.querySelector('[data-picker-rows]');
    const chips = root.querySelector('[data-picker-chips]');
    const info = root.querySelector('[data-picker-info]');
    const apply = root.querySelector('[data-picker-apply]');
    if (apply) apply.hidden = true;
    const form = root.closest('form');
    const filterForm = filter && filter.form && filter.form !== form ? filter.form : null;
    if (filterForm) filterForm.addEventListener('submit', (e) => { e.preventDefault(); render(); });

    const typeOk = (k, t) => t === '' || (t === 'aws' && k <= 1) || (t === 'job' && k === 1) || (t === 'customer' && k === 2);
    let matchCount = 0;
    let shownCount = 0;

    function updateInfo() {
      let s = shownCount < matchCount
        ? `Showing ${shownCount.toLocaleString('en-US')} of ${matchCount.toLocaleString('en-US')} matching policies — refine the filter to see others.`
        : `${matchCount.toLocaleString('en-US')} matching ${matchCount === 1 ? 'policy' : 'policies'}.`;
      if (selected.size) s += ` ${selected.size} selected.`;
      info.textContent = s;
    }

    function renderChips() {
      chips.replaceChildren();
      for (const arn of selected) {
        const name = byArn.has(arn) ? byArn.get(arn)[0] : arn.split('/').pop();
        chips.append(el('span', { class: 'chip' }, name, el('button', {
          type: 'button', 'aria-label': 'Remove ' + name, text: '×',
          onclick: () => {
            selected.delete(arn);
            const box = tbody.querySelector(`input[type="checkbox"][value="${CSS.escape(arn)}"]`);
            if (box) box.checked = false;
            renderChips();
            updateInfo();
          },
        })));
      }
    }

    function rowEl(i) {
      const [name, arn, kind, desc, att] = rows[i];
      const box = el('input', { type: 'checkbox', name: 'arn', value: arn, 'aria-label': 'Select ' + name });
      box.checked = selected.has(arn);
      box.addEventListener('change', () => {
        if (box.checked && single) {
          selected.clear();
          for (const other of tbody.querySelectorAll('input[name="arn"]')) if (other !== box) other.checked = false;
        }
        if (box.checked) selected.add(arn); else selected.delete(arn);
        renderChips();
        updateInfo();
      });
      const path = arn.slice(arn.indexOf(':policy') + 7, arn.lastIndexOf('/') + 1);
      const nameCell = el('td', {},
        el('a', { href: P + '/policies/view?arn=' + encodeURIComponent(arn), text: name }), ' ',
        el('button', { type: 'button', class: 'link json-toggle', 'data-arn': arn, 'aria-expanded': 'false', text: 'JSON' }));
      if (desc) nameCell.append(el('span', { class: 'desc block', text: desc }));
      return el('tr', {},
        el('td', { class: 'check' }, box),
        nameCell,
        el('td', { text: KINDS[kind] || '' }),
        el('td', {}, el('code', { text: path })),
        el('td', { text: String(att) }));
    }

    function render() {
      const needle = filter.value.trim().toLowerCase();
      const t = type ? type.value : '';
      const first = [];
      const rest = [];
      for (let i = 0; i < rows.length; i++) {
        if (!typeOk(rows[i][2], t) || (needle && !lower[i].includes(needle))) continue;
        (selected.has(rows[i][1]) ? first : rest).push(i);
      }
      const matches = first.concat(rest);
      matchCount = matches.length;
      const shown = matches.slice(0, LIMIT);
      shownCount = shown.length;
      tbody.replaceChildren(...shown.map(rowEl));
      if (!shown.length) tbody.append(el('tr', {}, el('td', { colspan: '5', class: 'empty', text: 'No policies match the filter.' })));
      renderChips();
      updateInfo();
    }

    filter.addEventListener('input', debounce(render, 40));
    filter.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); render(); } });
    if (type) type.addEventListener('change', render);
    if (form) {
      form.addEventListener('submit', () => {
        // The selection, not the visible checkboxes, is what gets posted.
        for (const input of root.querySelectorAll('input[name="arn"]')) input.removeAttribute('name');
        for (const arn of selected) root.append(el('input', { type: 'hidden', name: 'arn', value: arn }));
      });
    }
    render();
    root.dataset.ready = 'true';
  }

  // ---- Policy editors: AWS's verdict and the difference as you type ----
  for (const ta of document.querySelectorAll('textarea[data-policy-editor]')) {
    const kind = ta.dataset.policyEditor;
    const role = ta.dataset.role;
    const scope = ta.closest('section, form') || document;
    const status = scope.querySelector('#policy-status') || document.getElementById('policy-status');
    const diffEl = document.getElementById('policy-diff');
    let seq = 0;

    function renderStatus(j) {
      if (!status) return;
      status.replaceChildren();
      if (j.valid) status.append(el('p', { class: 'valid', text: '✓ The policy is valid.' }));
      else status.append(el('p', { class: 'invalid' }, el('b', { text: j.code || 'Error' }), ': ' + (j.message || '')));
      if (j.warnings && j.warnings.length) status.append(el('ul', { class: 'warnings' }, ...j.warnings.map((w) => el('li', { text: w }))));
      status.dataset.state = j.valid ? 'valid' : 'invalid';
    }

    function renderDiff(d) {
      if (!diffEl) return;
      diffEl.replaceChildren();
      if (!d) {
        diffEl.append(el('p', { class: 'muted', text: 'The difference appears once the document is valid JSON.' }));
        return;
      }
      diffEl.append(d.equal
        ? el('p', { class: 'diff-head same', text: 'No semantic difference: this document grants the same trust as the current one.' })
        : el('p', { class: 'diff-head changed', text: `${d.added} line(s) added, ${d.removed} removed (normalised: order, case of actions and one-element lists ignored).` }));
      for (const [cls, title, grants] of [['granted', 'Newly allowed', d.granted], ['revoked', 'No longer allowed', d.revoked]]) {
        if (!grants || !grants.length) continue;
        diffEl.append(el('div', { class: 'grants ' + cls }, el('b', { text: title }), el('ul', {}, ...grants.map((g) => el('li', { text: g })))));
      }
      const code = el('code');
      for (const [sign, text] of d.lines) {
        const cls = sign === '+' ? 'add' : sign === '-' ? 'del' : 'same';
        code.append(el('span', { class: cls, text: sign + ' ' + text }));
      }
      diffEl.append(el('pre', { class: 'diff' }, code));
    }

    async function check() {
      const mine = ++seq;
      try {
        const res = await fetch(P + '/api/validate', {
          method: 'POST',
          credentials: 'same-origin',
          headers: { 'content-type': 'application/json', 'x-csrf-token': token },
          body: JSON.stringify({ kind, document: ta.value, role: role || undefined }),
        });
        const j = await res.json();
        if (mine !== seq || !res.ok) return;
        renderStatus(j);
        if (role) renderDiff(j.diff);
      } catch (err) { /* the server checks again on submit */ }
    }

    ta.addEventListener('input', debounce(check, 200));
    // A refusal from the last submit no longer describes what is being edited.
    ta.addEventListener('input', () => document.querySelectorAll('.alert.error').forEach((a) => a.remove()), { once: true });
    ta.addEventListener('keydown', (e) => {
      if (e.key === 'Tab' && !e.shiftKey) {
        e.preventDefault();
        ta.setRangeText('    ', ta.selectionStart, ta.selectionEnd, 'end');
        ta.dispatchEvent(new Event('input'));
      }
    });
    check();
  }

  // ---- Create role wizard: show the panel of the chosen entity type ----
  for (const form of document.querySelectorAll('form[data-wizard]')) {
    const panels = form.querySelectorAll('[data-entity-panel]');
    const select = form.querySelector('[data-service-select]');
    const services = form.querySelectorAll('[data-service-panel]');
    const show = () => {
      const checked = form.querySelector('input[name="entity"]:checked');
      const entity = checked ? checked.value : 'service';
      panels.forEach((p) => { p.hidden = p.dataset.entityPanel !== entity; });
      const svc = select ? select.value : '';
      services.forEach((s) => { s.hidden = s.dataset.servicePanel !== svc; });
    };
    form.addEventListener('change', (e) => {
      // A use case of another service than the one chosen is no longer chosen.
      if (e.target === select) {
        services.forEach((s) => {
          if (s.dataset.servicePanel !== select.value) s.querySelectorAll('input[type="radio"]').forEach((r) => { r.checked = false; });
        });
      }
      show();
    });
    show();
  }
})();
