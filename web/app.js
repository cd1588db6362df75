// The locus web page: activity autocomplete (/activities), a canvas of the places
// (/places), answers (/recommend) and a live events-per-second counter (/metrics).
// Plain browser JavaScript; no build step, no network beyond the locus server.
'use strict';

const $ = (id) => document.getElementById(id);
const state = { places: [], bounds: null, position: null, answerIds: new Set(), lastEvents: null };

function token() { return $('token').value || localStorage.getItem('locus-token') || ''; }

async function api(path) {
  const headers = {};
  if (token()) headers.Authorization = 'Bearer ' + token();
  const res = await fetch(path, { headers });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) };
}

// ---- autocomplete ------------------------------------------------------------------------
let completeTimer = null;
let active = -1;
function showSuggestions(names) {
  const ul = $('suggestions');
  ul.innerHTML = '';
  active = -1;
  for (const name of names) {
    const li = document.createElement('li');
    li.textContent = name;
    li.setAttribute('role', 'option');
    li.addEventListener('mousedown', (e) => { e.preventDefault(); choose(name); });
    ul.appendChild(li);
  }
  ul.hidden = names.length === 0;
}
function choose(name) {
  $('activity').value = name;
  showSuggestions([]);
  ask();
}
$('activity').addEventListener('input', () => {
  clearTimeout(completeTimer);
  const prefix = $('activity').value.trim();
  if (!prefix) { showSuggestions([]); return; }
  completeTimer = setTimeout(async () => {
    const r = await api('/activities?limit=8&prefix=' + encodeURIComponent(prefix));
    if (r.status === 200 && $('activity').value.trim() === prefix) showSuggestions(r.json().activities);
  }, 120);
});
$('activity').addEventListener('keydown', (e) => {
  const items = [...$('suggestions').children];
  if (!items.length) return;
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    e.preventDefault();
    active = (active + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length;
    items.forEach((li, i) => li.classList.toggle('active', i === active));
  } else if (e.key === 'Enter' && active >= 0) {
    e.preventDefault();
    choose(items[active].textContent);
  } else if (e.key === 'Escape') {
    showSuggestions([]);
  }
});
$('activity').addEventListener('blur', () => setTimeout(() => showSuggestions([]), 100));

// ---- the map -----------------------------------------------------------------------------
// Equirectangular projection with one scale for both axes (longitude shrunk by the cosine of
// the middle latitude), centred in the canvas, so the city keeps its shape.
function frame() {
  const b = state.bounds, c = $('map');
  const pad = 12;
  const kx = Math.cos((b.minLat + b.maxLat) / 2 * Math.PI / 180);
  const spanX = (b.maxLon - b.minLon) * kx, spanY = b.maxLat - b.minLat;
  const s = Math.min((c.width - 2 * pad) / spanX, (c.height - 2 * pad) / spanY);
  return { b, kx, s, offX: (c.width - spanX * s) / 2, offY: (c.height - spanY * s) / 2, h: c.height };
}
function project(lat, lon) {
  const f = frame();
  return [f.offX + (lon - f.b.minLon) * f.kx * f.s, f.h - f.offY - (lat - f.b.minLat) * f.s];
}
function unproject(x, y) {
  const f = frame();
  const lon = f.b.minLon + (x - f.offX) / (f.kx * f.s);
  const lat = f.b.minLat + (f.h - f.offY - y) / f.s;
  return [Math.max(-90, Math.min(90, lat)), Math.max(-180, Math.min(180, lon))];
}
function draw() {
  const c = $('map'), g = c.getContext('2d');
  g.clearRect(0, 0, c.width, c.height);
  if (!state.bounds) {
    g.fillStyle = '#889';
    g.fillText('no places yet', 20, 30);
    return;
  }
  g.fillStyle = 'rgba(60, 80, 110, 0.35)';
  for (const p of state.places) {
    const [x, y] = project(p.lat, p.lon);
    g.fillRect(x - 1, y - 1, 2, 2);
  }
  g.fillStyle = '#d9480f';
  for (const p of state.places) {
    if (!state.answerIds.has(p.place_id)) continue;
    const [x, y] = project(p.lat, p.lon);
    g.beginPath(); g.arc(x, y, 5, 0, 2 * Math.PI); g.fill();
  }
  if (state.position) {
    const [x, y] = project(state.position[0], state.position[1]);
    g.strokeStyle = '#2b6cb0'; g.lineWidth = 3;
    g.beginPath(); g.arc(x, y, 8, 0, 2 * Math.PI); g.stroke();
  }
}
async function loadPlaces() {
  const r = await api('/places?limit=5000');
  if (r.status !== 200) return;
  state.places = r.json().places;
  if (state.places.length) {
    const lats = state.places.map((p) => p.lat).sort((a, b) => a - b);
    const lons = state.places.map((p) => p.lon).sort((a, b) => a - b);
    // The middle 98%, so a few far-away places do not shrink the city to a dot.
    const q = (xs, f) => xs[Math.min(xs.length - 1, Math.floor(f * xs.length))];
    const b = { minLat: q(lats, 0.01), maxLat: q(lats, 0.99), minLon: q(lons, 0.01), maxLon: q(lons, 0.99) };
    // A margin of 5% (at least ~500 m), so the outermost places are not on the edge.
    const padLat = Math.max(0.005, 0.05 * (b.maxLat - b.minLat));
    const padLon = Math.max(0.005, 0.05 * (b.maxLon - b.minLon));
    state.bounds = { minLat: b.minLat - padLat, maxLat: b.maxLat + padLat,
                     minLon: b.minLon - padLon, maxLon: b.maxLon + padLon };
  }
  draw();
}
$('map').addEventListener('click', (e) => {
  if (!state.bounds) return;
  const c = $('map'), rect = c.getBoundingClientRect();
  const x = (e.clientX - rect.left) * c.width / rect.width;
  const y = (e.clientY - rect.top) * c.height / rect.height;
  state.position = unproject(x, y);
  $('position').firstChild.textContent =
    `Standing at ${state.position[0].toFixed(5)}, ${state.position[1].toFixed(5)} `;
  $('clear-position').hidden = false;
  draw();
});
$('clear-position').addEventListener('click', () => {
  state.position = null;
  $('position').firstChild.textContent = 'Click the map to say where you stand (optional). ';
  $('clear-position').hidden = true;
  draw();
});

