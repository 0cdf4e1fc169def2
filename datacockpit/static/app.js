// Datencockpit page: lists the signed-in citizen's transfers and verifies each transfer's
// inclusion in the signed transfer log with WebCrypto. No framework, no external requests.
'use strict';

const TEXT = {
  de: {
    title: 'Datencockpit', intro: 'Hier sehen Sie, welche Behörde wann welche Nachweise über Sie abgerufen hat und warum.',
    logout: 'Abmelden', signin_title: 'Anmelden', signin_text: 'Melden Sie sich mit Ihrem Online-Ausweis an (Vertrauensniveau „hoch“).',
    signin_start: 'Mit dem Online-Ausweis anmelden',
    signin_cancelled: 'Die Anmeldung wurde abgebrochen.', signin_expired: 'Die Anmeldung hat zu lange gedauert oder wurde schon verwendet. Bitte melden Sie sich erneut an.',
    signin_mismatch: 'Die Anmeldung wurde in einem anderen Browserfenster begonnen. Bitte melden Sie sich hier erneut an.',
    signin_unavailable: 'Der Identitätsanbieter ist gerade nicht erreichbar. Bitte versuchen Sie es später erneut.',
    signin_rejected: 'Die Anmeldung konnte nicht bestätigt werden. Bitte melden Sie sich erneut an.',
    signin_assurance: 'Für das Datencockpit ist eine Anmeldung mit dem Vertrauensniveau „hoch“ nötig (Online-Ausweis).',
    signin_busy: 'Gerade melden sich sehr viele Menschen an. Bitte versuchen Sie es in einer Minute erneut.',
    signed_out: 'Sie sind abgemeldet.', list_title: 'Ihre Datenübermittlungen', from: 'Von', to: 'Bis',
    authority: 'Behörde', type: 'Nachweis', all: 'alle', apply: 'Anzeigen', when: 'Zeitpunkt', register: 'Register',
    purpose: 'Zweck und Rechtsgrundlage', outcome: 'Ergebnis', details: 'Details', empty: 'Keine Übermittlungen in diesem Zeitraum.',
    more: 'Ältere anzeigen', csv: 'Als CSV speichern', print: 'Drucken', detail_title: 'Übermittlung im Einzelnen',
    proof: 'Nachweis der Unverändertheit (Merkle-Beweis)', back: 'Zurück zur Liste', open: 'Ansehen',
    delivered: 'übermittelt', denied: 'abgelehnt', not_found: 'nicht gefunden', register_failed: 'fehlgeschlagen', invalid: 'ungültig',
    verified: 'Geprüft: Diese Übermittlung steht unverändert im signierten Protokoll, das unabhängige Zeugen bestätigt haben.',
    log_witnessed: 'Protokoll geprüft: signiert und von {n} unabhängigen Zeugen bestätigt.',
    log_first: 'Dieser Stand wird in diesem Browser gespeichert; wird das Protokoll später nachträglich verändert, sehen Sie es beim nächsten Besuch.',
    log_consistent: 'Seit Ihrem letzten Besuch wurde es nur ergänzt, nichts daran verändert.',
    log_forked: 'Warnung: Das Protokoll passt nicht mehr zu dem Stand, den Sie am {date} gesehen haben. Es wurde nachträglich verändert, oder Ihnen wird eine andere Fassung gezeigt als anderen. Wenden Sie sich bitte an die Datenschutzaufsicht.',
    log_unverified: 'Warnung: Das Protokoll konnte nicht geprüft werden: Signatur oder Bestätigungen der Zeugen fehlen.',
    log_key_changed: 'Warnung: Das Protokoll ist mit einem anderen Schlüssel signiert als bei Ihrem letzten Besuch.',
    log_unchecked: 'Das Protokoll konnte gerade nicht abgerufen werden; bitte laden Sie die Seite später neu.',
    not_verified: 'NICHT bestätigt: Der Eintrag passt nicht zum signierten Protokoll.', checking: 'Wird geprüft …',
    lang_button: 'English', lang_label: 'Switch to English', id: 'Vorgangsnummer', code: 'Fehlercode',
    geburtsurkunde: 'Geburtsurkunde', meldebescheinigung: 'Meldebescheinigung',
  },
  en: {
    title: 'Data cockpit', intro: 'See which authority retrieved which evidence about you, when, and why.',
    logout: 'Sign out', signin_title: 'Sign in', signin_text: 'Sign in with your online ID (assurance level "high").',
    signin_start: 'Sign in with your online ID',
    signin_cancelled: 'The sign-in was cancelled.', signin_expired: 'The sign-in took too long or was already used. Please sign in again.',
    signin_mismatch: 'The sign-in was started in another browser window. Please sign in again here.',
    signin_unavailable: 'The identity provider cannot be reached just now. Please try again later.',
    signin_rejected: 'The sign-in could not be confirmed. Please sign in again.',
    signin_assurance: 'The data cockpit needs a sign-in with assurance level "high" (online ID).',
    signin_busy: 'Very many people are signing in right now. Please try again in a minute.',
    signed_out: 'You are signed out.', list_title: 'Transfers of your data', from: 'From', to: 'To',
    authority: 'Authority', type: 'Evidence', all: 'all', apply: 'Show', when: 'Time', register: 'Register',
    purpose: 'Purpose and legal basis', outcome: 'Outcome', details: 'Details', empty: 'No transfers in this period.',
    more: 'Show older', csv: 'Save as CSV', print: 'Print', detail_title: 'Transfer details',
    proof: 'Proof that the record is unchanged (Merkle proof)', back: 'Back to the list', open: 'Open',
    delivered: 'delivered', denied: 'refused', not_found: 'not found', register_failed: 'failed', invalid: 'invalid',
    verified: 'Verified: this transfer is recorded, unchanged, in the signed log that independent witnesses confirmed.',
    log_witnessed: 'Log checked: signed, and confirmed by {n} independent witnesses.',
    log_first: 'This browser remembers what it saw; if the log is changed afterwards, you will see it on your next visit.',
    log_consistent: 'Since your last visit it has only grown; nothing in it was changed.',
    log_forked: 'Warning: the log no longer matches what you saw on {date}. It was changed afterwards, or you are shown a different version than others are. Please contact the data protection authority.',
    log_unverified: 'Warning: the log could not be checked: its signature or its witnesses\' confirmations are missing.',
    log_key_changed: 'Warning: the log is signed with a different key than on your last visit.',
    log_unchecked: 'The log could not be fetched just now; please reload the page later.',
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
  showSigninNotice();
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

// ---- Verification: the salted commitment, the RFC 9162 inclusion proof, the C2SP checkpoint
// (the log's Ed25519 signature and its witnesses' timestamped cosignatures), and consistency with
// the checkpoint this browser saw last for this person ----

const hex = (buffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');
const unhex = (text) => new Uint8Array((text.match(/../g) || []).map((h) => parseInt(h, 16)));
const unbase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const utf8 = new TextEncoder();

async function sha256(...parts) {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const all = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) { all.set(p, offset); offset += p.length; }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', all));
}

async function hmacSha256(key, data) {
  const k = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', k, data));
}

const node = (left, right) => sha256(new Uint8Array([1]), left, right);

async function rootFromPath(index, size, leaf, path) {
  let fn = BigInt(index), sn = BigInt(size) - 1n, r = leaf;
  for (const p of path.map(unhex)) {
    if (sn === 0n) return null;
    if ((fn & 1n) === 1n || fn === sn) {
      r = await node(p, r);
      if ((fn & 1n) === 0n) { while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; } }
    } else {
      r = await node(r, p);
    }
    fn >>= 1n; sn >>= 1n;
  }
  return sn === 0n ? hex(r) : null;
}

// RFC 9162 2.1.4.2: the tree of `second` leaves extends the tree of `first`.
async function verifyConsistency(first, second, firstRoot, secondRoot, proofHex) {
  let proof = proofHex.map(unhex);
  if (first === second) return proof.length === 0 && hex(firstRoot) === hex(secondRoot);
  if (first === 0n || first > second || proof.length === 0 && (first & (first - 1n)) !== 0n) return false;
  if ((first & (first - 1n)) === 0n) proof = [firstRoot, ...proof];
  let fn = first - 1n, sn = second - 1n;
  while ((fn & 1n) === 1n) { fn >>= 1n; sn >>= 1n; }
  let fr = proof[0], sr = proof[0];
  for (const c of proof.slice(1)) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      fr = await node(c, fr); sr = await node(c, sr);
      if ((fn & 1n) === 0n) { while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; } }
    } else {
      sr = await node(sr, c);
    }
    fn >>= 1n; sn >>= 1n;
  }
  return sn === 0n && hex(fr) === hex(firstRoot) && hex(sr) === hex(secondRoot);
}

