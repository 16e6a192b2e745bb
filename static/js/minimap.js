/* The small maps of the workflow pages: a report's point with its accuracy circle, its photo's GPS point,
   and community outlines (the report's own, or the ones nearest an unassigned report, labelled with their
   distance). Settings and data in <script id="minimap-config" type="application/json">
   (fieldcheck/map/minimaps.py, templates/map/_minimap.html); no request of its own. Each map is drawn when
   it comes near the screen, so a queue of fifty costs only the maps looked at. */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("minimap-config").textContent);
  var T = cfg.text;
  var gcj = cfg.tiles && cfg.tiles_datum === "gcj02";
  function toLatLng(lon, lat) {
    if (gcj) { var p = window.fieldcheckDatum.wgs84ToGcj02(lon, lat); return L.latLng(p[1], p[0]); }
    return L.latLng(lat, lon);
  }
  function metres(d) {
    return d < 1000 ? T.m.replace("{n}", d) : T.km.replace("{n}", (d / 1000).toFixed(1));
  }

  // A tap on an outline picks that community's one-tap button (the tap on the button assigns).
  function pick(box, code) {
    var card = box.closest("article") || document;
    var button = card.querySelector('button[name="community"][data-code="' + code + '"]');
    if (button) button.focus();
  }

  function outlines(m, box, group) {
    var distances = {};
    (m.near || []).forEach(function (n) { distances[n.code] = n.distance_m; });
    var drawn = 0;
    m.communities.forEach(function (code, i) {
      var c = cfg.polygons[code];
      if (!c) return;
      var first = i === 0;
      var layer = L.geoJSON(c.geometry, {
        coordsToLatLng: function (xy) { return toLatLng(xy[0], xy[1]); },
        className: "outline",  // set when the path is made (a style's className would be ignored)
        style: function () {
          return { color: first ? "#1565c0" : "#37474f", weight: first ? 2 : 1, fillOpacity: first ? 0.12 : 0.05 };
        },
      });
      var label = c.name + (code in distances ? " · " + metres(distances[code]) : "");
      // Named on the map where the names are the choice (the queue); on a report's page, on a tap.
      layer.bindTooltip(label, { permanent: !!m.near, direction: "center", className: "map-label" });
      layer.on("click", function () { pick(box, code); });
      group.addLayer(layer);
      drawn += 1;
    });
    return drawn;
  }

  function draw(m) {
    var box = document.getElementById(m.id);
    if (!box || box.dataset.drawn) return;
    box.dataset.drawn = "1";
    var map = L.map(box, { zoomSnap: 0.5, maxZoom: 19, attributionControl: !!cfg.tiles, scrollWheelZoom: false });
    if (cfg.tiles) L.tileLayer(cfg.tiles, { maxZoom: 18, attribution: cfg.tiles_attribution || "" }).addTo(map);
    var group = L.featureGroup();  // on the map once the view is set (a circle measures itself on a map)
    var drawn = outlines(m, box, group);
    var bounds = drawn ? group.getBounds() : L.latLngBounds([]);
    var at = null;
    if (m.point) {
      at = toLatLng(m.point[0], m.point[1]);
      var title = T.report_point + (m.accuracy_m ? " (" + T.accuracy.replace("{n}", Math.round(m.accuracy_m)) + ")" : "");
      bounds.extend(m.accuracy_m ? at.toBounds(2 * m.accuracy_m) : at);
      if (m.accuracy_m) group.addLayer(L.circle(at, { radius: m.accuracy_m, color: "#c62828", weight: 1, fillOpacity: 0.12, className: "accuracy" }));
      group.addLayer(L.circleMarker(at, { radius: 7, color: "#fff", weight: 2, fillColor: "#c62828", fillOpacity: 1, className: "report-pt" }).bindTooltip(title));
    }
    if (m.exif) {
      var e = toLatLng(m.exif.point[0], m.exif.point[1]);
      bounds.extend(e);
      var text = T.exif_point + (m.exif.distance_m !== null ? " · " + metres(m.exif.distance_m) : "");
      if (at) group.addLayer(L.polyline([at, e], { color: "#6a1b9a", weight: 2, dashArray: "4 4", className: "exif-line" }));
      group.addLayer(L.circleMarker(e, { radius: 6, color: "#fff", weight: 2, fillColor: "#6a1b9a", fillOpacity: 1, className: "exif-pt" }).bindTooltip(text));
    }
    box.dataset.polygons = String(drawn);
    box.dataset.point = m.point ? "1" : "0";
    box.dataset.exif = m.exif ? "1" : "0";
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [16, 16], maxZoom: 18, animate: false });
    else map.setView([34.6, 112.4], 12);
    group.addTo(map);
  }

  var byId = {};
  cfg.maps.forEach(function (m) { byId[m.id] = m; });
  if (!("IntersectionObserver" in window)) { cfg.maps.forEach(draw); return; }
  var seen = new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (!entry.isIntersecting) return;
      seen.unobserve(entry.target);
      draw(byId[entry.target.id]);
    });
  }, { rootMargin: "300px 0px" });
  cfg.maps.forEach(function (m) {
    var box = document.getElementById(m.id);
    if (box) seen.observe(box);
  });
})();
