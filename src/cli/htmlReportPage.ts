// The script of an `hmmw report` page (plain browser JavaScript, inlined after Chart.js): reads
// the report's JSON and draws its charts. When every chart is drawn, <body data-charts="N">.
export const REPORT_PAGE_SCRIPT = String.raw`(function () {
'use strict';
var data = JSON.parse(document.getElementById('report-data').textContent);
var host = document.getElementById('charts');
var drawn = 0;
var dark = window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches;
var PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
Chart.defaults.color = dark ? '#ddd' : '#333';
Chart.defaults.borderColor = dark ? '#444' : '#ddd';
Chart.defaults.animation = false;

function box(title, tall) {
	var d = document.createElement('div');
	var h = document.createElement('h3');
	h.textContent = title;
	var c = document.createElement('div');
	c.className = tall ? 'chart tall' : 'chart';
	var cv = document.createElement('canvas');
	c.appendChild(cv);
	d.appendChild(h);
	d.appendChild(c);
	host.appendChild(d);
	return cv;
}
function unique(xs) { var out = []; xs.forEach(function (x) { if (out.indexOf(x) < 0) { out.push(x); } }); return out; }

function sweep(s) {
	var varying = s.params.filter(function (p) { return unique(s.runs.map(function (r) { return r.config[p]; })).length > 1; });
	var colourBy = varying.length > 0 ? varying[varying.length - 1] : s.params[s.params.length - 1];
	var values = unique(s.runs.map(function (r) { return r.config[colourBy]; }));
	var labels = s.runs.map(function (r) { return s.params.map(function (p) { return p + '=' + r.config[p]; }); });
	s.metrics.forEach(function (m) {
		new Chart(box(m + ' per configuration'), {
			type: 'bar',
			data: { labels: labels, datasets: [{ label: m, data: s.runs.map(function (r) { return r.metrics[m]; }),
				backgroundColor: s.runs.map(function (r) { return PALETTE[values.indexOf(r.config[colourBy]) % PALETTE.length]; }) }] },
			options: { maintainAspectRatio: false, plugins: { legend: { display: false },
				subtitle: { display: true, text: 'colour: ' + colourBy + ' (' + values.join(', ') + ')' } },
				scales: { x: { ticks: { autoSkip: false, font: { size: 10 } } }, y: { beginAtZero: true } } },
		});
		drawn++;
	});
}

function timeline(r) {
	var spans = r.timeline ? r.timeline.spans.map(function (s) { return { line: s.line, what: s.what, s: s.start_ns, e: s.end_ns }; })
		: r.kernels.map(function (k) { return { line: 0, what: 'kernel ' + k.name, s: k.start_ns, e: k.start_ns + k.time_ns }; });
	if (spans.length === 0) { return; }
	spans.sort(function (a, b) { return a.line - b.line; });
	var label = function (s) { return (s.line ? 'line ' + s.line + ': ' : '') + s.what; };
	var rows = unique(spans.map(label));
	var cv = box('Timeline: statements and kernels by simulated time (ms)', true);
	cv.parentNode.style.height = Math.max(160, 60 + rows.length * 22) + 'px';
	new Chart(cv, {
		type: 'bar',
		data: { labels: rows, datasets: [{ label: 'span', data: spans.map(function (s) { return { x: [s.s / 1e6, Math.max(s.e, s.s + 1) / 1e6], y: label(s) }; }),
			backgroundColor: spans.map(function (s) { return s.what.indexOf('kernel') === 0 ? PALETTE[0] : PALETTE[1]; }), grouped: false, barPercentage: 0.8 }] },
		options: { indexAxis: 'y', maintainAspectRatio: false, plugins: { legend: { display: false } },
			scales: { x: { type: 'linear', min: 0, title: { display: true, text: 'ms' } } } },
	});
	drawn++;
}

function memory(r) {
	var t = r.timeline;
	if (!t || t.samples.length === 0) { return; }
	var devices = Object.keys(r.devices);
	new Chart(box('Device memory in use (MiB) over simulated time (ms)'), {
		type: 'line',
		data: { datasets: devices.map(function (d, i) { return { label: d, borderColor: PALETTE[i % PALETTE.length], pointRadius: 0, stepped: true,
			data: t.samples.map(function (s) { return { x: s.t_ns / 1e6, y: (s.used[d] || 0) * 4096 / 1048576 }; }) }; }) },
		options: { maintainAspectRatio: false, scales: { x: { type: 'linear', min: 0 }, y: { beginAtZero: true } } },
	});
	drawn++;
}

function heatmap(r, device, colour) {
	var t = r.timeline;
	if (!t || t.samples.length === 0 || t.rows.length === 0) { return; }
	var cv = box('Residency on ' + device + ' over time: fraction of each mapping\'s pages (rows) per sample (columns)', true);
	var rows = t.rows;
	var labelW = 200, cellH = 16, top = 4, axisH = 22;
	var width = Math.max(400, cv.parentNode.clientWidth || 600);
	var height = top + rows.length * cellH + axisH;
	var ratio = window.devicePixelRatio || 1;
	cv.width = width * ratio; cv.height = height * ratio;
	cv.style.width = width + 'px'; cv.style.height = height + 'px';
	cv.parentNode.style.height = height + 'px';
	var g = cv.getContext('2d');
	g.scale(ratio, ratio);
	g.font = '11px system-ui, sans-serif';
	g.fillStyle = dark ? '#ddd' : '#333';
	var n = t.samples.length, plotW = width - labelW - 8, cw = plotW / n;
	var end = t.samples[n - 1].t_ns || 1;
	rows.forEach(function (row, y) {
		g.fillStyle = dark ? '#ddd' : '#333';
		g.fillText(row.label.slice(0, 32), 2, top + y * cellH + 12);
		t.samples.forEach(function (s, x) {
			var f = (s.resident[device] || [])[y];
			var left = labelW + (s.t_ns / end) * (plotW - cw);
			if (f === undefined || f < 0) { g.fillStyle = dark ? '#2a2a2a' : '#f4f4f4'; } else {
				g.globalAlpha = 0.08 + 0.92 * f;
				g.fillStyle = colour;
			}
			g.fillRect(left, top + y * cellH, Math.max(1, cw + 0.5), cellH - 2);
			g.globalAlpha = 1;
		});
	});
	g.fillStyle = dark ? '#ddd' : '#333';
	for (var k = 0; k <= 4; k++) {
		var x = labelW + k * (plotW - cw) / 4;
		g.textAlign = k === 0 ? 'left' : k === 4 ? 'right' : 'center';
		g.fillText((end * k / 4 / 1e6).toFixed(1) + ' ms', x + (k === 4 ? cw : 0), top + rows.length * cellH + 15);
	}
	drawn++;
}

if (data.kind === 'sweep') { sweep(data.sweep); } else {
	timeline(data.run);
	memory(data.run);
	Object.keys(data.run.devices).forEach(function (d, i) { heatmap(data.run, d, PALETTE[i % PALETTE.length]); });
}
document.body.setAttribute('data-charts', String(drawn));
})();`;
