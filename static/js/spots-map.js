/* The spot registry on the map: community outlines and the spots as clustered points with cards.
   Settings in <script id="spots-map-config" type="application/json"> (fieldcheck/spots/views.py); data
   from /admin/spots.geojson and /api/v1/map/communities. The datum shift for 高德/腾讯 tiles is
   static/js/datum.js, as on the map page. */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("spots-map-config").textContent);
  var T = cfg.text;
  var box = document.getElementById("map"), statusBox = document.getElementById("map-status");
  var gcj = cfg.tiles && cfg.tiles_datum === "gcj02";
  function toLatLng(lon, lat) {
    if (gcj) { var p = window.fieldcheckDatum.wgs84ToGcj02(lon, lat); return L.latLng(p[1], p[0]); }
    return L.latLng(lat, lon);
  }
  function say(text) { statusBox.textContent = text || ""; statusBox.hidden = !text; }
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) throw new Error((body && body.error && body.error.message) || r.status);
        return body;
      });
    });
  }
  function el(tag, text) { var e = document.createElement(tag); if (text) e.textContent = text; return e; }

  var map = L.map("map", { zoomSnap: 0.5, maxZoom: 19, attributionControl: !!cfg.tiles });
  if (cfg.tiles) L.tileLayer(cfg.tiles, { maxZoom: 18, attribution: cfg.tiles_attribution || "" }).addTo(map);
  map.setView([34.6, 112.4], 12);
  var outlines = L.geoJSON(null, {
    coordsToLatLng: function (c) { return toLatLng(c[0], c[1]); },
    style: function () { return { color: "#37474f", weight: 1, fillOpacity: 0.05 }; },
  }).addTo(map);
  var points = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 40 });
  map.addLayer(points);

  function card(p) {
    var div = el("div");
    div.appendChild(el("strong", p.name + " (" + p.code + ")"));
    div.appendChild(el("div", (cfg.types[p.type] || p.type) + " · " + p.community_name + (p.active ? "" : " · " + T.inactive)));
    if (p.responsible_unit) div.appendChild(el("div", T.unit + ": " + p.responsible_unit));
    if (p.contact) div.appendChild(el("div", T.contact + ": " + p.contact));
    if (cfg.edit_url) {
      var a = el("a", T.edit);
      a.href = cfg.edit_url.replace("CODE", encodeURIComponent(p.code));
      div.appendChild(a);
    }
    return div;
  }

  getJSON(cfg.communities_url).then(function (fc) { outlines.addData(fc); }).catch(function () {});
  getJSON(cfg.spots_url).then(function (fc) {
    var markers = fc.features.map(function (f) {
      var p = f.properties, c = f.geometry.coordinates;
      var icon = L.divIcon({ className: "pt spot-pt spot-" + p.type + (p.active ? "" : " spot-off"), iconSize: [14, 14] });
      return L.marker(toLatLng(c[0], c[1]), { icon: icon, title: p.name, keyboard: true }).bindPopup(card(p));
    });
    points.addLayers(markers);
    box.setAttribute("data-spots", String(markers.length));
    if (markers.length) map.fitBounds(points.getBounds(), { padding: [16, 16], animate: false, maxZoom: 17 });
    else say(T.none);
  }).catch(function (e) { say(T.failed.replace("{reason}", e.message)); });
})();
