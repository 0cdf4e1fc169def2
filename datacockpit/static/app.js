// Datencockpit page: lists the signed-in citizen's transfers and verifies each transfer's
// inclusion in the signed transfer log with WebCrypto. No framework, no external requests.
'use strict';

const TEXT = {
  de: {
    title: 'Datencockpit', intro: 'Hier sehen Sie, welche Behörde wann welche Nachweise über Sie abgerufen hat und warum.',
    logout: 'Abmelden', signin_title: 'Anmelden', signin_text: 'Melden Sie sich mit Ihrem Online-Ausweis an (Vertrauensniveau „hoch“).',
    signin_demo: 'Zur Anmeldung (Demo-Identitätsanbieter)', list_title: 'Ihre Datenübermittlungen', from: 'Von', to: 'Bis',
    authority: 'Behörde', type: 'Nachweis', all: 'alle', apply: 'Anzeigen', when: 'Zeitpunkt', register: 'Register',
    purpose: 'Zweck und Rechtsgrundlage', outcome: 'Ergebnis', details: 'Details', empty: 'Keine Übermittlungen in diesem Zeitraum.',
    more: 'Ältere anzeigen', csv: 'Als CSV speichern', print: 'Drucken', detail_title: 'Übermittlung im Einzelnen',
    proof: 'Nachweis der Unverändertheit (Merkle-Beweis)', back: 'Zurück zur Liste', open: 'Ansehen',
    delivered: 'übermittelt', denied: 'abgelehnt', not_found: 'nicht gefunden', register_failed: 'fehlgeschlagen', invalid: 'ungültig',
    verified: 'Geprüft: Diese Übermittlung steht unverändert im signierten Protokoll.',
    not_verified: 'NICHT bestätigt: Der Eintrag passt nicht zum signierten Protokoll.', checking: 'Wird geprüft …',
    lang_button: 'English', lang_label: 'Switch to English', id: 'Vorgangsnummer', code: 'Fehlercode',
    geburtsurkunde: 'Geburtsurkunde', meldebescheinigung: 'Meldebescheinigung',
  },
  en: {
    title: 'Data cockpit', intro: 'See which authority retrieved which evidence about you, when, and why.',
    logout: 'Sign out', signin_title: 'Sign in', signin_text: 'Sign in with your online ID (assurance level "high").',
    signin_demo: 'Sign in (demo identity provider)', list_title: 'Transfers of your data', from: 'From', to: 'To',
    authority: 'Authority', type: 'Evidence', all: 'all', apply: 'Show', when: 'Time', register: 'Register',
    purpose: 'Purpose and legal basis', outcome: 'Outcome', details: 'Details', empty: 'No transfers in this period.',
    more: 'Show older', csv: 'Save as CSV', print: 'Print', detail_title: 'Transfer details',
    proof: 'Proof that the record is unchanged (Merkle proof)', back: 'Back to the list', open: 'Open',
    delivered: 'delivered', denied: 'refused', not_found: 'not found', register_failed: 'failed', invalid: 'invalid',
    verified: 'Verified: this transfer is recorded, unchanged, in the signed log.',
    not_verified: 'NOT verified: the record does not match the signed log.', checking: 'Checking …',
    lang_button: 'Deutsch', lang_label: 'Auf Deutsch umschalten', id: 'Transfer number', code: 'Error code',
    geburtsurkunde: 'Birth certificate', meldebescheinigung: 'Registration certificate',
  },
};

let lang = 'de';
let shown = [];
let nextBefore = null;

const $ = (id) => document.getElementById(id);
const t = (key) => TEXT[lang][key] ?? key;

function applyLanguage() {
  document.documentElement.lang = lang;
  document.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  $('lang').textContent = t('lang_button');
  $('lang').setAttribute('aria-label', t('lang_label'));
  renderRows();
}

