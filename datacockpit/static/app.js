// Datencockpit page: the signed-in citizen's transfers in plain words (from the catalogue of
// codes), an overview with a chart drawn here as SVG, the filters, and each transfer's inclusion
// in the signed, witnessed transfer log verified with WebCrypto. No framework, no external requests.
'use strict';

const TEXT = {
  de: {
    skip: 'Zum Inhalt springen', title: 'Datencockpit',
    intro: 'Hier sehen Sie, welche Behörde wann welche Daten über Sie bei einem Register abgerufen hat, warum, und welche Anfragen abgelehnt wurden.',
    logout: 'Abmelden', signin_title: 'Anmelden', signin_text: 'Melden Sie sich mit Ihrem Online-Ausweis an (Vertrauensniveau „hoch“).',
    signin_start: 'Mit dem Online-Ausweis anmelden',
    signin_cancelled: 'Die Anmeldung wurde abgebrochen.', signin_expired: 'Die Anmeldung hat zu lange gedauert oder wurde schon verwendet. Bitte melden Sie sich erneut an.',
    signin_mismatch: 'Die Anmeldung wurde in einem anderen Browserfenster begonnen. Bitte melden Sie sich hier erneut an.',
    signin_unavailable: 'Der Identitätsanbieter ist gerade nicht erreichbar. Bitte versuchen Sie es später erneut.',
    signin_rejected: 'Die Anmeldung konnte nicht bestätigt werden. Bitte melden Sie sich erneut an.',
    signin_assurance: 'Für das Datencockpit ist eine Anmeldung mit dem Vertrauensniveau „hoch“ nötig (Online-Ausweis).',
    signin_busy: 'Gerade melden sich sehr viele Menschen an. Bitte versuchen Sie es in einer Minute erneut.',
    signin_store: 'Die Anmeldung ist gerade nicht möglich: ein Teil des Datencockpits ist nicht erreichbar. Bitte versuchen Sie es in einer Minute erneut.',
    signed_out: 'Sie sind abgemeldet.',
    list_title: 'Abrufe Ihrer Daten', overview_title: 'Überblick', chart_caption: 'Abrufe je Monat (letzte 12 Monate)', legend_delivered: '■ Daten übermittelt', legend_refused: '■ abgelehnt',
    filters_title: 'Abrufe anzeigen', from: 'Von', to: 'Bis', authority: 'Behörde', type: 'Dokument', outcome: 'Ergebnis', all: 'alle',
    filter_delivered: 'Daten übermittelt', filter_refused: 'abgelehnt (nichts übermittelt)', apply: 'Anzeigen',
    when: 'Zeitpunkt', what: 'Was geschah', details: 'Details', empty: 'Keine Abrufe mit dieser Auswahl.',
    auskunft: 'Alles herunterladen (prüfbare Auskunft)', auskunft_check: 'Eine heruntergeladene Auskunft prüfen',
    auskunft_ok: 'Auskunft geprüft: alle {n} Einträge stehen unverändert im signierten, von Zeugen bestätigten Protokoll {origin}.',
    auskunft_bad: 'NICHT bestätigt: {problem}',
    auskunft_incomplete: 'Unvollständig: {nodes} hat beim Zusammenstellen nicht geantwortet; diese Einträge fehlen in der Datei. Bitte laden Sie sie später erneut herunter.', auskunft_waiting: 'Die Auskunft wird zusammengestellt …',
    more: 'Ältere anzeigen', csv: 'Als CSV speichern', print: 'Drucken', detail_title: 'Abruf im Einzelnen', open: 'Details',
    open_label: 'Details zum Abruf vom {when}',
    delivered: 'Daten übermittelt', refused: 'abgelehnt – nichts übermittelt',
    summary_other: 'Seit {since}: {delivered} Abrufe mit Übermittlung von Daten durch {bodies}.', summary_one: 'Seit {since}: 1 Abruf mit Übermittlung von Daten durch {bodies}.',
    bodies_one: '1 Stelle', bodies_other: '{n} Stellen',
    summary_none: 'Es wurden noch keine Daten über Sie abgerufen.',
    withheld_one: '1 weiterer Abruf wird Ihnen derzeit nicht angezeigt. Grund: {basis}. Er ist im Protokoll erfasst und erscheint, sobald die Frist endet.',
    withheld_other: '{n} weitere Abrufe werden Ihnen derzeit nicht angezeigt. Grund: {basis}. Sie sind im Protokoll erfasst und erscheinen, sobald die Frist endet.',
    summary_refused_other: '{refused} Anfragen wurden abgelehnt; dabei wurden keine Daten übermittelt.', summary_refused_one: '1 Anfrage wurde abgelehnt; dabei wurden keine Daten übermittelt.',
    body_count_other: '{name}: {delivered} Abrufe', body_count_one: '{name}: 1 Abruf', body_refused_other: ', {refused} Anfragen abgelehnt', body_refused_one: ', 1 Anfrage abgelehnt',
    chart_label: 'Balkendiagramm der Abrufe je Monat: {list}', chart_month: '{month}: {delivered} übermittelt, {refused} abgelehnt',
    retention: 'Einträge werden nach {days} Tagen gelöscht (die Protokollpflicht endet dann, § 9 IDNrG). Ihr Beweis im signierten Protokoll bleibt gültig.',
    sentence_delivered: '{who} hat am {date} um {time} Uhr {object} beim {register} abgerufen, um {aim}.',
    sentence_delivered_plain: '{who} hat am {date} um {time} Uhr {object} beim {register} abgerufen.',
    sentence_refused: '{who} wollte am {date} um {time} Uhr {object} abrufen. Die Anfrage wurde abgelehnt: {reason}. Es wurden keine Daten übermittelt.',
    object_fallback: 'den Nachweis „{type}“', someone: 'Eine nicht registrierte Stelle',
    f_sentence: 'Was geschah', f_when: 'Zeitpunkt', f_requester: 'Anfragende Stelle', f_register: 'Register', f_type: 'Dokument',
    f_fields: 'Übermittelte Angaben (nur die Art, nicht die Werte)', f_no_fields: 'keine – die Anfrage wurde abgelehnt',
    f_purpose: 'Zweck', f_legal: 'Rechtsgrundlage', f_outcome: 'Ergebnis', f_code: 'Technischer Fehlercode',
    f_reference: 'Kennung der Anfrage (für Rückfragen bei der Behörde)', f_entry: 'Nummer des Protokolleintrags',
    f_contact: 'Fragen und Beschwerden',
    contact_text: 'Fragen zu diesem Abruf: {contact}. Beschweren können Sie sich bei {authority}.',
    contact_unknown: 'die anfragende Stelle (ihr Datenschutzbeauftragter)',
    check_title: 'Ist dieser Eintrag echt?', proof: 'Technische Angaben zur Prüfung', proof_download: 'Prüfbeleg herunterladen (JSON)',
    p_origin: 'Protokoll', p_entry: 'Eintrag', p_size: 'Protokollstand (Einträge)', p_witnesses: 'Bestätigt von Zeugen',
    verified: 'Geprüft: Dieser Abruf steht unverändert im signierten Protokoll, das unabhängige Zeugen bestätigt haben.',
    not_verified: 'NICHT bestätigt: Der Eintrag passt nicht zum signierten Protokoll.', checking: 'Wird geprüft …',
    log_witnessed: 'Protokoll geprüft: signiert und von {n} unabhängigen Zeugen bestätigt.',
    log_first: 'Dieser Stand wird in diesem Browser gespeichert; wird das Protokoll später nachträglich verändert, sehen Sie es beim nächsten Besuch.',
    log_consistent: 'Seit Ihrem letzten Besuch wurde es nur ergänzt, nichts daran verändert.',
    log_parts: 'Das gilt für alle {n} Teilprotokolle (eines je Server).',
    nodes_missing: 'Nicht alle Server haben rechtzeitig geantwortet ({nodes}). Abrufe, die nur dort verzeichnet sind, fehlen hier vielleicht. Bitte laden Sie die Seite später neu.',
    log_forked: 'Warnung: Das Protokoll passt nicht mehr zu dem Stand, den Sie am {date} gesehen haben. Es wurde nachträglich verändert, oder Ihnen wird eine andere Fassung gezeigt als anderen. Wenden Sie sich bitte an die Datenschutzaufsicht.',
    log_unverified: 'Warnung: Das Protokoll konnte nicht geprüft werden: Signatur oder Bestätigungen der Zeugen fehlen.',
    log_key_changed: 'Warnung: Das Protokoll ist mit einem anderen Schlüssel signiert als bei Ihrem letzten Besuch.',
    log_unchecked: 'Das Protokoll konnte gerade nicht abgerufen werden; bitte laden Sie die Seite später neu.',
    back: 'Zurück zur Liste', lang_button: 'English', lang_label: 'Switch to English', lang_of_button: 'en',
    reason_NOT_PERMITTED: 'die Stelle ist für diesen Abruf zu diesem Zweck nicht berechtigt',
    reason_UNKNOWN_AUTHORITY: 'die anfragende Stelle ist nicht registriert',
    reason_AUTHOR_MISMATCH: 'die Anfrage war nicht von der Stelle unterschrieben, die sie gestellt hat',
    reason_SIGNATURE_INVALID: 'die elektronische Unterschrift der Anfrage war ungültig',
    reason_NOT_FOUND: 'das Register führt diesen Nachweis für Sie nicht',
    reason_NO_REGISTER: 'kein angeschlossenes Register führt diesen Nachweis',
    reason_REGISTER_UNAVAILABLE: 'das Register war nicht erreichbar', reason_TIMEOUT: 'das Register hat nicht rechtzeitig geantwortet',
    reason_IDNR_INVALID: 'die Identifikationsnummer war ungültig', reason_REPLAY: 'die Anfrage war eine Wiederholung einer früheren',
    reason_STALE: 'die Anfrage war zu alt', reason_other: 'die Anfrage war fehlerhaft',
  },
  en: {
    skip: 'Skip to content', title: 'Data cockpit',
    intro: 'See which authority retrieved which data about you from which register, when and why, and which requests were refused.',
    logout: 'Sign out', signin_title: 'Sign in', signin_text: 'Sign in with your online ID (assurance level "high").',
    signin_start: 'Sign in with your online ID',
    signin_cancelled: 'The sign-in was cancelled.', signin_expired: 'The sign-in took too long or was already used. Please sign in again.',
    signin_mismatch: 'The sign-in was started in another browser window. Please sign in again here.',
    signin_unavailable: 'The identity provider cannot be reached just now. Please try again later.',
    signin_rejected: 'The sign-in could not be confirmed. Please sign in again.',
    signin_assurance: 'The data cockpit needs a sign-in with assurance level "high" (online ID).',
    signin_busy: 'Very many people are signing in right now. Please try again in a minute.',
    signin_store: 'Signing in is not possible just now: a part of the Datencockpit cannot be reached. Please try again in a minute.',
    signed_out: 'You are signed out.',
    list_title: 'Retrievals of your data', overview_title: 'Overview', chart_caption: 'Retrievals per month (last 12 months)', legend_delivered: '■ data transferred', legend_refused: '■ refused',
    filters_title: 'Show retrievals', from: 'From', to: 'To', authority: 'Authority', type: 'Document', outcome: 'Outcome', all: 'all',
    filter_delivered: 'data transferred', filter_refused: 'refused (nothing transferred)', apply: 'Show',
    when: 'Time', what: 'What happened', details: 'Details', empty: 'No retrievals match this selection.',
    auskunft: 'Download everything (verifiable copy)', auskunft_check: 'Check a downloaded copy',
    auskunft_ok: 'Copy checked: all {n} entries are recorded, unchanged, in the signed log {origin} that witnesses confirmed.',
    auskunft_bad: 'NOT verified: {problem}',
    auskunft_incomplete: 'Incomplete: {nodes} did not answer when the file was made; those entries are not in it. Please download it again later.', auskunft_waiting: 'Putting the copy together …',
    more: 'Show older', csv: 'Save as CSV', print: 'Print', detail_title: 'Retrieval details', open: 'Details',
    open_label: 'Details of the retrieval of {when}',
    delivered: 'data transferred', refused: 'refused – nothing transferred',
    summary_other: 'Since {since}: {delivered} retrievals with data transferred, by {bodies}.', summary_one: 'Since {since}: 1 retrieval with data transferred, by {bodies}.',
    bodies_one: '1 body', bodies_other: '{n} bodies',
    summary_none: 'No data about you has been retrieved yet.',
    withheld_one: '1 further retrieval is not shown to you at present. Reason: {basis}. It is recorded in the log and appears once the period ends.',
    withheld_other: '{n} further retrievals are not shown to you at present. Reason: {basis}. They are recorded in the log and appear once the period ends.',
    summary_refused_other: '{refused} requests were refused; no data was transferred for them.', summary_refused_one: '1 request was refused; no data was transferred for it.',
    body_count_other: '{name}: {delivered} retrievals', body_count_one: '{name}: 1 retrieval', body_refused_other: ', {refused} requests refused', body_refused_one: ', 1 request refused',
    chart_label: 'Bar chart of retrievals per month: {list}', chart_month: '{month}: {delivered} transferred, {refused} refused',
    retention: 'Entries are deleted after {days} days (when the duty to keep them ends, section 9 IDNrG). Your proof in the signed log stays valid.',
    sentence_delivered: '{who} retrieved {object} from the {register} on {date} at {time} to {aim}.',
    sentence_delivered_plain: '{who} retrieved {object} from the {register} on {date} at {time}.',
    sentence_refused: '{who} tried to retrieve {object} on {date} at {time}. The request was refused: {reason}. No data was transferred.',
    object_fallback: 'the evidence "{type}"', someone: 'A body that is not registered',
    f_sentence: 'What happened', f_when: 'Time', f_requester: 'Requesting body', f_register: 'Register', f_type: 'Document',
    f_fields: 'Data transferred (the kind only, not the values)', f_no_fields: 'none – the request was refused',
    f_purpose: 'Purpose', f_legal: 'Legal basis', f_outcome: 'Outcome', f_code: 'Technical error code',
    f_reference: 'Reference of the request (for questions to the authority)', f_entry: 'Log entry number',
    f_contact: 'Questions and complaints',
    contact_text: 'Questions about this retrieval: {contact}. You can complain to {authority}.',
    contact_unknown: 'the requesting body (its data protection officer)',
    check_title: 'Is this entry genuine?', proof: 'Technical details of the check', proof_download: 'Download the proof (JSON)',
    p_origin: 'Log', p_entry: 'Entry', p_size: 'Log size (entries)', p_witnesses: 'Confirmed by witnesses',
    verified: 'Verified: this retrieval is recorded, unchanged, in the signed log that independent witnesses confirmed.',
    not_verified: 'NOT verified: the record does not match the signed log.', checking: 'Checking …',
    log_witnessed: 'Log checked: signed, and confirmed by {n} independent witnesses.',
    log_first: 'This browser remembers what it saw; if the log is changed afterwards, you will see it on your next visit.',
    log_consistent: 'Since your last visit it has only grown; nothing in it was changed.',
    log_parts: 'This holds for all {n} part logs (one per server).',
    nodes_missing: 'Not every server answered in time ({nodes}). Transfers recorded only there may be missing here. Please reload the page later.',
    log_forked: 'Warning: the log no longer matches what you saw on {date}. It was changed afterwards, or you are shown a different version than others are. Please contact the data protection authority.',
    log_unverified: 'Warning: the log could not be checked: its signature or its witnesses\' confirmations are missing.',
    log_key_changed: 'Warning: the log is signed with a different key than on your last visit.',
    log_unchecked: 'The log could not be fetched just now; please reload the page later.',
    back: 'Back to the list', lang_button: 'Deutsch', lang_label: 'Auf Deutsch umschalten', lang_of_button: 'de',
    reason_NOT_PERMITTED: 'the body is not entitled to this retrieval for this purpose',
    reason_UNKNOWN_AUTHORITY: 'the requesting body is not registered',
    reason_AUTHOR_MISMATCH: 'the request was not signed by the body that sent it',
    reason_SIGNATURE_INVALID: 'the request\'s electronic signature was invalid',
    reason_NOT_FOUND: 'the register holds no such evidence for you',
    reason_NO_REGISTER: 'no connected register holds this evidence',
    reason_REGISTER_UNAVAILABLE: 'the register could not be reached', reason_TIMEOUT: 'the register did not answer in time',
    reason_IDNR_INVALID: 'the identification number was invalid', reason_REPLAY: 'the request repeated an earlier one',
    reason_STALE: 'the request was too old', reason_other: 'the request was faulty',
  },
};

