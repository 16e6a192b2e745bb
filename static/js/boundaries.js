/* The preview of a boundary version (templates/admin/boundary_version.html): its polygons on a Leaflet
   map, coloured by how each differs from the version in force; removed communities drawn dashed.
   Settings come from <script id="boundary-config" type="application/json">; data from the version's
   .geojson route. Drawn in WGS-84 without tiles: the shapes are compared with each other. */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("boundary-config").textContent);
  var T = cfg.text;
  var statusBox = document.getElementById("map-status");
  var legend = document.getElementById("map-legend");
  // The first kind a community has decides its colour (removed, added, moved, renamed, area).
  var ORDER = ["removed", "added", "moved", "renamed", "area_changed"];
  var COLOURS = {
    removed: "#c62828", added: "#2e7d32", moved: "#6a1b9a", renamed: "#ef6c00",
    area_changed: "#1565c0", unchanged: "#9e9e9e",
  };

  function kindOf(props) {
    var changes = props.changes || [];
    for (var i = 0; i < ORDER.length; i++) if (changes.indexOf(ORDER[i]) >= 0) return ORDER[i];
    return "unchanged";
  }

  var map = L.map("map", { zoomSnap: 0.5, maxZoom: 19, attributionControl: false });
  map.setView([34.6, 112.4], 12);
  var layer = L.geoJSON(null, {
    style: function (feature) {
      var kind = kindOf(feature.properties);
      return {
        color: COLOURS[kind], weight: kind === "unchanged" ? 1 : 3, fillColor: COLOURS[kind],
        fillOpacity: kind === "unchanged" ? 0.08 : 0.3, dashArray: kind === "removed" ? "6 4" : null,
      };
    },
    onEachFeature: function (feature, lyr) {
      var p = feature.properties;
      var kinds = (p.changes || []).map(function (k) { return T[k] || k; });
      lyr.bindTooltip(p.community_code + " " + p.community_name + (kinds.length ? " · " + kinds.join(", ") : ""));
      lyr.on("add", function () {
        var el = lyr.getElement();
        if (el) { el.setAttribute("data-code", p.community_code); el.setAttribute("data-kind", kindOf(p)); }
      });
    },
  }).addTo(map);

  function showLegend() {
    legend.textContent = "";
    ORDER.concat(["unchanged"]).forEach(function (kind) {
      var item = document.createElement("span");
      var sw = document.createElement("span");
      sw.className = "sw sw-" + kind;
      item.appendChild(sw);
      item.appendChild(document.createTextNode(" " + (T[kind] || kind) + " "));
      legend.appendChild(item);
    });
  }

  fetch(cfg.geojson_url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
    .then(function (r) { if (!r.ok) throw new Error(r.status + " " + r.statusText); return r.json(); })
    .then(function (data) {
      layer.addData(data);
      var bounds = layer.getBounds();
      if (bounds.isValid()) map.fitBounds(bounds, { padding: [10, 10] });
      document.getElementById("map").setAttribute("data-features", String(data.features.length));
      showLegend();
    })
    .catch(function (err) {
      statusBox.hidden = false;
      statusBox.textContent = T.failed.replace("{reason}", err.message);
    });
})();
