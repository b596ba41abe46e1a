/* viewer.js: draws the flame graphs of a viperbench page with
 * d3-flame-graph, from the JSON the page inlines (#viper-data):
 *   {"graphs": [{"id", "kind": "profile"|"diff", "unit", "tree"}]}
 * into each <div class="flame" id="flame-ID">.  A profile's frames are
 * sized by samples; a differential graph's by the candidate's CPU
 * microseconds per I/O, coloured by the change (red: grew, blue: shrank).
 * Names are set as text, never as markup.  When every graph is drawn,
 * document.body gets data-flames="ready" (the browser test waits on it).
 */
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('viper-data').textContent);
  var graphs = data.graphs || [];
  var charts = [];

  function num(v) {
    var a = Math.abs(v);
    return a >= 100 ? v.toFixed(0) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
  }

  function signed(v) {
    return (v > 0 ? '+' : '') + num(v);
  }

  // Plain substring search: what is typed is never a regular expression.
  function match(d, term) {
    var name = d.data.n;
    return !!term && typeof name === 'string' &&
      name.toLowerCase().indexOf(term.toLowerCase()) >= 0;
  }

  if (typeof flamegraph === 'undefined' || typeof d3 === 'undefined') {
    // Built where npm could not be reached: say so where each graph goes.
    graphs.forEach(function (g) {
      var el = document.getElementById('flame-' + g.id);
      if (el) el.querySelector('.details').textContent =
        'Not drawn: this viperbench was built without d3 and d3-flame-graph ' +
        '(npm could not be reached); run make web, then viperbench report.';
    });
    document.body.dataset.flames = 'missing';
    return;
  }

  graphs.forEach(function (g) {
    var el = document.getElementById('flame-' + g.id);
    if (!el || !g.tree) return;
    var holder = el.querySelector('.chart');
    var details = el.querySelector('.details');
    var total = null;
    var chart = flamegraph.default()
      .width(Math.max(600, holder.clientWidth || 960))
      .cellHeight(18)
      .transitionDuration(250)
      .minFrameSize(0)
      .selfValue(true)
      .sort(true)
      .setSearchMatch(match)
      .setDetailsElement(details);
    if (g.kind === 'diff') {
      chart.computeDelta(true)
        .setColorMapper(function (d, c) {
          return flamegraph.colorMapper.differentialColorMapper(d, c);
        })
        .label(function (d) {
          return d.data.n + ': ' + num(d.value) + ' ' + g.unit +
            ' (' + signed(d.delta || 0) + ' ' + g.unit + ' from A), self ' +
            num(d.data.v) + ' (' + signed(d.data.d || 0) + ')';
        });
    } else {
      chart.label(function (d) {
        if (total === null) total = d3.select(holder).datum().value || 1;
        return d.data.n + ': ' + d.value + ' samples, ' +
          (100 * d.value / total).toFixed(2) + '% of the process (self ' +
          d.data.v + ')';
      });
    }
    d3.select(holder).datum(g.tree).call(chart);
    el.querySelector('button.reset').addEventListener('click', function () {
      chart.resetZoom();
    });
    el.dataset.drawn = String(holder.querySelectorAll('g.frame').length);
    charts.push(chart);
  });

  var box = document.getElementById('flame-search');
  if (box) {
    box.addEventListener('input', function () {
      charts.forEach(function (c) {
        if (box.value) c.search(box.value); else c.clear();
      });
    });
  }
  document.body.dataset.flames = 'ready';
})();
