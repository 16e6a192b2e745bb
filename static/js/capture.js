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
    if (best && c.accuracy >= best.accuracy && now - best.at < STALE_MS) return;
    best = { lat: c.latitude, lon: c.longitude, accuracy: c.accuracy, at: now };
    geoError = null;
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
      .then(function (data) { located = data.community || false; lookedUp = q; })
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
      text = T.accuracy.replace('{m}', Math.round(best.accuracy)) + ' · ' +
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

  // Offer only the spots of the chosen (or located) community.
  var spotPick = f.spot;
  function filterSpots(code) {
    if (!spotPick) return;
    [].forEach.call(spotPick.querySelectorAll('optgroup'), function (g) {
      var other = code && g.getAttribute('data-community') !== code;
      g.hidden = !!other;
      g.disabled = !!other;
    });
    var sel = spotPick.selectedOptions && spotPick.selectedOptions[0];
    if (sel && sel.parentNode.disabled) spotPick.value = '';
  }

  picker.addEventListener('change', function () { setSource(); show(); });

  /* ---- Items: search, spot types of the community, the chosen item, one category open at a time. */
  var search = $('item-search'), noMatch = $('no-match'), chosen = $('chosen');
  var items = form.querySelectorAll('.item'), cats = form.querySelectorAll('details.category');
  var savedOpen = null;

  function spotTypes() {
    var opt = picker.value && picker.options[picker.selectedIndex];
    if (opt) return (opt.getAttribute('data-spots') || '').split(' ').filter(Boolean);
    return located && located.spot_types ? located.spot_types : [];
  }

  // Dim the items of spot types the community does not have (still selectable: boundaries can be wrong).
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

  /* ---- Sending: every way out of this page goes through send(). */
  // Today it completes the form and lets the browser post it (a full-page POST). The offline queue
  // (a later issue) will store the form data in IndexedDB here first and post it from there.
  function send(target, event) {
    if (sending) { event.preventDefault(); return; }
    sending = true;
    stopWatch();
    target.elements.observed_at.value = new Date().toISOString();
    each(target.querySelectorAll('input[type=file]'), function (input) {
      if (!input.files.length) input.disabled = true;   // an empty file field would arrive as an empty photo
    });
    var button = target.querySelector('[type=submit]');
    // Disabled after the browser has built the form data.
    setTimeout(function () { button.disabled = true; button.textContent = T.sending; }, 0);
  }

  form.addEventListener('submit', function (e) { send(form, e); });

  var visit = $('visit-form');
  if (visit) {
    visit.addEventListener('submit', function (e) {
      ['lat', 'lon', 'accuracy_m', 'location_source', 'community'].forEach(function (name) {
        visit.elements[name].value = f[name].value;
      });
      send(visit, e);
    });
  }

  // Back to a page already sent (bfcache): load a fresh one with a new client_id.
  window.addEventListener('pageshow', function (e) { if (e.persisted && sending) location.reload(); });

  // A page re-rendered after an error carries the last position: keep it until a new fix arrives.
  if (f.lat.value && f.lon.value && f.location_source.value !== 'exif') {
    best = { lat: +f.lat.value, lon: +f.lon.value, accuracy: +f.accuracy_m.value || 9999, at: Date.now() - STALE_MS };
    lookUp();
  } else {
    f.lat.value = f.lon.value = f.accuracy_m.value = '';
  }
  setSource();
  onItem();
  show();
  watch();
})();
