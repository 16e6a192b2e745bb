/* fieldcheck capture page: photos, the phone's position and its community, item search, sending.
 * Enhances the plain form of templates/reports/capture.html, which works without it. No framework or
 * build step. Every text shown comes from the #capture-text JSON block, translated on the server. */
(function () {
  'use strict';
  var form = document.getElementById('report-form');
  var textBlock = document.getElementById('capture-text');
  if (!form || !textBlock) return;
  var T = JSON.parse(textBlock.textContent);
  var f = form.elements;
  var GOOD_M = 20;          // stop watching once the fix is this good
  var POOR_M = 50;          // above this the dot turns amber
  var STALE_MS = 120000;    // an older fix gives way to any new one
  var sending = false;
  form.classList.add('enhanced');

  function $(id) { return document.getElementById(id); }
  function each(list, fn) { Array.prototype.forEach.call(list, fn); }

  /* ---- Photos: both pickers feed one list, kept in the camera input so that one field is sent. */
  var camera = $('photo-camera'), album = $('photo-album'), thumbs = $('thumbs');
  var maxPhotos = +camera.getAttribute('data-max') || 9;
  var files = [], urls = [];
  var canSetFiles = (function () {
    try { return typeof new DataTransfer().items.add === 'function'; } catch (e) { return false; }
  })();

  if (album) {
    album.disabled = false;
    album.parentNode.hidden = false;
  }

  function chosenFiles() {
    if (canSetFiles) return files;
    return Array.prototype.slice.call(camera.files).concat(album ? Array.prototype.slice.call(album.files) : []);
  }

  function onPick(event) {
    if (canSetFiles) {
      each(event.target.files, function (file) {
        if (!files.some(function (g) {
          return g.name === file.name && g.size === file.size && g.lastModified === file.lastModified;
        })) files.push(file);
      });
      syncFiles();
    } else if (album) {
      camera.required = !album.files.length;
    }
    render();
    watch();   // the photo is the moment that counts: refresh the position if it is old
  }

  function syncFiles() {
    var dt = new DataTransfer();
    files.forEach(function (file) { dt.items.add(file); });
    camera.files = dt.files;
    if (album) album.value = '';
  }

  function render() {
    urls.forEach(function (u) { URL.revokeObjectURL(u); });
    urls = [];
    thumbs.textContent = '';
    var list = chosenFiles();
    list.forEach(function (file, i) {
      var fig = document.createElement('figure');
      var img = document.createElement('img');
      var url = URL.createObjectURL(file);
      urls.push(url);
      img.src = url;
      img.alt = '';
      img.decoding = 'async';
      img.onerror = function () { fig.className = 'noimg'; };
      fig.appendChild(img);
      if (canSetFiles) {
        var rm = document.createElement('button');
        rm.type = 'button';
        rm.className = 'rm';
        rm.setAttribute('aria-label', T.remove);
        rm.onclick = function () { files.splice(i, 1); syncFiles(); render(); };
        fig.appendChild(rm);
      }
      thumbs.appendChild(fig);
    });
    camera.setCustomValidity(list.length > maxPhotos ? T.too_many : '');
  }

  camera.addEventListener('change', onPick);
  if (album) album.addEventListener('change', onPick);

  /* ---- Location: the best fix of navigator.geolocation, and the community it falls in. */
  var loc = $('loc'), locText = $('loc-text'), picker = f.community;
  var locateUrl = form.getAttribute('data-locate-url');
  var best = null, watchId = null, geoError = null;
  // located: the community (API JSON), false when outside all, null when the look-up failed, undefined before.
  var located, lookingUp = false, lookedUp = null;

  function watch() {
    if (watchId !== null || sending || geoError === 'denied' || !navigator.geolocation) return;
    if (best && best.accuracy <= GOOD_M && Date.now() - best.at < STALE_MS) return;
    watchId = navigator.geolocation.watchPosition(onFix, onGeoError,
      { enableHighAccuracy: true, maximumAge: 0, timeout: 20000 });
  }

  function stopWatch() {
    if (watchId !== null) navigator.geolocation.clearWatch(watchId);
    watchId = null;
  }

  function onFix(pos) {
    var c = pos.coords, now = Date.now();
    if (best && !recalled && c.accuracy >= best.accuracy && now - best.at < STALE_MS) return;
    best = { lat: c.latitude, lon: c.longitude, accuracy: c.accuracy, at: now };
    geoError = null;
    recalled = false;
    remember();
    f.lat.value = best.lat.toFixed(7);
    f.lon.value = best.lon.toFixed(7);
    f.accuracy_m.value = Math.round(best.accuracy * 10) / 10;
    setSource();
    if (best.accuracy <= GOOD_M) stopWatch();
    lookUp();
    show();
  }

  function onGeoError(err) {
    if (err.code === 1) stopWatch();   // PERMISSION_DENIED: asking again will not help
    if (best) return;                   // keep the fix we have
    geoError = err.code === 1 ? 'denied' : 'unavailable';
    show();
  }

  // Metres between two fixes (equirectangular: good enough here).
  function distance(a, b) {
    var k = Math.PI / 180, x = (b.lon - a.lon) * k * Math.cos((a.lat + b.lat) / 2 * k), y = (b.lat - a.lat) * k;
    return Math.sqrt(x * x + y * y) * 6371000;
  }

  function lookUp() {
    if (lookingUp || !best || !locateUrl) return;
    if (lookedUp && located !== null && distance(lookedUp, best) < 15) return;
    var q = best;
    lookingUp = true;
    fetch(locateUrl + '?lat=' + q.lat.toFixed(7) + '&lon=' + q.lon.toFixed(7),
      { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) { located = data.community || false; lookedUp = q; remember(); })
      .catch(function () { located = null; })   // offline: the server finds the community on arrival
      .then(function () {
        lookingUp = false;
        show();
        if (best !== q) lookUp();
      });
  }

  // Without a fix and a hand-picked community, "exif": the server reads the photo's GPS, if any.
  function setSource() {
    f.location_source.value = picker.value ? 'manual' : best ? 'device' : 'exif';
  }

  function show() {
    var state, text;
    if (picker.value) {
      state = 'manual';
      text = T.manual;
    } else if (best) {
      state = best.accuracy <= POOR_M ? 'good' : 'poor';
      text = (recalled ? T.ago.replace('{min}', Math.round((Date.now() - best.at) / 60000)) + ', ' : '') +
        T.accuracy.replace('{m}', Math.round(best.accuracy)) + ' · ' +
        (located ? located.name : located === false ? T.outside : located === null ? T.offline : T.checking);
    } else if (geoError || !navigator.geolocation) {
      state = 'none';
      text = T[geoError || 'unavailable'];
    } else {
      state = 'wait';
      text = T.locating;
    }
    loc.setAttribute('data-state', state);
    locText.textContent = text;
    markLikelyItems();
    filterSpots(picker.value || (located && located.code) || '');
  }

  /* ---- Spots: the registry's active spots, [code, name, type, community, lat, lon], from the address the
   * page names (kept offline by the service worker); the nearest first when the position is known, then
   * those of the chosen or located community. */
  var spotPick = f.spot, spots = [], shownSpots = null, NEAR_M = 1000;
  function filterSpots(code) {
    if (!spotPick || !spots.length) return;
    var list = spots.filter(function (s) { return !code || s[3] === code; });
    var near = !best ? [] : (picker.value ? list : spots).map(function (s) {
      return [s[4] === null ? Infinity : distance(best, { lat: s[4], lon: s[5] }), s];
    }).filter(function (p) { return p[0] < NEAR_M; }).sort(function (a, b) { return a[0] - b[0]; }).slice(0, 8);
    var key = code + '|' + near.map(function (p) { return p[1][0]; }).join();
    if (key === shownSpots) return;
    shownSpots = key;
    var value = spotPick.value, group = document.createElement('optgroup'), taken = {};
    while (spotPick.options.length > 1) spotPick.remove(1);
    each(spotPick.querySelectorAll('optgroup'), function (g) { g.remove(); });
    function add(parent, s, m) {
      var o = new Option(s[1] + (m < Infinity ? ' · ' + Math.round(m) + ' m' : ''), s[0]);
      o.setAttribute('data-type', s[2]);
      parent.appendChild(o);
      taken[s[0]] = 1;
    }
    group.label = T.nearby;
    near.forEach(function (p) { add(group, p[1], p[0]); });
    if (near.length) spotPick.appendChild(group);
    list.forEach(function (s) { if (!taken[s[0]]) add(spotPick, s, Infinity); });
    spotPick.value = value;
    if (spotPick.value !== value) spotPick.value = '';
  }
  if (spotPick && spotPick.getAttribute('data-url')) {
    fetch(spotPick.getAttribute('data-url'), { credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) { if (d && d.spots) { spots = d.spots; show(); } })
      .catch(function () {});   // offline and never kept: no spot to offer
    spotPick.addEventListener('change', markLikelyItems);
  }

  picker.addEventListener('change', function () { setSource(); show(); });

  /* ---- Items: search, spot types of the community, the chosen item, one category open at a time. */
  var search = $('item-search'), noMatch = $('no-match'), chosen = $('chosen');
  var items = form.querySelectorAll('.item'), cats = form.querySelectorAll('details.category');
  var savedOpen = null;

  function spotTypes() {
    var spot = spotPick && spotPick.value && spotPick.options[spotPick.selectedIndex];
    if (spot && spot.getAttribute('data-type')) return [spot.getAttribute('data-type')];
    var opt = picker.value && picker.options[picker.selectedIndex];
    if (opt) return (opt.getAttribute('data-spots') || '').split(' ').filter(Boolean);
    return located && located.spot_types ? located.spot_types : [];
  }

  // Dim the items of spot types the chosen spot, or else the community, does not have (still selectable:
  // boundaries can be wrong).
  function markLikelyItems() {
    var have = spotTypes();
    each(items, function (label) {
      var spots = (label.getAttribute('data-spots') || '').split(' ').filter(Boolean);
      var off = have.length > 0 && spots.length > 0 && !spots.some(function (s) { return have.indexOf(s) >= 0; });
      label.classList.toggle('off', off);
    });
  }

  function filter() {
    var words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean), shown = 0;
    if (words.length && !savedOpen) savedOpen = Array.prototype.map.call(cats, function (d) { return d.open; });
    each(items, function (label) {
      var s = label.getAttribute('data-search') || '';
      label.hidden = !words.every(function (w) { return s.indexOf(w) >= 0; });
      if (!label.hidden) shown++;
    });
    each(cats, function (d, i) {
      var any = !!d.querySelector('.item:not([hidden])');
      d.hidden = !any;
      if (words.length) d.open = any;
      else if (savedOpen) d.open = savedOpen[i];
    });
    if (!words.length) savedOpen = null;
    noMatch.hidden = shown > 0;
  }

  search.hidden = false;
  search.addEventListener('input', filter);
  search.addEventListener('keydown', function (e) {
    if (e.key !== 'Enter') return;
    e.preventDefault();   // Enter here must not send the report
    var visible = form.querySelectorAll('.item:not([hidden]) input');
    if (visible.length === 1) { visible[0].checked = true; onItem(); }
  });

  each(cats, function (d) {
    d.addEventListener('toggle', function () {
      if (!d.open || savedOpen) return;   // while searching, every match stays open
      each(cats, function (other) { if (other !== d) other.open = false; });
    });
  });

  function onItem() {
    var input = form.querySelector('input[name=item_code]:checked');
    var span = input && input.parentNode.querySelector('span');
    chosen.hidden = !span;
    if (span) chosen.textContent = span.textContent;
  }
  form.addEventListener('change', function (e) { if (e.target.name === 'item_code') onItem(); });

  // A required item inside a closed category cannot be focused: open it so the browser can say why.
  form.addEventListener('invalid', function (e) {
    var d = e.target.closest && e.target.closest('details');
    if (d && !d.open && e.target.name === 'item_code') {
      d.open = true;
      d.hidden = false;
    }
  }, true);

  // Start with every category closed (the list of categories fits a phone), unless an item is chosen.
  if (!form.querySelector('.item input:checked')) each(cats, function (d) { d.open = false; });

  /* ---- Sending: every report goes to the phone's queue first (static/js/queue.js), then to the server.
   * Without IndexedDB (or when keeping fails and the phone is online) the browser posts the form itself. */
  var saved = $('saved'), visitButton = $('visit'), lastButton = null, busy = false, fixing = null;

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16)), h = [];
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    for (var i = 0; i < 16; i++) h.push((b[i] + 256).toString(16).slice(1));
    return h.slice(0, 4).join('') + '-' + h.slice(4, 6).join('') + '-' + h.slice(6, 8).join('') + '-' +
      h.slice(8, 10).join('') + '-' + h.slice(10).join('');
  }

  // A copy served by the service worker carries an old client_id: every opened form gets its own
  // (but a form shown again after the server refused it keeps its id, so a retry is the same report).
  if (window.FCQ && !$('form-error')) f.client_id.value = newId();

  var EXT = { 'image/jpeg': '.jpg', 'image/png': '.png', 'image/webp': '.webp', 'image/heic': '.heic', 'image/heif': '.heif' };

  // The queued record: the form's fields, and the photos as Blobs renamed uniquely (iOS calls every shot image.jpg).
  function collect(visit) {
    var id = f.client_id.value, fields = { client_id: id, observed_at: new Date().toISOString() };
    var names = ['lat', 'lon', 'accuracy_m', 'location_source', 'community', 'spot', 'note'];
    if (!visit) names.push('item_code', 'instances');
    names.forEach(function (name) {
      var field = f[name];
      var value = field && (field.value !== undefined ? field.value : '');
      if (name === 'item_code') value = (form.querySelector('input[name=item_code]:checked') || {}).value || '';
      fields[name] = value || '';
    });
    var list = visit ? [] : chosenFiles();
    return Promise.all(list.map(function (file) { return file.arrayBuffer(); })).then(function (buffers) {
      return {
        client_id: id,
        kind: visit ? 'visit' : 'report',
        url: form.getAttribute(visit ? 'data-visit-url' : 'data-report-url'),
        user: FCQ.user,
        created: Date.now(),
        label: visit ? T.visit : chosen.textContent,
        fields: fields,
        photos: buffers.map(function (buf, i) {
          var type = list[i].type || 'image/jpeg';
          return { name: id.slice(0, 8) + '-' + (i + 1) + (EXT[type] || ''), type: type, blob: new Blob([buf], { type: type }) };
        }),
      };
    });
  }

  // Ready for the next report: a new client_id, no photos, no item; the place stays (same stairwell).
  function reset() {
    f.client_id.value = newId();
    files = [];
    if (canSetFiles) syncFiles();
    else { camera.value = ''; if (album) album.value = ''; }
    render();
    each(form.querySelectorAll('input[name=item_code]:checked'), function (r) { r.checked = false; });
    f.note.value = '';
    f.instances.value = 1;
    search.value = '';
    filter();
    onItem();
    delete form.dataset.dirty;
    fixing = null;
  }

  function say(text, bad) {
    saved.textContent = text;
    saved.className = bad ? 'error card' : 'flash';
    saved.setAttribute('role', bad ? 'alert' : 'status');
    saved.hidden = false;
    window.scrollTo(0, 0);
  }

  function queue(visit) {
    busy = true;
    var replaced = fixing;
    collect(visit).then(function (item) {
      return FCQ.add(item).then(function () {
        if (replaced && replaced !== item.client_id) FCQ.del(replaced);
        say(T.queued.replace('{item}', item.label));
        reset();
        watch();
      });
    }).catch(function (err) {
      // No IndexedDB here (a private window, a full disk): with a connection, post the form as it is.
      if (navigator.onLine) return post(visit);
      say(T.not_kept.replace('{reason}', (err && err.name) || String(err)), true);
    }).then(function () { busy = false; });
  }

  function post(visit) {
    if (visit) form.action = visitButton.formAction;
    f.observed_at.value = new Date().toISOString();
    each(form.querySelectorAll('input[type=file]'), function (input) {
      if (!input.files.length || visit) input.disabled = true;
    });
    sending = true;
    HTMLFormElement.prototype.submit.call(form);
  }

  form.addEventListener('click', function (e) {
    var b = e.target.closest && e.target.closest('button[type=submit]');
    if (b) lastButton = b;
  });
  // Touched forms are never reloaded under the inspector (a newer page waits for the next visit); a tap
  // counts, since the camera may be open when the newer page arrives.
  ['input', 'pointerdown', 'focusin'].forEach(function (type) {
    form.addEventListener(type, function () { form.dataset.dirty = '1'; });
  });
  form.addEventListener('submit', function (e) {
    var visit = (e.submitter || lastButton) === visitButton;
    lastButton = null;
    if (!window.FCQ || !window.indexedDB) { send(form, e, visit); return; }
    e.preventDefault();
    if (busy) return;
    stopWatch();
    queue(visit);
  });

  // Without the queue: complete the form and let the browser post it (a full-page POST).
  function send(target, event, visit) {
    if (sending) { event.preventDefault(); return; }
    sending = true;
    stopWatch();
    target.elements.observed_at.value = new Date().toISOString();
    each(target.querySelectorAll('input[type=file]'), function (input) {
      if (!input.files.length || visit) input.disabled = true;   // an empty file field would arrive as an empty photo
    });
    var button = visit ? visitButton : target.querySelector('[type=submit]');
    // Disabled after the browser has built the form data.
    setTimeout(function () { button.disabled = true; button.textContent = T.sending; }, 0);
  }

  // Back to a page already sent (bfcache): load a fresh one with a new client_id.
  window.addEventListener('pageshow', function (e) { if (e.persisted && sending) location.reload(); });

  // "Fix" on a report the server refused: back into the form, to correct and submit again.
  function loadFix(id) {
    FCQ.get(id).then(function (item) {
      if (!item) return;
      fixing = id;
      // A 409 means the server holds other content under this client_id: the corrected report needs its own.
      f.client_id.value = item.status === 409 ? newId() : id;
      var v = item.fields;
      ['lat', 'lon', 'accuracy_m', 'location_source', 'community', 'spot', 'note', 'instances'].forEach(function (name) {
        if (f[name] && v[name] !== undefined) f[name].value = v[name];
      });
      var radio = form.querySelector('.item input[value="' + (v.item_code || '').replace(/"/g, '') + '"]');
      if (radio) { radio.checked = true; radio.closest('details').open = true; }
      if (canSetFiles) {
        files = item.photos.map(function (p) { return new File([FCQ.blobOf(p)], p.name, { type: p.type }); });
        syncFiles();
      }
      if (v.lat && v.lon) best = { lat: +v.lat, lon: +v.lon, accuracy: +v.accuracy_m || 9999, at: Date.now() - STALE_MS };
      render();
      onItem();
      setSource();
      show();
      form.dataset.dirty = '1';
      say(T.fixing + ' ' + item.error, true);
    });
  }
  function onHash() {
    var m = /^#fix=([0-9a-f-]{36})$/.exec(location.hash);
    if (m && window.FCQ) loadFix(m[1]);
  }
  window.addEventListener('hashchange', onHash);

  /* ---- The last position, kept for a page opened offline (a basement gets no fix). */
  var LAST = 'fieldcheck-position', LAST_MAX_MS = 30 * 60000;
  function remember() {
    try {
      localStorage.setItem(LAST, JSON.stringify({ fix: best, located: located === undefined ? null : located, near: lookedUp }));
    } catch (e) { /* private mode or full: not worth a warning */ }
  }
  function recall() {
    try {
      var last = JSON.parse(localStorage.getItem(LAST) || 'null');
      if (!last || !last.fix || Date.now() - last.fix.at > LAST_MAX_MS) return;
      best = last.fix;
      recalled = true;
      if (last.located !== null && last.near) { located = last.located; lookedUp = last.near; }
      f.lat.value = best.lat.toFixed(7);
      f.lon.value = best.lon.toFixed(7);
      f.accuracy_m.value = Math.round(best.accuracy * 10) / 10;
    } catch (e) { /* ignore a damaged entry */ }
  }
  var recalled = false;

  // A page re-rendered after an error carries the last position: keep it until a new fix arrives.
  if (f.lat.value && f.lon.value && f.location_source.value !== 'exif') {
    best = { lat: +f.lat.value, lon: +f.lon.value, accuracy: +f.accuracy_m.value || 9999, at: Date.now() - STALE_MS };
    lookUp();
  } else {
    f.lat.value = f.lon.value = f.accuracy_m.value = '';
    recall();
    if (best && located === undefined) lookUp();
  }
  setSource();
  onItem();
  show();
  watch();
  onHash();
})();