// name+<key id, 8 hex>+base64(type || key)
function parseVkey(text) {
  // The key's base64 may hold '+' itself: split at the first two only.
  const vkey = text.trim();
  const first = vkey.indexOf('+'), second = vkey.indexOf('+', first + 1);
  if (first < 0 || second < 0) throw new Error('not a vkey');
  const name = vkey.slice(0, first), id = vkey.slice(first + 1, second);
  const bytes = unbase64(vkey.slice(second + 1));
  return { name, id, type: bytes[0], key: bytes.slice(1) };
}

// A signed note: the text up to its last blank line, then "— <name> base64(key id || signature)".
function parseNote(text) {
  const split = text.lastIndexOf('\n\n');
  if (split < 0) throw new Error('not a signed note');
  const lines = text.slice(split + 2).split('\n').filter(Boolean).map((line) => {
    if (!line.startsWith('\u2014 ')) throw new Error('not a signature line');
    const [name, signature] = line.slice(2).split(' ');
    const raw = unbase64(signature);
    return { name, id: hex(raw.slice(0, 4)), signature: raw.slice(4) };
  });
  return { text: text.slice(0, split + 1), lines };
}

async function ed25519Verify(key, signature, message) {
  const k = await crypto.subtle.importKey('raw', key, { name: 'Ed25519' }, false, ['verify']);
  return crypto.subtle.verify({ name: 'Ed25519' }, k, signature, message);
}

