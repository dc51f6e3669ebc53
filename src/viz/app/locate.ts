/**
 * Browser script shared by the web app and the HTML report: which lead and
 * sample of a renderEcgSvg chart lie under the pointer. It reads only what
 * the chart writes: the root's data-fs/speed/px-per-mm, each segment's
 * data-lead/n0/n1/baseline and the x of its first trace point (sample n0).
 */
export const LOCATE_JS = String.raw`function ecgxLocate(ev, svg) {
  var pt = svg.createSVGPoint(); pt.x = ev.clientX; pt.y = ev.clientY;
  var p = pt.matrixTransform(svg.getScreenCTM().inverse());
  var fs = +svg.dataset.fs, dx = (+svg.dataset.speed) * (+svg.dataset.pxPerMm) / fs;
  var best = null, bestDy = Infinity;
  svg.querySelectorAll('g.segment').forEach(function (g) {
    var line = g.querySelector('polyline'); if (!line) return;
    var first = line.getAttribute('points').split(' ')[0].split(',');
    var n0 = +g.dataset.n0, n1 = +g.dataset.n1, x0 = +first[0];
    var n = Math.round(n0 + (p.x - x0) / dx);
    if (n < n0 || n >= n1) return;
    var dy = Math.abs(p.y - (+g.dataset.baseline));
    if (dy < bestDy) { bestDy = dy; best = { lead: g.dataset.lead, n: n, fs: fs }; }
  });
  return best;
}
`;