let lang = 'de';
let shown = [];
let nextBefore = null;
let overview = null;
let catalogue = { evidence_types: {}, purposes: {}, legal_bases: {}, fields: {}, contacts: {}, supervisory_authority: {}, retention_days: 0 };
let currentDetail = null;
// A cluster: every server (node) keeps a log of its own; the list names each transfer's node and
// which nodes answered. One node alone: no nodes at all.
let nodes = [];
const transferKey = (tr) => (tr.node ? `${tr.node}/${tr.id}` : String(tr.id));
const atNode = (node, separator) => (node ? `${separator}node=${encodeURIComponent(node)}` : '');

const $ = (id) => document.getElementById(id);
const t = (key) => TEXT[lang][key] ?? key;
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ''));
// A code's words from the catalogue (the code itself when it has none).
const word = (list, code, field = lang) => (catalogue[list][code] && catalogue[list][code][field]) || '';
const named = (list, code) => word(list, code) || code;
const isDelivered = (tr) => tr.outcome === 'delivered';
// The singular or plural text of `key` for the count n ("1 Abruf", "2 Abrufe").
const plural = (key, n) => t(`${key}_${n === 1 ? 'one' : 'other'}`);

function applyLanguage() {
  document.documentElement.lang = lang;
  document.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  $('lang').textContent = t('lang_button');
  $('lang').setAttribute('lang', t('lang_of_button'));
  $('lang').setAttribute('aria-label', t('lang_label'));
  showSigninNotice();
  renderOverview();
  relabelFilters();
  renderRows();
  renderNodesMissing();
  if (currentDetail && !$('detail').hidden) renderDetail(currentDetail);
}

