/* The public map of complaints (lapor/templates/public_map.html): one marker per grid cell
 * from the page's data_url (lapor.web.maps.public_map_data, points already coarse on the
 * server), each opening a list of its complaints with a link to their tracking pages.
 * Complaint titles are set as text, never as HTML. */
(function () {
  'use strict';

  var element = document.getElementById('public-map');
  var configBlock = document.getElementById('public-map-config');
  if (!element || !configBlock || !window.L) return;
  var config = JSON.parse(configBlock.textContent);
  var text = config.messages;
  var status = document.getElementById('map-status');
  var SHOWN_PER_MARKER = 10;

  element.hidden = false;
  var map = L.map(element, { scrollWheelZoom: false });
  L.tileLayer(config.tiles, {
    attribution: config.attribution,
    maxZoom: 19,
    referrerPolicy: 'strict-origin-when-cross-origin'
  }).addTo(map);
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  map.fitBounds(config.bounds);

  function say(message) {
    status.textContent = message;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return name in values ? values[name] : whole;
    });
  }

  function add(parent, tag, content, className) {
    var node = document.createElement(tag);
    if (content !== undefined) node.textContent = content;
    if (className) node.className = className;
    parent.appendChild(node);
    return node;
  }

  function popup(cell) {
    var box = document.createElement('div');
    box.className = 'map-popup';
    cell.complaints.slice(0, SHOWN_PER_MARKER).forEach(function (complaint) {
      var line = add(box, 'p');
      var link = add(line, 'a', complaint.title);
      link.href = config.track_url.replace('CODE', encodeURIComponent(complaint.code));
      add(line, 'br');
      add(line, 'span', config.statuses[complaint.status] || complaint.status, 'status');
      add(line, 'span', ' · ' + (complaint.agency || text.no_agency));
    });
    var rest = cell.complaints.length - SHOWN_PER_MARKER;
    if (rest > 0) add(box, 'p', fill(text.more, { n: rest }), 'hint');
    return box;
  }

  function marker(cell) {
    var point = [cell.lat, cell.lon];
    var count = cell.complaints.length;
    if (count === 1) return L.marker(point, { title: cell.complaints[0].title });
    var size = count < 10 ? 30 : count < 100 ? 36 : 42;
    return L.marker(point, {
      icon: L.divIcon({ className: 'map-count', html: String(count), iconSize: [size, size] }),
      title: String(count)
    });
  }

  say(text.loading);
  fetch(config.data_url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
    .then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    })
    .then(function (data) {
      var layer = L.featureGroup();
      data.cells.forEach(function (cell) {
        marker(cell)
          .bindPopup(popup(cell), { maxWidth: 260, autoPanPaddingTopLeft: [56, 12] })
          .addTo(layer);
      });
      layer.addTo(map);
      if (data.cells.length) {
        map.fitBounds(layer.getBounds(), { maxZoom: 12, padding: [24, 24] });
        say(fill(text.count, { n: data.complaints }));
      } else {
        say(text.none);
      }
    })
    .catch(function () {
      say(text.failed);
    });
})();