// The checkpoint signed by the log's key, and how many of the configured witnesses cosigned it.
async function verifyCheckpoint(checkpointText, keys) {
  const note = parseNote(checkpointText);
  const log = parseVkey(keys.log_vkey);
  const [origin, size, root] = note.text.split('\n');
  let logSigned = false;
  for (const line of note.lines) {
    if (line.name === log.name && line.id === log.id && log.type === 1) logSigned = logSigned || await ed25519Verify(log.key, line.signature, utf8.encode(note.text));
  }
  let cosigners = 0;
  for (const text of keys.witnesses) {
    const witness = parseVkey(text);
    for (const line of note.lines) {
      if (line.name !== witness.name || line.id !== witness.id || witness.type !== 4 || line.signature.length !== 72) continue;
      let time = 0n;
      for (const b of line.signature.slice(0, 8)) time = (time << 8n) | BigInt(b);
      const message = utf8.encode(`cosignature/v1\ntime ${time}\n${note.text}`);
      if (await ed25519Verify(witness.key, line.signature.slice(8), message)) { cosigners += 1; break; }
    }
  }
  return { ok: logSigned && origin === log.name && cosigners >= keys.quorum, size: BigInt(size), root: unbase64(root), cosigners };
}

async function verifyProof(detail) {
  const record = utf8.encode(detail.record);
  // Format 2: the leaf is over 0x01 || HMAC-SHA-256(salt, record); format 1 (older records): over the record.
  let entry = record;
  if (detail.salt) {
    entry = new Uint8Array([1, ...await hmacSha256(unhex(detail.salt), record)]);
    if (hex(entry) !== detail.entry) return false;
  }
  const leaf = await sha256(new Uint8Array([0]), entry);
  if (hex(leaf) !== detail.leaf_hash) return false;
  const checkpoint = await verifyCheckpoint(detail.checkpoint, detail.log);
  if (!checkpoint.ok || checkpoint.size !== BigInt(detail.tree_head.size)) return false;
  const root = await rootFromPath(detail.leaf_index, detail.tree_head.size, leaf, detail.path);
  return root === hex(checkpoint.root);
}

// What this browser remembers: the log's keys per origin (pinned on first use) and, per person,
// the last checkpoint verified. A log rewritten or forked between two visits shows here.
function remembered(key) { try { return JSON.parse(localStorage.getItem(key)); } catch (e) { return null; } }

