// A minimal line chart on <canvas>: shared x axis, one line per series,
// y axis from zero to a rounded maximum. No dependencies.
'use strict';

window.lineChart = function lineChart(canvas, legend, xs, series, formatX) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth || canvas.width;
  const h = canvas.clientHeight || canvas.height;
  canvas.width = w * dpr;
  canvas.height = h * dpr;
  const g = canvas.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  const left = 48, right = 8, top = 8, bottom = 22;
  const pw = w - left - right, ph = h - top - bottom;

  let ymax = 0;
  for (const s of series) for (const v of s.values) ymax = Math.max(ymax, v);
  ymax = niceMax(ymax);

  g.font = '11px system-ui, sans-serif';
  g.fillStyle = '#6b7280';
  g.strokeStyle = '#e5e7eb';
  g.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = top + ph - (ph * i) / 4;
    g.beginPath(); g.moveTo(left, y); g.lineTo(left + pw, y); g.stroke();
    g.textAlign = 'right'; g.textBaseline = 'middle';
    g.fillText(fmt(ymax * i / 4), left - 6, y);
  }
  if (xs.length > 1) {
    g.textBaseline = 'top';
    const last = xs.length - 1;
    for (const [i, align] of [[0, 'left'], [Math.floor(last / 2), 'center'], [last, 'right']]) {
      g.textAlign = align;
      g.fillText(formatX(xs[i]), left + (pw * i) / last, top + ph + 6);
    }
  } else {
    g.textAlign = 'center'; g.textBaseline = 'middle';
    g.fillText('collecting data…', left + pw / 2, top + ph / 2);
  }
  for (const s of series) {
    if (s.values.length < 2) continue;
    g.strokeStyle = s.color; g.lineWidth = 2; g.beginPath();
    s.values.forEach((v, i) => {
      const x = left + (pw * i) / (s.values.length - 1);
      const y = top + ph - (ymax ? (ph * v) / ymax : 0);
      if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
    });
    g.stroke();
  }
  if (legend) {
    legend.replaceChildren(...series.map((s) => {
      const span = document.createElement('span');
      const dot = document.createElement('i');
      dot.style.background = s.color;
      const last = s.values.length ? s.values[s.values.length - 1] : 0;
      span.append(dot, `${s.label}: ${fmt(last)}`);
      return span;
    }));
  }
};

function niceMax(v) {
  if (v <= 0) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

function fmt(v) {
  if (v >= 1e6) return (v / 1e6).toFixed(1) + 'M';
  if (v >= 1e4) return (v / 1e3).toFixed(0) + 'k';
  if (Number.isInteger(v)) return String(v);
  return v.toFixed(v < 10 ? 1 : 0);
}