async function api(path, options = {}) {
  const response = await fetch(path, { credentials: 'same-origin', ...options,
    headers: { 'X-Oncegate-Cockpit': '1', ...(options.headers || {}) } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error(body.error || response.statusText), { status: response.status });
  return body;
}

function formatTime(ms) {
  return new Intl.DateTimeFormat(lang === 'de' ? 'de-DE' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(ms));
}

// A table cell; `label` (a translation key) names it on narrow screens, where rows become cards.
function cell(text, label) {
  const td = document.createElement('td');
  td.textContent = text;
  if (label) td.dataset.label = t(label);
  return td;
}

function renderRows() {
  const body = $('transfers').querySelector('tbody');
  body.replaceChildren();
  for (const tr of shown) {
    const row = document.createElement('tr');
    row.append(cell(formatTime(tr.time_ms), 'when'), cell(tr.requester_name, 'authority'), cell(tr.register || '–', 'register'),
      cell(t(tr.evidence_type), 'type'), cell(`${tr.purpose} – ${tr.legal_basis}`, 'purpose'), cell(t(tr.outcome), 'outcome'));
    const open = document.createElement('td');
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = t('open');
    button.dataset.id = String(tr.id);
    button.addEventListener('click', () => showDetail(tr.id));
    open.append(button);
    row.append(open);
    body.append(row);
  }
  $('empty').hidden = shown.length !== 0;
  $('more').hidden = nextBefore === null;
}

function fillFilters() {
  for (const [id, key, label] of [['authority', 'requester', 'requester_name'], ['type', 'evidence_type', 'evidence_type']]) {
    const select = $(id);
    const known = new Set([...select.options].map((o) => o.value));
    for (const tr of shown) {
      if (known.has(tr[key])) continue;
      known.add(tr[key]);
      const option = document.createElement('option');
      option.value = tr[key];
      option.textContent = id === 'type' ? t(tr[label]) : tr[label];
      select.append(option);
    }
  }
}

function query(before) {
  const params = new URLSearchParams({ limit: '20' });
  const from = $('from').value, to = $('to').value;
  if (from) params.set('from', String(Date.parse(from)));
  if (to) params.set('to', String(Date.parse(to) + 86400000 - 1));
  if ($('authority').value) params.set('authority', $('authority').value);
  if ($('type').value) params.set('type', $('type').value);
  if (before !== null && before !== undefined) params.set('before', String(before));
  return `/cockpit/api/transfers?${params}`;
}

async function load(append) {
  const body = await api(query(append ? nextBefore : null));
  shown = append ? shown.concat(body.transfers) : body.transfers;
  nextBefore = body.next_before;
  $('signin').hidden = true;
  $('list').hidden = false;
  $('logout').hidden = false;
  fillFilters();
  renderRows();
}

// ---- Verification (RFC 9162 inclusion proof, ECDSA P-256 tree-head signature) ----

const hex = (buffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');
const unhex = (text) => new Uint8Array(text.match(/../g).map((h) => parseInt(h, 16)));
const unbase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

async function sha256(...parts) {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const all = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) { all.set(p, offset); offset += p.length; }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', all));
}

async function rootFromPath(index, size, leaf, path) {
  let fn = index, sn = size - 1, r = leaf;
  for (const p of path.map(unhex)) {
    if (sn === 0) return null;
    if ((fn & 1) === 1 || fn === sn) {
      r = await sha256(new Uint8Array([1]), p, r);
      if ((fn & 1) === 0) { while ((fn & 1) === 0 && fn !== 0) { fn >>= 1; sn >>= 1; } }
    } else {
      r = await sha256(new Uint8Array([1]), r, p);
    }
    fn >>= 1; sn >>= 1;
  }
  return sn === 0 ? hex(r) : null;
}

// DER ECDSA-Sig-Value -> IEEE P1363 r || s, as WebCrypto expects.
function derToRaw(der) {
  let i = 2;
  if (der[1] & 0x80) i += der[1] & 0x7f;
  const read = () => {
    const len = der[i + 1];
    let v = der.slice(i + 2, i + 2 + len);
    i += 2 + len;
    while (v.length > 32 && v[0] === 0) v = v.slice(1);
    const out = new Uint8Array(32);
    out.set(v, 32 - v.length);
    return out;
  };
  const r = read(), s = read();
  const raw = new Uint8Array(64);
  raw.set(r, 0); raw.set(s, 32);
  return raw;
}

async function verifyProof(detail) {
  const encoder = new TextEncoder();
  const leaf = await sha256(new Uint8Array([0]), encoder.encode(detail.record));
  if (hex(leaf) !== detail.leaf_hash) return false;
  const head = detail.tree_head;
  const root = await rootFromPath(detail.leaf_index, head.size, leaf, detail.path);
  if (root !== head.root) return false;
  const key = await crypto.subtle.importKey('spki', unbase64(detail.gateway_key_spki), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
  return crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, derToRaw(unbase64(head.signature)), encoder.encode(head.signed_text));
}

async function showDetail(id) {
  const detail = await api(`/cockpit/api/transfers/${id}`);
  const tr = detail.transfer;
  const fields = $('detail-fields');
  fields.replaceChildren();
  for (const [label, value] of [['id', tr.id], ['when', formatTime(tr.time_ms)], ['authority', `${tr.requester_name} (${tr.requester})`],
    ['register', tr.register || '–'], ['type', t(tr.evidence_type)], ['purpose', `${tr.purpose} – ${tr.legal_basis}`],
    ['outcome', t(tr.outcome)], ['code', tr.code || '–']]) {
    const dt = document.createElement('dt'); dt.textContent = t(label);
    const dd = document.createElement('dd'); dd.textContent = String(value);
    fields.append(dt, dd);
  }
  $('proof').textContent = JSON.stringify({ leaf_index: detail.leaf_index, leaf_hash: detail.leaf_hash, path: detail.path, tree_head: detail.tree_head }, null, 2);
  $('list').hidden = true;
  $('detail').hidden = false;
  $('detail').focus();
  const status = $('proof-status');
  status.textContent = t('checking');
  status.className = 'status';
  let ok = false;
  try { ok = await verifyProof(detail); } catch (e) { ok = false; }
  status.textContent = ok ? t('verified') : t('not_verified');
  status.className = ok ? 'status ok' : 'status bad';
  status.dataset.verified = ok ? 'yes' : 'no';
}

function exportCsv() {
  const quote = (v) => `"${String(v).replaceAll('"', '""')}"`;
  const rows = [[t('when'), t('authority'), t('register'), t('type'), t('purpose'), t('outcome')].map(quote).join(';')];
  for (const tr of shown) {
    rows.push([formatTime(tr.time_ms), tr.requester_name, tr.register, t(tr.evidence_type), `${tr.purpose} – ${tr.legal_basis}`, t(tr.outcome)].map(quote).join(';'));
  }
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob(['\ufeff' + rows.join('\r\n')], { type: 'text/csv;charset=utf-8' }));
  link.download = 'datencockpit.csv';
  link.click();
}

