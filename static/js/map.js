/* The map page (一张图): community polygons coloured by a measure, report points clustered, cards.
   Reads its settings from <script id="map-config" type="application/json"> (fieldcheck/map/views.py) and
   its data from /api/v1/map/communities and /api/v1/map/reports. No inline styles in markup: Leaflet's
   own positioning goes through element.style, which the Content-Security-Policy allows. */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("map-config").textContent);
  var T = cfg.text;
  var form = document.getElementById("map-filters");
  var statusBox = document.getElementById("map-status");
  var card = document.getElementById("map-card");
  var cardBody = document.getElementById("map-card-body");
  var legend = document.getElementById("map-legend");
  var LABEL_ZOOM = 14;

  // ---- GCJ-02 for 高德/腾讯 tiles (the same transform as fieldcheck/map/datum.py), display only.
  var A = 6378245.0, EE = 0.00669342162296594323, PI = Math.PI;
  function outOfChina(lon, lat) { return !(lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271); }
  function wgs84ToGcj02(lon, lat) {
    if (outOfChina(lon, lat)) return [lon, lat];
    var x = lon - 105.0, y = lat - 35.0;
    var common = (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    var dLat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x)) + common;
    dLat += (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0;
    dLat += (160.0 * Math.sin(y / 12.0 * PI) + 320.0 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
    var dLon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x)) + common;
    dLon += (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0;
    dLon += (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
    var radLat = lat / 180.0 * PI;
    var magic = 1 - EE * Math.sin(radLat) * Math.sin(radLat);
    var sqrtMagic = Math.sqrt(magic);
    dLat = (dLat * 180.0) / ((A * (1 - EE)) / (magic * sqrtMagic) * PI);
    dLon = (dLon * 180.0) / (A / sqrtMagic * Math.cos(radLat) * PI);
    return [lon + dLon, lat + dLat];
  }
  window.fieldcheckDatum = { wgs84ToGcj02: wgs84ToGcj02 };  // for the tests
  var gcj = cfg.tiles && cfg.tiles_datum === "gcj02";
  function toLatLng(lon, lat) {
    if (gcj) { var p = wgs84ToGcj02(lon, lat); return L.latLng(p[1], p[0]); }
    return L.latLng(lat, lon);
  }

  // ---- The map
  var map = L.map("map", { zoomSnap: 0.5, maxZoom: 19, attributionControl: !!cfg.tiles, preferCanvas: false });
  if (cfg.tiles) {
    L.tileLayer(cfg.tiles, { maxZoom: 18, attribution: cfg.tiles_attribution || "" }).addTo(map);
  }
  map.setView([34.6, 112.4], 12);  // replaced by the communities' bounds once they arrive
  var communities = L.geoJSON(null, {
    coordsToLatLng: function (c) { return toLatLng(c[0], c[1]); },
    style: polygonStyle,
    onEachFeature: function (feature, layer) {
      layer.on("click", function () { showCommunity(feature.properties); });
    },
  }).addTo(map);
  var labels = L.layerGroup().addTo(map);
  var points = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 50, chunkedLoading: true });
  map.addLayer(points);

  function updateLabels() {
    var on = map.getZoom() >= LABEL_ZOOM;
    map.getContainer().classList.toggle("labels-off", !on);
  }
  map.on("zoomend", updateLabels);

  // ---- Colours
  var RAMP = ["#1a9850", "#91cf60", "#d9ef8b", "#fee08b", "#fc8d59", "#d73027"];  // good -> bad
  var scale = null;
  function measure() { return (document.getElementById("measure") || {}).value || "open"; }
  function valueOf(props, m) {
    var v = props[m];
    if (v === null || v === undefined) return null;
    return typeof v === "string" ? parseFloat(v) : v;
  }
  function computeScale(features) {
    var m = measure(), vals = [];
    features.forEach(function (f) { var v = valueOf(f.properties, m); if (v !== null && !isNaN(v)) vals.push(v); });
    if (!vals.length) return { m: m, min: 0, max: 0, empty: true };
    return { m: m, min: Math.min.apply(null, vals), max: Math.max.apply(null, vals), empty: false };
  }
  function colourOf(props) {
    if (!scale || scale.empty) return "#bdbdbd";
    var v = valueOf(props, scale.m);
    if (v === null || isNaN(v)) return "#bdbdbd";
    var t = scale.max === scale.min ? 0 : (v - scale.min) / (scale.max - scale.min);
    if (scale.m === "score") t = 1 - t;  // a higher score is better; a higher rank number, more items are worse
    if ((scale.m === "open" || scale.m === "overdue") && scale.max === 0) t = 0;
    return RAMP[Math.min(RAMP.length - 1, Math.floor(t * RAMP.length))];
  }
  function polygonStyle(feature) {
    return { color: "#37474f", weight: 1.5, fillColor: colourOf(feature.properties), fillOpacity: 0.55 };
  }
  function drawLegend() {
    legend.textContent = "";
    var title = document.createElement("strong");
    title.textContent = T[scale.m] + ":";
    legend.appendChild(title);
    if (scale.empty) { legend.appendChild(document.createTextNode(" " + T.none)); return; }
    var lo = scale.m === "score" ? scale.max : scale.min, hi = scale.m === "score" ? scale.min : scale.max;
    legend.appendChild(document.createTextNode(" " + fmt(lo) + " (" + T.better + ")"));
    RAMP.forEach(function (c) {
      var sw = document.createElement("span");
      sw.className = "sw";
      sw.style.background = c;
      legend.appendChild(sw);
    });
    legend.appendChild(document.createTextNode(fmt(hi) + " (" + T.worse + ")"));
  }
  function fmt(v) { return Math.round(v * 100) / 100 + ""; }

  // ---- Loading
  function say(text) { statusBox.textContent = text || ""; statusBox.hidden = !text; }
  function params() {
    var fd = new FormData(form), q = new URLSearchParams();
    q.set("month", fd.get("month") || cfg.month);
    var statuses = fd.getAll("status");
    if (statuses.length) q.set("status", statuses.join(","));
    ["category", "item", "found_by"].forEach(function (k) { if (fd.get(k)) q.set(k, fd.get(k)); });
    if (fd.get("overdue")) q.set("overdue", "1");
    return q;
  }
  function getJSON(url, signal) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, signal: signal })
      .then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) throw new Error((body && body.error && body.error.message) || r.status);
          return body;
        });
      });
  }

  var communityData = [];
  var fitted = false;
  function loadCommunities() {
    var month = params().get("month");
    return getJSON(cfg.communities_url + "?month=" + encodeURIComponent(month)).then(function (fc) {
      communityData = fc.features;
      communities.clearLayers();
      labels.clearLayers();
      scale = computeScale(communityData);
      communities.addData(fc);
      communityData.forEach(function (f) {
        var c = f.properties.centroid;
        L.tooltip({ permanent: true, direction: "center", className: "map-label", interactive: false })
          .setLatLng(toLatLng(c[0], c[1])).setContent(f.properties.name).addTo(labels);
      });
      drawLegend();
      if (!fitted && communityData.length) {
        map.fitBounds(communities.getBounds(), { padding: [8, 8], animate: false });
        fitted = true;
      }
      updateLabels();
      document.getElementById("map").setAttribute("data-communities", String(communityData.length));
    }).catch(function (e) { say(T.failed.replace("{reason}", e.message)); });
  }
  function restyle() {
    scale = computeScale(communityData);
    communities.setStyle(polygonStyle);
    drawLegend();
  }

  var pending = null, timer = null;
  function loadReports() {
    clearTimeout(timer);
    if (pending) pending.abort();
    pending = window.AbortController ? new AbortController() : null;
    var box = document.getElementById("map"), mine = pending;
    box.setAttribute("data-loading", "1");
    var q = params(), b = map.getBounds();
    var pad = gcj ? 0.01 : 0;  // the displayed shift is under a kilometre: widen the WGS-84 box by as much
    q.set("bbox", [b.getWest() - pad, b.getSouth() - pad, b.getEast() + pad, b.getNorth() + pad]
      .map(function (v, i) { return Math.max(i % 2 ? -90 : -180, Math.min(i % 2 ? 90 : 180, v)).toFixed(6); })
      .join(","));
    return getJSON(cfg.reports_url + "?" + q.toString(), pending && pending.signal).then(function (fc) {
      points.clearLayers();
      var markers = fc.features.map(function (f) {
        var p = f.properties, c = f.geometry.coordinates;
        var icon = L.divIcon({ className: "pt pt-" + p.status + (p.overdue ? " pt-overdue" : ""), iconSize: [16, 16] });
        var m = L.marker(toLatLng(c[0], c[1]), { icon: icon, title: p.item_code, keyboard: true });
        m.on("click", function () { showReport(p.id); });
        return m;
      });
      points.addLayers(markers);
      box.setAttribute("data-reports", String(markers.length));
      say(fc.truncated ? T.truncated.replace("{n}", fc.limit) : "");
    }).catch(function (e) { if (e.name !== "AbortError") say(T.failed.replace("{reason}", e.message)); })
      .then(function () { if (pending === mine) box.removeAttribute("data-loading"); });
  }
  map.on("moveend", function () { clearTimeout(timer); timer = setTimeout(loadReports, 250); });

  // ---- Cards
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function row(dl, term, value) { dl.appendChild(el("dt", term)); dl.appendChild(el("dd", value)); }
  function link(href, text, id) { var a = el("a", text); a.href = href; if (id) a.id = id; return a; }
  function openCard(nodes, kind) {
    cardBody.textContent = "";
    nodes.forEach(function (n) { cardBody.appendChild(n); });
    card.setAttribute("data-kind", kind);
    card.hidden = false;
    card.scrollIntoView({ block: "nearest" });
  }
  document.getElementById("map-card-close").addEventListener("click", function () { card.hidden = true; });

  function showCommunity(p) {
    var month = params().get("month");
    var dl = el("dl");
    row(dl, T.subdistrict, p.subdistrict_name || p.subdistrict_code);
    if (cfg.ranking) {
      row(dl, T.score, p.score === null ? "—" : fmt(parseFloat(p.score)));
      row(dl, T.rank, p.rank === null ? "—" : String(p.rank));
    }
    row(dl, T.open, String(p.open));
    row(dl, T.overdue, String(p.overdue));
    var links = el("p", null, "links");
    if (cfg.breakdown_page) {
      links.appendChild(link(cfg.breakdown_page.replace("{month}", month).replace("{code}", encodeURIComponent(p.code)), T.breakdown, "card-breakdown"));
    }
    if (cfg.items_page) links.appendChild(link(cfg.items_page.replace("{code}", encodeURIComponent(p.code)), T.items, "card-items"));
    openCard([el("h2", p.name + " (" + p.code + ")"), dl, links], "community");
  }

  function statusName(code) {
    var s = cfg.filters.statuses.filter(function (x) { return x.code === code; })[0];
    return s ? s.name : code;
  }
  function localTime(iso) {
    if (!iso) return T.no_deadline;
    var d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleString(document.documentElement.lang || undefined,
      { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
  }
  function showReport(id) {
    openCard([el("p", T.loading, "muted")], "report");
    getJSON(cfg.report_api.replace("{id}", id)).then(function (r) {
      var nodes = [el("h2", "#" + r.id + " " + r.item.code + " " + (document.documentElement.lang === "en" ? r.item.name_en || r.item.name_zh : r.item.name_zh))];
      var before = (r.photos || []).filter(function (ph) { return ph.kind === "before"; })[0];
      if (before) { var img = el("img"); img.src = before.urls.thumb; img.alt = ""; img.loading = "lazy"; nodes.push(img); }
      var dl = el("dl");
      row(dl, T.status, statusName(r.status) + (r.overdue ? " · " + T.overdue_mark : ""));
      row(dl, T.deadline, localTime(r.due_at));
      row(dl, T.observed, localTime(r.observed_at));
      if (r.community) row(dl, T.subdistrict, r.community.subdistrict.name + " · " + r.community.name);
      nodes.push(dl);
      var links = el("p", null, "links");
      // The report page's "back to the list" leads back to the map as filtered now.
      var back = "?back=" + encodeURIComponent(location.pathname + location.search);
      links.appendChild(link(cfg.report_page.replace("{id}", r.id) + back, T.report, "card-report"));
      nodes.push(links);
      openCard(nodes, "report");
    }).catch(function (e) { openCard([el("p", T.failed.replace("{reason}", e.message), "error")], "report"); });
  }

  // ---- Filters: applied in place; the address keeps them so a reload or a shared link shows the same.
  function remember() {
    var q = params();
    q.set("measure", measure());
    history.replaceState(null, "", location.pathname + "?" + q.toString());
  }
  function restore() {
    var q = new URLSearchParams(location.search);
    (q.get("status") || "").split(",").forEach(function (s) {
      var box = form.querySelector('input[name=status][value="' + s + '"]');
      if (box) box.checked = true;
    });
    ["category", "item", "found_by", "measure"].forEach(function (k) {
      var field = form.elements[k];
      if (field && q.get(k)) field.value = q.get(k);
    });
    if (q.get("overdue") === "1") form.elements.overdue.checked = true;
  }
  form.addEventListener("submit", function (e) { e.preventDefault(); remember(); loadReports(); });
  form.addEventListener("change", function (e) {
    remember();
    if (e.target.name === "measure") { restyle(); return; }
    if (e.target.name === "month") loadCommunities();
    loadReports();
  });

  restore();
  updateLabels();
  loadCommunities().then(loadReports);
})();