async function api(path, options = {}) {
  const response = await fetch(path, { credentials: 'same-origin', ...options,
    headers: { 'X-Oncegate-Cockpit': '1', ...(options.headers || {}) } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error(body.error || response.statusText), { status: response.status });
  return body;
}

const locale = () => (lang === 'de' ? 'de-DE' : 'en-GB');
// To the second: twenty retrievals of one minute do not read the same.
const formatTime = (ms) => new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'medium' }).format(new Date(ms));
const formatDate = (ms) => new Intl.DateTimeFormat(locale(), { day: 'numeric', month: 'long', year: 'numeric' }).format(new Date(ms));
const formatClock = (ms) => new Intl.DateTimeFormat(locale(), { hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(new Date(ms));

function reasonOf(tr) {
  const key = `reason_${tr.code}`;
  return TEXT[lang][key] !== undefined ? t(key) : t('reason_other');
}

// One plain sentence: who, when, what, from which register, why (or why it was refused).
function sentence(tr) {
  const type = named('evidence_types', tr.evidence_type);
  const values = {
    who: tr.requester ? tr.requester_name : t('someone'),
    date: formatDate(tr.time_ms),
    time: formatClock(tr.time_ms),
    object: word('evidence_types', tr.evidence_type, `phrase_${lang}`) || fill(t('object_fallback'), { type }),
    register: tr.register || '–',
    aim: word('purposes', tr.purpose, `phrase_${lang}`),
    reason: reasonOf(tr),
  };
  if (!isDelivered(tr)) return fill(t('sentence_refused'), values);
  return fill(t(values.aim ? 'sentence_delivered' : 'sentence_delivered_plain'), values);
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
    row.className = isDelivered(tr) ? 'delivered' : 'refused';
    const outcome = cell(isDelivered(tr) ? t('delivered') : t('refused'), 'outcome');
    outcome.className = isDelivered(tr) ? 'outcome' : 'outcome refused';
    row.append(cell(formatTime(tr.time_ms), 'when'), cell(sentence(tr), 'what'), outcome);
    const open = document.createElement('td');
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = t('open');
    button.setAttribute('aria-label', fill(t('open_label'), { when: formatTime(tr.time_ms) }));
    button.dataset.id = transferKey(tr);
    button.addEventListener('click', () => showDetail(tr));
    open.append(button);
    row.append(open);
    body.append(row);
  }
  $('empty').hidden = shown.length !== 0;
  $('more').hidden = nextBefore === null;
}

// The overview: counts in words, per body, and a bar chart of the last twelve months drawn as
// SVG elements (no library, no inline style: the page's CSP allows none).
function renderOverview() {
  if (!overview) return;
  const o = overview;
  const bodies = o.by_requester.filter((b) => b.delivered > 0).length;
  let summary = o.delivered > 0
    ? fill(plural('summary', o.delivered), { since: formatDate(o.since_ms), delivered: o.delivered, bodies: fill(plural('bodies', bodies), { n: bodies }) })
    : t('summary_none');
  if (o.refused > 0) summary += ` ${fill(plural('summary_refused', o.refused), { refused: o.refused })}`;
  $('overview-summary').textContent = summary;
  const withheld = o.withheld || [];
  $('withheld').hidden = withheld.length === 0;
  $('withheld').textContent = withheld.map((w) => fill(plural('withheld', w.count), { n: w.count, basis: named('legal_bases', w.basis) })).join(' ');
  const list = $('overview-bodies');
  list.replaceChildren();
  for (const b of [...o.by_requester].sort((x, y) => (y.delivered + y.refused) - (x.delivered + x.refused))) {
    const item = document.createElement('li');
    item.textContent = fill(plural('body_count', b.delivered), { name: b.requester_name || t('someone'), delivered: b.delivered }) +
      (b.refused ? fill(plural('body_refused', b.refused), { refused: b.refused }) : '');
    list.append(item);
  }
  const months = [];
  const now = new Date();
  for (let i = 11; i >= 0; i -= 1) {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1));
    const key = `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
    const found = o.by_month.find((m) => m.month === key) || { delivered: 0, refused: 0 };
    months.push({ key, label: new Intl.DateTimeFormat(locale(), { month: 'short', timeZone: 'UTC' }).format(d),
      long: new Intl.DateTimeFormat(locale(), { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(d), ...found });
  }
  const max = Math.max(1, ...months.map((m) => m.delivered + m.refused));
  const ns = 'http://www.w3.org/2000/svg';
  const el = (name, attributes, text) => {
    const e = document.createElementNS(ns, name);
    for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const width = 600, height = 180, barArea = 140, step = width / 12;
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img', focusable: 'false', class: 'chart',
    'aria-label': fill(t('chart_label'), { list: months.map((m) => fill(t('chart_month'), { month: m.long, delivered: m.delivered, refused: m.refused })).join('; ') }) });
  svg.append(el('line', { x1: 0, y1: barArea, x2: width, y2: barArea, class: 'axis' }));
  months.forEach((m, i) => {
    const x = i * step + step * 0.2, w = step * 0.6;
    const hd = (m.delivered / max) * (barArea - 20), hr = (m.refused / max) * (barArea - 20);
    const group = el('g', {});
    group.append(el('title', {}, fill(t('chart_month'), { month: m.long, delivered: m.delivered, refused: m.refused })));
    if (m.delivered) group.append(el('rect', { x, y: barArea - hd, width: w, height: hd, class: 'bar-delivered' }));
    if (m.refused) group.append(el('rect', { x, y: barArea - hd - hr, width: w, height: hr, class: 'bar-refused' }));
    if (m.delivered + m.refused) group.append(el('text', { x: x + w / 2, y: barArea - hd - hr - 4, 'text-anchor': 'middle', class: 'count' }, String(m.delivered + m.refused)));
    group.append(el('text', { x: x + w / 2, y: barArea + 18, 'text-anchor': 'middle', class: 'month' }, m.label));
    svg.append(group);
  });
  $('overview-chart').replaceChildren(svg);
  $('retention').textContent = catalogue.retention_days ? fill(t('retention'), { days: catalogue.retention_days }) : '';
}

function relabelFilters() {
  for (const option of $('type').options) if (option.value) option.textContent = named('evidence_types', option.value);
}

function fillFilters() {
  for (const [id, key, label] of [['authority', 'requester', 'requester_name'], ['type', 'evidence_type', null]]) {
    const select = $(id);
    const known = new Set([...select.options].map((o) => o.value));
    for (const tr of shown) {
      if (!tr[key] || known.has(tr[key])) continue;
      known.add(tr[key]);
      const option = document.createElement('option');
      option.value = tr[key];
      option.textContent = label ? tr[label] : named('evidence_types', tr[key]);
      select.append(option);
    }
  }
}

function query(before) {
  const params = new URLSearchParams({ limit: '20' });
  const from = $('from').value, to = $('to').value;
  if (from) params.set('from', from);
  if (to) params.set('to', to);
  for (const id of ['authority', 'type', 'outcome']) if ($(id).value) params.set(id, $(id).value);
  if (before !== null && before !== undefined) params.set('before', String(before));
  return `/cockpit/api/transfers?${params}`;
}

// Named, never left out silently: the nodes whose part of the list is missing.
function renderNodesMissing() {
  const missing = nodes.filter((n) => !n.answered).map((n) => n.node);
  $('nodes-missing').hidden = missing.length === 0;
  $('nodes-missing').textContent = fill(t('nodes_missing'), { nodes: missing.join(', ') });
}

async function load(append) {
  const body = await api(query(append ? nextBefore : null));
  shown = append ? shown.concat(body.transfers) : body.transfers;
  nextBefore = body.next_before;
  nodes = body.nodes || [];
  renderNodesMissing();
  $('signin').hidden = true;
  $('list').hidden = false;
  $('logout').hidden = false;
  fillFilters();
  renderRows();
}

async function loadOverview() {
  overview = await api('/cockpit/api/overview');
  renderOverview();
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

// One log (of one node): its checkpoint verified with the key pinned for its origin, and
// consistent with what this browser saw of it last. { state, text }.
async function checkOneLog(node) {
  let keys = await api(`/cockpit/api/log${atNode(node, '?')}`);
  const seenKey = `oncegate.seen.${keys.viewer}`;
  const seen = remembered(seenKey);
  if (seen && seen.origin === keys.origin) keys = await api(`/cockpit/api/log?from=${seen.size}${atNode(node, '&')}`);
  const pinnedKey = `oncegate.log.${keys.origin}`;
  const pinned = remembered(pinnedKey);
  if (pinned && pinned.log_vkey !== keys.log_vkey) return { state: 'key_changed', text: t('log_key_changed') };
  const checkpoint = await verifyCheckpoint(keys.checkpoint, keys);
  if (!checkpoint.ok) return { state: 'unverified', text: t('log_unverified') };
  localStorage.setItem(pinnedKey, JSON.stringify({ log_vkey: keys.log_vkey }));
  const witnessed = t('log_witnessed').replace('{n}', String(checkpoint.cosigners));
  if (seen && seen.origin === keys.origin) {
    const consistent = keys.consistency !== undefined &&
      await verifyConsistency(BigInt(seen.size), checkpoint.size, unhex(seen.root), checkpoint.root, keys.consistency);
    if (!consistent) return { state: 'forked', text: t('log_forked').replace('{date}', formatTime(seen.time_ms)) };
  }
  localStorage.setItem(seenKey, JSON.stringify({ origin: keys.origin, size: String(checkpoint.size), root: hex(checkpoint.root), time_ms: Date.now() }));
  return { state: seen ? 'ok' : 'first', text: `${witnessed} ${seen ? t('log_consistent') : t('log_first')}` };
}

// Every node's log that answered: the first that fails is shown; all good, the first's words.
async function checkLog() {
  const status = $('log-status');
  const answering = nodes.filter((n) => n.answered).map((n) => n.node);
  const results = [];
  for (const node of answering.length ? answering : [null]) results.push(await checkOneLog(node));
  const bad = results.find((r) => r.state !== 'ok' && r.state !== 'first');
  const shownResult = bad || results.find((r) => r.state === 'first') || results[0];
  status.textContent = shownResult.text + (!bad && results.length > 1 ? ` ${fill(t('log_parts'), { n: results.length })}` : '');
  status.dataset.state = shownResult.state;
  status.className = bad ? 'status bad' : 'status ok';
}

function renderDetail(detail) {
  const tr = detail.transfer;
  $('detail-sentence').textContent = sentence(tr);
  const fields = $('detail-fields');
  fields.replaceChildren();
  const contact = word('contacts', tr.requester) || t('contact_unknown');
  const legal = named('legal_bases', tr.legal_basis);
  const rows = [
    ['f_when', formatTime(tr.time_ms)],
    ['f_requester', tr.requester ? `${tr.requester_name} (${tr.requester})` : t('someone')],
    ['f_register', tr.register || '–'],
    ['f_type', named('evidence_types', tr.evidence_type)],
    ['f_fields', isDelivered(tr) ? (tr.data_fields.length ? tr.data_fields.map((f) => named('fields', f)).join(', ') : '–') : t('f_no_fields')],
    ['f_purpose', named('purposes', tr.purpose) || '–'],
    ['f_legal', legal || '–'],
    ['f_outcome', isDelivered(tr) ? t('delivered') : `${t('refused')} (${reasonOf(tr)})`],
  ];
  if (!isDelivered(tr) && tr.code) rows.push(['f_code', tr.code]);
  rows.push(['f_reference', tr.reference || '–'], ['f_entry', tr.node ? `${tr.id} (${tr.node})` : String(tr.id)],
    ['f_contact', fill(t('contact_text'), { contact, authority: catalogue.supervisory_authority[lang] || '–' })]);
  for (const [label, value] of rows) {
    const dt = document.createElement('dt'); dt.textContent = t(label);
    const dd = document.createElement('dd'); dd.textContent = String(value);
    fields.append(dt, dd);
  }
  const proof = $('proof-fields');
  proof.replaceChildren();
  // Signature lines of others than the log itself: its witnesses' cosignatures.
  const witnesses = (detail.checkpoint.match(/^— \S+/gm) || []).filter((line) => line.slice(2) !== detail.log.origin).length;
  for (const [label, value] of [['p_origin', detail.log.origin], ['p_entry', String(detail.leaf_index)],
    ['p_size', String(detail.tree_head.size)], ['p_witnesses', String(witnesses)]]) {
    const dt = document.createElement('dt'); dt.textContent = t(label);
    const dd = document.createElement('dd'); dd.textContent = value;
    proof.append(dt, dd);
  }
}

async function showDetail(tr) {
  // A transfer of the last second waits for its witnessed checkpoint (503 with Retry-After).
  let detail;
  for (let attempt = 0; ; attempt += 1) {
    try { detail = await api(`/cockpit/api/transfers/${tr.id}${atNode(tr.node, '?')}`); break; } catch (e) {
      if (e.status !== 503 || attempt === 8) throw e;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  currentDetail = detail;
  renderDetail(detail);
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

function download(name, type, text) {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([text], { type }));
  link.download = name;
  link.click();
}

// The verifiable Auskunft: one file with every entry and its proof (oncegate-auskunft/1).
async function downloadAuskunft() {
  const status = $('auskunft-status');
  status.hidden = false;
  status.className = 'status';
  status.textContent = t('auskunft_waiting');
  let file;
  for (let attempt = 0; ; attempt += 1) {
    try { file = await api('/cockpit/api/auskunft'); break; } catch (e) {
      if (e.status !== 503 || attempt === 8) { status.textContent = fill(t('auskunft_bad'), { problem: e.message }); return; }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  download('datencockpit-auskunft.json', 'application/json', JSON.stringify(file, null, 1));
  const missing = missingNodes(file);
  if (missing.length) {
    status.textContent = fill(t('auskunft_incomplete'), { nodes: missing.join(', ') });
    status.className = 'status bad';
  } else {
    status.hidden = true;
  }
}

// A cluster's file names the nodes that did not answer (their entries are not in it).
const missingNodes = (file) => (file.nodes || []).filter((n) => !n.answered).map((n) => n.node);

// Checks such a file here, offline: every entry as a transfer's detail, with the log key this
// browser pinned for the log (else the file's own). A cluster's file (oncegate-auskunft-set/1)
// has one such part per node's log. { entries, origin, missing }.
async function checkAuskunftFile(text) {
  const file = JSON.parse(text);
  const parts = file.format === 'oncegate-auskunft-set/1' && Array.isArray(file.parts) ? file.parts : [file];
  if (parts.length === 0) throw new Error('the file holds no part of any log');
  let entries = 0;
  for (const part of parts) {
    if (part.format !== 'oncegate-auskunft/1') throw new Error('not an oncegate Auskunft');
    const pinned = remembered(`oncegate.log.${part.log.origin}`);
    if (pinned && pinned.log_vkey !== part.log.log_vkey) throw new Error(t('log_key_changed'));
    for (const entry of part.entries) {
      const checkpoint = part.checkpoints[String(entry.tree_head.size)];
      if (!checkpoint || !await verifyProof({ ...entry, checkpoint, log: part.log })) throw new Error(`${t('f_entry')} ${entry.leaf_index}`);
    }
    entries += part.entries.length;
  }
  return { entries, origin: parts.map((p) => p.log.origin).join(', '), missing: missingNodes(file) };
}

function exportCsv() {
  const quote = (v) => `"${String(v).replaceAll('"', '""')}"`;
  const rows = [[t('when'), t('f_requester'), t('f_register'), t('f_type'), t('f_purpose'), t('f_legal'), t('outcome'), t('f_reference')].map(quote).join(';')];
  for (const tr of shown) {
    rows.push([formatTime(tr.time_ms), tr.requester_name, tr.register, named('evidence_types', tr.evidence_type), named('purposes', tr.purpose),
      named('legal_bases', tr.legal_basis), isDelivered(tr) ? t('delivered') : `${t('refused')} (${reasonOf(tr)})`, tr.reference].map(quote).join(';'));
  }
  download('datencockpit.csv', 'text/csv;charset=utf-8', '\ufeff' + rows.join('\r\n'));
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
  $('auskunft').addEventListener('click', downloadAuskunft);
  $('auskunft-file').addEventListener('change', async (event) => {
    const status = $('auskunft-status');
    status.hidden = false;
    delete status.dataset.verified;
    try {
      const file = await checkAuskunftFile(await event.target.files[0].text());
      status.textContent = fill(t('auskunft_ok'), { n: file.entries, origin: file.origin }) +
        (file.missing.length ? ` ${fill(t('auskunft_incomplete'), { nodes: file.missing.join(', ') })}` : '');
      status.className = 'status ok';
      status.dataset.verified = 'yes';
    } catch (e) {
      status.textContent = fill(t('auskunft_bad'), { problem: e.message });
      status.className = 'status bad';
      status.dataset.verified = 'no';
    }
  });
  $('print').addEventListener('click', () => window.print());
  $('proof-download').addEventListener('click', () => {
    if (currentDetail) download(`datencockpit-beleg-${currentDetail.leaf_index}.json`, 'application/json', JSON.stringify(currentDetail, null, 2));
  });
  $('back').addEventListener('click', () => {
    $('detail').hidden = true;
    $('list').hidden = false;
    const button = document.querySelector(`#transfers button[data-id="${currentDetail ? transferKey(currentDetail.transfer) : ''}"]`);
    if (button) button.focus();
  });
  readSigninNotice();
  applyLanguage();
  try { catalogue = await api('/cockpit/api/catalogue'); } catch (e) { /* codes are shown as they are */ }
  try { await load(false); } catch (e) { if (e.status !== 401) $('signin-error').textContent = e.message; return; }
  try { await loadOverview(); } catch (e) { /* the list stands on its own */ }
  relabelFilters();
  renderRows();
  try { await checkLog(); } catch (e) {
    // Not a verdict on the log: it could not be fetched or read (shown, and named for support).
    $('log-status').textContent = `${t('log_unchecked')} (${e.message})`;
    $('log-status').dataset.state = 'error';
    $('log-status').className = 'status bad';
  }
});