async function signInWithFragmentToken() {
  // The demo IdP hands the ID token over in the URL fragment (never sent to a server); it is
  // exchanged for an HttpOnly session cookie and removed from the address bar at once.
  const match = location.hash.match(/id_token=([^&]+)/);
  if (!match) return;
  history.replaceState(null, '', location.pathname);
  try {
    await api('/cockpit/api/session', { method: 'POST', headers: { Authorization: `Bearer ${match[1]}` } });
  } catch (e) {
    $('signin-error').textContent = e.message;
  }
}

document.addEventListener('DOMContentLoaded', async () => {
  $('lang').addEventListener('click', () => { lang = lang === 'de' ? 'en' : 'de'; applyLanguage(); });
  $('logout').addEventListener('click', async () => { await api('/cockpit/api/logout', { method: 'POST' }); location.reload(); });
  $('filters').addEventListener('submit', (e) => { e.preventDefault(); load(false); });
  $('more').addEventListener('click', () => load(true));
  $('csv').addEventListener('click', exportCsv);
  $('print').addEventListener('click', () => window.print());
  $('back').addEventListener('click', () => { $('detail').hidden = true; $('list').hidden = false; });
  applyLanguage();
  await signInWithFragmentToken();
  try { await load(false); } catch (e) { if (e.status !== 401) $('signin-error').textContent = e.message; }
});