// ---- answers -----------------------------------------------------------------------------
function setStatus(text, error) {
  $('status').textContent = text;
  $('status').className = error ? 'error' : '';
}
async function ask() {
  const params = new URLSearchParams();
  params.set('activity', $('activity').value.trim());
  if ($('user').value.trim()) params.set('user_id', $('user').value.trim());
  if ($('k').value) params.set('k', $('k').value);
  if ($('radius').value) params.set('radius_km', $('radius').value);
  if (state.position) {
    params.set('lat', state.position[0].toFixed(6));
    params.set('lon', state.position[1].toFixed(6));
  }
  if (token()) localStorage.setItem('locus-token', token());
  setStatus('asking…');
  const r = await api('/recommend?' + params);
  let answer;
  try { answer = r.json(); } catch (e) { setStatus(`HTTP ${r.status}: ${r.text}`, true); return; }
  const ol = $('answers');
  ol.innerHTML = '';
  state.answerIds = new Set();
  if (answer.status !== 'ok') {
    setStatus(answer.error || `HTTP ${r.status}`, true);
    for (const s of answer.suggestions || []) {
      const a = document.createElement('span');
      a.className = 'suggest';
      a.textContent = s;
      a.addEventListener('click', () => choose(s));
      $('status').appendChild(document.createTextNode(' ')).after(a);
    }
    draw();
    return;
  }
  setStatus(`${answer.items.length} places for ${answer.activity} in ${answer.took_ms.toFixed(1)} ms`);
  for (const item of answer.items) {
    state.answerIds.add(item.place_id);
    const li = document.createElement('li');
    li.dataset.placeId = item.place_id;
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = item.name || item.place_id;
    const meta = document.createElement('span');
    meta.className = 'meta';
    meta.textContent = `score ${item.score.toFixed(3)}` +
      (item.distance_km !== undefined ? ` · ${item.distance_km.toFixed(2)} km` : '');
    const reasons = document.createElement('div');
    reasons.className = 'reasons';
    reasons.textContent = (item.reasons || []).join(' · ');
    li.append(name, meta, reasons);
    ol.appendChild(li);
  }
  draw();
}
$('ask').addEventListener('submit', (e) => { e.preventDefault(); showSuggestions([]); ask(); });

// ---- live counter ------------------------------------------------------------------------
function sumSamples(text, name) {
  let total = 0, found = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    total += parseFloat(line.slice(line.lastIndexOf(' ') + 1));
    found = true;
  }
  return found ? total : null;
}
async function poll() {
  try {
    const r = await api('/metrics');
    if (r.status === 200) {
      const now = performance.now();
      const events = sumSamples(r.text, 'locus_events_total');
      if (state.lastEvents && events !== null) {
        const rate = (events - state.lastEvents.n) / ((now - state.lastEvents.t) / 1000);
        $('rate').textContent = Math.max(0, rate).toFixed(1);
      }
      if (events !== null) state.lastEvents = { n: events, t: now };
      const applied = sumSamples(r.text, 'locus_model_events_applied');
      if (applied !== null) $('applied').textContent = applied.toLocaleString('en');
      const m = r.text.match(/locus_model_info\{model_version="([^"]*)"\}/);
      if (m) $('model').textContent = m[1];
    }
  } catch (e) { /* the server restarts; try again */ }
  setTimeout(poll, 2000);
}

// ---- start -------------------------------------------------------------------------------
(function start() {
  const q = new URLSearchParams(location.search);
  if (q.get('token')) localStorage.setItem('locus-token', q.get('token'));
  $('token').value = localStorage.getItem('locus-token') || '';
  if (q.get('user_id')) $('user').value = q.get('user_id');
  draw();
  loadPlaces();
  poll();
  if (q.get('activity')) {
    $('activity').value = q.get('activity');
    ask();
  }
})();