async function checkLog() {
  const status = $('log-status');
  let keys = await api('/cockpit/api/log');
  const seenKey = `oncegate.seen.${keys.viewer}`;
  const seen = remembered(seenKey);
  if (seen && seen.origin === keys.origin) keys = await api(`/cockpit/api/log?from=${seen.size}`);
  const show = (state, text) => { status.textContent = text; status.dataset.state = state; status.className = state === 'ok' || state === 'first' ? 'status ok' : 'status bad'; };
  const pinnedKey = `oncegate.log.${keys.origin}`;
  const pinned = remembered(pinnedKey);
  if (pinned && pinned.log_vkey !== keys.log_vkey) return show('key_changed', t('log_key_changed'));
  const checkpoint = await verifyCheckpoint(keys.checkpoint, keys);
  if (!checkpoint.ok) return show('unverified', t('log_unverified'));
  localStorage.setItem(pinnedKey, JSON.stringify({ log_vkey: keys.log_vkey }));
  const witnessed = t('log_witnessed').replace('{n}', String(checkpoint.cosigners));
  if (seen && seen.origin === keys.origin) {
    const consistent = keys.consistency !== undefined &&
      await verifyConsistency(BigInt(seen.size), checkpoint.size, unhex(seen.root), checkpoint.root, keys.consistency);
    if (!consistent) return show('forked', t('log_forked').replace('{date}', formatTime(seen.time_ms)));
  }
  localStorage.setItem(seenKey, JSON.stringify({ origin: keys.origin, size: String(checkpoint.size), root: hex(checkpoint.root), time_ms: Date.now() }));
  show(seen ? 'ok' : 'first', `${witnessed} ${seen ? t('log_consistent') : t('log_first')}`);
}

async function showDetail(id) {
  // A transfer of the last second waits for its witnessed checkpoint (503 with Retry-After).
  let detail;
  for (let attempt = 0; ; attempt += 1) {
    try { detail = await api(`/cockpit/api/transfers/${id}`); break; } catch (e) {
      if (e.status !== 503 || attempt === 8) throw e;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
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
  $('proof').textContent = JSON.stringify({ record: detail.record, salt: detail.salt, entry: detail.entry, leaf_index: detail.leaf_index,
    leaf_hash: detail.leaf_hash, path: detail.path, checkpoint: detail.checkpoint, log: detail.log }, null, 2);
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

// The cockpit's callback sends the browser back with #signin_error=<code> when a sign-in failed,
// and the provider's logout with #signed_out; shown once, then removed from the address bar.
let signinNotice = null;
function readSigninNotice() {
  const match = location.hash.match(/^#(signin_error=([a-z_]+)|signed_out)$/);
  if (!match) return;
  history.replaceState(null, '', location.pathname);
  signinNotice = match[2] ? `signin_${match[2]}` : 'signed_out';
}

function showSigninNotice() {
  if (!signinNotice) return;
  const known = TEXT[lang][signinNotice] !== undefined;
  $('signin-error').textContent = known ? t(signinNotice) : t('signin_rejected');
}

document.addEventListener('DOMContentLoaded', async () => {
  $('lang').addEventListener('click', () => { lang = lang === 'de' ? 'en' : 'de'; applyLanguage(); });
  $('logout').addEventListener('click', async () => {
    const result = await api('/cockpit/api/logout', { method: 'POST' });
    // Ends the provider's session too, where it offers that; it sends the browser back here.
    if (result && result.end_session_url) location.assign(result.end_session_url);
    else { location.hash = '#signed_out'; location.reload(); }
  });
  $('filters').addEventListener('submit', (e) => { e.preventDefault(); load(false); });
  $('more').addEventListener('click', () => load(true));
  $('csv').addEventListener('click', exportCsv);
  $('print').addEventListener('click', () => window.print());
  $('back').addEventListener('click', () => { $('detail').hidden = true; $('list').hidden = false; });
  readSigninNotice();
  applyLanguage();
  try { await load(false); } catch (e) { if (e.status !== 401) $('signin-error').textContent = e.message; return; }
  try { await checkLog(); } catch (e) {
    // Not a verdict on the log: it could not be fetched or read (shown, and named for support).
    $('log-status').textContent = `${t('log_unchecked')} (${e.message})`;
    $('log-status').dataset.state = 'error';
    $('log-status').className = 'status bad';
  }
});
