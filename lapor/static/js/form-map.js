/* The complaint form's map and kecamatan list (lapor/templates/form.html).
 *
 * Without this script the form works as typed fields: kabupaten, all kecamatan grouped by
 * kabupaten, lintang and bujur. With it: the kecamatan list follows the chosen kabupaten, and
 * a map (centred on that kabupaten) sets lintang/bujur by a tap, a drag of the marker or the
 * browser's location (asked only when the button is pressed), and suggests the kabupaten and
 * kecamatan of the point (GET lookup_url: the nearest kecamatan centre). Texts come from the
 * page's JSON data block, in the page's language; user-visible text is set as text, never
 * as HTML. */
(function () {
  'use strict';

  var regency = document.getElementById('regency');
  var district = document.getElementById('district');
  var configBlock = document.getElementById('form-map-config');
  if (!regency || !district || !configBlock) return;
  var config = JSON.parse(configBlock.textContent);
  var text = config.messages;

  /* --- the kecamatan follow the kabupaten ------------------------------------------------ */

  var groups = Array.prototype.map.call(district.querySelectorAll('optgroup'), function (group) {
    return group.cloneNode(true);
  });

  function optionOf(select) {
    return select.options[select.selectedIndex] || null;
  }

  /* Only the chosen kabupaten's kecamatan (all, grouped, when none is chosen); the chosen
     kecamatan stays chosen when it is one of them. */
  function narrow() {
    var chosen = district.value;
    Array.prototype.forEach.call(district.querySelectorAll('optgroup'), function (group) {
      district.removeChild(group);
    });
    groups.forEach(function (group) {
      if (!regency.value || group.label === regency.value) district.appendChild(group.cloneNode(true));
    });
    district.value = chosen;
    if (district.value !== chosen) district.value = '';
  }

  regency.addEventListener('change', function () {
    narrow();
    if (map && !marker) centreOnRegency();
  });
  district.addEventListener('change', function () {
    var option = optionOf(district);
    if (option && option.dataset.regency && !regency.value) {
      regency.value = option.dataset.regency;
      narrow();
      district.value = option.value;
    }
  });
  narrow();

  /* --- the map ---------------------------------------------------------------------------- */

  var block = document.getElementById('map-block');
  if (!block || !window.L) return; // Leaflet missing: the typed fields are still there
  var lat = document.getElementById('lat');
  var lon = document.getElementById('lon');
  var status = document.getElementById('map-status');
  var locate = document.getElementById('locate-me');
  var clear = document.getElementById('clear-point');
  var suggestion = document.getElementById('map-suggestion');
  var suggestionText = document.getElementById('map-suggestion-text');
  var offered = null;
  var marker = null;
  var lookups = 0;

  block.hidden = false;
  var map = L.map('form-map', { scrollWheelZoom: false });
  L.tileLayer(config.tiles, {
    attribution: config.attribution,
    maxZoom: 19,
    // The page sends no Referer to other hosts; a tile server may ask for the site's origin.
    referrerPolicy: 'strict-origin-when-cross-origin'
  }).addTo(map);
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');

  function say(message) {
    status.textContent = message || '';
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) {
      return name in values ? values[name] : whole;
    });
  }

  function centreOnRegency() {
    var option = optionOf(regency);
    if (option && option.dataset.lat) {
      map.setView([Number(option.dataset.lat), Number(option.dataset.lon)], 9);
    } else {
      map.fitBounds(config.bounds);
    }
  }

  function typedPoint() {
    var y = Number(lat.value.trim().replace(',', '.'));
    var x = Number(lon.value.trim().replace(',', '.'));
    if (!lat.value.trim() || !lon.value.trim() || !isFinite(y) || !isFinite(x)) return null;
    if (Math.abs(y) > 90 || Math.abs(x) > 180) return null;
    return L.latLng(y, x);
  }

  function placeMarker(point) {
    if (marker) {
      marker.setLatLng(point);
      return;
    }
    marker = L.marker(point, { draggable: true, autoPan: true, title: text.marker, alt: text.marker });
    marker.on('dragend', function () {
      setPoint(marker.getLatLng());
    });
    marker.addTo(map);
    clear.hidden = false;
  }

  /* A point chosen on the map: the fields take it, and the places it is probably in. */
  function setPoint(point) {
    point = point.wrap();
    placeMarker(point);
    lat.value = point.lat.toFixed(6);
    lon.value = point.lng.toFixed(6);
    say(text.point_set);
    suggest(point);
  }

  function suggest(point) {
    var asked = ++lookups;
    var url = config.lookup_url + '?lat=' + point.lat.toFixed(6) + '&lon=' + point.lng.toFixed(6);
    fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (place) {
        if (asked === lookups && place) offer(place);
      })
      .catch(function () {
        /* a suggestion only: the fields are filled either way */
      });
  }

  /* Fill empty choices; never overwrite one the person made: ask instead. */
  function offer(place) {
    suggestion.hidden = true;
    offered = null;
    if (!place.regency) {
      say(text.outside);
      return;
    }
    if (regency.value === place.regency && district.value === place.district) return;
    if ((!regency.value || regency.value === place.regency) && !district.value) {
      use(place);
      say(fill(text.filled, place));
      return;
    }
    offered = place;
    suggestionText.textContent = fill(text.suggest, place);
    suggestion.hidden = false;
  }

  function use(place) {
    regency.value = place.regency;
    narrow();
    district.value = place.district;
  }

  document.getElementById('map-suggestion-use').addEventListener('click', function () {
    if (offered) use(offered);
    suggestion.hidden = true;
    say(offered ? fill(text.filled, offered) : '');
    offered = null;
  });
  document.getElementById('map-suggestion-dismiss').addEventListener('click', function () {
    suggestion.hidden = true;
    offered = null;
  });

  map.on('click', function (event) {
    setPoint(event.latlng);
  });

  clear.addEventListener('click', function () {
    if (marker) map.removeLayer(marker);
    marker = null;
    lat.value = '';
    lon.value = '';
    clear.hidden = true;
    suggestion.hidden = true;
    say(text.cleared);
  });

  /* Typed coordinates move the marker too. */
  function followTyping() {
    var point = typedPoint();
    if (!point) return;
    placeMarker(point);
    map.setView(point, Math.max(map.getZoom(), 13));
    suggest(point);
  }
  lat.addEventListener('change', followTyping);
  lon.addEventListener('change', followTyping);

  /* The browser's location: asked only when the person presses the button. */
  locate.addEventListener('click', function () {
    if (!('geolocation' in navigator)) {
      say(text.geo_unavailable);
      return;
    }
    if (window.isSecureContext === false) {
      say(text.geo_insecure);
      return;
    }
    say(text.geo_wait);
    locate.disabled = true;
    navigator.geolocation.getCurrentPosition(
      function (position) {
        locate.disabled = false;
        var point = L.latLng(position.coords.latitude, position.coords.longitude);
        map.setView(point, Math.max(map.getZoom(), 16));
        setPoint(point);
        say(fill(text.geo_done, { m: Math.round(position.coords.accuracy) }));
      },
      function (error) {
        locate.disabled = false;
        if (error.code === 1) say(text.geo_denied);
        else if (error.code === 3) say(text.geo_timeout);
        else say(text.geo_failed);
      },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 }
    );
  });

  var start = typedPoint(); // a form shown again after an error keeps its point
  if (start) {
    placeMarker(start);
    map.setView(start, 15);
  } else {
    centreOnRegency();
  }
})();
